"""The training loop of either model: real autograd each epoch, recorded into one preallocated tensor.

`train(config)` trains the model the config names (`config.model`): the card's ŷ = Xw + b, or the network
`gradlab.runs.net.Net`. Both go through the same loop, the same record (`gradlab.runs.trace.Layout`), the same
stop rule and the same `Trace`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from gradlab.runs import net as netmod
from gradlab.runs.grads import update, zero_grads
from gradlab.runs.live import live, net_live
from gradlab.runs.model import DTYPE, forward, mse
from gradlab.runs.trace import Layout, Stop, Trace
from gradlab.settings.config import RunConfig

EpochCallback = Callable[[int, int], None]
# One epoch's forward pass and loss: (loss, the hidden activation h to record or None, ŷ).
Step = Callable[[], tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]]

CHECK_EVERY = 64  # epochs between the (synchronising) checks for inf/NaN


@dataclass
class _Model:
    """What the loop needs of a model: its device, named parameters, optimizer and one forward pass."""

    device: torch.device
    device_note: str | None
    names: list[str]
    params: list[torch.Tensor]
    opt: torch.optim.Optimizer | None
    step: Step
    layout: Layout


def _linear(config: RunConfig) -> _Model:
    run = live(config)
    X, y, w, b = run.X, run.y, run.w, run.b

    def step() -> tuple[torch.Tensor, None, torch.Tensor]:
        y_hat = forward(X, w, b)
        return mse(y_hat, y), None, y_hat

    layout = Layout.linear(config.n_features, config.n_samples)
    return _Model(run.device, run.device_note, ["w", "b"], [w, b], run.opt, step, layout)


def _net(config: RunConfig) -> _Model:
    run = net_live(config)
    net, X, y = run.net, run.X, run.y

    def step() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        _, h, y_hat = netmod.forward_parts(net, X)
        return netmod.mse(y_hat, y), h, y_hat

    named = list(net.named_parameters())
    shapes = {n: tuple(p.shape) for n, p in named}
    layout = Layout.of(shapes, netmod.N_HIDDEN, config.n_samples)
    return _Model(run.device, run.device_note, [n for n, _ in named], [p for _, p in named], run.opt, step, layout)


def train(config: RunConfig, on_epoch: EpochCallback | None = None) -> Trace:
    """Train the config's model; call `on_epoch(epoch, total)` after every epoch; return the trace.

    Each epoch: forward → loss → backward() → record (loss, every parameter and its .grad, h for the network,
    ŷ) → update → zero. The recorded parameters are the values the epoch's forward pass used. The run stops at
    the first epoch that records an inf or NaN (float32 overflowed); that epoch is described in `Trace.stop`,
    not kept. A ValueError when the network is asked to train on data without 2 features.
    """
    model = _net(config) if config.model == "net" else _linear(config)
    params, step, opt, layout = model.params, model.step, model.opt, model.layout
    with torch.no_grad():  # plain views (no autograd view tracking): they follow the in-place updates
        flat = [p.view(-1) for p in params]
    total, lr, zeroing = config.epochs, config.lr, config.zeroing
    buf = torch.empty((total, layout.width), dtype=DTYPE, device=model.device)

    done, checked, bad = 0, 0, None
    for epoch in range(total):
        loss, h, y_hat = step()
        loss.backward()
        record_row(loss, flat, params, h, y_hat, out=buf[epoch])
        update(params, lr, opt)
        zero_grads(params, zeroing, opt)
        done = epoch + 1
        if on_epoch is not None:
            on_epoch(done, total)
        if done - checked >= CHECK_EVERY or done == total:
            bad = first_nonfinite(buf[checked:done])
            bad = None if bad is None else checked + bad
            checked = done
            if bad is not None:
                break

    rows = buf[:done].detach().cpu().numpy()  # float32; split into float64 arrays block by block
    stop = None
    if bad is not None:
        stop = Stop(epoch=bad + 1, nonfinite=layout.nonfinite(rows[bad]), loss=float(rows[bad, 0]))
        rows = rows[:bad]  # a non-finite epoch never reaches the trace
    final = None if stop else {n: p.detach().cpu().double().numpy() for n, p in zip(model.names, params, strict=True)}
    return Trace.from_rows(
        config=config,
        layout=layout,
        rows=rows,
        device=str(model.device),
        device_note=model.device_note,
        stop=stop,
        final=final,
    )


def record_row(
    loss: torch.Tensor,
    flat_params: Sequence[torch.Tensor],
    params: Sequence[torch.Tensor],
    h: torch.Tensor | None,
    y_hat: torch.Tensor,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """One epoch's row (`Layout`), read right after backward(): loss | params | .grads | h | ŷ, one `torch.cat`.

    `flat_params` are `p.view(-1)` of the parameters; each `p.grad` is read now (set_to_none replaces it).
    """
    with torch.no_grad():
        parts = [loss.view(1), *flat_params]
        for p in params:
            parts.append(p.grad.view(-1))  # type: ignore[union-attr]
        if h is not None:
            parts.append(h.view(-1))
        parts.append(y_hat.view(-1))
        return torch.cat(parts) if out is None else torch.cat(parts, out=out)


def record(
    loss: torch.Tensor, w: torch.Tensor, b: torch.Tensor, y_hat: torch.Tensor, out: torch.Tensor | None = None
) -> torch.Tensor:
    """The linear model's row, read right after backward(): loss | w | b | w.grad | b.grad | y_hat."""
    assert w.grad is not None and b.grad is not None
    return record_row(loss, (w.view(-1), b.view(-1)), (w, b), None, y_hat, out)


def row_width(n_samples: int, n_features: int) -> int:
    """Numbers recorded per epoch of the linear model: loss | w (F) | b | w.grad (F) | b.grad | y_hat (N)."""
    return Layout.linear(n_features, n_samples).width


def first_nonfinite(rows: torch.Tensor) -> int | None:
    """Index of the first recorded row holding an inf or NaN: the one rule that stops a run."""
    bad = ~torch.isfinite(rows.reshape(len(rows), -1)).all(dim=1)
    if not bool(bad.any()):
        return None
    return int(bad.nonzero()[0, 0].item())


def nonfinite_names(row: np.ndarray, n_features: int) -> tuple[str, ...]:
    """Which recorded quantities of one linear row (loss | w | b | w.grad | b.grad | ŷ) are inf or NaN."""
    return Layout.linear(n_features, len(row) - 3 - 2 * n_features).nonfinite(row)
