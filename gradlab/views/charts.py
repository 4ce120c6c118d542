"""Vega-Lite specs of a trace, designed in Altair. Specs stay small (downsampled) and finite.

Each chart's design is built with Altair once per process (and validated then) with *named* data; a
spec for a run is that template plus the run's numbers as plain records. A slider move therefore costs
a list of dicts, not an Altair build.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import altair as alt
import numpy as np

from gradlab.probes.landscape import LandscapeView
from gradlab.runs.trace import Trace, downsample
from gradlab.views.style import FONT, INK, body_px, title_px

MAX_POINTS = 2000  # per series
MAX_ROWS = 4800  # per chart, under Altair's 5,000-row guard
POINTS_UP_TO = 60  # draw a marker on each epoch for short runs

Spec = dict[str, Any]


# Chart text matches the page (gradlab.views.style): the app's font at body size, in the theme's text colour at
# full contrast. The page draws the charts with theme=None, so these settings are the whole theme.


# The chart fills the container's width, and `height` is the plot's own: titles, axes and legends add to it.
# (Streamlit's default for a stretched chart, "fit", squeezes them into `height`: the plot shrank to ~100 px and
# Vega pushed a title out of the top of the picture.)
AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")


def plot_height(height: int, present: bool) -> int:
    """The plot area's height: a fifth taller when projected, where the room reads it from further away."""
    return int(height * 1.2) if present else height


def _style(chart: alt.TopLevelMixin, present: bool) -> alt.TopLevelMixin:
    size = body_px(present)
    return (
        chart.properties(autosize=AUTOSIZE)
        .configure(font=FONT)
        .configure_axis(
            labelFontSize=size,
            titleFontSize=size,
            labelColor=INK,
            titleColor=INK,
            domainColor=INK,
            tickColor=INK,
            titleFontWeight="normal",
            tickCount=6,  # large labels need room: about six an axis, not twelve
        )
        .configure_legend(labelFontSize=size, titleFontSize=size, labelColor=INK, titleColor=INK, orient="bottom")
        .configure_title(fontSize=title_px(present), color=INK)
    )


def _title(text: str, present: bool) -> alt.TitleParams:
    """A title sized on the chart itself."""
    return alt.TitleParams(text, fontSize=title_px(present), anchor="start", color=INK, font=FONT)


def _records(**columns: np.ndarray) -> list[dict[str, float]]:
    """Rows of finite values only (a NaN or inf would break the chart in the browser)."""
    names = list(columns)
    matrix = np.column_stack([np.asarray(columns[n], dtype=float) for n in names]) if names else np.empty((0, 0))
    keep = np.isfinite(matrix).all(axis=1)
    return [dict(zip(names, row, strict=True)) for row in matrix[keep].tolist()]


def _fill(template: Spec, **datasets: list[dict[str, float]]) -> Spec:
    # Only the datasets differ between runs: with an unchanged spec the browser swaps the data into the
    # existing chart instead of rebuilding it, which is most of the cost of a slider move.
    return {**template, "datasets": datasets}


NO_LOG_FOR_ZERO = "linear: a log scale cannot show a loss of 0"
# 0.5, 180, 12000, 1e+10, 2.5e+37: never a 30-character label. The precision is explicit: without one Vega
# derives it from the tick step and writes 180 as "1.8e+2".
_NUMBERS = alt.Axis(format=".6~g")


@lru_cache(maxsize=32)
def _loss_template(log: bool, points: bool, present: bool, marked: bool, zero_note: bool) -> Spec:
    scale = alt.Scale(type="log") if log else alt.Scale(zero=True)
    axis_note = " — log scale" if log else f" — {NO_LOG_FOR_ZERO}" if zero_note else ""
    line = (
        alt.Chart(alt.Data(name="trace"))
        .mark_line(point=points, strokeWidth=3)
        .encode(
            x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1, format="d")),
            # "~g": short labels also for the huge losses a diverging run reaches before float32 overflows
            y=alt.Y("loss:Q", title="loss (MSE)" + axis_note, scale=scale, axis=_NUMBERS),
            tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("loss:Q", format=".6g")],
        )
    )
    layers: list[alt.Chart] = [line]
    if marked:  # only with a point to mark: an empty layer makes Vega warn of an infinite extent in the console
        mark = (
            alt.Chart(alt.Data(name="highlight"))
            .mark_point(size=400, filled=True, color="#d62728")
            .encode(x="epoch:Q", y="loss:Q")
        )
        layers.append(mark)
    chart = alt.layer(*layers).properties(
        height=plot_height(280, present),
        title=_title("Loss per epoch", present),
        description="Line chart of the training loss per epoch" + (" on a log scale" if log else "")
        + (f" ({NO_LOG_FOR_ZERO})" if zero_note else "") + ".",
    )  # fmt: skip
    return _style(chart, present).to_dict()


