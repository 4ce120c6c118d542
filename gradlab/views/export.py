"""Take a run home: a standalone PyTorch script, the trace as CSV, a Markdown summary (either model)."""

from __future__ import annotations

from collections.abc import Iterable
from string import Template

import numpy as np

from gradlab.fmt import num, vec
from gradlab.lesson.divergence import explain, warn
from gradlab.lesson.net_observations import net_divergence
from gradlab.lesson.observations import convergence_text, loss_after
from gradlab.lesson.sentences import loss_after_updates
from gradlab.runs.code import BACKWARD, FORWARD, LOSS, OPTIMIZER, UPDATE, commented, fmt_list, zero_code
from gradlab.runs.trace import CONVERGED_LOSS, Trace
from gradlab.settings.config import UPDATE_RULES, ZERO_MODES, RunConfig
from gradlab.views.net_export import net_script
from gradlab.views.table import epoch_table

MAX_TABLE_ROWS = 50  # epoch rows in the Markdown table
MAX_DATA_ROWS = 20  # data rows in the Markdown table
SCRIPT_WIDTH = 88  # ruff's default line length, for the generated script
_UPDATE_DOCS = {k: v.removeprefix(f"{k}: ") for k, v in UPDATE_RULES.items()}  # no "manual: manual: ..."

_SCRIPT = Template('''\
"""Gradient descent on a tiny linear model, exported by GradLab.

This script needs only PyTorch and reproduces one GradLab run: the same float32 data
and initial weights, the same operations in the same order each epoch, the same update
rule and the same gradient zeroing. Run with the same PyTorch build on the same kind of
device, every number it prints matches the app exactly.

GradLab config (the data and initial weights are written out in the code below):
  lr=$lr, epochs=$epochs, device=$device
  zeroing=$zeroing: $zero_doc
  update=$update: $update_doc

Output, one line per epoch, where w and b are the values that epoch's forward pass used
and every number is a Python float repr (float32 values, so they parse back exactly):
  epoch <n> loss <loss> w [<w1>, ...] b <b> w.grad [<g1>, ...] b.grad <g>
then "final w [<w1>, ...] b <b>" and, only if a number overflowed float32 (inf or NaN)
and the run was stopped there, as GradLab stops it, "diverged at epoch <n>: <reason>".
"""

import math

import torch

lr = $lr
epochs = $epochs

# The device set in GradLab; fall back to the CPU rather than crash.
device = $device
if device == "cuda" and not torch.cuda.is_available():
    print("note: CUDA is not available on this machine; running on CPU.")
    device = "cpu"

# The data, float32 like GradLab: N samples of F features. It needs no gradient.
X = torch.tensor(
    $X,
    dtype=torch.float32,
    device=device,
)  # (N, F)
y = torch.tensor(
    $y,
    dtype=torch.float32,
    device=device,
)  # (N,)

# The parameters are leaf tensors created *on* the device with requires_grad=True, so
# backward() fills their .grad. Created on the CPU and then moved to a GPU with
# .to(device), they would be non-leaf copies whose .grad stays None.
w = torch.tensor(
    $w0,
    dtype=torch.float32,
    requires_grad=True,
    device=device,
)  # (F,)
b = torch.tensor(
    $b0,
    dtype=torch.float32,
    requires_grad=True,
    device=device,
)  # ()
$optimizer
for epoch in range(1, epochs + 1):
$forward
    # backward() *adds* d(loss)/dw into w.grad and d(loss)/db into b.grad.
$backward

    # Record before the update changes w and b. str() of a Python float round-trips.
    w_now, b_now = w.tolist(), b.item()
    w_grad, b_grad = w.grad.tolist(), b.grad.item()
    print(
        f"epoch {epoch} loss {loss.item()} w {w_now} b {b_now} "
        f"w.grad {w_grad} b.grad {b_grad}"
    )
    # GradLab's one stop rule: an epoch that records an inf or NaN (float32 overflowed).
    recorded = [loss.item(), *w_now, b_now, *w_grad, b_grad, *y_hat.tolist()]
    finite = all(math.isfinite(v) for v in recorded)

$update_code

$zeroing_code

    # GradLab checks after the step, and its trace leaves this epoch out.
    if not finite:
        break

print(f"final w {w.tolist()} b {b.item()}")
if not finite:
    print(f"diverged at epoch {epoch}: a value became inf/NaN (overflowed float32)")
''')

