"""The step-through's words: what a recorded sub-step did, from the numbers the engine recorded, and why a run
started again."""

from __future__ import annotations

from gradlab.fmt import num, vec
from gradlab.lesson.divergence import explain_stop
from gradlab.runs.stepper import SubStep
from gradlab.runs.trace import Stop
from gradlab.settings.config import UPDATE_RULES, ZERO_MODES, RunConfig
from gradlab.settings.links import format_lr

# The settings a restart can come from, as the sidebar names them, each with how its value reads.
_SETTINGS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("lr",), "the learning rate"),
    (("epochs",), "the number of epochs"),
    (("device",), "the device"),
    (("zeroing",), "zeroing"),
    (("update",), "the update rule"),
    (("X", "y"), "the data"),
    (("w0", "b0"), "the initial weights"),
)


def _value(name: str, config: RunConfig) -> str:
    if name == "lr":
        return format_lr(config.lr)
    if name == "epochs":
        return f"{config.epochs:,}"
    if name == "zeroing":
        return ZERO_MODES[config.zeroing]
    if name == "update":
        return UPDATE_RULES[config.update]
    if name == "w0":
        return f"w = {vec(config.w0)}, b = {num(config.b0)}"
    return str(getattr(config, name))


def _rows(n: int) -> str:
    return f"{n} row{'s' * (n != 1)}"


def changed_settings(old: RunConfig, new: RunConfig) -> list[str]:
    """What differs between two configs, in the sidebar's words: "the learning rate changed from 0.01 to 0.05"."""
    said = []
    for names, words in _SETTINGS:
        if all(getattr(old, n) == getattr(new, n) for n in names):
            continue
        if names[0] == "X":  # a whole data set: no values to quote
            said.append(f"{words} changed ({_rows(old.n_samples)} → {_rows(new.n_samples)})")
        else:
            said.append(f"{words} changed from {_value(names[0], old)} to {_value(names[0], new)}")
    return said


def restart_note(old: RunConfig, new: RunConfig) -> str:
    """Why a run started again at epoch 1: "Restarted: the learning rate changed from 0.01 to 0.05." """
    said = changed_settings(old, new)
    if not said:
        raise ValueError("restart_note: the two configs are equal, so nothing restarted")
    return f"Restarted: {'; '.join(said)}."


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
