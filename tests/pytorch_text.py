"""PyTorch's own words for the mistakes the lesson shows, produced in the test on fresh tensors.

Where the lesson shows PyTorch's text (an error, a warning), the tests compare with what this PyTorch says here,
not with a copy of one version's message.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch


def leaf() -> torch.Tensor:
    """A fresh leaf that requires grad."""
    return torch.tensor([0.5, -0.5], requires_grad=True)


def pytorch_says(mistake: Callable[[], object]) -> str:
    """What PyTorch itself says when the mistake runs here: its RuntimeError, else its first warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mistake()
        except RuntimeError as err:
            return f"RuntimeError: {err}"
    message = str(caught[0].message).split("(Triggered internally")[0].rstrip()  # C++ location: not shown
    return f"{caught[0].category.__name__}: {message}"


def inplace_on_a_leaf() -> None:
    w = leaf()
    w -= 0.01 * torch.ones(2)


def backward_twice() -> None:
    w = leaf()
    loss = (w * w).sum()
    loss.backward()
    loss.backward()


def nonleaf_grad() -> torch.Tensor | None:
    y_hat = leaf() * 2.0
    y_hat.sum().backward()
    return y_hat.grad
