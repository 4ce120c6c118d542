"""Sentences of the lesson that describe a configuration, written from that configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradlab.fmt import num, vec
from gradlab.runs.code import BACKWARD, FORWARD, LOSS, READ_GRAD, UPDATE, ZERO_GRAD, calls, commented, epoch_code
from gradlab.settings.config import RunConfig
from gradlab.settings.links import format_lr

if TYPE_CHECKING:
    from gradlab.runs.net_stages import NetStageRun
    from gradlab.runs.stages import StageRun
    from gradlab.runs.trace import Trace

# The two losses at the end of a run, in the words the Training Trace and the quiz both use
# (gradlab.lesson.quiz builds its question with `loss_at_epoch` and `loss_after_updates`):
# - the loss at epoch E is computed by that epoch's forward pass, before its update (the trace's last row);
# - the loss after E updates is one more forward pass at the w and b that epoch E's update produced.
LOSS_AT_EPOCH = "loss at epoch {epoch} (before its update)"
LOSS_AFTER_UPDATES = "loss after {epoch} updates"
BEFORE_ITS_UPDATE = "(before its update)"  # the part of LOSS_AT_EPOCH that finds its metric on a page

# Prediction Trace: the card's five steps for one sample. The card calls them "layers"; only step 2 is a layer of
# the model (ŷ = Xw + b), the others are the computation around it.
TRACE_STEPS: tuple[str, ...] = (
    "Input features",
    "Linear layer (the model)",
    "Loss term",
    "Backward pass (.backward())",
    "Access the .grad attribute",
)


def loss_at_epoch(epoch: int) -> str:
    """ "loss at epoch 5 (before its update)": epoch E's loss, from its own forward pass."""
    return LOSS_AT_EPOCH.format(epoch=f"{epoch:,}")


def loss_after_updates(updates: int) -> str:
    """ "loss after 5 updates" ("loss after 1 update"): the loss at the weights the last update produced."""
    text = LOSS_AFTER_UPDATES.format(epoch=f"{updates:,}")
    return text[:-1] if updates == 1 else text


def trace_step(number: int) -> str:
    """A Prediction Trace heading: "Step 2 of 5 · Linear layer (the model)"."""
    return f"Step {number} of {len(TRACE_STEPS)} · {TRACE_STEPS[number - 1]}"


def _spans(code: str) -> str:
    """Each statement as a code span: "`w.grad.zero_()` and `b.grad.zero_()`"."""
    return " and ".join(f"`{line}`" for line in calls(code))


def loop_text(config: RunConfig) -> str:
    """What one epoch does with these settings, as a Markdown line naming the very calls the run makes."""
    steps = epoch_code(config)
    update = _spans(steps["update"]) + (" (torch.optim.SGD)" if config.update == "sgd" else " under `no_grad`")
    zero = {
        "zero": f"zero `.grad` with {_spans(steps['zero'])}",
        "none": f"set `.grad` to None with {_spans(steps['zero'])}",
        "never": "**no zeroing**: the next `backward()` adds to `.grad`",
    }[config.zeroing]
    return (
        f"Each epoch: forward → loss → `backward()` → read `.grad` → update {update} at lr = "
        f"{format_lr(config.lr)} → {zero}."
    )


def step_code() -> str:
    """One training step after the forward pass, each line commented with what it does to `.grad` (Python)."""
    notes = {
        BACKWARD: "adds d(loss)/dw into w.grad and d(loss)/db into b.grad",
        calls(UPDATE["manual"])[0]: "a small step against the gradient",
        calls(ZERO_GRAD)[0]: ".grad accumulates: clear it before the next backward()",
    }
    return commented(f"{BACKWARD}\n{UPDATE['manual']}\n{ZERO_GRAD}", notes, column=25)


# What stands in for a number that a pending question asks for (Home, while Data Flow's questions are open).
ASKED_ON_DATA_FLOW = "? Data Flow asks for it first"


def first_pass_code(run: StageRun, *, reveal: bool = True) -> str:
    """The first forward and backward pass, with the `.grad` it gave as comments (Python); `reveal=False` puts
    ASKED_ON_DATA_FLOW where the values would be."""
    shown = {"w.grad": vec(run.w_grad), "b.grad": num(run.b_grad)}
    if not reveal:
        shown = dict.fromkeys(shown, ASKED_ON_DATA_FLOW)
    grads = commented(READ_GRAD.replace(", ", "\n"), shown)
    return f"{FORWARD}\n{LOSS}\n{BACKWARD}\n{grads}"


def run_it_note(device: str) -> str:
    """How to run the five stages' script (`gradlab.runs.code.step_script`) as the page shows it."""
    where = "" if device == "cpu" else f', on a machine with CUDA (it sets device = "{device}")'
    return f"It runs as it is: paste it into a Python file with PyTorch installed{where}."


