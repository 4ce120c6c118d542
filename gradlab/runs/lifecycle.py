"""The `.grad` lifecycle, hands on: each action is one real PyTorch operation on live tensors."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from gradlab.runs.code import BACKWARD, FORWARD, INIT, LOSS, OPTIMIZER, SET_TO_NONE, UPDATE, ZERO_GRAD, commented
from gradlab.runs.grads import set_to_none, update, zero_
from gradlab.runs.live import live
from gradlab.runs.model import forward, mse
from gradlab.runs.tensors import TensorInfo, describe
from gradlab.settings.config import RunConfig

# Button labels by action key (the keys are stable: the page keys its buttons on them). The update's label
# depends on the update rule: see `action_labels`.
ACTIONS: dict[str, str] = {
    "forward": "forward + loss",
    "backward": "backward()",
    "backward_again": "forward + backward() again",
    "zero": "grad.zero_()",
    "none": "grad = None (set_to_none)",
    "step": "update under no_grad",
    "reset": "reset",
}
SGD_STEP_LABEL = "opt.step()"
_SGD = {OPTIMIZER: "created once", UPDATE["sgd"]: "runs under no_grad inside"}
SGD_STEP_CODE = commented(f"{OPTIMIZER}\n{UPDATE['sgd']}", _SGD)
_AGAIN = {FORWARD: "a fresh forward pass, a fresh graph", BACKWARD: "no zeroing: adds to .grad"}
CODE: dict[str, str] = {
    "forward": f"{FORWARD}\n{LOSS}",
    "backward": BACKWARD,
    "backward_again": commented(f"{FORWARD}\n{LOSS}\n{BACKWARD}", _AGAIN, column=35),
    "zero": ZERO_GRAD,
    "none": SET_TO_NONE,
    "step": UPDATE["manual"],
    "reset": INIT.format(w0="w0", b0="b0"),
}


def action_labels(config: RunConfig) -> dict[str, str]:
    """The button label of each action for this config: the update reads "opt.step()" when SGD does it."""
    return ACTIONS | ({"step": SGD_STEP_LABEL} if config.update == "sgd" else {})


# What one operation did: (ok, message, raised).
_Did = tuple[bool, str, bool]


@dataclass(frozen=True)
class LabEvent:
    """What one click did: the action, the code that ran and PyTorch's answer.

    `ok` is False when the action did not do its job; `raised` says whether that was an error (PyTorch's, Python's,
    or the lab refusing a step it cannot take) or a silent mistake: `opt.step()` skipping a `.grad` that is None,
    or `backward()` through a graph recorded before the last update (`stale`), which PyTorch runs without a word.
    """

    action: str
    code: str
    ok: bool
    message: str
    loss: float | None
    w_grad: tuple[float, ...] | None
    b_grad: float | None
    raised: bool
    stale: bool = False


@dataclass
class GradLifecycle:
    """Live tensors for one learner; every method is one named PyTorch operation."""

    config: RunConfig
    history: list[LabEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._fresh()

    def _fresh(self) -> None:
        run = live(self.config)
        self.device, self.device_note = run.device, run.device_note
        self.X, self.y, self.w, self.b, self.opt = run.X, run.y, run.w, run.b, run.opt
        self.loss: torch.Tensor | None = None
        self.moved = False  # the weights changed since the last forward pass

    def tensors(self) -> tuple[TensorInfo, TensorInfo]:
        """Snapshots of w and b, with their `.grad`."""
        return describe("w", self.w), describe("b", self.b)

    def run(self, action: str) -> LabEvent:
        """Perform one action by name (see ACTIONS) and log it."""
        if action not in ACTIONS:
            raise ValueError(f"action: {action!r} is unknown; choose one of {tuple(ACTIONS)}")
        ok, message, raised = getattr(self, f"_{action}")()
        sgd_step = action == "step" and self.opt is not None
        code = SGD_STEP_CODE if sgd_step else CODE[action]
        event = LabEvent(
            action=action,
            code=code,
            ok=ok,
            message=message,
            # after an update the last loss no longer describes w and b, even while its graph is still alive
            loss=None if self.loss is None or self.moved else float(self.loss.detach().item()),
            w_grad=None if self.w.grad is None else tuple(self.w.grad.cpu().tolist()),
            b_grad=None if self.b.grad is None else float(self.b.grad.item()),
            raised=raised,
            stale=action == "backward" and not ok and not raised,  # the one silent way backward() goes wrong
        )
        self.history = [] if action == "reset" else [*self.history, event]
        return event

    def _forward(self) -> _Did:
        self.loss = mse(forward(self.X, self.w, self.b), self.y)
        self.moved = False
        return True, f"loss = {self.loss.detach().item():.6g}; the graph is ready for backward()", False

    def _backward(self) -> _Did:
        if self.loss is None:
            return False, "There is no loss yet: click “forward + loss” first.", True
        had = self.w.grad is not None
        old_loss = self.loss.detach().item()
        try:
            self.loss.backward()
        except RuntimeError as err:  # the real PyTorch error: the graph was freed by the last backward()
            hint = " The weights moved since that forward pass, so its loss is stale anyway." if self.moved else ""
            return False, f"RuntimeError: {err}{hint}", True
        if self.moved:  # PyTorch runs it: the graph saved X and ŷ − y from before the update, never w itself
            return (
                False,
                (
                    "It ran without an error, but through the graph recorded before the update: "
                    f"{'it added' if had else 'w.grad and b.grad now hold'} the gradient at the old w and b "
                    f"(whose loss was {old_loss:.6g}), not at the current ones. "
                    "Run “forward + loss” after every update."
                ),
                False,
            )
        if had:
            return True, "backward() ADDED this loss's gradient to the existing w.grad and b.grad", False
        return True, "backward() created w.grad and b.grad (they were None)", False

    def _backward_again(self) -> _Did:
        self._forward()
        return self._backward()

    def _zero(self) -> _Did:
        if self.w.grad is None:
            return (
                False,
                "w.grad is None, so there is nothing to zero (w.grad.zero_() would raise AttributeError).",
                True,
            )
        zero_((self.w, self.b))
        return True, ".grad tensors kept, filled with zeros", False

    def _none(self) -> _Did:
        set_to_none((self.w, self.b))
        return True, ".grad is None again; the next backward() allocates a new tensor", False

    def _step(self) -> _Did:
        if self.opt is not None:
            return self._opt_step()
        missing = [(n, p) for n, p in (("w", self.w), ("b", self.b)) if p.grad is None]
        if missing:
            name, p = missing[0]
            try:  # the update as written, for real: Python's own answer to lr * None
                with torch.no_grad():
                    p -= self.config.lr * p.grad  # type: ignore[operator]
            except TypeError as err:
                return False, f"TypeError: {err}. {name}.grad is None: call backward() first.", True
        before = self._snapshot()
        update((self.w, self.b), self.config.lr)
        return self._moved_by_step(before)

    def _opt_step(self) -> _Did:
        """opt.step() for real; it silently skips every parameter whose .grad is None."""
        assert self.opt is not None
        before = self._snapshot()
        update((self.w, self.b), self.config.lr, self.opt)
        skipped = [n for n, p in (("w", self.w), ("b", self.b)) if p.grad is None]
        if not skipped:
            return self._moved_by_step(before)
        self._moved_by_step(before)  # a parameter the optimizer did not skip may still have moved
        names = " and ".join(skipped)
        return (
            False,
            (
                f"It ran without an error, but {names} did not move: the optimizer silently skips every "
                "parameter whose .grad is None. Call backward() first."
            ),
            False,
        )

    def _snapshot(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.w.detach().clone(), self.b.detach().clone()

    def _moved_by_step(self, before: tuple[torch.Tensor, torch.Tensor]) -> _Did:
        """After an update that ran: which of w and b moved, read from the tensors, in words."""
        moved = [n for n, p, old in zip(("w", "b"), (self.w, self.b), before, strict=True) if not torch.equal(p, old)]
        if moved:
            self.moved = True  # the last loss (and its graph, if not yet used) now describes the old weights
        lr = f"lr = {self.config.lr:g}"
        if len(moved) == 2:
            return True, f"w and b moved by −lr·.grad ({lr}); .grad itself is unchanged", False
        still = [(n, p) for n, p in (("w", self.w), ("b", self.b)) if n not in moved]
        why = "; ".join(_why_still(n, p) for n, p in still)
        if moved:
            return True, f"{moved[0]} moved by −lr·.grad ({lr}); {still[0][0]} did not: {why}", False
        return True, f"The update ran, but w and b did not move: {why}", False

    def _reset(self) -> _Did:
        self._fresh()
        return True, "fresh leaf tensors; .grad is None", False


def _why_still(name: str, p: torch.Tensor) -> str:
    """Why an update left a parameter where it was, read from its .grad."""
    if p.grad is None:
        return f"{name}.grad is None"
    if not p.grad.any():
        return f"{name}.grad is zero"
    return f"−lr·{name}.grad is smaller than float32 can add to {name}"
