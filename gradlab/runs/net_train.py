"""The network's training loop: real autograd each epoch, recorded into one preallocated tensor, as `train.py` does.

Each epoch: forward → loss → backward() → record → update → zero. The record holds the loss, every parameter
and its `.grad` (named as `named_parameters()` names them), the hidden activation h (N, 3), from which the
statistics that show saturation are taken after the run, and ŷ. The run stops at the first epoch that records
an inf or NaN, with the same `Stop` facts as the linear model's run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import torch

from gradlab.runs.grads import update, zero_grads
from gradlab.runs.model import DTYPE
from gradlab.runs.net import N_HIDDEN, Net, forward_parts, make_net, mse, net_data
from gradlab.runs.trace import PREDICTIONS_KEPT, Stop
from gradlab.runs.train import CHECK_EVERY, EpochCallback, first_nonfinite
from gradlab.settings.config import RunConfig, resolve_device

Arrays = Mapping[str, np.ndarray]  # parameter name → array (a read-only MappingProxyType in a trace)


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


def net_live(config: RunConfig) -> NetLive:
    """Device, X, y, a `Net` at its start, and the optimizer if the config asks for SGD (ValueError: not 2 features)."""
    device, note = resolve_device(config.device)
    X, y = net_data(config, device)
    net = make_net(device)
    opt = torch.optim.SGD(net.parameters(), lr=config.lr) if config.update == "sgd" else None
    return NetLive(config, device, note, X, y, net, opt)


@dataclass(frozen=True)
class Layout:
    """Where each recorded quantity sits in one epoch's row: loss | params | grads | h | ŷ."""

    shapes: dict[str, tuple[int, ...]]  # recorded name → its shape per epoch
    slices: dict[str, slice]

    @classmethod
    def of(cls, param_shapes: dict[str, tuple[int, ...]], n_hidden: int, n_samples: int) -> Layout:
        shapes: dict[str, tuple[int, ...]] = {"loss": ()}
        shapes |= dict(param_shapes)
        shapes |= {f"{name}.grad": shape for name, shape in param_shapes.items()}
        shapes |= {"h": (n_samples, n_hidden), "y_hat": (n_samples,)}
        slices, at = {}, 0
        for name, shape in shapes.items():
            size = int(np.prod(shape, dtype=int))
            slices[name] = slice(at, at + size)
            at += size
        return cls(shapes, slices)

    @property
    def width(self) -> int:
        return max(s.stop for s in self.slices.values())

    def block(self, rows: np.ndarray, name: str) -> np.ndarray:
        """(E, *shape) float64 copy of one recorded quantity."""
        return rows[:, self.slices[name]].reshape(len(rows), *self.shapes[name]).astype(np.float64)

    def nonfinite(self, row: np.ndarray) -> tuple[str, ...]:
        """The recorded quantities of one row that hold an inf or NaN, in row order."""
        return tuple(name for name, s in self.slices.items() if not np.isfinite(row[s]).all())


@dataclass(frozen=True, eq=False)
class NetTrace:
    """Epoch-by-epoch record of a network run. Arrays are float64 copies of the float32 values.

    `params` and `grads` are keyed by the parameter names `named_parameters()` gives, each (E, *param.shape):
    the values the epoch's forward pass used and `.grad` right after its backward().
    """

    config: RunConfig
    device: str
    device_note: str | None
    epoch: np.ndarray  # (E,) 1-based
    loss: np.ndarray  # (E,)
    params: Arrays  # name → (E, *shape)
    grads: Arrays  # name → (E, *shape)
    grad_norms: Arrays  # name → (E,) ‖p.grad‖₂ per parameter
    grad_norm: np.ndarray  # (E,) ‖all .grad together‖₂
    h_sq_mean: np.ndarray  # (E, 3) mean over samples of h², per hidden unit
    h_abs_mean: np.ndarray  # (E, 3) mean over samples of |h|, per hidden unit
    h_abs_max: np.ndarray  # (E, 3) max over samples of |h|, per hidden unit
    predictions: np.ndarray  # (E, N) float32 as computed; (0, N) when E·N > PREDICTIONS_KEPT
    stop: Stop | None
    final_params: Arrays | None  # name → param.shape after the last update; None if the run was stopped

    def __len__(self) -> int:
        return len(self.epoch)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.params)

    @property
    def diverged(self) -> bool:
        return self.stop is not None

    @property
    def tanh_slope_mean(self) -> np.ndarray:
        """(E, 3) the mean over samples of tanh's derivative 1 − h², per unit: the factor backward() multiplies by."""
        return 1.0 - self.h_sq_mean

    @property
    def start_loss(self) -> float:
        return float(self.loss[0])

    @property
    def end_loss(self) -> float:
        return float(self.loss[-1])

    def index(self, epoch: int) -> int:
        """The 0-based row of a 1-based epoch; a ValueError names the range this run has."""
        if not 1 <= epoch <= len(self):
            raise ValueError(f"epoch: {epoch} is out of range; this run has epochs 1 to {len(self)}")
        return epoch - 1


