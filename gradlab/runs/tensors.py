"""Snapshots of tensors and their `.grad`, safe to keep after the tensors change."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TensorInfo:
    """What PyTorch says about one tensor at one moment."""

    name: str
    text: str  # str(tensor), exactly as PyTorch prints it
    shape: tuple[int, ...]
    dtype: str
    device: str
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    grad: str | None  # str(tensor.grad), or None when .grad is None
    grad_values: tuple[float, ...] | None
    retains_grad: bool
    note: str = ""

    @property
    def shape_text(self) -> str:
        return "[" + ", ".join(str(d) for d in self.shape) + "]" if self.shape else "[] (0-d)"


def read_grad(t: torch.Tensor) -> torch.Tensor | None:
    """`t.grad`, without PyTorch's warning for non-leaves that do not retain it."""
    if not t.is_leaf and not t.retains_grad:
        return None
    return t.grad


def describe(name: str, t: torch.Tensor) -> TensorInfo:
    """Snapshot a tensor's autograd facts and its `.grad` (None stays None)."""
    grad = read_grad(t)
    note = ""
    if not t.is_leaf and not t.retains_grad:
        note = "non-leaf: .grad is not kept unless you call retain_grad()"
    return TensorInfo(
        name=name,
        text=str(t),
        shape=tuple(t.shape),
        dtype=str(t.dtype).replace("torch.", ""),
        device=str(t.device),
        requires_grad=t.requires_grad,
        is_leaf=t.is_leaf,
        grad_fn=type(t.grad_fn).__name__ if t.grad_fn is not None else None,
        grad=None if grad is None else str(grad),
        grad_values=None if grad is None else tuple(grad.detach().cpu().reshape(-1).tolist()),
        retains_grad=t.retains_grad,
        note=note,
    )
