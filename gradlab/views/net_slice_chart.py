"""The network's loss slice as a Vega-Lite heatmap: log10(loss) over two named parameter entries, the epoch's point."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np

from gradlab.probes.net_slice import NetSlice
from gradlab.views.charts import LANDSCAPE_PLOT_PX, _records, _style
from gradlab.views.style import FONT, INK, body_px, title_px

Spec = dict[str, Any]


def net_slice_spec(s: NetSlice, *, present: bool = False) -> Spec:
    """Heatmap of log10(loss) over (a, b) with the other entries at epoch `s.epoch`'s values, and that epoch's point."""
    la, lb = s.labels
    heat = _records(
        a=s.a, b=s.b, a_end=s.a + s.step[0], b_end=s.b + s.step[1], loss=s.loss,
        log=np.log10(np.maximum(s.loss, 1e-12)),
    )  # fmt: skip
    point = _records(a=np.array([s.at[0]]), b=np.array([s.at[1]]))
    rect = (
        alt.Chart(alt.Data(values=heat))
        .mark_rect()
        .encode(
            x=alt.X("a:Q", title=la, scale=alt.Scale(zero=False, nice=False)),
            x2="a_end:Q",
            y=alt.Y("b:Q", title=lb, scale=alt.Scale(zero=False, nice=False)),
            y2="b_end:Q",
            color=alt.Color(
                "log:Q",
                scale=alt.Scale(scheme="viridis"),
                title="log10(loss)",
                legend=alt.Legend(orient="right", direction="vertical", gradientLength=LANDSCAPE_PLOT_PX[present] - 60),
            ),
            tooltip=[alt.Tooltip("a:Q", title=la, format=".3f"), alt.Tooltip("b:Q", title=lb, format=".3f"),
                     alt.Tooltip("loss:Q", format=".4g")],
        )
    )  # fmt: skip
    dot = alt.Chart(alt.Data(values=point)).mark_point(shape="circle", size=160, filled=True, color="white")
    chart = alt.layer(rect, dot.encode(x="a:Q", y="b:Q")).properties(
        height=LANDSCAPE_PLOT_PX[present],
        title=alt.TitleParams(
            f"Loss over {la} and {lb}",
            subtitle=f"the other {s.held} entries at epoch {s.epoch}'s values",
            fontSize=title_px(present),
            subtitleFontSize=body_px(present),
            subtitleColor=INK,
            anchor="start",
            color=INK,
            font=FONT,
            subtitleFont=FONT,
        ),
        description=f"Heatmap of the network's loss over {la} and {lb} with the other {s.held} parameter entries "
        f"held at epoch {s.epoch}'s values; a white dot marks epoch {s.epoch}'s point.",
    )
    return _style(chart, present).to_dict()
