"""Plain-language observations written from the numbers of each epoch."""

from __future__ import annotations

from gradlab.trace import CONVERGED_LOSS, Trace


def observations(trace: Trace) -> list[str]:
    """One sentence per epoch describing what the loss and gradients did."""
    out: list[str] = []
    never = trace.config.zeroing == "never"
    for i in range(len(trace)):
        loss, norm = trace.loss[i], trace.grad_norm[i]
        if i == 0:
            out.append(f"starting loss {loss:.4g}; the first backward() fills .grad (norm {norm:.3g})")
            continue
        prev, prev_norm = trace.loss[i - 1], trace.grad_norm[i - 1]
        out.append(_describe(loss, prev, norm, prev_norm, never))
    return out


def _describe(loss: float, prev: float, norm: float, prev_norm: float, never: bool) -> str:
    if loss < 1e-10 and norm < 1e-5:
        return "converged: loss ≈ 0 and .grad ≈ 0, so updates no longer move w and b"
    change = (loss - prev) / prev if prev > 0 else 0.0
    if change < -1e-6:
        pct = f"loss fell {-change:.0%}" if -change >= 0.005 else f"loss fell {-change:.2%}"
        if never and norm >= prev_norm:
            return f"{pct}, but .grad keeps growing — gradients accumulate because they are never zeroed"
        if norm < prev_norm:
            tail = " — gradients shrink as predictions approach the targets"
            if loss < CONVERGED_LOSS:
                tail = " — predictions are close to the targets"
            return pct + tail
        return pct + " — .grad grew: the step crossed the valley floor"
    if change > 1e-6:
        rise = f"loss rose {change:.0%}" if change < 10 else f"loss rose {change + 1:.3g}×"
        if never:
            return f"{rise}: accumulated (never zeroed) gradients make each step too large"
        return f"{rise}: the step overshoots — learning rate too high"
    return "loss unchanged (to float32 precision)"


def summary(trace: Trace) -> dict[str, float | int | None]:
    """Headline figures for a run."""
    return {
        "start_loss": trace.start_loss,
        "end_loss": trace.end_loss,
        "epochs_to_converge": trace.epochs_to(CONVERGED_LOSS),
        "final_grad_norm": float(trace.grad_norm[-1]),
    }
