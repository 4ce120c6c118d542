"""Plain-language observations written from the numbers of each epoch, and a run's headline figures."""

from __future__ import annotations

import numpy as np

from gradlab.fmt import num, percent
from gradlab.runs.model import loss_at
from gradlab.runs.net import net_loss_at
from gradlab.runs.trace import CONVERGED_LOSS, Trace
from gradlab.settings.stability import stable_limit


def observations(trace: Trace) -> list[str]:
    """One sentence per epoch describing what the loss and gradients did."""
    if len(trace) == 0:
        return []
    norm = trace.grad_norm
    above_limit = trace.config.lr > stable_limit(trace.config)
    never = trace.config.zeroing == "never"
    out = [f"starting loss {num(trace.loss[0], 4)}; the first backward() fills .grad (norm {num(norm[0], 3)})"]
    for i in range(1, len(trace)):
        loss, prev = trace.loss[i], trace.loss[i - 1]
        if never:
            out.append(_describe_never(loss, prev, norm[i], norm[i - 1]))
        else:
            out.append(_describe(loss, prev, norm[i], norm[i - 1], above_limit))
    return out


def _fell(loss: float, prev: float) -> str:
    return f"loss fell {percent((prev - loss) / prev)}"


def _rose(loss: float, prev: float) -> str:
    if prev <= 0:
        return "loss rose"
    change = (loss - prev) / prev
    return f"loss rose {percent(change)}" if change < 10 else f"loss rose {num(loss / prev, 3)}×"


def _same(loss: float, prev: float) -> str | None:
    if loss == prev:
        return "loss unchanged"
    if abs(loss - prev) <= 1e-6 * abs(prev):
        return "loss changed by less than one part in a million"
    return None


def _describe(loss: float, prev: float, norm: float, prev_norm: float, above_limit: bool) -> str:
    if loss < 1e-10 and norm < 1e-5:
        return "loss ≈ 0 and .grad ≈ 0: the updates barely move w and b any more"
    if same := _same(loss, prev):
        return same
    if loss > prev:
        if above_limit:  # however small the rise: above the limit, the error along one direction grows
            return f"{_rose(loss, prev)}: the step overshoots — the learning rate is above the stable limit"
        return f"{_rose(loss, prev)}: float32 rounding (below the stable limit, exact gradient descent never raises it)"
    if norm < prev_norm:
        tail = " — predictions are close to the targets" if loss < CONVERGED_LOSS else ""
        return _fell(loss, prev) + (tail or " — gradients shrink as predictions approach the targets")
    return _fell(loss, prev) + " — .grad grew: the weights moved to a steeper part of the loss surface"


def _describe_never(loss: float, prev: float, norm: float, prev_norm: float) -> str:
    """Zeroing "never": the recorded .grad is the running sum of every epoch's gradient."""
    if same := _same(loss, prev):
        return same
    if loss > prev:
        return f"{_rose(loss, prev)}: the update used the running sum of every gradient so far (never zeroed)"
    if norm >= prev_norm:
        return f"{_fell(loss, prev)}, but .grad grew: it is the running sum of every gradient (never zeroed)"
    # |a + g| < |a| only if a·g < 0: this epoch's gradient points partly against the sum it was added to
    return (
        f"{_fell(loss, prev)}; .grad (the running sum, never zeroed) shrank because this epoch's gradient points "
        "partly against the sum so far"
    )


def summary(trace: Trace) -> dict[str, float | int | bool | None]:
    """Headline figures for a run, including whether the loss stayed below the threshold once it got there."""
    first = trace.epochs_to(CONVERGED_LOSS)
    later = np.flatnonzero(trace.loss >= CONVERGED_LOSS)
    last_above = int(later[-1]) + 1 if first is not None and len(later) and later[-1] + 1 > first else None
    return {
        "start_loss": trace.start_loss,
        "end_loss": trace.end_loss,
        "epochs_to_converge": first,  # the first epoch with loss < CONVERGED_LOSS
        "stayed_converged": None if first is None else last_above is None,
        "last_above": last_above,  # the last epoch at or above it after that, when the loss left again
        "final_grad_norm": float(trace.grad_norm[-1]),
        "after_loss": loss_after(trace),
    }


def loss_after(trace: Trace) -> float | None:
    """The loss after the last update: one forward pass (float32, CPU) at the parameters that update produced
    (w and b, or the network's named parameters). None when the run was stopped, so that there was no last update."""
    if trace.final_params is None:
        return None
    if trace.model == "net":
        return net_loss_at(trace.config, trace.final_params)
    if trace.final_w is None or trace.final_b is None:
        return None
    return loss_at(trace.config, trace.final_w, trace.final_b)


def convergence_text(trace: Trace) -> tuple[str, str]:
    """The "epochs to loss < 0.01" figure and a sentence that says whether the loss stayed there."""
    head = summary(trace)
    first, last = head["epochs_to_converge"], head["last_above"]
    if first is None:
        return "not reached", f"No epoch of this run had a loss below {CONVERGED_LOSS:g}."
    if last is None:
        return f"{first:,}", f"First epoch with loss < {CONVERGED_LOSS:g}; the loss stayed below it from then on."
    return (
        f"{first:,}, then left",
        f"First epoch with loss < {CONVERGED_LOSS:g}, but the loss rose to {CONVERGED_LOSS:g} or more again "
        f"later, last at epoch {last:,}.",
    )
