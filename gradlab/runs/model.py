"""The card's model as plain tensor code: data, leaf parameters, forward pass and MSE loss.

`forward` and `mse` run the lines `gradlab.runs.code` shows (FORWARD, LOSS); tests/test_code.py compares them.
"""

from __future__ import annotations

import torch

from gradlab.settings.config import RunConfig

DTYPE = torch.float32


def make_data(config: RunConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """X (N, F) and y (N,) as float32 tensors on the device; they need no gradient."""
    X = torch.tensor(config.X, dtype=DTYPE, device=device)
    y = torch.tensor(config.y, dtype=DTYPE, device=device)
    return X, y


def make_params(config: RunConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Leaf parameters w (F,) and b (0-d), created directly on the device.

    Creating them with `requires_grad=True` *on* the device keeps them leaves; a `.to(device)` afterwards that
    really copies (to another device) would return a non-leaf whose `.grad` stays None.
    """
    w = torch.tensor(config.w0, dtype=DTYPE, device=device, requires_grad=True)
    b = torch.tensor(config.b0, dtype=DTYPE, device=device, requires_grad=True)
    return w, b


def forward(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """ŷ = Xw + b, shape (N,)."""
    return X @ w + b


def mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error, a 0-d tensor."""
    return ((y_hat - y) ** 2).mean()


def loss_at(config: RunConfig, w: tuple[float, ...], b: float) -> float:
    """The float32 loss of the config's data at (w, b), on the CPU: one forward pass, no graph."""
    cpu = torch.device("cpu")
    X, y = make_data(config, cpu)
    with torch.no_grad():
        return float(mse(forward(X, torch.tensor(w, dtype=DTYPE), torch.tensor(b, dtype=DTYPE)), y))