def slope_example(run: StageRun, step: float = 1.0) -> str | None:
    """`.grad` as a local slope: the real loss change for w1 + step beside the estimate w1.grad·step."""
    from gradlab.runs.model import loss_at

    config = run.config
    start = loss_at(config, config.w0, config.b0)
    moved = (config.w0[0] + step, *config.w0[1:])
    after = loss_at(config, moved, config.b0)
    real, estimate = after - start, run.w_grad[0] * step
    if real == estimate:
        return None  # a flat direction: nothing to show
    return (
        f"**A slope, not a step:** moving w1 from {num(config.w0[0])} to {num(moved[0])} changes the loss from "
        f"{num(start)} to {num(after)}, by {num(real)}, while w1.grad × {num(step)} = {num(estimate)}. "
        "`.grad` is the slope at the current point, and the loss curves away from its tangent."
    )


def loss_at_epoch_help(trace: Trace) -> str:
    """What the last epoch's loss is: the number its forward pass computed, before its update."""
    e = len(trace)
    return (
        f"Epoch {e:,}'s loss, computed by its forward pass before its update: the last row of the table and the "
        "last point of the chart."
    )


def loss_after_help(trace: Trace, after: float | None) -> str:
    """What the loss after the last update is (`after`: None when the run was stopped before that update)."""
    e = len(trace)
    if trace.stop is not None:  # the run stopped at the first epoch that was not finite: the one after the table's last
        stop = trace.stop
        return (
            f"Epoch {e:,}'s update led to epoch {stop.epoch:,}, where {' and '.join(stop.nonfinite)} "
            f"{'was' if len(stop.nonfinite) == 1 else 'were'} not finite in float32, so the run was stopped there: "
            f"there is no finite loss after epoch {e:,}'s update to show."
        )
    if after is None:
        return f"There is no loss after epoch {e:,}'s update to show."
    return (
        f"Epoch {e:,}'s update moved w and b once more; one more forward pass at those weights gives {num(after)}. "
        f"That is the loss after {e:,} update{'s' * (e != 1)}; the table's last row is the loss before the last update."
    )


# --- the network's worked example (Home with model=net; issue 21, helper NF) ---------------------------------


NET_STEP = (
    "loss.backward()",
    "with torch.no_grad():",
    "    for p in model.parameters():",
    "        p -= lr * p.grad",
    "model.zero_grad()",
)


def net_step_code() -> str:
    """One training step of the network after its forward pass, each line commented with what it does to `.grad`
    (Python; tests/test_net_pages.py runs these lines on a `Net`)."""
    notes = {
        NET_STEP[0]: "adds d(loss)/dp into p.grad for every parameter p",
        NET_STEP[3].strip(): "a small step against each parameter's gradient",
        NET_STEP[4]: ".grad accumulates: set every .grad to None before the next backward()",
    }
    return commented("\n".join(NET_STEP), notes, column=29)


def net_first_pass_code(run: NetStageRun, *, reveal: bool = True) -> str:
    """The network's first forward and backward pass as PyTorch lines (`gradlab.runs.net_code`), the loss and each
    parameter's `.grad` as comments (Python); `reveal=False` puts ASKED_ON_DATA_FLOW where a `.grad` would be."""
    from gradlab.runs.net_code import NET_BACKWARD, NET_FORWARD, NET_LOSS

    lines = [NET_FORWARD, f"{NET_LOSS}  # {num(run.loss)}", NET_BACKWARD]
    for name, values in run.grads.items():
        shown = nested(values, run.grad_shapes[name]) if reveal else ASKED_ON_DATA_FLOW
        lines.append(f"model.{name}.grad  # {shown}")
    return "\n".join(lines)


def nested(values: tuple[float, ...], shape: tuple[int, ...]) -> str:
    """Row-major values as a nested list of the shape, six significant digits: (1, 2, 3, 4) of shape (2, 2) →
    "[[1, 2], [3, 4]]". A ValueError when the shape does not hold exactly that many values."""
    size = 1
    for n in shape:
        size *= n
    if size != len(values):
        raise ValueError(f"shape: {shape} holds {size} values, not {len(values)}")
    if len(shape) <= 1:
        return vec(values)
    step = size // shape[0]
    return "[" + ", ".join(nested(values[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])) + "]"


def net_slope_example(run: NetStageRun, step: float = 1.0) -> str | None:
    """`.grad` as a local slope on the network: the real loss change for out.bias + step beside out.bias.grad·step
    (`gradlab.runs.net.net_loss_at`, float32 forward passes); None when the two are equal."""
    import numpy as np

    from gradlab.runs.net import net_loss_at

    start = {name: np.array(values) for name, values in run.params.items()}
    moved = dict(start, **{"out.bias": start["out.bias"] + step})
    before, after = net_loss_at(run.config, start), net_loss_at(run.config, moved)
    real, estimate = after - before, run.grads["out.bias"][0] * step
    if real == estimate:
        return None
    b0 = run.params["out.bias"][0]
    return (
        f"**A slope, not a step:** moving out.bias from {num(b0)} to {num(b0 + step)} changes the loss from "
        f"{num(before)} to {num(after)}, by {num(real)}, while out.bias.grad × {num(step)} = {num(estimate)}. "
        "`.grad` is the slope at the current point, and the loss curves away from its tangent."
    )
