"""Vega-Lite spec of a nudge: the loss along one parameter, its tangent line, and the three points.

Built like `gradlab.views.charts`: the design is made with Altair once per (parameter, size) with named data, and a
run only swaps in its numbers. Axis and legend text is full-contrast and at least body size, set on the
encodings themselves so Streamlit's theme (grey, smaller) does not replace it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import altair as alt
import numpy as np

from gradlab.probes.nudge import Nudge
from gradlab.views.style import INK, body_px, title_px

Spec = dict[str, Any]
CURVE, TANGENT, NOW, REAL, ESTIMATE, MISS = "#1d4ed8", "#c2410c", INK, "#1d4ed8", "#c2410c", "#dc2626"
LINES = ("loss (real forward passes)", "tangent line: slope = .grad")
POINTS = ("current point", "real loss after the nudge", "estimate: loss + .grad·Δ")


def _axis(title: str, present: bool) -> alt.Axis:
    size = body_px(present)
    return alt.Axis(
        title=title, labelFontSize=size, titleFontSize=size, labelColor=INK, titleColor=INK,
        titleFontWeight="bold", tickCount=6,
    )  # fmt: skip


def _legend(present: bool, **extra: Any) -> alt.Legend:
    return alt.Legend(
        title=None, orient="bottom", direction="vertical", labelFontSize=body_px(present), labelColor=INK, labelLimit=0,
        symbolSize=300 if present else 200, symbolStrokeWidth=3, columnPadding=24, **extra,
    )  # fmt: skip


@lru_cache(maxsize=16)
def _template(param: str, present: bool) -> Spec:
    along = _axis(f"{param} (the other parameters fixed)", present)
    x = alt.X("x:Q", axis=along, scale=alt.Scale(zero=False, nice=False))
    y = alt.Y("loss:Q", axis=_axis("loss", present), scale=alt.Scale(zero=False))
    # Lines and points get a legend each: lines drawn as strokes (the tangent dashed), points as their markers.
    line_scale = alt.Scale(domain=list(LINES), range=[CURVE, TANGENT])
    lines = (
        alt.Chart(alt.Data(name="lines"))
        .mark_line(strokeWidth=4)
        .encode(
            x=x,
            y=y,
            color=alt.Color("line:N", scale=line_scale, legend=_legend(present, symbolType="stroke")),
            strokeDash=alt.StrokeDash("line:N", scale=alt.Scale(domain=list(LINES), range=[[1, 0], [10, 6]])),
            detail="line:N",
        )
    )
    miss = (
        alt.Chart(alt.Data(name="miss"))
        .mark_rule(strokeWidth=4, color=MISS)
        .encode(x=x, y=y, y2="loss2:Q", tooltip=[alt.Tooltip("gap:Q", title="real − estimate", format=".6g")])
    )
    points = (
        alt.Chart(alt.Data(name="points"))
        .mark_point(filled=True, size=360 if present else 220, opacity=1, stroke="white", strokeWidth=1.5)
        .encode(
            x=x,
            y=y,
            color=alt.Color("point:N", scale=alt.Scale(domain=list(POINTS), range=[NOW, REAL, ESTIMATE]),
                            legend=_legend(present)),
            shape=alt.Shape("point:N", scale=alt.Scale(domain=list(POINTS), range=["circle", "diamond", "square"])),
            tooltip=[alt.Tooltip("point:N"), alt.Tooltip("x:Q", title=param, format=".6g"),
                     alt.Tooltip("loss:Q", format=".6g")],
        )
    )  # fmt: skip
    chart = (
        alt.layer(lines, points, miss)
        .resolve_scale(color="independent", strokeDash="independent", shape="independent")
        .resolve_legend(color="independent", strokeDash="independent", shape="independent")
        .properties(
            height=300 if present else 280,  # beside its controls, with room for the numbers below
            title=alt.TitleParams(f"Loss along {param}", fontSize=title_px(present), anchor="start", color=INK),
            description=(
                f"Line chart of the loss as {param} changes with the other parameters fixed, the tangent line at the "
                "current point whose slope is .grad, and the current point, the real loss after the nudge and the "
                "tangent's estimate; a red bar marks how far the estimate misses."
            ),
        )
    )
    # Streamlit's theme fits title, axes and legends into `height`; the plot itself should get all of it.
    return {**chart.to_dict(), "autosize": {"type": "fit-x", "contains": "padding"}}


def _rows(**columns: Any) -> list[dict[str, Any]]:
    """Records with finite numbers only (a NaN or inf would break the chart in the browser)."""
    names = list(columns)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    return [r for r in rows if all(np.isfinite(v) for v in r.values() if isinstance(v, float))]


def slope_spec(n: Nudge, *, present: bool = False) -> Spec:
    """The loss along the nudged parameter, the tangent at the current point, and the three points."""
    xs = np.asarray(n.slice_x)
    ends = np.array([xs.min(), xs.max()])
    tangent = n.loss + n.grad * (ends - n.value)
    lines = _rows(x=xs.tolist(), loss=list(n.slice_loss), line=[LINES[0]] * len(xs))
    lines += _rows(x=ends.tolist(), loss=tangent.tolist(), line=[LINES[1]] * 2)
    # Drawn in this order: the real loss last, on top, where a small miss puts the estimate right under it.
    points = _rows(
        x=[n.value, n.new_value, n.new_value],
        loss=[n.loss, n.estimate, n.new_loss],
        point=[POINTS[0], POINTS[2], POINTS[1]],
    )
    miss = _rows(x=[n.new_value], loss=[n.estimate], loss2=[n.new_loss], gap=[n.error])
    return {**_template(n.param, present), "datasets": {"lines": lines, "miss": miss, "points": points}}
