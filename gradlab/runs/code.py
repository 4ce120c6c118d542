"""The card's PyTorch lines as text: the one place every page, log and exported script takes them from.

Each line is what the runs do for real: `FORWARD` and `LOSS` are `gradlab.runs.model.forward` and `mse`, the
update and zeroing lines are `gradlab.runs.grads.update` and `zero_grads` (tests/test_code.py runs every line
on real tensors and compares). Plain text and no torch: the home page shows the loop before PyTorch loads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gradlab.settings.config import RunConfig, UpdateRule, ZeroMode

PARAMS = ("w", "b")
FORWARD = "y_hat = X @ w + b"
LOSS = "loss = ((y_hat - y) ** 2).mean()"
BACKWARD = "loss.backward()"
READ_GRAD = "w.grad, b.grad"
DATA = "X = torch.tensor({X}, device=device)\ny = torch.tensor({y}, device=device)"
INIT = (
    "w = torch.tensor({w0}, requires_grad=True, device=device)\n"
    "b = torch.tensor({b0}, requires_grad=True, device=device)"
)
OPTIMIZER = "opt = torch.optim.SGD([w, b], lr=lr)"
NO_ZEROING = "# no zeroing: the next backward() adds to .grad"


def each(template: str) -> str:
    """The line for every parameter: "{p}.grad.zero_()" → "w.grad.zero_()" and "b.grad.zero_()", one a line."""
    return "\n".join(template.format(p=p) for p in PARAMS)


UPDATE: dict[UpdateRule, str] = {
    "manual": "with torch.no_grad():\n"
    + "\n".join("    " + line for line in each("{p} -= lr * {p}.grad").splitlines()),
    "sgd": "opt.step()",
}
ZERO_GRAD = each("{p}.grad.zero_()")
SET_TO_NONE = each("{p}.grad = None")


def zero_code(update: UpdateRule, zeroing: ZeroMode) -> str:
    """How a step clears `.grad` with these settings, as `gradlab.runs.grads.zero_grads` does it."""
    if zeroing == "never":
        return NO_ZEROING
    if update == "sgd":
        return f"opt.zero_grad(set_to_none={zeroing == 'none'})"
    return ZERO_GRAD if zeroing == "zero" else SET_TO_NONE


def epoch_code(config: RunConfig) -> dict[str, str]:
    """One epoch of training with these settings, step by step: the step-through's sub-steps, in order."""
    return {
        "forward": FORWARD,
        "loss": LOSS,
        "backward": BACKWARD,
        "read .grad": READ_GRAD,
        "update": UPDATE[config.update],
        "zero": zero_code(config.update, config.zeroing),
    }


def fmt_list(values: Sequence[float]) -> str:
    """A Python list literal that round-trips the floats exactly."""
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def stage_code(config: RunConfig) -> dict[str, str]:
    """The exact PyTorch line behind each of the five stages, with this config's values."""
    rows = "[" + ", ".join(fmt_list(r) for r in config.X) + "]"
    return {
        "data": DATA.format(X=rows, y=fmt_list(config.y)),
        "init": INIT.format(w0=fmt_list(config.w0), b0=repr(config.b0)),
        "forward": FORWARD,
        "loss": LOSS,
        "backward": BACKWARD,
        "grad": READ_GRAD,
    }


def step_script(config: RunConfig, device: str) -> str:
    """The five stages as one runnable script: data → init → forward → loss → backward(), printing .grad."""
    lines = stage_code(config)
    body = "\n".join(lines[k] for k in ("data", "init", "forward", "loss", "backward"))
    return f'import torch\n\ndevice = "{device}"\n{body}\nprint(w.grad, b.grad)\n'


def one_line(code: str) -> str:
    """Lines joined with "; " for a log or a table cell ("with torch.no_grad(): w -= …; b -= …")."""
    head, *rest = code.splitlines()
    if head.endswith(":") and rest:
        return f"{head} " + "; ".join(line.strip() for line in rest)
    return "; ".join(line.strip() for line in code.splitlines())


def calls(code: str) -> list[str]:
    """The statements of a block, without a `with …:` around them: what a sentence names."""
    lines = [line.strip() for line in code.splitlines()]
    return lines[1:] if lines and lines[0].endswith(":") else lines


def commented(code: str, notes: Mapping[str, str], column: int | None = None) -> str:
    """The code with a comment after each line whose statement `notes` names; aligned at `column` if given."""
    out = []
    for line in code.splitlines():
        note = notes.get(line.strip())
        if note is None:
            out.append(line)
        elif column is None:
            out.append(f"{line}  # {note}")
        else:
            out.append(f"{line.ljust(column - 1)} # {note}")
    return "\n".join(out)
