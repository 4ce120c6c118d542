"""Sentences of the lesson that describe a configuration, written from that configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradlab.fmt import num, vec
from gradlab.runs.code import BACKWARD, FORWARD, LOSS, READ_GRAD, UPDATE, ZERO_GRAD, calls, commented, epoch_code
from gradlab.settings.config import RunConfig
from gradlab.settings.links import format_lr

if TYPE_CHECKING:
    from gradlab.runs.stages import StageRun
    from gradlab.runs.trace import Trace

# The Training Trace's headline for its last row: the loss that epoch's forward pass computed, before its update.
LAST_LOSS = "loss at the last epoch"
# The two losses an epoch E can mean, in the app's words (format with E=…): the one its forward pass computed,
# which the Training Trace shows for epoch E, and the one of w and b once E updates have run.
LOSS_AT_EPOCH = "loss at epoch {E} (before its update)"
LOSS_AFTER_UPDATES = "loss after {E} updates"


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


def first_pass_code(run: StageRun) -> str:
    """The first forward and backward pass, with the `.grad` it gave as comments (Python)."""
    grads = commented(READ_GRAD.replace(", ", "\n"), {"w.grad": vec(run.w_grad), "b.grad": num(run.b_grad)})
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


def last_loss_help(trace: Trace) -> str:
    """What the last epoch's loss is, and the loss after that epoch's update (the quiz's "after E updates")."""
    from gradlab.runs.model import loss_at

    e = len(trace)
    text = f"Epoch {e:,}'s loss, computed by its forward pass before its update."
    if trace.final_w is None or trace.final_b is None:  # stopped: there was no last update to speak of
        return text
    after = loss_at(trace.config, trace.final_w, trace.final_b)
    return (
        f"{text} After that update, w and b give a loss of {num(after)}: the loss after {e:,} update{'s' * (e != 1)}."
    )
