"""Nudge a weight: the real new loss beside loss + .grad·Δ, and the tangent line on a slice of the loss."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import streamlit as st

from gradlab.fmt import num, prose, signed
from gradlab.probes.nudge import DEFAULT_DELTA, DELTAS, explain
from gradlab.settings.config import RunConfig
from gradlab.views.slope_chart import slope_spec
from ui.cache import get_nudge

LEAD_IN = (
    "Each entry of `.grad` is the slope of the loss along one parameter at these weights. Move one parameter by Δ "
    "and compare the real new loss with what that slope alone predicts, loss + `.grad`·Δ."
)

# Projected, the four numbers are the point of the panel: larger than the page's other metrics (static CSS), and
# growing with the window like them (ui/present.css).
_BIG_METRICS = (
    "<style>.st-key-{key}_metrics [data-testid='stMetricValue'], .st-key-{key}_metrics [data-testid='stMetricValue'] * "
    "{{font-size: clamp(2.5rem, 3.1vw, 3.6rem) !important;}}</style>"
)
# Each number's width in a normal window: the miss, which can read +9.8114e-05, gets the most room.
_WIDTHS = (165, 185, 205, 235)


def nudge_section(config: RunConfig, *, present: bool = False) -> None:
    """The Data Flow section: a heading, one sentence of lead-in, and the nudge panel at the config's start."""
    with st.container(border=True, key="nudge_section"):
        st.header("What the number means: nudge a weight")
        st.markdown(LEAD_IN)
        nudge_panel(config, present=present)


def nudge_panel(
    config: RunConfig,
    w: Sequence[float] | None = None,
    b: float | None = None,
    *,
    present: bool = False,
    key: str = "nudge",
) -> None:
    """Controls for a parameter and Δ from the point (w, b) (the config's start by default), and the result.

    `key` prefixes the widget keys, so the panel can appear on several pages or twice on one.
    """
    point_w = tuple(float(v) for v in (config.w0 if w is None else w))
    point_b = float(config.b0 if b is None else b)
    names = config.param_names
    # The controls beside the chart they move, the numbers right under both: a projector (1280×720) shows the Δ
    # slider, the chart and the four numbers on one screen. The chart's caption fills the room under the controls.
    controls, picture = st.columns([1, 2], gap="medium")
    with controls:
        param = st.segmented_control("Parameter to nudge", names, default=names[0], required=True, key=f"{key}_param")
        delta = st.select_slider(
            "Δ, the step added to it", DELTAS, value=DEFAULT_DELTA, format_func=signed, key=f"{key}_delta"
        )
    try:
        n = get_nudge(config, point_w, point_b, str(param), float(delta))
    except ValueError as err:  # a point outside what the lesson accepts, e.g. a diverged run's weights
        st.info(f"No nudge at this point: {err}", icon=":material/info:")
        return
    if n.finite:
        with picture:
            st.vega_lite_chart(slope_spec(n, present=present), width="stretch")  # the spec's description names it
        with controls:
            st.caption(
                f"The blue curve is the real loss along {n.param}, each point a float32 forward pass with the other "
                f"parameters fixed. The dashed line touches it at the current point with slope `.grad` = "
                f"{prose(n.grad)}; the red bar is the miss."
            )
    if present:
        st.markdown(_BIG_METRICS.format(key=key), unsafe_allow_html=True)
    # A row of four: fixed widths that wrap in a narrow window; projected, four equal shares of the page's width.
    widths: tuple[int | Literal["stretch"], ...] = ("stretch",) * 4 if present else _WIDTHS
    with st.container(horizontal=True, key=f"{key}_metrics", gap="small"):
        st.metric("loss now", num(n.loss), width=widths[0])
        _changed("real new loss", n.new_loss, n.real_change, widths[1])
        _changed("estimate: loss + .grad·Δ", n.estimate, n.estimate_change, widths[2])
        st.metric("miss: real − estimate", signed(n.error) if n.finite else num(n.error), width=widths[3])
    st.markdown("\n\n".join(explain(n)))


def _changed(label: str, value: float, change: float, width: int | Literal["stretch"]) -> None:
    """A metric with its change as the delta: signed, an arrow from the sign, no good/bad colour."""
    arrow: Literal["up", "down", "off"] = "up" if change > 0 else "down" if change < 0 else "off"
    st.metric(label, num(value), width=width, delta=signed(change), delta_color="off", delta_arrow=arrow)
