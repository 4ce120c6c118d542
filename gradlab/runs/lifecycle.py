"""The `.grad` lifecycle, hands on: each action is one real PyTorch operation on live tensors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from gradlab.fmt import num
from gradlab.runs.code import BACKWARD, FORWARD, INIT, LOSS, OPTIMIZER, SET_TO_NONE, UPDATE, ZERO_GRAD, commented
from gradlab.runs.grads import set_to_none, update, zero_
from gradlab.runs.live import live
from gradlab.runs.model import forward, mse
from gradlab.runs.tensors import TensorInfo, describe
from gradlab.settings.config import RunConfig

# Why backward() after an update runs at all here, and where it would not (gradlab.probes.stale_graph runs both).
STALE_ALLOWED = (
    f"PyTorch allowed it because X does not require grad: the graph of `{FORWARD}` saved X to compute w's gradient "
    "and never saved w itself, so updating w in place broke nothing it needs. Where w is saved for backward (X "
    "requiring grad, or w multiplying a hidden layer's output, as in a network), the same backward() raises an error."
)

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


@dataclass(frozen=True)
class Did:
    """What one operation did: whether it did its job, what was said, and who raised if it raised."""

    ok: bool
    message: str
    raised_by: str | None = None  # "PyTorch" or "Python": whose exception the operation raised

    @property
    def raised(self) -> bool:
        return self.raised_by is not None

    @classmethod
    def done(cls, message: str) -> Did:
        return cls(ok=True, message=message)

    @classmethod
    def silent(cls, message: str) -> Did:
        """It ran without an error but did not do its job (a silent mistake)."""
        return cls(ok=False, message=message)

    @classmethod
    def error(cls, message: str, by: str) -> Did:
        """It raised: PyTorch's error (`by` "PyTorch") or Python's own ("Python"), as the line raises it in a script."""
        return cls(ok=False, message=message, raised_by=by)


@dataclass(frozen=True)
class LabEvent:
    """What one click did: the action, the code that ran and PyTorch's answer.

    `ok` is False when the action did not do its job; `raised_by` says whether that was an error, PyTorch's or
    Python's (None: no error), or a silent mistake: `opt.step()` skipping a `.grad` that is None, or `backward()`
    through a graph recorded before the last update (`stale`), which PyTorch runs without a word.
    """

    action: str
    code: str
    ok: bool
    message: str
    loss: float | None
    w_grad: tuple[float, ...] | None
    b_grad: float | None
    raised_by: str | None = None
    stale: bool = False

    @property
    def raised(self) -> bool:
        return self.raised_by is not None


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
        operation = OPERATIONS.get(action)
        if operation is None:
            raise ValueError(f"action: {action!r} is unknown; choose one of {tuple(ACTIONS)}")
        did = operation(self)
        sgd_step = action == "step" and self.opt is not None
        code = SGD_STEP_CODE if sgd_step else CODE[action]
        event = LabEvent(
            action=action,
            code=code,
            ok=did.ok,
            message=did.message,
            # after an update the last loss no longer describes w and b, even while its graph is still alive
            loss=None if self.loss is None or self.moved else float(self.loss.detach().item()),
            w_grad=None if self.w.grad is None else tuple(self.w.grad.cpu().tolist()),
            b_grad=None if self.b.grad is None else float(self.b.grad.item()),
            raised_by=did.raised_by,
            stale=action == "backward" and not did.ok and not did.raised,  # the one silent way backward() goes wrong
        )
        self.history = [] if action == "reset" else [*self.history, event]
        return event

    def _forward(self) -> Did:
        self.loss = mse(forward(self.X, self.w, self.b), self.y)
        self.moved = False
        return Did.done(f"loss = {num(self.loss.detach().item())}; the graph is ready for backward()")

    def _backward(self) -> Did:
        if self.loss is None:
            return _no_loss_yet()
        had = self.w.grad is not None
        old_loss = self.loss.detach().item()
        try:
            self.loss.backward()
        except RuntimeError as err:  # the real PyTorch error: the graph was freed by the last backward()
            hint = " The weights moved since that forward pass, so its loss is stale anyway." if self.moved else ""
            return Did.error(f"RuntimeError: {err}{hint}", by="PyTorch")
        if self.moved:  # PyTorch runs it: the graph saved X and ŷ − y from before the update, never w itself
            return Did.silent(
                "It ran without an error, but through the graph recorded before the update: "
                f"{'it added' if had else 'w.grad and b.grad now hold'} the gradient at the old w and b "
                f"(whose loss was {num(old_loss)}), not at the current ones. "
                "Run “forward + loss” after every update. " + (STALE_ALLOWED if not self.X.requires_grad else "")
            )
        if had:
            return Did.done("backward() ADDED this loss's gradient to the existing w.grad and b.grad")
        return Did.done("backward() created w.grad and b.grad (they were None)")

    def _backward_again(self) -> Did:
        self._forward()
        return self._backward()

    def _zero(self) -> Did:
        if self.w.grad is None:
            try:  # the line as written, for real: Python's answer to None.zero_()
                self.w.grad.zero_()  # type: ignore[attr-defined]
            except AttributeError as err:
                return Did.error(
                    f"AttributeError: {err}. w.grad is None, so there is no tensor to zero: Python raises this, "
                    "not PyTorch. Call backward() first.",
                    by="Python",
                )
        zero_((self.w, self.b))
        return Did.done(".grad tensors kept, filled with zeros")

    def _none(self) -> Did:
        set_to_none((self.w, self.b))
        return Did.done(".grad is None again; the next backward() allocates a new tensor")

    def _step(self) -> Did:
        if self.opt is not None:
            return self._opt_step()
        missing = [(n, p) for n, p in (("w", self.w), ("b", self.b)) if p.grad is None]
        if missing:
            name, p = missing[0]
            try:  # the update as written, for real: Python's own answer to lr * None
                with torch.no_grad():
                    p -= self.config.lr * p.grad  # type: ignore[operator]
            except TypeError as err:
                return Did.error(f"TypeError: {err}. {name}.grad is None: call backward() first.", by="Python")
        before = self._snapshot()
        update((self.w, self.b), self.config.lr)
        return self._moved_by_step(before)

    def _opt_step(self) -> Did:
        """opt.step() for real; it silently skips every parameter whose .grad is None."""
        assert self.opt is not None
        before = self._snapshot()
        update((self.w, self.b), self.config.lr, self.opt)
        skipped = [n for n, p in (("w", self.w), ("b", self.b)) if p.grad is None]
        if not skipped:
            return self._moved_by_step(before)
        self._moved_by_step(before)  # a parameter the optimizer did not skip may still have moved
        names = " and ".join(skipped)
        return Did.silent(
            f"It ran without an error, but {names} did not move: the optimizer silently skips every "
            "parameter whose .grad is None. Call backward() first."
        )

    def _snapshot(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.w.detach().clone(), self.b.detach().clone()

    def _moved_by_step(self, before: tuple[torch.Tensor, torch.Tensor]) -> Did:
        """After an update that ran: which of w and b moved, read from the tensors, in words."""
        moved = [n for n, p, old in zip(("w", "b"), (self.w, self.b), before, strict=True) if not torch.equal(p, old)]
        if moved:
            self.moved = True  # the last loss (and its graph, if not yet used) now describes the old weights
        lr = f"lr = {num(self.config.lr)}"
        if len(moved) == 2:
            return Did.done(f"w and b moved by −lr·.grad ({lr}); .grad itself is unchanged")
        still = [(n, p) for n, p in (("w", self.w), ("b", self.b)) if n not in moved]
        why = "; ".join(_why_still(n, p) for n, p in still)
        if moved:
            return Did.done(f"{moved[0]} moved by −lr·.grad ({lr}); {still[0][0]} did not: {why}")
        return Did.done(f"The update ran, but w and b did not move: {why}")

    def _reset(self) -> Did:
        self._fresh()
        return Did.done("fresh leaf tensors; .grad is None")


# The one dispatch from an action's name (ACTIONS' keys) to its operation.
OPERATIONS: dict[str, Callable[[GradLifecycle], Did]] = {
    "forward": GradLifecycle._forward,
    "backward": GradLifecycle._backward,
    "backward_again": GradLifecycle._backward_again,
    "zero": GradLifecycle._zero,
    "none": GradLifecycle._none,
    "step": GradLifecycle._step,
    "reset": GradLifecycle._reset,
}


def _no_loss_yet() -> Did:
    """backward() before any forward pass, as a script runs the line: Python's NameError, before PyTorch is reached."""
    try:
        exec(BACKWARD, {})  # no name is defined: `loss` does not exist yet
    except NameError as err:
        return Did.error(
            f"NameError: {err}. There is no loss yet: a script that calls {BACKWARD} before its forward pass "
            "stops in Python, before any PyTorch code runs. Click “forward + loss” first.",
            by="Python",
        )
    raise AssertionError(f"{BACKWARD!r} ran with no names defined")


def _why_still(name: str, p: torch.Tensor) -> str:
    """Why an update left a parameter where it was, read from its .grad."""
    if p.grad is None:
        return f"{name}.grad is None"
    if not p.grad.any():
        return f"{name}.grad is zero"
    return f"−lr·{name}.grad is smaller than float32 can add to {name}"
