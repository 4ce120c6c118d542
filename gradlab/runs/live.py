"""One run's live tensors: the device, the data, the leaf parameters w and b, and the optimizer if one is used."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gradlab.runs.model import make_data, make_params
from gradlab.settings.config import RunConfig, resolve_device


@dataclass
class Live:
    """Fresh tensors for one run, created on the run's device; nothing here runs forward or backward."""

    config: RunConfig
    device: torch.device
    device_note: str | None  # why the run is not on the requested device, or None
    X: torch.Tensor  # (N, F), needs no gradient
    y: torch.Tensor  # (N,)
    w: torch.Tensor  # (F,) leaf, requires_grad=True
    b: torch.Tensor  # 0-d leaf, requires_grad=True
    opt: torch.optim.SGD | None  # torch.optim.SGD([w, b], lr) when config.update == "sgd", else None


def live(config: RunConfig) -> Live:
    """Device, X, y, leaf w and b, and `torch.optim.SGD([w, b], lr=lr)` when the config asks for SGD."""
    device, note = resolve_device(config.device)
    X, y = make_data(config, device)
    w, b = make_params(config, device)
    opt = torch.optim.SGD([w, b], lr=config.lr) if config.update == "sgd" else None
    return Live(config, device, note, X, y, w, b, opt)
