"""The training loop: real autograd each epoch, recorded into one preallocated tensor."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from gradlab.runs.grads import update, zero_grads
from gradlab.runs.live import live
from gradlab.runs.model import DTYPE, forward, mse
from gradlab.runs.trace import Stop, Trace
from gradlab.settings.config import RunConfig

EpochCallback = Callable[[int, int], None]

CHECK_EVERY = 64  # epochs between the (synchronising) checks for inf/NaN


def train(config: RunConfig, on_epoch: EpochCallback | None = None) -> Trace:
    """Train the card's model; call `on_epoch(epoch, total)` after every epoch; return the trace.

    Each epoch: forward → loss → backward() → record (loss, w, b, .grad, ŷ) → update → zero.
    The recorded w and b are the values the epoch's forward pass used. The run stops at the first epoch
    that records an inf or NaN (float32 overflowed); that epoch is described in `Trace.stop`, not kept.
    """
    run = live(config)
    X, y, w, b, opt = run.X, run.y, run.w, run.b, run.opt
    n, f, total = config.n_samples, config.n_features, config.epochs
    buf = torch.empty((total, row_width(n, f)), dtype=DTYPE, device=run.device)

    done, checked, bad = 0, 0, None
    for epoch in range(total):
        y_hat = forward(X, w, b)
        loss = mse(y_hat, y)
        loss.backward()
        record(loss, w, b, y_hat, out=buf[epoch])
        update((w, b), config.lr, opt)
        zero_grads((w, b), config.zeroing, opt)
        done = epoch + 1
        if on_epoch is not None:
            on_epoch(done, total)
        if done - checked >= CHECK_EVERY or done == total:
            bad = first_nonfinite(buf[checked:done])
            bad = None if bad is None else checked + bad
            checked = done
            if bad is not None:
                break

    rows = buf[:done].detach().cpu().double().numpy()
    stop = None
    if bad is not None:
        stop = Stop(epoch=bad + 1, nonfinite=nonfinite_names(rows[bad], f), loss=float(rows[bad, 0]))
        rows = rows[:bad]  # a non-finite epoch never reaches the trace
    return Trace.from_rows(
        config=config,
        rows=rows,
        device=str(run.device),
        device_note=run.device_note,
        stop=stop,
        final_w=None if stop else tuple(w.detach().cpu().tolist()),
        final_b=None if stop else float(b.detach().cpu().item()),
    )


def row_width(n_samples: int, n_features: int) -> int:
    """Numbers recorded per epoch: loss | w (F) | b | w.grad (F) | b.grad | y_hat (N)."""
    return 3 + 2 * n_features + n_samples


def record(
    loss: torch.Tensor, w: torch.Tensor, b: torch.Tensor, y_hat: torch.Tensor, out: torch.Tensor | None = None
) -> torch.Tensor:
    """One epoch's record, read right after backward(): loss | w | b | w.grad | b.grad | y_hat."""
    assert w.grad is not None and b.grad is not None
    with torch.no_grad():
        parts = (loss.view(1), w, b.view(1), w.grad, b.grad.view(1), y_hat)
        return torch.cat(parts) if out is None else torch.cat(parts, out=out)


def first_nonfinite(rows: torch.Tensor) -> int | None:
    """Index of the first recorded row holding an inf or NaN: the one rule that stops a run."""
    bad = ~torch.isfinite(rows.reshape(len(rows), -1)).all(dim=1)
    if not bool(bad.any()):
        return None
    return int(bad.nonzero()[0, 0].item())


def nonfinite_names(row: np.ndarray, n_features: int) -> tuple[str, ...]:
    """Which recorded quantities of one row (loss | w | b | w.grad | b.grad | ŷ) are inf or NaN."""
    f = n_features
    parts = {"loss": row[:1], "w": row[1 : 1 + f], "b": row[1 + f : 2 + f], "w.grad": row[2 + f : 2 + 2 * f]}
    parts |= {"b.grad": row[2 + 2 * f : 3 + 2 * f], "y_hat": row[3 + 2 * f :]}
    return tuple(name for name, values in parts.items() if not np.isfinite(values).all())