_OPTIMIZER = f"""
# The optimizer updates these very leaf tensors in place.
{OPTIMIZER}
"""
# What each step does, as a comment above the card's own lines (gradlab.runs.code).
_UPDATE_NOTES = {
    "manual": "no_grad(): the update must not join the graph; in-place keeps w and b leaves.",
    "sgd": "Plain SGD (no momentum): for each parameter p, p -= lr * p.grad.",
}
_ZERO_NOTES = {
    ("manual", "zero"): "zero_() keeps the .grad tensors but fills them with zeros for the next backward().",
    ("manual", "none"): "Dropping .grad (set to None) makes the next backward() allocate fresh gradients.",
    ("sgd", "zero"): "set_to_none=False: zero_() each .grad in place, keeping the tensors.",
    ("sgd", "none"): "set_to_none=True: drop each .grad; the next backward() allocates a fresh one.",
}


def _in_loop(code: str, note: str | None = None) -> str:
    """Lines of code inside the epoch loop (indented once), after a comment line when there is a note."""
    lines = ([f"# {note}"] if note else []) + code.splitlines()
    return "\n".join(f"    {line}" for line in lines)


def to_script(config: RunConfig) -> str:
    """A standalone PyTorch script that reproduces `train(config)` number for number (an nn.Module for the network)."""
    if config.model == "net":
        return net_script(config)
    zero_note = _ZERO_NOTES.get((config.update, config.zeroing))  # "never" says it in its own line
    return _SCRIPT.substitute(
        lr=repr(config.lr),
        epochs=repr(config.epochs),
        device=f'"{config.device}"',  # double quotes, as ruff format writes them
        zeroing=f'"{config.zeroing}"',
        zero_doc=ZERO_MODES[config.zeroing],
        update=f'"{config.update}"',
        update_doc=_UPDATE_DOCS[config.update],
        X="[\n" + "".join(f"        {_literal(row, 8)},\n" for row in config.X) + "    ]",
        y=_literal(config.y, 4),
        w0=_literal(config.w0, 4),
        b0=repr(config.b0),
        optimizer=_OPTIMIZER if config.update == "sgd" else "",
        forward=_in_loop(commented(f"{FORWARD}\n{LOSS}", {FORWARD: "(N,)", LOSS: "0-d"})),
        backward=_in_loop(BACKWARD),
        update_code=_in_loop(UPDATE[config.update], _UPDATE_NOTES[config.update]),
        zeroing_code=_in_loop(zero_code(config.update, config.zeroing), zero_note),
    )


def _literal(values: tuple[float, ...], indent: int) -> str:
    """A list literal laid out as ruff format would: on one line if it fits, else one item per line."""
    flat = fmt_list(values)
    if indent + len(flat) + 1 <= SCRIPT_WIDTH:  # + 1 for the comma after it
        return flat
    return "[\n" + "".join(f"{' ' * (indent + 4)}{v!r},\n" for v in values) + " " * indent + "]"


def to_csv(trace: Trace) -> bytes:
    """The trace's DataFrame as UTF-8 CSV; a non-finite number would be written as an empty cell."""
    df = epoch_table(trace)
    numeric = df.select_dtypes("number").columns
    df[numeric] = df[numeric].where(np.isfinite(df[numeric].to_numpy(dtype=float)))
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def table_rows(n: int, max_rows: int = MAX_TABLE_ROWS) -> np.ndarray:
    """At most `max_rows` evenly spaced indices into n rows, always with the first and last."""
    evenly = np.linspace(0, n - 1, min(n, max_rows)).round().astype(int)
    return np.unique(evenly)


NA = "n/a"  # a non-finite number in a Markdown table or headline: never "nan" or "inf"


def _table(header: list[str], rows: Iterable[Iterable[object]]) -> list[str]:
    def line(cells: Iterable[object]) -> str:
        text = (num(c, nonfinite=NA) if isinstance(c, float) else str(c) for c in cells)  # np.float64 is a float
        return "| " + " | ".join(t.replace("|", "\\|") for t in text) + " |"

    return [line(header), "|" + "---|" * len(header), *(line(r) for r in rows)]


