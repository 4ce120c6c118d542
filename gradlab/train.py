"""The training loop: real autograd each epoch, recorded into one preallocated tensor."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from gradlab.config import RunConfig, resolve_device
from gradlab.grads import step_manual, zero_grads
from gradlab.landscape import max_stable_lr
from gradlab.links import LR_SLIDER_MIN
from gradlab.model import DTYPE, forward, make_data, make_params, mse
from gradlab.trace import Divergence, Trace

EpochCallback = Callable[[int, int], None]

EXPLODE_FACTOR = 1e6  # "blew past the starting loss by orders of magnitude"
CHECK_EVERY = 64  # epochs between the (synchronising) divergence checks


def train(config: RunConfig, on_epoch: EpochCallback | None = None) -> Trace:
    """Train the card's model; call `on_epoch(epoch, total)` after every epoch; return the trace.

    Each epoch: forward → loss → backward() → record (loss, w, b, .grad, ŷ) → update → zero.
    The recorded w and b are the values the epoch's forward pass used.
    """
    device, note = resolve_device(config.device)
    X, y = make_data(config, device)
    w, b = make_params(config, device)
    n, f, total = config.n_samples, config.n_features, config.epochs
    # Row layout: loss | w (F) | b | w.grad (F) | b.grad | y_hat (N)
    buf = torch.empty((total, 3 + 2 * f + n), dtype=DTYPE, device=device)
    opt = torch.optim.SGD([w, b], lr=config.lr) if config.update == "sgd" else None

    done, checked, bad = 0, 0, None
    start_loss = 0.0
    for epoch in range(total):
        y_hat = forward(X, w, b)
        loss = mse(y_hat, y)
        loss.backward()
        with torch.no_grad():
            torch.cat((loss.view(1), w, b.view(1), w.grad, b.grad.view(1), y_hat), out=buf[epoch])  # type: ignore[arg-type]
        if opt is not None:
            opt.step()
        else:
            step_manual((w, b), config.lr)
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
    divergence = None
    if bad is not None:
        divergence = _explain(config, rows, bad, start_loss)
        keep = bad + 1 if np.isfinite(rows[bad]).all() else bad
        rows = rows[:keep]
    return Trace.from_rows(
        config=config,
        rows=rows,
        device=str(device),
        device_note=note,
        divergence=divergence,
        final_w=None if divergence else tuple(w.detach().cpu().tolist()),
        final_b=None if divergence else float(b.detach().cpu().item()),
    )


def _first_bad(buf: torch.Tensor, lo: int, hi: int, start_loss: float) -> int | None:
    """Index of the first row in [lo, hi) that is non-finite or whose loss exploded."""
    rows = buf[lo:hi]
    limit = max(abs(start_loss), 1.0) * EXPLODE_FACTOR
    bad = ~torch.isfinite(rows).all(dim=1) | (rows[:, 0] > limit)
    if not bool(bad.any()):
        return None
    return lo + int(bad.nonzero()[0, 0].item())


def _explain(config: RunConfig, rows: np.ndarray, bad: int, start_loss: float) -> Divergence:
    loss = rows[bad, 0]
    epoch = bad + 1
    if not np.isfinite(rows[bad]).all():
        what = "loss" if not np.isfinite(loss) else "the gradients or weights"
        reason = f"{what} became inf/NaN (overflowed float32)"
    else:
        reason = f"loss {loss:.3g} is over {EXPLODE_FACTOR:.0e} times the starting loss {start_loss:.4g}"
    limit = max_stable_lr(config)
    suggested = _round_down(min(limit * 0.9, config.lr / 2))
    advice = (
        f"Lower the learning rate: plain gradient descent on this data is stable only below "
        f"lr ≈ {limit:.3g}. Try lr = {suggested:g}."
    )
    if limit < LR_SLIDER_MIN:  # no rate on the slider would do
        advice = (
            f"This data is so large that gradient descent is stable only below lr ≈ {limit:.3g}. "
            "Rescale the features and targets (e.g. divide them by 1000) rather than shrinking lr."
        )
    if config.zeroing == "never":
        advice += " Also zero the gradients each step: accumulated gradients act like a growing step."
    return Divergence(epoch=epoch, reason=reason, advice=advice, suggested_lr=suggested)


def _round_down(x: float) -> float:
    """Round down to one significant digit (0.046 → 0.04), never to zero."""
    if x <= 0:
        return 0.001
    exp = np.floor(np.log10(x))
    return float(np.floor(x / 10**exp) * 10**exp)
