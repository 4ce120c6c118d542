"""The training loop: real autograd each epoch, recorded into one preallocated tensor."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from gradlab.config import RunConfig
from gradlab.grads import update, zero_grads
from gradlab.live import live
from gradlab.model import DTYPE, forward, mse
from gradlab.trace import Stop, Trace

EpochCallback = Callable[[int, int], None]

EXPLODE_FACTOR = 1e6  # "blew past the starting loss by orders of magnitude"
CHECK_EVERY = 64  # epochs between the (synchronising) divergence checks


def train(config: RunConfig, on_epoch: EpochCallback | None = None) -> Trace:
    """Train the card's model; call `on_epoch(epoch, total)` after every epoch; return the trace.

    Each epoch: forward → loss → backward() → record (loss, w, b, .grad, ŷ) → update → zero.
    The recorded w and b are the values the epoch's forward pass used.
    """
    run = live(config)
    X, y, w, b, opt = run.X, run.y, run.w, run.b, run.opt
    n, f, total = config.n_samples, config.n_features, config.epochs
    # Row layout: loss | w (F) | b | w.grad (F) | b.grad | y_hat (N)
    buf = torch.empty((total, 3 + 2 * f + n), dtype=DTYPE, device=run.device)

    done, checked, bad = 0, 0, None
    start_loss = 0.0
    for epoch in range(total):
        y_hat = forward(X, w, b)
        loss = mse(y_hat, y)
        loss.backward()
        with torch.no_grad():
            torch.cat((loss.view(1), w, b.view(1), w.grad, b.grad.view(1), y_hat), out=buf[epoch])  # type: ignore[arg-type]
        update((w, b), config.lr, opt)
        zero_grads((w, b), config.zeroing, opt)
        done = epoch + 1
        if on_epoch is not None:
            on_epoch(done, total)
        if done - checked >= CHECK_EVERY or done == total:
            if checked == 0:
                start_loss = float(buf[0, 0].item())
            bad = _first_bad(buf, checked, done, start_loss)
            checked = done
            if bad is not None:
                break

    rows = buf[:done].detach().cpu().double().numpy()
    stop = None
    if bad is not None:
        names = nonfinite_names(rows[bad], f)
        stop = Stop(epoch=bad + 1, nonfinite=names, loss=float(rows[bad, 0]), start_loss=start_loss)
        rows = rows[: bad if stop.nonfinite else bad + 1]  # a non-finite epoch never reaches the trace
    return Trace.from_rows(
        config=config,
        rows=rows,
        device=str(run.device),
        device_note=run.device_note,
        stop=stop,
        final_w=None if stop else tuple(w.detach().cpu().tolist()),
        final_b=None if stop else float(b.detach().cpu().item()),
    )


def _first_bad(buf: torch.Tensor, lo: int, hi: int, start_loss: float) -> int | None:
    """Index of the first row in [lo, hi) that is non-finite or whose loss exploded."""
    rows = buf[lo:hi]
    limit = max(abs(start_loss), 1.0) * EXPLODE_FACTOR
    bad = ~torch.isfinite(rows).all(dim=1) | (rows[:, 0] > limit)
    if not bool(bad.any()):
        return None
    return lo + int(bad.nonzero()[0, 0].item())


def nonfinite_names(row: np.ndarray, n_features: int) -> tuple[str, ...]:
    """Which recorded quantities of one row (loss | w | b | w.grad | b.grad | ŷ) are inf or NaN."""
    f = n_features
    parts = {"loss": row[:1], "w": row[1 : 1 + f], "b": row[1 + f : 2 + f], "w.grad": row[2 + f : 2 + 2 * f]}
    parts |= {"b.grad": row[2 + 2 * f : 3 + 2 * f], "y_hat": row[3 + 2 * f :]}
    return tuple(name for name, values in parts.items() if not np.isfinite(values).all())
