"""The network's run in words, written from its numbers: one observation per epoch, saturation, divergence named
from the loss itself, and why a curvature-based stable limit is local for a network.

Every function takes facts computed elsewhere (a `Trace`, a `Saturation`, a `Curvature`) and trains nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gradlab.fmt import num
from gradlab.lesson.divergence import round_down
from gradlab.lesson.observations import _fell, _rose, _same
from gradlab.probes.net_curvature import Curvature
from gradlab.probes.net_saturation import SATURATED, SCAN_EPOCHS, STALL_SHARE, Saturation, saturating_lrs
from gradlab.runs.trace import CONVERGED_LOSS, Trace
from gradlab.settings.config import RunConfig
from gradlab.settings.links import format_lr

HIDDEN = ("hidden.weight", "hidden.bias")


def _net(trace: Trace) -> None:
    if trace.config.model != "net" or trace.hidden is None:
        raise ValueError("trace: a run of the linear model; its words are gradlab.lesson.observations")


def hidden_grad_norm(trace: Trace) -> np.ndarray:
    """(E,) ‖(hidden.weight.grad, hidden.bias.grad)‖₂ per epoch."""
    norms = trace.grad_norms
    return np.sqrt(norms[HIDDEN[0]] ** 2 + norms[HIDDEN[1]] ** 2)


def unit(j: int) -> str:
    """Hidden unit j (0-based) as PyTorch indexes it: the column h[:, j], fed by row j of hidden.weight."""
    return f"h[:, {j}]"


def net_observations(trace: Trace) -> list[str]:
    """One sentence per epoch of a network run, describing what its loss and `.grad` did."""
    _net(trace)
    if len(trace) == 0:
        return []
    assert trace.hidden is not None
    norm, hidden = trace.grad_norm, hidden_grad_norm(trace)
    slope = trace.hidden.tanh_slope_mean  # (E, 3)
    rises = trace.rises()
    never = trace.config.zeroing == "never"
    out = [
        f"starting loss {trace.loss[0]:.4g}; the first backward() fills every parameter's .grad (norm {norm[0]:.3g})"
    ]
    for i in range(1, len(trace)):
        loss, prev = float(trace.loss[i]), float(trace.loss[i - 1])
        if same := _same(loss, prev):
            out.append(same)
        elif loss > prev:
            if never:
                out.append(
                    f"{_rose(loss, prev)}: the update used the running sum of every gradient so far (never zeroed)"
                )
            elif rises[i]:
                out.append(
                    f"{_rose(loss, prev)}: the step −lr·.grad overshot (along −.grad the loss first falls, so a "
                    "shorter step would have lowered it)"
                )
            else:
                out.append(_rose(loss, prev))
        elif (slope[i] < SATURATED).all():
            out.append(
                f"{_fell(loss, prev)}; every hidden unit is saturated (mean of 1 − h² below {SATURATED:g}) and "
                f"‖hidden.*.grad‖ is {hidden[i]:.3g}"
            )
        else:
            change = "shrank" if norm[i] < norm[i - 1] else "grew"
            out.append(f"{_fell(loss, prev)}; ‖.grad‖ {change} to {norm[i]:.3g}")
    return out


@dataclass(frozen=True)
class NetDivergence:
    """A network run that diverged, named from its loss: stopped on inf/NaN, or ending above where it started."""

    epoch: int  # the epoch that overflowed, or the first epoch the loss rose
    headline: str
    reason: str
    advice: str
    stopped: bool  # a number overflowed float32 and the run was stopped

    @property
    def message(self) -> str:
        return f"{self.headline} {self.reason} {self.advice}"


def _advice(trace: Trace) -> str:
    lr = trace.config.lr
    advice = f"Lower the learning rate, for example to lr = {format_lr(round_down(lr / 10))}."
    if trace.config.zeroing == "never":
        advice += " Also zero the gradients each step: without it, each step uses the sum of every gradient so far."
    return advice


def net_divergence(trace: Trace) -> NetDivergence | None:
    """Divergence named from the loss itself (the network has no single stable limit to compare lr with):
    a stop on inf/NaN, or a loss that ended above its start; None otherwise."""
    _net(trace)
    stop = trace.stop
    if stop is not None:
        names = " and ".join(stop.nonfinite)
        what = f"loss = {num(stop.loss)}" if "loss" in stop.nonfinite else f"{names} (loss = {num(stop.loss)})"
        reached = f" The last finite loss, at epoch {len(trace)}, was {num(trace.end_loss)}." if len(trace) else ""
        return NetDivergence(
            stop.epoch,
            f"Training diverged at epoch {stop.epoch}:",
            f"the numbers became too large for float32 ({what}), so the run was stopped there.{reached}",
            _advice(trace),
            stopped=True,
        )
    if len(trace) < 2 or trace.end_loss <= trace.start_loss:
        return None
    rise = trace.first_rise or int(np.argmax(np.diff(trace.loss) > 0)) + 2
    return NetDivergence(
        rise,
        "Training diverged:",
        f"the loss rose from {num(trace.loss[rise - 2])} at epoch {rise - 1} to {num(trace.loss[rise - 1])} at epoch "
        f"{rise} and ended at {num(trace.end_loss)}, above the {num(trace.start_loss)} it started from.",
        _advice(trace),
        stopped=False,
    )


def local_limit_text(start: Curvature, end: Curvature | None, lr: float) -> str:
    """Why a curvature-based stable limit is local for the network, with the numbers at the start and end of a run."""
    text = (
        f"At the start, the largest curvature of the loss (λmax of its Hessian over all 13 parameter entries) is "
        f"{start.lam_max:.4g}, so 2/λmax ≈ {start.limit:.3g}. For the linear model 2/λmax is one stable limit for "
        "the whole run, because its loss's curvature is the same at every point. For the network the curvature "
        "changes as the weights move, so 2/λmax computed at one point describes steps near that point only"
    )
    if end is not None and end.finite and end.epoch is not None:
        text += f"; at epoch {end.epoch:,} of this run (lr = {format_lr(lr)}) it is {end.limit:.3g}."
    else:
        text += "."
    return text


def saturation_text(s: Saturation) -> list[str]:
    """What a run's hidden units and loss did, from `gradlab.probes.net_saturation.saturation`."""
    out: list[str] = []
    if s.all_saturated_from is not None:
        top = math.floor(min(u.abs_max_end for u in s.units) * 1e4) / 1e4  # rounded down: "at least" stays true
        out.append(
            f"From epoch {s.all_saturated_from:,} on, every hidden unit is saturated: for each unit, the mean over the "
            f"samples of tanh's slope 1 − h² stays below {s.threshold:g} (at the last epoch every unit's largest |h| "
            f"is at least {top:.4f})."
        )
    else:
        saturated = [u for u in s.units if u.saturated_from is not None]
        for u in saturated:
            out.append(
                f"Hidden unit {unit(u.unit)} is saturated from epoch {u.saturated_from:,} on: the mean over the "
                f"samples of 1 − h² stays below {s.threshold:g}."
            )
        if not saturated:
            low = min(u.slope_end for u in s.units)
            out.append(
                f"No hidden unit ends saturated: at the last epoch each unit's mean over the samples of 1 − h² is "
                f"{low:.3g} or more (saturated means below {s.threshold:g})."
            )
    if s.saturated_units:
        out.append(
            "backward() multiplies the gradient reaching h by 1 − h² before it reaches hidden.weight and hidden.bias: "
            f"their .grad norm went from {s.hidden_grad_norm_start:.3g} at epoch 1 to {s.hidden_grad_norm_end:.3g} at "
            f"epoch {s.epochs:,}."
        )
    if s.stalled and s.stall_from is not None:
        out.append(
            f"The loss stalled from epoch {s.stall_from:,}: it stays within {STALL_SHARE:.1%} of {s.end_loss:.4g}, "
            f"above the {CONVERGED_LOSS:g} of a converged run (predicting the mean of y for every row would give "
            f"{s.constant_loss:.4g})."
        )
    return out


