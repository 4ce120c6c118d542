"""The `.grad` lifecycle, hands on: each action is one real PyTorch operation on live tensors."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from gradlab.config import RunConfig
from gradlab.grads import set_to_none, update, zero_
from gradlab.live import live
from gradlab.model import forward, mse
from gradlab.tensors import TensorInfo, describe

ACTIONS: dict[str, str] = {
    "forward": "forward + loss",
    "backward": "backward()",
    "backward_again": "backward() again",
    "zero": "grad.zero_()",
    "none": "grad = None (set_to_none)",
    "step": "optimizer step (under no_grad)",
    "reset": "reset",
}

CODE: dict[str, str] = {
    "forward": "y_hat = X @ w + b\nloss = ((y_hat - y) ** 2).mean()",
    "backward": "loss.backward()",
    "backward_again": (
        "y_hat = X @ w + b                  # a fresh forward pass, a fresh graph\n"
        "loss = ((y_hat - y) ** 2).mean()\n"
        "loss.backward()                    # no zeroing: adds to .grad"
    ),
    "zero": "w.grad.zero_()\nb.grad.zero_()",
    "none": "w.grad = None\nb.grad = None",
    "step": "with torch.no_grad():\n    w -= lr * w.grad\n    b -= lr * b.grad",
    "reset": (
        "w = torch.tensor(w0, requires_grad=True, device=device)\n"
        "b = torch.tensor(b0, requires_grad=True, device=device)"
    ),
}


@dataclass(frozen=True)
class LabEvent:
    """What one click did: the action, the code that ran and PyTorch's answer."""

    action: str
    code: str
    ok: bool
    message: str
    loss: float | None
    w_grad: tuple[float, ...] | None
    b_grad: float | None


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
        ok, message = getattr(self, f"_{action}")()
        code = CODE[action]
        if action == "step" and self.opt is not None:
            code = "opt = torch.optim.SGD([w, b], lr=lr)  # created once\nopt.step()  # runs under no_grad inside"
        event = LabEvent(
            action=action,
            code=code,
            ok=ok,
            message=message,
            loss=None if self.loss is None else float(self.loss.detach().item()),
            w_grad=None if self.w.grad is None else tuple(self.w.grad.cpu().tolist()),
            b_grad=None if self.b.grad is None else float(self.b.grad.item()),
        )
        self.history = [] if action == "reset" else [*self.history, event]
        return event

    def _forward(self) -> tuple[bool, str]:
        self.loss = mse(forward(self.X, self.w, self.b), self.y)
        self.moved = False
        return True, f"loss = {self.loss.detach().item():.6g}; the graph is ready for backward()"

    def _backward(self) -> tuple[bool, str]:
        if self.loss is None and self.moved:
            return False, "The weights moved since the last forward pass: click “forward + loss” for their loss first."
        if self.loss is None:
            return False, "There is no loss yet: click “forward + loss” first."
        had = self.w.grad is not None
        try:
            self.loss.backward()
        except RuntimeError as err:  # the real PyTorch error: the graph was freed by the last backward()
            return False, f"RuntimeError: {err}"
        if had:
            return True, "backward() ADDED this loss's gradient to the existing w.grad and b.grad"
        return True, "backward() created w.grad and b.grad (they were None)"

    def _backward_again(self) -> tuple[bool, str]:
        self._forward()
        return self._backward()

    def _zero(self) -> tuple[bool, str]:
        if self.w.grad is None:
            return False, "w.grad is None, so there is nothing to zero (w.grad.zero_() would raise AttributeError)."
        zero_((self.w, self.b))
        return True, ".grad tensors kept, filled with zeros"

    def _none(self) -> tuple[bool, str]:
        set_to_none((self.w, self.b))
        return True, ".grad is None again; the next backward() allocates a new tensor"

    def _step(self) -> tuple[bool, str]:
        if self.w.grad is None or self.b.grad is None:
            return False, "w.grad is None: call backward() first (in plain PyTorch `w -= lr * None` raises TypeError)."
        update((self.w, self.b), self.config.lr, self.opt)
        self.loss = None  # the weights moved: the old loss no longer describes them
        self.moved = True
        return True, f"w and b moved by −lr·.grad (lr = {self.config.lr:g}); .grad itself is unchanged"

    def _reset(self) -> tuple[bool, str]:
        self._fresh()
        return True, "fresh leaf tensors; .grad is None"
