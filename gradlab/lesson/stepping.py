"""The step-through's words: what a recorded sub-step did, from the numbers the engine recorded."""

from __future__ import annotations

from gradlab.fmt import num, vec
from gradlab.lesson.divergence import explain_stop
from gradlab.runs.stepper import SubStep
from gradlab.runs.trace import Stop
from gradlab.settings.config import RunConfig


def substep_result(step: SubStep, config: RunConfig, stop: Stop | None = None) -> str:
    """What `step` produced, in a few words; the `.grad` read at the epoch where the run stopped (`stop`) also
    says why it stopped, in the Training Trace's own words (`gradlab.lesson.divergence.explain_stop`)."""
    said = _said(step, config)
    if stop is not None and step.name == "read .grad" and step.epoch == stop.epoch:
        return f"{said}. {explain_stop(stop, config).message}"
    return said


def _said(step: SubStep, config: RunConfig) -> str:
    if step.name == "forward":
        return f"y_hat = {vec(step.y_hat)}"
    if step.name == "loss":
        return f"loss = {num(step.loss)}"
    if step.name == "backward":
        return "gradients flowed back to the leaves w and b"
    if step.name == "read .grad":
        return f"w.grad = {vec(step.w_grad)}, b.grad = {num(step.b_grad)}"
    if step.name == "update":
        return f"w = {vec(step.w)}, b = {num(step.b)}"
    if step.name == "zero":
        if config.zeroing == "never":
            return ".grad kept: the next backward() will add to it"
        return ".grad is None" if step.w_grad is None else ".grad is zeros"
    raise ValueError(f"step.name: {step.name!r} is not a sub-step of gradlab.runs.stepper.SUBSTEPS")
