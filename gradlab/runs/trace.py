"""The training trace: per-epoch records as arrays, the facts of an early stop, and downsampling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.settings.config import RunConfig

CONVERGED_LOSS = 0.01
# Per-epoch predictions are kept up to this many values (400 KB as float32). A 10,000-epoch run on 200 rows
# would hold 2 million (8 MB, nine tenths of its trace) in every cache entry; nothing shown needs them, and
# any epoch's ŷ = X·w + b can be recomputed from its recorded w and b.
PREDICTIONS_KEPT = 100_000


RISE_SHARE = 1e-3  # a loss rise smaller than this share of the loss before it is not called a rise…
RISE_FLOOR = 1e-6  # …nor one smaller than this share of the starting loss (float32 noise near a minimum)


@dataclass(frozen=True)
class Stop:
    """The facts of an early stop (an epoch recorded inf or NaN); `gradlab.lesson.divergence` turns them into words."""

    epoch: int  # 1-based: the first epoch whose recorded numbers were not all finite
    nonfinite: tuple[str, ...]  # the recorded quantities that were inf/NaN there ("loss", "w", "w.grad", ...)
    loss: float  # that epoch's loss: inf, NaN, or a finite number when only other values overflowed


@dataclass(frozen=True, eq=False)
class Trace:
    """Epoch-by-epoch record of a run. All arrays are float64 copies of the float32 values."""

    config: RunConfig
    device: str
    device_note: str | None
    epoch: np.ndarray  # (E,) 1-based
    loss: np.ndarray  # (E,)
    w: np.ndarray  # (E, F) weights used in that epoch's forward pass
    b: np.ndarray  # (E,)
    w_grad: np.ndarray  # (E, F) .grad right after backward()
    b_grad: np.ndarray  # (E,)
    grad_norm: np.ndarray  # (E,) ‖(w.grad, b.grad)‖₂
    predictions: np.ndarray  # (E, N) float32 exactly as computed; (0, N) when E·N > PREDICTIONS_KEPT
    stop: Stop | None  # None when every epoch ran
    final_w: tuple[float, ...] | None  # after the last update; None if the run was stopped
    final_b: float | None

    @classmethod
    def from_rows(
        cls,
        *,
        config: RunConfig,
        rows: np.ndarray,
        device: str,
        device_note: str | None,
        stop: Stop | None,
        final_w: tuple[float, ...] | None,
        final_b: float | None,
    ) -> Trace:
        """Split the recorded (E, 3 + 2F + N) rows into named arrays (copies: `rows` itself is not kept)."""
        f = config.n_features
        w_grad = rows[:, 2 + f : 2 + 2 * f].copy()
        b_grad = rows[:, 2 + 2 * f].copy()
        norm = np.sqrt((w_grad**2).sum(axis=1) + b_grad**2)
        predictions = rows[:, 3 + 2 * f :]
        if predictions.size > PREDICTIONS_KEPT:
            predictions = predictions[:0]
        return cls(
            config=config,
            device=device,
            device_note=device_note,
            epoch=np.arange(1, len(rows) + 1),
            loss=rows[:, 0].copy(),
            w=rows[:, 1 : 1 + f].copy(),
            b=rows[:, 1 + f].copy(),
            w_grad=w_grad,
            b_grad=b_grad,
            grad_norm=norm,
            predictions=predictions.astype(np.float32),
            stop=stop,
            final_w=final_w,
            final_b=final_b,
        )

    def __len__(self) -> int:
        return len(self.epoch)

    def rises(self) -> np.ndarray:
        """(E,) bool: the loss rose from the epoch before by more than rounding noise (never at epoch 1)."""
        up = np.zeros(len(self), dtype=bool)
        if len(self) > 1:
            prev, now = self.loss[:-1], self.loss[1:]
            up[1:] = now - prev > np.maximum(RISE_SHARE * prev, RISE_FLOOR * self.start_loss)
        return up

    @property
    def first_rise(self) -> int | None:
        """The first epoch (1-based) whose loss rose, or None."""
        hit = np.flatnonzero(self.rises())
        return int(hit[0]) + 1 if len(hit) else None

    def index(self, epoch: int) -> int:
        """The 0-based row of a 1-based epoch; a ValueError names the range this run has."""
        if not 1 <= epoch <= len(self):
            raise ValueError(f"epoch: {epoch} is out of range; this run has epochs 1 to {len(self)}")
        return epoch - 1

    @property
    def start_loss(self) -> float:
        return float(self.loss[0])

    @property
    def end_loss(self) -> float:
        return float(self.loss[-1])

    def epochs_to(self, threshold: float = CONVERGED_LOSS) -> int | None:
        """First epoch whose loss is below the threshold, or None."""
        hit = np.nonzero(self.loss < threshold)[0]
        return int(hit[0]) + 1 if len(hit) else None


def downsample(n: int, series: list[np.ndarray], max_points: int = 2000, head: int = 100) -> np.ndarray:
    """Row indices to plot: the first `head`, the last, and each bucket's min and max per series."""
    if n <= max_points:
        return np.arange(n)
    keep = [np.arange(min(head, n)), np.array([n - 1])]
    rest = np.arange(head, n - 1)
    per_bucket = 2 * max(len(series), 1)
    buckets = max((max_points - head - 1) // per_bucket, 1)
    for chunk in np.array_split(rest, buckets):
        if len(chunk) == 0:
            continue
        for s in series:
            vals = s[chunk]
            keep.append(chunk[[int(np.nanargmin(vals)), int(np.nanargmax(vals))]])
    return np.unique(np.concatenate(keep))
