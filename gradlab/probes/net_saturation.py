"""Saturated hidden units, read from a network run: when |h| → 1, tanh's factor 1 − h² → 0 and `.grad` vanishes.

backward() multiplies the gradient reaching h = tanh(z) by 1 − h² before it reaches `hidden.weight` and
`hidden.bias`. `Trace.hidden.tanh_slope_mean` holds that factor's mean over samples, per unit and epoch; a unit whose
mean stays below SATURATED passes less than that share of its gradient on. Facts only; no words of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gradlab.runs.trace import CONVERGED_LOSS, Trace
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.links import lr_options

SATURATED = 0.01  # mean over samples of 1 − h² below this: the unit passes on under 1% of its gradient
STALL_SHARE = 1e-3  # the loss "stalls" from the epoch after which it stays within this share of its last value…
STALL_MIN = 10  # …for at least this many epochs
SCAN_EPOCHS = 300


@dataclass(frozen=True)
class UnitSaturation:
    """One hidden unit h[:, unit] over a run."""

    unit: int  # 0-based column of h, the row of hidden.weight that feeds it
    saturated_from: int | None  # 1-based epoch from which mean(1 − h²) stays below the threshold to the end
    first_below: int | None  # the first epoch below the threshold at all
    slope_start: float  # mean over samples of 1 − h² at epoch 1
    slope_end: float  # …at the last epoch
    abs_max_end: float  # max over samples of |h| at the last epoch


@dataclass(frozen=True)
class Saturation:
    """What a run's hidden units and loss did: which units saturated, from when, and whether the loss stalled."""

    lr: float
    epochs: int  # epochs recorded (fewer than asked when the run stopped)
    stopped_at: int | None  # the epoch that recorded inf/NaN, if any
    threshold: float
    units: tuple[UnitSaturation, ...]
    all_saturated_from: int | None  # the first epoch from which every unit stays saturated to the end
    stall_from: int | None  # the first epoch from which the loss stays within STALL_SHARE of its last value
    start_loss: float
    end_loss: float
    constant_loss: float  # mean((y − mean(y))²) in float64: the loss of predicting mean(y) for every row
    hidden_grad_norm_start: float  # ‖(hidden.weight.grad, hidden.bias.grad)‖₂ at epoch 1
    hidden_grad_norm_end: float  # …at the last epoch

    @property
    def saturated_units(self) -> tuple[int, ...]:
        return tuple(u.unit for u in self.units if u.saturated_from is not None)

    @property
    def stalled(self) -> bool:
        """The loss stopped moving while still above CONVERGED_LOSS, for at least STALL_MIN epochs."""
        return self.stall_from is not None and self.end_loss >= CONVERGED_LOSS

    @property
    def saturated_and_stalled(self) -> bool:
        """Every unit saturated, and the loss stalled (the run did not stop on inf/NaN)."""
        return self.all_saturated_from is not None and self.stalled and self.stopped_at is None


def stays_below(series: np.ndarray, threshold: float) -> int | None:
    """The 1-based first index from which every later value is below the threshold (None if the last is not)."""
    below = series < threshold
    if len(series) == 0 or not below[-1]:
        return None
    above = np.flatnonzero(~below)
    return int(above[-1]) + 2 if len(above) else 1


def stall_start(loss: np.ndarray, share: float = STALL_SHARE, least: int = STALL_MIN) -> int | None:
    """The 1-based first epoch from which the loss stays within share·|last loss| of the last loss, if that lasts
    at least `least` epochs; None otherwise."""
    if len(loss) < least or not np.isfinite(loss[-1]):
        return None
    near = np.abs(loss - loss[-1]) <= share * abs(loss[-1])
    far = np.flatnonzero(~near)
    start = int(far[-1]) + 2 if len(far) else 1  # near[-1] holds: the last loss is within any share of itself
    if len(loss) - start + 1 < least:
        return None
    return start


def saturation(trace: Trace, threshold: float = SATURATED) -> Saturation:
    """Per-unit saturation and the loss's stall, read from a network run's recorded h and loss."""
    if trace.hidden is None:
        raise ValueError("trace: a run of the linear model, which has no hidden units")
    if len(trace) == 0:
        raise ValueError("the run recorded no epoch: its first epoch already overflowed")
    slope = trace.hidden.tanh_slope_mean  # (E, 3)
    units = tuple(
        UnitSaturation(
            unit=j,
            saturated_from=stays_below(slope[:, j], threshold),
            first_below=_first(slope[:, j] < threshold),
            slope_start=float(slope[0, j]),
            slope_end=float(slope[-1, j]),
            abs_max_end=float(trace.hidden.abs_max[-1, j]),
        )
        for j in range(slope.shape[1])
    )
    every = stays_below(slope.max(axis=1), threshold)
    norms = trace.grad_norms
    hidden = np.sqrt(norms["hidden.weight"] ** 2 + norms["hidden.bias"] ** 2)
    y = np.asarray(trace.config.y, dtype=np.float32).astype(np.float64)
    return Saturation(
        lr=trace.config.lr,
        epochs=len(trace),
        stopped_at=None if trace.stop is None else trace.stop.epoch,
        threshold=threshold,
        units=units,
        all_saturated_from=every,
        stall_from=stall_start(trace.loss),
        start_loss=trace.start_loss,
        end_loss=trace.end_loss,
        constant_loss=float(((y - y.mean()) ** 2).mean()),
        hidden_grad_norm_start=float(hidden[0]),
        hidden_grad_norm_end=float(hidden[-1]),
    )


def _first(mask: np.ndarray) -> int | None:
    hit = np.flatnonzero(mask)
    return int(hit[0]) + 1 if len(hit) else None


def scan_saturation(
    config: RunConfig, lrs: Sequence[float] | None = None, epochs: int = SCAN_EPOCHS
) -> tuple[Saturation, ...]:
    """Train the network at each learning rate (default: the sidebar's, 0.001 to 1) and read each run's saturation.

    Every other setting is the config's; runs that stop on inf/NaN in their first epoch are left out.
    """
    found = []
    for lr in lr_options() if lrs is None else lrs:
        trace = train(config.with_(model="net", lr=float(lr), epochs=epochs))
        if len(trace):
            found.append(saturation(trace))
    return tuple(found)


def saturating_lrs(scan: Sequence[Saturation]) -> tuple[float, ...]:
    """The learning rates of a scan at which every hidden unit saturated and the loss stalled, smallest first."""
    return tuple(sorted(s.lr for s in scan if s.saturated_and_stalled))
