"""One run's live tensors: the device, the data, the parameters (w and b, or a `Net`), and the optimizer if used."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gradlab.runs.model import make_data, make_params
from gradlab.runs.net import Net, make_net, net_data
from gradlab.settings.config import RunConfig, resolve_device


@dataclass
class Live:
    """Fresh tensors for one linear-model run, created on the run's device; nothing here runs forward or backward."""

    config: RunConfig
    device: torch.device
    device_note: str | None  # why the run is not on the requested device, or None
    X: torch.Tensor  # (N, F), needs no gradient
    y: torch.Tensor  # (N,)
    w: torch.Tensor  # (F,) leaf, requires_grad=True
    b: torch.Tensor  # 0-d leaf, requires_grad=True
    opt: torch.optim.SGD | None  # torch.optim.SGD([w, b], lr) when config.update == "sgd", else None

    @property
    def named(self) -> dict[str, torch.Tensor]:
        """{"w": w, "b": b}: the parameters by name, in the order the trace records them."""
        return {"w": self.w, "b": self.b}


def live(config: RunConfig) -> Live:
    """Device, X, y, leaf w and b, and `torch.optim.SGD([w, b], lr=lr)` when the config asks for SGD.

    A ValueError for a config of the network (its live tensors are `net_live`'s): a linear probe handed the
    network's settings fails loudly instead of showing the linear model.
    """
    if config.model != "linear":
        raise ValueError("config: a run of the network; its live tensors are gradlab.runs.live.net_live")
    device, note = resolve_device(config.device)
    X, y = make_data(config, device)
    w, b = make_params(config, device)
    opt = torch.optim.SGD([w, b], lr=config.lr) if config.update == "sgd" else None
    return Live(config, device, note, X, y, w, b, opt)


@dataclass
class NetLive:
    """Fresh tensors for one network run on the run's device; nothing here runs forward or backward."""

    config: RunConfig
    device: torch.device
    device_note: str | None  # why the run is not on the requested device, or None
    X: torch.Tensor  # (N, 2), needs no gradient
    y: torch.Tensor  # (N, 1)
    net: Net
    opt: torch.optim.SGD | None  # torch.optim.SGD(net.parameters(), lr) when config.update == "sgd"

    @property
    def params(self) -> list[torch.nn.Parameter]:
        return list(self.net.parameters())

    @property
    def named(self) -> dict[str, torch.Tensor]:
        """`dict(net.named_parameters())`: hidden.weight, hidden.bias, out.weight, out.bias."""
        return dict(self.net.named_parameters())


def net_live(config: RunConfig) -> NetLive:
    """Device, X, y, a `Net` at its start, and the optimizer if the config asks for SGD (ValueError: not 2 features).

    Whatever the config's `model`: the network's probes build one for any config with 2 features.
    """
    device, note = resolve_device(config.device)
    X, y = net_data(config, device)
    net = make_net(device)
    opt = torch.optim.SGD(net.parameters(), lr=config.lr) if config.update == "sgd" else None
    return NetLive(config, device, note, X, y, net, opt)
