"""backward() through a graph recorded before an in-place update: allowed or refused, depending on what it saved.

In ŷ = Xw + b with X not requiring grad, the graph saves X (to compute w's gradient) and never w itself, so an
in-place update of w before backward() breaks nothing the graph needs: PyTorch runs it and adds the gradient at
the old weights. Once X requires grad, the graph saves w too (to compute X's gradient), and PyTorch's version
counter refuses the same backward(). Both cases are run here for real on fresh tensors; the page shows the code
that ran (`inspect.getsource` of `pitfall_code.update_then_backward`), as the pitfalls do.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import torch

from gradlab.probes import pitfall_code as code
from gradlab.probes.capture import ONE_AT_A_TIME, capture, silenced
from gradlab.runs.live import live
from gradlab.settings.config import RunConfig

_CODE = Path(inspect.getfile(code)).resolve()  # the shown code's own lines: only their warnings count


@dataclass(frozen=True)
class StaleCase:
    """One run of `pitfall_code.update_then_backward`: whether X required grad, whether the graph saved w, and
    what PyTorch did."""

    x_requires_grad: bool
    saved_w: bool  # the matmul's backward node holds a copy of w (MvBackward0._saved_vec)
    error: str | None  # PyTorch's RuntimeError, as "RuntimeError: …"
    w_grad: tuple[float, ...] | None  # w.grad after it ran (None when it raised before returning)


@dataclass(frozen=True)
class StaleGraph:
    """The same code on the lab's X and on an X that requires grad."""

    code: str
    as_in_the_lab: StaleCase
    x_requires_grad: StaleCase


def _saves_w(config: RunConfig, x_requires_grad: bool) -> bool:
    run = live(config)
    X = run.X.requires_grad_() if x_requires_grad else run.X
    node = (X @ run.w).grad_fn
    return getattr(node, "_saved_vec", None) is not None


def _case(config: RunConfig, x_requires_grad: bool) -> StaleCase:
    run = live(config)  # fresh leaves; X and y do not require grad
    if x_requires_grad:
        run.X.requires_grad_()
    grad = None
    with capture(_CODE) as got:
        grad = code.update_then_backward(run.X, run.y, run.w, run.b, config.lr)
    values = None if grad is None else tuple(float(v) for v in grad.detach().cpu().tolist())
    return StaleCase(x_requires_grad, _saves_w(config, x_requires_grad), got.error, values)


def stale_graph(config: RunConfig) -> StaleGraph:
    """Run `pitfall_code.update_then_backward` on the lab's X (no grad), and on fresh tensors again after
    `X.requires_grad_()`."""
    with ONE_AT_A_TIME, silenced(_CODE), torch.inference_mode(False), torch.enable_grad():
        return StaleGraph(
            code=inspect.getsource(code.update_then_backward).rstrip(),
            as_in_the_lab=_case(config, x_requires_grad=False),
            x_requires_grad=_case(config, x_requires_grad=True),
        )
