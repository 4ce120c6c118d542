"""Divergence in words: when a run starts to diverge, why it was stopped and what to change, from its numbers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from gradlab.fmt import num
from gradlab.runs.trace import Stop, Trace
from gradlab.settings.config import RunConfig
from gradlab.settings.links import LR_SLIDER_MIN
from gradlab.settings.stability import stable_limit


@dataclass(frozen=True)
class Divergence:
    """Where and why a run was stopped (a number overflowed float32), and what to change."""

    epoch: int
    reason: str
    advice: str
    suggested_lr: float

    @property
    def message(self) -> str:
        return f"Training diverged at epoch {self.epoch}: {self.reason}. {self.advice}"


@dataclass(frozen=True)
class DivergenceWarning:
    """A run that is diverging but still finite: from which epoch, why, and what to change."""

    epoch: int  # 1 when the learning rate alone is above the stable limit, else the first epoch the loss rose
    headline: str
    reason: str
    advice: str
    suggested_lr: float | None  # None when lowering lr is not the fix (zeroing "never" below the limit)

    @property
    def message(self) -> str:
        return f"{self.headline} {self.reason} {self.advice}"


def _advice(config: RunConfig) -> tuple[str, float]:
    """What to change, and the learning rate to try."""
    limit = stable_limit(config)
    suggested = round_down(min(limit * 0.9, config.lr / 2))
    if limit < LR_SLIDER_MIN:  # no rate on the slider would do
        advice = (
            f"This data is so large that gradient descent is stable only below lr ≈ {limit:.3g}. "
            "Rescale the features and targets (e.g. divide them by 1000) rather than shrinking lr."
        )
    else:
        advice = (
            f"Lower the learning rate: plain gradient descent on this data is stable only below "
            f"lr ≈ {limit:.3g}. Try lr = {suggested:g}."
        )
    if config.zeroing == "never":
        advice += " Also zero the gradients each step: without it, each step uses the sum of every gradient so far."
    return advice, suggested


def explain(trace: Trace) -> Divergence | None:
    """The stop of a run in words, or None when every epoch ran."""
    return None if trace.stop is None else explain_stop(trace.stop, trace.config)


def explain_stop(stop: Stop, config: RunConfig) -> Divergence:
    """A stop in words: the trace and the step-through say the same thing."""
    if "loss" in stop.nonfinite:
        reason = f"the numbers became too large for float32; loss = {num(stop.loss)}"
    else:
        names = " and ".join(stop.nonfinite)
        reason = f"the numbers became too large for float32: {names} became inf or NaN (loss = {num(stop.loss)})"
    advice, suggested = _advice(config)
    return Divergence(epoch=stop.epoch, reason=reason, advice=advice, suggested_lr=suggested)


def warn(trace: Trace) -> DivergenceWarning | None:
    """Name divergence as soon as it starts: lr above the stable limit, or the loss rising; None otherwise."""
    config = trace.config
    limit = stable_limit(config)
    rise = trace.first_rise
    parts = []
    if config.lr > limit:
        parts.append(
            f"The learning rate {config.lr:g} is above lr ≈ {limit:.3g}, the largest at which plain gradient "
            "descent on this data converges (2/λmax of the loss's curvature). Above it, each step lands farther "
            "beyond the minimum, along the direction of largest curvature (λmax's eigenvector), than it started "
            "from, so the error along that direction grows every epoch."
        )
    elif rise is None:
        return None
    elif config.zeroing == "never":
        parts.append(
            "The gradients are never zeroed, so each update uses the sum of every gradient so far and the weights "
            "overshoot the minimum."
        )
    if rise is not None:
        i = rise - 1
        went = (
            f"The loss rose from {num(trace.loss[i - 1])} at epoch {rise - 1} to {num(trace.loss[i])} at epoch {rise}"
        )
        if len(trace) > rise and trace.loss[-1] > trace.loss[i]:
            went += f", and reached {num(trace.end_loss)} by epoch {len(trace)}"
        parts.append(went + ".")
    if config.lr > limit or config.zeroing != "never":
        advice, suggested = _advice(config)
    else:
        advice, suggested = "Zero the gradients each step (zero_() or set_to_none).", None
    if config.lr > limit:
        epoch, headline = 1, "Gradient descent diverges at this learning rate."
    else:
        epoch, headline = rise or 1, f"The loss rose at epoch {rise}."
    return DivergenceWarning(epoch, headline, " ".join(parts), advice, suggested)


def round_down(x: float) -> float:
    """Round down to one significant decimal digit (0.046 → 0.04, 0.3 → 0.3), never to zero."""
    if not x > 0:
        return 0.001
    d = Decimal(repr(float(x)))  # the shortest decimal that reads back as x: 0.3 is "0.3", not 0.29999…
    exp = d.adjusted()  # the power of ten of the leading digit
    lead = d.scaleb(-exp).to_integral_value(rounding=ROUND_FLOOR)
    return float(lead.scaleb(exp))
