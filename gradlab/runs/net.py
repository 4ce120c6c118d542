"""The small network as an `nn.Module`: 2 inputs → 3 tanh units → 1 output, its fixed start, data and MSE loss.

The starting values are constants, copied in under `torch.no_grad()`; no random generator is ever drawn from
(`nn.Linear`'s constructor would draw from the global one, so the layers are built on the meta device and
then given uninitialised storage on the run's device, which the constants overwrite).
"""

from __future__ import annotations

import torch
from torch import nn

from gradlab.runs.model import DTYPE
from gradlab.settings.config import RunConfig

N_INPUTS, N_HIDDEN = 2, 3
HIDDEN_WEIGHT: tuple[tuple[float, ...], ...] = ((0.5, -0.5), (0.3, -0.2), (-0.4, 0.3))  # (3, 2)
HIDDEN_BIAS: tuple[float, ...] = (0.0, 0.1, -0.1)  # (3,)
OUT_WEIGHT: tuple[tuple[float, ...], ...] = ((1.0, -1.0, 0.5),)  # (1, 3)
OUT_BIAS: tuple[float, ...] = (0.0,)  # (1,)
START: dict[str, tuple] = {
    "hidden.weight": HIDDEN_WEIGHT,
    "hidden.bias": HIDDEN_BIAS,
    "out.weight": OUT_WEIGHT,
    "out.bias": OUT_BIAS,
}
PARAM_NAMES: tuple[str, ...] = tuple(START)  # the order named_parameters() gives them


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


def named_params(net: nn.Module) -> dict[str, nn.Parameter]:
    """`dict(net.named_parameters())`: hidden.weight (3, 2), hidden.bias (3,), out.weight (1, 3), out.bias (1,)."""
    return dict(net.named_parameters())


def net_code(config: RunConfig) -> str:
    """The class and the start as PyTorch lines a learner can paste (the card's or the learner's data)."""
    rows = "[" + ", ".join("[" + ", ".join(repr(v) for v in r) + "]" for r in config.X) + "]"
    targets = "[" + ", ".join(f"[{v!r}]" for v in config.y) + "]"
    start = "\n".join(f"    model.{name}.copy_(torch.tensor({_lit(v)}))" for name, v in START.items())
    return (
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.hidden = nn.Linear(2, 3)\n"
        "        self.act = nn.Tanh()\n"
        "        self.out = nn.Linear(3, 1)\n\n"
        "    def forward(self, x):\n"
        "        return self.out(self.act(self.hidden(x)))\n\n\n"
        "model = Net().to(device)\n"
        f"with torch.no_grad():\n{start}\n"
        f"X = torch.tensor({rows}, device=device)\n"
        f"y = torch.tensor({targets}, device=device)  # (N, 1)\n"
    )


def _lit(value: tuple) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_lit(v) for v in value) + "]"
    return repr(float(value))