def loss_spec(trace: Trace, *, log: bool = False, highlight: int | None = None, present: bool = False) -> Spec:
    """Loss per epoch (on a log scale when asked and every loss is above 0), with an optional highlighted epoch."""
    idx = downsample(len(trace), [trace.loss], MAX_POINTS)
    rows = _records(epoch=trace.epoch[idx], loss=trace.loss[idx])
    # A log scale would drop every epoch whose loss is 0 (all of them when training is exact), so the chart
    # stays linear and its axis says why.
    zero_note = log and any(r["loss"] <= 0 for r in rows)
    log = log and not zero_note
    marked: list[dict[str, float]] = []
    if highlight is not None and 1 <= highlight <= len(trace):
        marked = _records(epoch=np.array([highlight]), loss=trace.loss[highlight - 1 : highlight])
    template = _loss_template(log, len(rows) <= POINTS_UP_TO, present, bool(marked), zero_note)
    datasets = {"trace": rows, "highlight": marked} if marked else {"trace": rows}
    return _fill(template, **datasets)


@lru_cache(maxsize=32)
def _series_template(title: str, ytitle: str, names: tuple[str, ...], points: bool, present: bool) -> Spec:
    chart = (
        alt.Chart(alt.Data(name="series"))
        .mark_line(point=points, strokeWidth=3)
        .encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("value:Q", title=ytitle, axis=_NUMBERS),
            color=alt.Color("tensor:N", title=None, scale=alt.Scale(domain=list(names), scheme="dark2")),
            strokeDash=alt.StrokeDash("tensor:N", title=None, scale=alt.Scale(domain=list(names))),
            tooltip=["epoch:Q", "tensor:N", alt.Tooltip("value:Q", format=".6g")],
        )
        .properties(
            height=plot_height(250, present),
            title=_title(title, present),
            description=f"{title}: one line per tensor ({', '.join(names)}).",
        )
    )
    return _style(chart, present).to_dict()


