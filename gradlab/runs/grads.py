"""`.grad` as named operations: read, zero_(), set_to_none, and the update (manual under no_grad, or SGD)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from gradlab.settings.config import ZeroMode


def zero_(params: Iterable[torch.Tensor]) -> None:
    """`p.grad.zero_()`: keep the gradient tensor, fill it with zeros."""
    for p in params:
        if p.grad is not None:
            p.grad.zero_()


def set_to_none(params: Iterable[torch.Tensor]) -> None:
    """`p.grad = None`: drop the gradient tensor; the next backward() allocates a new one."""
    for p in params:
        p.grad = None


def zero_grads(params: Sequence[torch.Tensor], mode: ZeroMode, opt: torch.optim.Optimizer | None = None) -> None:
    """Zero as the config says: "zero" → zero_(), "none" → set_to_none, "never" → keep adding."""
    if mode == "never":
        return
    if opt is not None:
        opt.zero_grad(set_to_none=mode == "none")
    elif mode == "zero":
        zero_(params)
    else:
        set_to_none(params)


def update(params: Sequence[torch.Tensor], lr: float, opt: torch.optim.Optimizer | None = None) -> None:
    """The update step: `opt.step()` when there is an optimizer, else the manual `p -= lr * p.grad`."""
    if opt is not None:
        opt.step()
    else:
        step_manual(params, lr)


def step_manual(params: Iterable[torch.Tensor], lr: float) -> None:
    """`with torch.no_grad(): p -= lr * p.grad` for each parameter."""
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                raise RuntimeError("p.grad is None: call backward() before the update step")
            p -= lr * p.grad