def saturating_lr_text(scan: Sequence[Saturation], epochs: int = SCAN_EPOCHS) -> str:
    """The learning rate at which, on this data, every hidden unit saturates and the loss stalls, named from a scan."""
    found = saturating_lrs(scan)
    if not found:
        return (
            "On this data no learning rate of the scan"
            + (f" from {format_lr(min(x.lr for x in scan))} to {format_lr(max(x.lr for x in scan))}" if scan else "")
            + f" saturates every hidden unit and stalls the loss within {epochs:,} epochs."
        )
    lr = found[0]
    run = next(s for s in scan if s.lr == lr)
    assert run.all_saturated_from is not None and run.stall_from is not None
    more = f" ({len(found) - 1} larger rates of the scan do too)" if len(found) > 1 else ""
    low, high = format_lr(min(x.lr for x in scan)), format_lr(max(x.lr for x in scan))
    return (
        f"On this data, lr = {format_lr(lr)} is the smallest learning rate of a scan from {low} to {high} at which "
        f"every hidden unit saturates (from epoch {run.all_saturated_from:,}) and the loss stalls (from epoch "
        f"{run.stall_from:,}, at {run.end_loss:.4g}) within {epochs:,} epochs{more}."
    )


def net_loop_text(config: RunConfig) -> str:
    """What one epoch of the network does with these settings, as a Markdown line naming the calls the exported
    script (`gradlab.views.net_export.net_script`) makes; the run makes the same updates with the same values."""
    sgd, lr = config.update == "sgd", format_lr(config.lr)
    update = (
        "`opt.step()` (torch.optim.SGD: `p -= lr * p.grad` for each parameter)"
        if sgd
        else "`p -= lr * p.grad` for every `p` in `model.parameters()` under `torch.no_grad()`"
    )
    zero = {
        "zero": "zero every `.grad` in place with "
        + ("`opt.zero_grad(set_to_none=False)`" if sgd else "`model.zero_grad(set_to_none=False)`"),
        "none": "set every `.grad` to None with "
        + ("`opt.zero_grad(set_to_none=True)`" if sgd else "`model.zero_grad()`"),
        "never": "**no zeroing**: the next `backward()` adds to every `.grad`",
    }[config.zeroing]
    return (
        "Each epoch: forward through `model` → loss → `loss.backward()` → read each parameter's `.grad` → update "
        f"{update} at lr = {lr} → {zero}."
    )


def net_loss_after_help(trace: Trace, after: float | None) -> str:
    """What the network's loss after the last update is (`after`: None when the run was stopped before it)."""
    e = len(trace)
    if trace.stop is not None:
        stop = trace.stop
        return (
            f"Epoch {e:,}'s update led to epoch {stop.epoch:,}, where {' and '.join(stop.nonfinite)} overflowed "
            f"float32 (loss = {num(stop.loss)}) and the run was stopped: the table ends at epoch {e:,}."
        )
    if after is None:
        return f"There is no loss after epoch {e:,}'s update to show."
    return (
        f"Epoch {e:,}'s update moved every parameter once more; one more forward pass at those parameters gives "
        f"{num(after)}. That is the loss after {e:,} update{'s' * (e != 1)}; the table's last row is the loss before "
        "the last update."
    )