def to_markdown(trace: Trace) -> str:
    """A notebook-friendly Markdown summary: config, data, headline, epoch table, final w and b."""
    c, e = trace.config, len(trace)
    device = trace.device + (f" ({trace.device_note})" if trace.device_note else "")
    net = c.model == "net"
    out = [f"# GradLab run: lr = {c.lr!r}, {c.epochs} epochs\n", "## Config\n"]
    start: list[list[object]] = [["initial w", vec(c.w0, nonfinite=NA)], ["initial b", c.b0]]
    if net:
        start = [["start", "the network's fixed start (gradlab.runs.net_code.START)"]]
    out += _table(
        ["setting", "value"],
        [
            ["model", "network (nn.Module: Linear(2, 3) → Tanh → Linear(3, 1))" if net else "linear ŷ = Xw + b"],
            ["lr", repr(c.lr)],
            ["epochs", str(c.epochs)],
            ["device", f"requested {c.device}, ran on {device}"],
            ["zeroing", f"`{c.zeroing}`: {ZERO_MODES[c.zeroing]}"],
            ["update", f"`{c.update}`: {_UPDATE_DOCS[c.update]}"],
            *start,
        ],
    )
    shown = table_rows(c.n_samples, MAX_DATA_ROWS)
    note = f"Data: {c.n_samples} sample(s), {c.n_features} feature(s), float32."
    if len(shown) < c.n_samples:
        note += f" Showing {len(shown)} rows, evenly spaced, first and last included."
    out += ["", note, ""]
    out += _table(
        ["row", *(f"x{j + 1}" for j in range(c.n_features)), "y"],
        [[i + 1, *c.X[i], c.y[i]] for i in shown],
    )

    reached, reached_said = convergence_text(trace)
    divergence = net_divergence(trace) if net else explain(trace)
    out += [
        "\n## Headline\n",
        f"- Start loss: {num(trace.start_loss, nonfinite=NA)}",
        f"- End loss: {num(trace.end_loss, nonfinite=NA)} (epoch {e}, before its update)",
        f"- {loss_after_updates(e).capitalize()}: " + _after_text(trace),
        f"- Epochs to loss < {CONVERGED_LOSS:g}: {reached}. {reached_said}",
        f"- Divergence: {divergence.message if divergence else 'none'}",
        *([f"- Warning: {warning.message}"] if not net and (warning := warn(trace)) else []),
        "\n## Epochs\n",
    ]
    shown = table_rows(e)
    if len(shown) < e:
        out.append(f"Showing {len(shown)} of {e} epochs, evenly spaced; first and last always included.\n")
    df = epoch_table(trace)
    out += _table([str(col) for col in df.columns], df.iloc[shown].itertuples(index=False))

    out.append("\n## Final parameters\n")
    if net:
        return "\n".join(out + _net_final(trace)) + "\n"
    if trace.final_w is not None and trace.final_b is not None:
        out += [f"- w = {vec(trace.final_w, nonfinite=NA)}", f"- b = {num(trace.final_b, nonfinite=NA)}"]
    else:
        out.append(
            "The run diverged, so it has no final parameters; the last recorded epoch "
            f"used w = {vec(trace.w[-1], nonfinite=NA)} and b = {num(trace.b[-1], nonfinite=NA)}."
        )
    return "\n".join(out) + "\n"


def _after_text(trace: Trace) -> str:
    """The loss after the last update (as the Training Trace names it), or why there is none."""
    if len(trace) == 0:
        return f"{NA}: the run recorded no epoch"
    if trace.stop is not None:  # the last update led to the epoch that overflowed: its forward pass is that loss
        stop = trace.stop
        return (
            f"{num(stop.loss, nonfinite=NA)} (epoch {stop.epoch}'s forward pass, where the run was stopped: "
            f"{' and '.join(stop.nonfinite)} not finite)"
        )
    after = loss_after(trace)
    return NA if after is None else num(after, nonfinite=NA)


def _net_final(trace: Trace) -> list[str]:
    """The network's parameters after the last update, by name; or, for a stopped run, those of its last epoch."""
    if trace.final_params is not None:
        return [f"- {n} = {vec(v.reshape(-1), nonfinite=NA)}" for n, v in trace.final_params.items()]
    lines = ["The run diverged, so it has no final parameters; the last recorded epoch used:"]
    if len(trace) == 0:
        return ["The run diverged in its first epoch, so it recorded no parameters."]
    return lines + [f"- {n} = {vec(v[-1].reshape(-1), nonfinite=NA)}" for n, v in trace.params.items()]
