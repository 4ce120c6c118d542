"""Vega-Lite specs of a network run: each parameter's gradient norm per epoch, and the hidden units' tanh slope.

The loss chart is `gradlab.views.charts.loss_spec`, which draws either model's trace. These follow the same
design as `gradlab.views.charts` (templates built with Altair once per process, a run's numbers as named data,
downsampled, finite), in the same style.
"""

from __future__ import annotations

from functools import lru_cache

import altair as alt
import numpy as np

from gradlab.runs.trace import Trace, downsample
from gradlab.views.charts import (
    MAX_POINTS,
    MAX_ROWS,
    POINTS_UP_TO,
    Spec,
    _fill,
    _style,
    _title,
    plot_height,
)
from gradlab.views.style import INK

_NUMBERS = alt.Axis(format=".3~g")
_LEGEND = alt.Legend(columns=2, labelLimit=0, symbolStrokeWidth=3)
NO_LOG_FOR_ZERO_NORM = "linear: a log scale cannot show a norm of 0"


@lru_cache(maxsize=32)
def _lines_template(
    title: str, ytitle: str, names: tuple[str, ...], log: bool, points: bool, present: bool, rule: float | None
) -> Spec:
    scale = alt.Scale(type="log") if log else alt.Scale(zero=True)
    lines = (
        alt.Chart(alt.Data(name="series"))
        .mark_line(point=points, strokeWidth=3)
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("value:Q", title=ytitle, scale=scale, axis=_NUMBERS),
            # Two legend columns and no label cut: four parameter names fit half a page's width.
            color=alt.Color(
                "series:N", title=None, scale=alt.Scale(domain=list(names), scheme="dark2"), legend=_LEGEND
            ),
            strokeDash=alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=list(names)), legend=_LEGEND),
            tooltip=["epoch:Q", "series:N", alt.Tooltip("value:Q", format=".6g")],
        )
    )
    layers: list[alt.Chart] = [lines]
    if rule is not None:  # a threshold line, labelled in the description
        layers.append(alt.Chart(alt.Data(values=[{"y": rule}])).mark_rule(color=INK, strokeDash=[2, 4]).encode(y="y:Q"))
    chart = alt.layer(*layers).properties(
        height=plot_height(250, present),
        title=_title(title, present),
        description=f"{title}: one line per series ({', '.join(names)})"
        + (f", and a dotted line at {rule:g}" if rule is not None else "")
        + ("; log scale." if log else "."),
    )
    return _style(chart, present).to_dict()


def _series(trace: Trace, cols: dict[str, np.ndarray]) -> tuple[list[dict[str, object]], int]:
    idx = downsample(len(trace), list(cols.values()), min(MAX_POINTS, MAX_ROWS // max(len(cols), 1)))
    epochs = trace.epoch[idx].tolist()
    rows: list[dict[str, object]] = [
        {"epoch": e, "series": name, "value": v}
        for name, values in cols.items()
        for e, v in zip(epochs, values[idx].tolist(), strict=True)
        if np.isfinite(v)
    ]
    return rows, len(idx)


def grad_norms_spec(trace: Trace, *, log: bool = False, present: bool = False) -> Spec:
    """‖p.grad‖₂ of each parameter per epoch (either model; a log scale when asked and every norm is above 0)."""
    cols = {f"‖{name}.grad‖": norm for name, norm in trace.grad_norms.items()}
    rows, points = _series(trace, cols)
    zero = log and any(float(r["value"]) <= 0 for r in rows)  # type: ignore[arg-type]
    ytitle = "‖.grad‖₂" + (" — log scale" if log and not zero else f" — {NO_LOG_FOR_ZERO_NORM}" if zero else "")
    template = _lines_template(
        "Gradient norm of each parameter per epoch", ytitle, tuple(cols), log and not zero, points <= POINTS_UP_TO,
        present, None,
    )  # fmt: skip
    return _fill(template, series=rows)  # type: ignore[arg-type]


def tanh_slope_spec(trace: Trace, *, threshold: float | None = None, present: bool = False) -> Spec:
    """The mean over samples of tanh's slope 1 − h² per hidden unit per epoch (the network only): near 0, the unit
    is saturated and passes little gradient on. `threshold` draws a dotted line (e.g. net_saturation.SATURATED)."""
    if trace.hidden is None:
        raise ValueError("trace: a run of the linear model, which has no hidden units")
    slope = trace.hidden.tanh_slope_mean
    cols = {f"h[:, {j}]": slope[:, j] for j in range(slope.shape[1])}
    rows, points = _series(trace, cols)
    template = _lines_template(
        "Mean of 1 − h² per hidden unit per epoch", "mean over samples of 1 − h²", tuple(cols), False,
        points <= POINTS_UP_TO, present, threshold,
    )  # fmt: skip
    return _fill(template, series=rows)  # type: ignore[arg-type]
