"""The trace as a table: one row per epoch with its numbers and the observation written from them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gradlab.lesson.net_observations import net_observations
from gradlab.lesson.observations import observations
from gradlab.runs.trace import Trace

if TYPE_CHECKING:  # pandas is imported only when a table is asked for (it costs ~0.4 s at cold start)
    import pandas as pd


def entry_names(name: str, shape: tuple[int, ...]) -> list[str]:
    """One column name per entry of a parameter, indexed as PyTorch indexes it: "hidden.weight[0, 1]"."""
    return [f"{name}[{', '.join(map(str, i))}]" for i in np.ndindex(*shape)]


def epoch_table(trace: Trace) -> pd.DataFrame:
    """One row per epoch: epoch, loss, the parameters, their .grad, gradient norms and the observation written from
    them. The linear model's columns are w1 … wF, b, w1.grad …, b.grad, grad_norm; the network's are every entry of
    every parameter and of its .grad, ‖p.grad‖ per parameter, and grad_norm over all of them."""
    import pandas as pd

    if trace.config.model == "net":
        return _net_table(trace, pd)
    f = trace.config.n_features
    data: dict[str, np.ndarray | list[str]] = {"epoch": trace.epoch, "loss": trace.loss}
    for j in range(f):
        data[f"w{j + 1}"] = trace.w[:, j]
    data["b"] = trace.b
    for j in range(f):
        data[f"w{j + 1}.grad"] = trace.w_grad[:, j]
    data["b.grad"] = trace.b_grad
    data["grad_norm"] = trace.grad_norm
    data["observation"] = observations(trace)
    return pd.DataFrame(data)


def _net_table(trace: Trace, pd: Any) -> pd.DataFrame:
    e = len(trace)
    data: dict[str, np.ndarray | list[str]] = {"epoch": trace.epoch, "loss": trace.loss}
    for name, values in trace.params.items():
        flat = values.reshape(e, -1)
        data |= {col: flat[:, k] for k, col in enumerate(entry_names(name, values.shape[1:]))}
    for name, values in trace.grads.items():
        flat = values.reshape(e, -1)
        data |= {col: flat[:, k] for k, col in enumerate(entry_names(f"{name}.grad", values.shape[1:]))}
    data |= {f"‖{name}.grad‖": norm for name, norm in trace.grad_norms.items()}
    data["grad_norm"] = trace.grad_norm
    data["observation"] = net_observations(trace)
    return pd.DataFrame(data)