def _series_spec(trace: Trace, kind: str, present: bool) -> Spec:
    f = trace.config.n_features
    if kind == "params":
        cols = {f"w{j + 1}": trace.w[:, j] for j in range(f)} | {"b": trace.b}
        title, ytitle = "Weights and bias per epoch", "value"
    else:
        cols = {f"w{j + 1}.grad": trace.w_grad[:, j] for j in range(f)} | {"b.grad": trace.b_grad}
        title, ytitle = ".grad per epoch (after backward)", ".grad"
    idx = downsample(len(trace), list(cols.values()), min(MAX_POINTS, MAX_ROWS // len(cols)))
    epochs = trace.epoch[idx].tolist()
    rows = [
        {"epoch": e, "tensor": name, "value": v}
        for name, values in cols.items()
        for e, v in zip(epochs, values[idx].tolist(), strict=True)
        if np.isfinite(v)
    ]
    template = _series_template(title, ytitle, tuple(cols), len(idx) <= POINTS_UP_TO, present)
    return _fill(template, series=rows)


def params_spec(trace: Trace, *, present: bool = False) -> Spec:
    """w and b per epoch."""
    return _series_spec(trace, "params", present)


def grads_spec(trace: Trace, *, present: bool = False) -> Spec:
    """w.grad and b.grad per epoch."""
    return _series_spec(trace, "grads", present)


# The landscape's plot height: with its title, axis and the slider above it, one screen of 1280×720 when projected.
LANDSCAPE_PLOT_PX = {False: 380, True: 400}


@lru_cache(maxsize=8)
def _landscape_template(present: bool, arrow: bool) -> Spec:
    heat = (
        alt.Chart(alt.Data(name="heat"))
        .mark_rect()
        .encode(
            x=alt.X("w1:Q", title="w1", scale=alt.Scale(zero=False, nice=False)),
            x2="w1_end:Q",
            y=alt.Y("w2:Q", title="w2", scale=alt.Scale(zero=False, nice=False)),
            y2="w2_end:Q",
            # The colour bar stands at the right: below the plot it would make the chart taller than one projected
            # screen can hold together with the epoch slider above it (1280×720, presentation mode).
            color=alt.Color(
                "log10 loss:Q",
                scale=alt.Scale(scheme="viridis"),
                title="log10(loss)",
                legend=alt.Legend(orient="right", direction="vertical", gradientLength=LANDSCAPE_PLOT_PX[present] - 60),
            ),
            tooltip=[
                alt.Tooltip("w1:Q", format=".3f"),
                alt.Tooltip("w2:Q", format=".3f"),
                alt.Tooltip("loss:Q", format=".4g"),
            ],
        )
    )
    path = (
        alt.Chart(alt.Data(name="path"))
        .mark_line(point=True, color="white", strokeWidth=2)
        .encode(x="w1:Q", y="w2:Q", order="epoch:Q", tooltip=["epoch:Q", "w1:Q", "w2:Q"])
    )
    rule = (
        alt.Chart(alt.Data(name="arrow"))
        .mark_rule(color="#ff4b4b", strokeWidth=4)
        .encode(x="x:Q", y="y:Q", x2="x2:Q", y2="y2:Q")
    )
    head = (
        alt.Chart(alt.Data(name="arrow"))
        .mark_point(shape="triangle", size=300, filled=True, color="#ff4b4b")
        .encode(x="x2:Q", y="y2:Q")
    )
    # The arrow's layers only with an arrow to draw: an empty layer makes Vega warn of an infinite extent.
    chart = alt.layer(heat, path, *((rule, head) if arrow else ())).properties(
        height=LANDSCAPE_PLOT_PX[present],
        title=_title("Loss landscape over (w1, w2), b fixed", present),
        description="Heatmap of the loss over the two weights with the bias fixed; a white line shows the training "
        + ("path and a red arrow points along minus .grad, the direction of the update." if arrow else "path."),
    )
    return _style(chart, present).to_dict()


def landscape_spec(view: LandscapeView, *, present: bool = False) -> Spec:
    """Heatmap of log10(loss) over (w1, w2), the training path, and the −.grad arrow at the current point."""
    g = view.grid
    w1s, w2s = np.unique(g.w1), np.unique(g.w2)
    step1 = float(np.diff(w1s)[0]) if len(w1s) > 1 else 1.0
    step2 = float(np.diff(w2s)[0]) if len(w2s) > 1 else 1.0
    heat = _records(
        w1=g.w1, w2=g.w2, w1_end=g.w1 + step1, w2_end=g.w2 + step2, loss=g.loss,
        **{"log10 loss": np.log10(np.maximum(g.loss, 1e-12))},
    )  # fmt: skip
    idx = downsample(len(view.path_epoch), [view.path_w1, view.path_w2], 500, head=50)
    path = _records(epoch=view.path_epoch[idx], w1=view.path_w1[idx], w2=view.path_w2[idx])
    arrow: list[dict[str, float]] = []
    if view.arrow is not None:
        x, y, x2, y2 = view.arrow
        arrow = _records(x=np.array([x]), y=np.array([y]), x2=np.array([x2]), y2=np.array([y2]))
    if not arrow:
        return _fill(_landscape_template(present, arrow=False), heat=heat, path=path)
    return _fill(_landscape_template(present, arrow=True), heat=heat, path=path, arrow=arrow)


@lru_cache(maxsize=32)
def _loss_upto_template(total: int, present: bool) -> Spec:
    line = (
        alt.Chart(alt.Data(name="trace"))
        .mark_line(point=True, strokeWidth=3)
        .encode(
            x=alt.X(
                "epoch:Q",
                title="epoch",
                axis=alt.Axis(tickMinStep=1, format="d"),
                scale=alt.Scale(domain=[1, max(total, 2)]),
            ),
            y=alt.Y("loss:Q", title="loss (MSE)", scale=alt.Scale(zero=True)),
            tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("loss:Q", format=".6g")],
        )
    )
    chart = line.properties(
        height=plot_height(280, present),
        title=_title("Loss of the epochs run so far", present),
        description="Line chart of the loss of each epoch stepped through so far.",
    )
    return _style(chart, present).to_dict()


def loss_upto_spec(trace: Trace, upto: int, *, present: bool = False) -> Spec:
    """The loss of epochs 1…`upto` only, on an axis that already spans the whole run."""
    upto = max(0, min(upto, len(trace)))
    idx = downsample(upto, [trace.loss[:upto]], MAX_POINTS)
    rows = _records(epoch=trace.epoch[idx], loss=trace.loss[idx]) if upto else []
    return _fill(_loss_upto_template(min(len(trace), trace.config.epochs), present), trace=rows)
