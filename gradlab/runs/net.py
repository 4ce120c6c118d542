"""The small network as an `nn.Module`: 2 inputs → 3 tanh units → 1 output, its fixed start, data and MSE loss.

The starting values are constants, copied in under `torch.no_grad()`; no random generator is ever drawn from
(`nn.Linear`'s constructor would draw from the global one, so the layers are built on the meta device and
then given uninitialised storage on the run's device, which the constants overwrite).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from gradlab.runs.model import DTYPE
from gradlab.runs.net_code import (  # noqa: F401  (re-exported: the network's constants live with its code text)
    HIDDEN_BIAS,
    HIDDEN_WEIGHT,
    N_HIDDEN,
    N_INPUTS,
    NET_CLASS,
    NET_MODEL,
    OUT_BIAS,
    OUT_WEIGHT,
    PARAM_NAMES,
    PARAM_SHAPES,
    START,
    data_code,
    start_code,
)
from gradlab.settings.config import RunConfig


class Net(nn.Module):
    """ŷ = out(tanh(hidden(x))): x (N, 2) → z (N, 3) → h (N, 3) → ŷ (N, 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.act = nn.Tanh()
        self.out = nn.Linear(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.act(self.hidden(x)))


def make_net(device: torch.device | str = "cpu", dtype: torch.dtype = DTYPE) -> Net:
    """A `Net` on the device with the starting values exactly; the global random generators are not touched.

    The parameters are leaves created on the device itself (never copied there with `.to`).
    """
    with torch.device("meta"):
        net = Net()  # shapes only: nn.Linear's random init runs on meta tensors and draws nothing
    net.to_empty(device=device)
    if dtype != DTYPE:
        net.to(dtype)
    set_start(net)
    return net


def set_start(net: Net) -> None:
    """Copy the starting constants into every parameter, under `torch.no_grad()`, on the net's own device."""
    params = dict(net.named_parameters())
    with torch.no_grad():
        for name, value in START.items():
            p = params[name]
            p.copy_(torch.tensor(value, dtype=p.dtype, device=p.device))


def check_features(n_features: int) -> None:
    """A ValueError unless the data has the 2 features the hidden layer takes."""
    if n_features != N_INPUTS:
        unit = "feature" if n_features == 1 else "features"
        raise ValueError(f"the network's hidden layer takes {N_INPUTS} features; this data has {n_features} {unit}")


def net_data(config: RunConfig, device: torch.device | str, dtype: torch.dtype = DTYPE) -> tuple[torch.Tensor, ...]:
    """X (N, 2) and y (N, 1) on the device; a ValueError if the data does not have 2 features."""
    check_features(config.n_features)
    X = torch.tensor(config.X, dtype=dtype, device=device)
    y = torch.tensor(config.y, dtype=dtype, device=device).view(-1, 1)
    return X, y


def mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`nn.functional.mse_loss`: the mean over N of (ŷ − y)², a 0-d tensor; ŷ and y both (N, 1)."""
    return nn.functional.mse_loss(y_hat, y)


def forward_parts(net: Net, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """`net.forward` one layer at a time: z = hidden(X) (N, 3), h = act(z) (N, 3), ŷ = out(h) (N, 1).

    The same modules in the same order as `net(X)`, so ŷ equals `net(X)` exactly; z and h are the non-leaf
    activations the forward pass builds.
    """
    z = net.hidden(X)
    h = net.act(z)
    return z, h, net.out(h)


def net_loss_at(config: RunConfig, params: Mapping[str, np.ndarray]) -> float:
    """The float32 loss of the config's data with the network's parameters set to `params` (name → array of the
    parameter's shape), on the CPU: one forward pass, no graph. A KeyError names a missing parameter."""
    net = make_net("cpu")
    X, y = net_data(config, "cpu")
    with torch.no_grad():
        for name, p in named_params(net).items():
            p.copy_(torch.as_tensor(np.asarray(params[name]), dtype=p.dtype).view_as(p))
        return float(mse(net(X), y))


def named_params(net: nn.Module) -> dict[str, nn.Parameter]:
    """`dict(net.named_parameters())`: hidden.weight (3, 2), hidden.bias (3,), out.weight (1, 3), out.bias (1,)."""
    return dict(net.named_parameters())


def net_code(config: RunConfig) -> str:
    """The class and the start as PyTorch lines a learner can paste (the card's or the learner's data)."""
    return f"{NET_CLASS}\n\n{NET_MODEL}\n{start_code()}\n{data_code(config)}\n"