def record(
    loss: torch.Tensor,
    flat_params: list[torch.Tensor],
    grads: list[torch.Tensor],
    h: torch.Tensor,
    y_hat: torch.Tensor,
    out: torch.Tensor,
) -> None:
    """One epoch's row, read right after backward(): loss | params | .grads | h (N·3) | ŷ (N), one `torch.cat`.

    `flat_params` are `p.view(-1)` of the parameters (views: they follow the in-place updates); `grads` their
    `.grad` tensors.
    """
    with torch.no_grad():
        torch.cat([loss.view(1), *flat_params, *(g.view(-1) for g in grads), h.view(-1), y_hat.view(-1)], out=out)


def train_net(config: RunConfig, on_epoch: EpochCallback | None = None) -> NetTrace:
    """Train the network on the config's data (lr, epochs, device, zeroing, update); return its trace.

    Each epoch: z, h, ŷ = hidden(X), tanh(z), out(h) → loss → backward() → record → update → zero. A ValueError
    when the data does not have 2 features. The first epoch that records an inf or NaN ends the run; it is
    described in `NetTrace.stop`, not kept.
    """
    run = net_live(config)
    net, X, y, opt, params = run.net, run.X, run.y, run.opt, run.params
    names = [name for name, _ in net.named_parameters()]
    layout = Layout.of({n: tuple(p.shape) for n, p in zip(names, params, strict=True)}, N_HIDDEN, config.n_samples)
    flat = [p.view(-1) for p in params]  # views: they follow the in-place updates
    total = config.epochs
    buf = torch.empty((total, layout.width), dtype=DTYPE, device=run.device)

    done, checked, bad = 0, 0, None
    for epoch in range(total):
        _, h, y_hat = forward_parts(net, X)
        loss = mse(y_hat, y)
        loss.backward()
        record(loss, flat, [p.grad for p in params], h, y_hat, out=buf[epoch])  # type: ignore[misc]
        update(params, config.lr, opt)
        zero_grads(params, config.zeroing, opt)
        done = epoch + 1
        if on_epoch is not None:
            on_epoch(done, total)
        if done - checked >= CHECK_EVERY or done == total:
            bad = first_nonfinite(buf[checked:done])
            bad = None if bad is None else checked + bad
            checked = done
            if bad is not None:
                break

    rows = buf[:done].detach().cpu().numpy()  # float32; converted block by block
    stop = None
    if bad is not None:
        stop = Stop(epoch=bad + 1, nonfinite=layout.nonfinite(rows[bad]), loss=float(rows[bad, 0]))
        rows = rows[:bad]  # a non-finite epoch never reaches the trace
    final = None if stop else {n: p.detach().cpu().double().numpy() for n, p in zip(names, params, strict=True)}
    return trace_from_rows(run, layout, names, rows, stop, final)


def hidden_stats(h: np.ndarray, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From h (E, N, 3): the mean over samples of h², of |h|, and the max of |h|, each (E, 3), in float64.

    Computed `chunk` epochs at a time, so a long run on many rows never holds all of h in float64 at once.
    """
    sq = np.empty((len(h), h.shape[2]))
    mean, top = np.empty_like(sq), np.empty_like(sq)
    for at in range(0, len(h), chunk):
        part = h[at : at + chunk].astype(np.float64)
        sq[at : at + chunk] = (part * part).mean(axis=1)
        mean[at : at + chunk] = np.abs(part).mean(axis=1)
        top[at : at + chunk] = np.abs(part).max(axis=1, initial=0.0)
    return sq, mean, top


def trace_from_rows(
    run: NetLive,
    layout: Layout,
    names: list[str],
    rows: np.ndarray,
    stop: Stop | None,
    final: dict[str, np.ndarray] | None,
) -> NetTrace:
    """Split the recorded (E, width) float32 rows into named float64 arrays (`rows` itself is not kept)."""
    e = len(rows)
    params = {n: layout.block(rows, n) for n in names}
    grads = {n: layout.block(rows, f"{n}.grad") for n in names}
    norms = {n: np.sqrt((g.reshape(e, -1) ** 2).sum(axis=1)) for n, g in grads.items()}
    total = np.sqrt(sum((v**2 for v in norms.values()), np.zeros(e)))
    h_sq_mean, h_abs_mean, h_abs_max = hidden_stats(rows[:, layout.slices["h"]].reshape(e, *layout.shapes["h"]))
    predictions = rows[:, layout.slices["y_hat"]]
    if predictions.size > PREDICTIONS_KEPT:
        predictions = predictions[:0]
    return NetTrace(
        config=run.config,
        device=str(run.device),
        device_note=run.device_note,
        epoch=np.arange(1, e + 1),
        loss=rows[:, 0].astype(np.float64),
        params=MappingProxyType(params),
        grads=MappingProxyType(grads),
        grad_norms=MappingProxyType(norms),
        grad_norm=total,
        h_sq_mean=h_sq_mean,
        h_abs_mean=h_abs_mean,
        h_abs_max=h_abs_max,
        predictions=predictions.astype(np.float32),
        stop=stop,
        final_params=None if final is None else MappingProxyType(final),
    )
