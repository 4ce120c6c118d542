"""Divergence in words: why a run was stopped and what to change, written from the trace's facts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from gradlab.landscape import max_stable_lr
from gradlab.links import LR_SLIDER_MIN
from gradlab.trace import Trace
from gradlab.train import EXPLODE_FACTOR


@dataclass(frozen=True)
class Divergence:
    """Where and why a run was stopped, and what to change."""

    epoch: int
    reason: str
    advice: str
    suggested_lr: float

    @property
    def message(self) -> str:
        return f"Training diverged at epoch {self.epoch}: {self.reason}. {self.advice}"


def explain(trace: Trace) -> Divergence | None:
    """The stop of a run in words, or None when every epoch ran."""
    stop, config = trace.stop, trace.config
    if stop is None:
        return None
    if stop.nonfinite:
        what = "loss" if "loss" in stop.nonfinite else "the gradients or weights"
        reason = f"{what} became inf/NaN (overflowed float32)"
    else:
        reason = f"loss {stop.loss:.3g} is over {EXPLODE_FACTOR:.0e} times the starting loss {stop.start_loss:.4g}"
    limit = max_stable_lr(config)
    suggested = round_down(min(limit * 0.9, config.lr / 2))
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
    return Divergence(epoch=stop.epoch, reason=reason, advice=advice, suggested_lr=suggested)


def round_down(x: float) -> float:
    """Round down to one significant decimal digit (0.046 → 0.04, 0.3 → 0.3), never to zero."""
    if not x > 0:
        return 0.001
    d = Decimal(repr(float(x)))  # the shortest decimal that reads back as x: 0.3 is "0.3", not 0.29999…
    exp = d.adjusted()  # the power of ten of the leading digit
    lead = d.scaleb(-exp).to_integral_value(rounding=ROUND_FLOOR)
    return float(lead.scaleb(exp))
