"""The trace as a table: one row per epoch with its numbers and the observation written from them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gradlab.lesson.observations import observations
from gradlab.runs.trace import Trace

if TYPE_CHECKING:  # pandas is imported only when a table is asked for (it costs ~0.4 s at cold start)
    import pandas as pd


def epoch_table(trace: Trace) -> pd.DataFrame:
    """One row per epoch: epoch, loss, w, b, .grad, gradient norm and the observation written from them."""
    import pandas as pd

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
