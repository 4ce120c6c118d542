"""The card's five-step prediction trace for one sample at one epoch, with real numbers."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gradlab.fmt import factor, num, signed_sum
from gradlab.runs.model import DTYPE, forward, mse
from gradlab.runs.trace import Trace


@dataclass(frozen=True)
class SampleTrace:
    """One sample's path: inputs → linear layer → loss term → backward → `.grad`."""

    epoch: int
    row: int  # 0-based
    n_samples: int
    x: tuple[float, ...]
    y: float
    w: tuple[float, ...]
    b: float
    terms: tuple[float, ...]  # x_j · w_j
    y_hat: float
    residual: float  # ŷ − y
    sq_error: float  # (ŷ − y)²
    loss_share: float  # (ŷ − y)² / N, this sample's part of the loss
    batch_loss: float
    contrib_w: tuple[float, ...]  # autograd of this sample's loss share w.r.t. w
    contrib_b: float
    formula_w: tuple[float, ...]  # 2/N·(ŷ−y)·x, by hand
    formula_b: float
    all_contrib_w: tuple[tuple[float, ...], ...]  # every sample's contribution (N, F)
    all_contrib_b: tuple[float, ...]
    sum_w: tuple[float, ...]  # Σ over samples
    sum_b: float
    grad_w: tuple[float, ...]  # the .grad recorded in the trace for this epoch
    grad_b: float
    accumulated: bool  # .grad holds earlier epochs too (zeroing "never")

    @property
    def max_sum_diff(self) -> float:
        """Largest |Σ contributions − .grad| (float32 rounding when gradients are zeroed)."""
        diffs = [abs(s - g) for s, g in zip((*self.sum_w, self.sum_b), (*self.grad_w, self.grad_b), strict=True)]
        return max(diffs)


def trace_sample(trace: Trace, epoch: int, row: int) -> SampleTrace:
    """Rebuild epoch `epoch` (1-based) at the trace's weights and follow sample `row` (0-based)."""
    cfg = trace.config
    i = trace.index(epoch)
    if not 0 <= row < cfg.n_samples:
        raise ValueError(f"row: {row} is out of range; the data has rows 0 to {cfg.n_samples - 1}")
    n = cfg.n_samples
    X = torch.tensor(cfg.X, dtype=DTYPE)
    y = torch.tensor(cfg.y, dtype=DTYPE)
    w = torch.tensor(trace.w[i], dtype=DTYPE, requires_grad=True)
    b = torch.tensor(float(trace.b[i]), dtype=DTYPE, requires_grad=True)

    y_hat = forward(X, w, b)  # (N,)
    batch_loss = mse(y_hat, y)
    share = (y_hat[row] - y[row]) ** 2 / n
    share.backward()  # this sample's own gradient, by autograd
    assert w.grad is not None and b.grad is not None

    with torch.no_grad():
        residual = y_hat - y  # (N,)
        per_w = 2.0 / n * residual[:, None] * X  # (N, F): every sample's 2/N·(ŷ−y)·x
        per_b = 2.0 / n * residual  # (N,)
        terms = X[row] * w

    return SampleTrace(
        epoch=epoch,
        row=row,
        n_samples=n,
        x=tuple(cfg.X[row]),
        y=cfg.y[row],
        w=tuple(w.detach().tolist()),
        b=float(b.detach()),
        terms=tuple(terms.tolist()),
        y_hat=float(y_hat[row].detach()),
        residual=float(residual[row]),
        sq_error=float(residual[row] ** 2),
        loss_share=float(share.detach()),
        batch_loss=float(batch_loss.detach()),
        contrib_w=tuple(w.grad.tolist()),
        contrib_b=float(b.grad),
        formula_w=tuple(per_w[row].tolist()),
        formula_b=float(per_b[row]),
        all_contrib_w=tuple(tuple(r) for r in per_w.tolist()),
        all_contrib_b=tuple(per_b.tolist()),
        sum_w=tuple(per_w.sum(dim=0).tolist()),
        sum_b=float(per_b.sum()),
        grad_w=tuple(trace.w_grad[i].tolist()),
        grad_b=float(trace.b_grad[i]),
        accumulated=cfg.zeroing == "never" and epoch > 1,
    )


def linear_text(s: SampleTrace) -> str:
    """Step 2 written out: x1·w1 + x2·w2 + b = ŷ, with this sample's numbers."""
    names = " + ".join(f"x{j + 1}·w{j + 1}" for j in range(len(s.x)))
    products = " + ".join(f"{factor(v)}·{factor(wj)}" for v, wj in zip(s.x, s.w, strict=True))
    terms = signed_sum((*s.terms, s.b))
    pad = " " * len("y_hat ")
    return f"y_hat = {names} + b\n{pad}= {products} + {factor(s.b)}\n{pad}= {terms}\n{pad}= {num(s.y_hat)}"


def loss_text(s: SampleTrace) -> str:
    """Step 3 written out: the residual, its square and this sample's share of the loss."""
    n = s.n_samples
    return (
        f"y_hat - y        = {num(s.y_hat)} - {factor(s.y)} = {num(s.residual)}\n"
        f"(y_hat - y)²     = {factor(s.residual)}² = {num(s.sq_error)}\n"
        f"share of loss    = (y_hat - y)² / N = {num(s.sq_error)} / {n} = {num(s.loss_share)}\n"
        f"whole batch loss = mean over all {n} samples = {num(s.batch_loss)}"
    )


def contribution_table(s: SampleTrace) -> dict[str, list[str]]:
    """Step 4: this sample's gradient share by hand and by autograd, per parameter."""
    return {
        "parameter": [f"∂/∂w{j + 1}" for j in range(len(s.x))] + ["∂/∂b"],
        "by hand 2/N·(ŷ−y)·x (x = 1 for b)": [num(v) for v in (*s.formula_w, s.formula_b)],
        "autograd": [num(v) for v in (*s.contrib_w, s.contrib_b)],
    }


def sum_table(s: SampleTrace) -> tuple[list[str], list[list[str]]]:
    """Step 5: every sample's share, their sum, and the `.grad` read from the tensors."""
    header = ["", *[f"w{j + 1}.grad" for j in range(len(s.x))], "b.grad"]
    rows = [
        [f"row {r + 1}", *[num(v) for v in cw], num(cb)]
        for r, (cw, cb) in enumerate(zip(s.all_contrib_w, s.all_contrib_b, strict=True))
    ]
    rows.append(["Σ contributions", *[num(v) for v in s.sum_w], num(s.sum_b)])
    rows.append([".grad (from the tensors)", *[num(v) for v in s.grad_w], num(s.grad_b)])
    return header, rows
