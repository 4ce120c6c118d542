"""Altair charts of a trace. Specs stay small (downsampled) and finite (no NaN/Infinity)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from gradlab.landscape import LossGrid
from gradlab.trace import Trace, downsample

MAX_POINTS = 2000  # per series
MAX_ROWS = 4800  # per chart, under Altair's 5,000-row guard


def _style(chart: alt.Chart | alt.LayerChart, big: bool) -> alt.Chart | alt.LayerChart:
    size = 20 if big else 13
    return (
        chart.configure_axis(labelFontSize=size, titleFontSize=size + 2)
        .configure_legend(labelFontSize=size, titleFontSize=size + 1, orient="bottom")
        .configure_title(fontSize=size + 4)
    )


def _finite(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df[np.isfinite(df[cols].to_numpy(dtype=float)).all(axis=1)]


def loss_chart(trace: Trace, *, log: bool = False, highlight: int | None = None, big: bool = False) -> alt.LayerChart:
    """Loss per epoch (optionally on a log scale), with an optional highlighted epoch."""
    idx = downsample(len(trace), [trace.loss], MAX_POINTS)
    df = _finite(pd.DataFrame({"epoch": trace.epoch[idx], "loss": trace.loss[idx]}), ["loss"])
    if log:
        df = df[df["loss"] > 0]  # a log scale has no place for 0
    scale = alt.Scale(type="log") if log else alt.Scale(zero=True)
    base = alt.Chart(df).encode(
        x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("loss:Q", title="loss (MSE)" + (" — log scale" if log else ""), scale=scale),
        tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("loss:Q", format=".6g")],
    )
    layers = [base.mark_line(point=len(df) <= 60, strokeWidth=3)]
    if highlight is not None and 1 <= highlight <= len(trace) and np.isfinite(trace.loss[highlight - 1]):
        hl = pd.DataFrame({"epoch": [highlight], "loss": [float(trace.loss[highlight - 1])]})
        layers.append(alt.Chart(hl).mark_point(size=400, filled=True, color="#d62728").encode(x="epoch:Q", y="loss:Q"))
    chart = alt.layer(*layers).properties(
        height=360,
        title="Loss per epoch",
        description=(
            f"Line chart of the loss over {len(trace)} epochs, from {trace.start_loss:.4g} to {trace.end_loss:.4g}."
        ),
    )
    return _style(chart, big)


def _series_chart(trace: Trace, kind: str, big: bool) -> alt.Chart:
    f = trace.config.n_features
    if kind == "params":
        cols = {f"w{j + 1}": trace.w[:, j] for j in range(f)} | {"b": trace.b}
        title, ytitle = "Weights and bias per epoch", "value"
    else:
        cols = {f"w{j + 1}.grad": trace.w_grad[:, j] for j in range(f)} | {"b.grad": trace.b_grad}
        title, ytitle = ".grad per epoch (after backward)", ".grad"
    idx = downsample(len(trace), list(cols.values()), min(MAX_POINTS, MAX_ROWS // len(cols)))
    wide = _finite(pd.DataFrame({"epoch": trace.epoch[idx]} | {k: v[idx] for k, v in cols.items()}), list(cols))
    long = wide.melt("epoch", var_name="tensor", value_name="value")
    chart = (
        alt.Chart(long)
        .mark_line(point=len(wide) <= 60, strokeWidth=3)
        .encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("value:Q", title=ytitle),
            color=alt.Color("tensor:N", title=None, scale=alt.Scale(scheme="dark2")),
            strokeDash=alt.StrokeDash("tensor:N", title=None),
            tooltip=["epoch:Q", "tensor:N", alt.Tooltip("value:Q", format=".6g")],
        )
        .properties(
            height=320,
            title=title,
            description=f"{title}: one line per tensor ({', '.join(cols)}) over {len(trace)} epochs.",
        )
    )
    return _style(chart, big)


def params_chart(trace: Trace, *, big: bool = False) -> alt.Chart:
    """w and b per epoch."""
    return _series_chart(trace, "params", big)


def grads_chart(trace: Trace, *, big: bool = False) -> alt.Chart:
    """w.grad and b.grad per epoch."""
    return _series_chart(trace, "grads", big)


def landscape_chart(
    grid: LossGrid,
    path: pd.DataFrame,
    arrow: tuple[float, float, float, float] | None,
    *,
    big: bool = False,
) -> alt.LayerChart:
    """Heatmap of log10(loss) over (w1, w2), the training path, and the −.grad arrow at the current point."""
    heat = pd.DataFrame({"w1": grid.w1, "w2": grid.w2, "loss": grid.loss})
    heat["log10 loss"] = np.log10(np.maximum(heat["loss"], 1e-12))
    step1 = float(np.diff(np.unique(grid.w1))[0]) if len(np.unique(grid.w1)) > 1 else 1.0
    step2 = float(np.diff(np.unique(grid.w2))[0]) if len(np.unique(grid.w2)) > 1 else 1.0
    heat["w1_end"], heat["w2_end"] = heat["w1"] + step1, heat["w2"] + step2
    layers: list[alt.Chart] = [
        alt.Chart(heat)
        .mark_rect()
        .encode(
            x=alt.X("w1:Q", title="w1", scale=alt.Scale(zero=False, nice=False)),
            x2="w1_end:Q",
            y=alt.Y("w2:Q", title="w2", scale=alt.Scale(zero=False, nice=False)),
            y2="w2_end:Q",
            color=alt.Color("log10 loss:Q", scale=alt.Scale(scheme="viridis"), title="log10(loss)"),
            tooltip=[
                alt.Tooltip("w1:Q", format=".3f"),
                alt.Tooltip("w2:Q", format=".3f"),
                alt.Tooltip("loss:Q", format=".4g"),
            ],
        )
    ]
    path = _finite(path, ["w1", "w2"])
    path = path.iloc[downsample(len(path), [path["w1"].to_numpy(), path["w2"].to_numpy()], 500, head=50)]
    if len(path):
        layers.append(
            alt.Chart(path)
            .mark_line(point=True, color="white", strokeWidth=2)
            .encode(x="w1:Q", y="w2:Q", order="epoch:Q", tooltip=["epoch:Q", "w1:Q", "w2:Q"])
        )
    if arrow is not None and all(np.isfinite(arrow)):
        a = pd.DataFrame({"x": [arrow[0]], "y": [arrow[1]], "x2": [arrow[2]], "y2": [arrow[3]]})
        layers.append(
            alt.Chart(a).mark_rule(color="#ff4b4b", strokeWidth=4).encode(x="x:Q", y="y:Q", x2="x2:Q", y2="y2:Q")
        )
        layers.append(
            alt.Chart(a).mark_point(shape="triangle", size=300, filled=True, color="#ff4b4b").encode(x="x2:Q", y="y2:Q")
        )
    chart = alt.layer(*layers).properties(
        height=460,
        title=f"Loss landscape over (w1, w2), b = {grid.b:.4g}",
        description=(
            "Heatmap of the loss over the two weights with the bias fixed; a white line shows the training path "
            "and a red arrow points along minus the gradient, downhill."
        ),
    )
    return _style(chart, big)
