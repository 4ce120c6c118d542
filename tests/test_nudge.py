"""Nudge a weight: real new loss vs loss + .grad·Δ, checked against float64 algebra; the panel through AppTest."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from gradlab.fmt import num, prose, signed, together
from gradlab.probes.nudge import DELTAS, explain, nudge
from gradlab.settings.config import RunConfig
from gradlab.views.slope_chart import LINES, POINTS, slope_spec
from gradlab.views.style import INK
from tests.apptest import assert_specs_finite, chart_specs, open_page, text_of
from tests.strategies import points

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CARD = RunConfig()


def loss64(cfg: RunConfig, theta: np.ndarray) -> float:
    """MSE in float64 at [w, b], with the data as float32 holds it."""
    X, y = np.asarray(cfg.X, np.float32).astype(float), np.asarray(cfg.y, np.float32).astype(float)
    return float(np.mean((X @ theta[:-1] + theta[-1] - y) ** 2))


def analytic(cfg: RunConfig, theta: np.ndarray, j: int) -> tuple[float, float]:
    """∂L/∂θj = 2/N·Σ r·aj and ∂²L/∂θj² = 2/N·Σ aj², with a = [X | 1]."""
    X, y = np.asarray(cfg.X, np.float32).astype(float), np.asarray(cfg.y, np.float32).astype(float)
    A = np.column_stack([X, np.ones(len(X))])
    r = A @ theta - y
    return float(2 * np.mean(r * A[:, j])), float(2 * np.mean(A[:, j] ** 2))


def test_card_w1_plus_one_changes_the_loss_by_minus_30_not_minus_37_5():
    n = nudge(CARD, CARD.w0, CARD.b0, "w1", 1.0)
    assert (n.loss, n.grad, n.new_loss, n.estimate) == (47.25, -37.5, 17.25, 9.75)
    assert (n.real_change, n.estimate_change, n.error, n.curvature, n.quadratic) == (-30.0, -37.5, 7.5, 15.0, 7.5)
    text = " ".join(explain(n))
    assert "a change of **−30**" in text and "**−37.5**" in text
    assert "½ × 15 × (+1)² = 7.5" in text and "off by **+7.5**" in text


@pytest.mark.parametrize("param", ["w1", "w2", "b"])
@pytest.mark.parametrize("delta", DELTAS, ids=lambda d: f"delta{d:+g}")
def test_card_numbers_match_float64_algebra(param, delta):
    n = nudge(CARD, CARD.w0, CARD.b0, param, delta)
    j = CARD.param_names.index(param)
    theta = np.array([*CARD.w0, CARD.b0])
    grad, curv = analytic(CARD, theta, j)
    moved = theta.copy()
    moved[j] += delta
    assert n.grad == pytest.approx(grad, rel=1e-6)
    assert n.curvature == pytest.approx(curv, rel=1e-6)
    assert n.new_loss == pytest.approx(loss64(CARD, moved), rel=1e-6, abs=1e-6)
    assert n.explained
    assert n.error == pytest.approx(0.5 * curv * delta**2, abs=max(n.rounding, 1e-6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points(), st.sampled_from(DELTAS), st.data())
def test_any_point_grad_curvature_and_new_loss_agree_with_finite_differences(point, delta, data):
    cfg, w, b = point
    param = data.draw(st.sampled_from(cfg.param_names))
    n = nudge(cfg, w, b, param, delta)
    j = cfg.param_names.index(param)
    theta = np.array([*np.asarray(w, np.float32), np.float32(b)], dtype=float)
    h = 1e-4
    up, down = theta.copy(), theta.copy()
    up[j] += h
    down[j] -= h
    fd = (loss64(cfg, up) - loss64(cfg, down)) / (2 * h)
    fd2 = (loss64(cfg, up) - 2 * loss64(cfg, theta) + loss64(cfg, down)) / h**2
    scale = 1 + abs(n.loss)
    assert n.grad == pytest.approx(fd, rel=1e-4, abs=1e-4 * scale)
    assert n.curvature == pytest.approx(fd2, rel=1e-3, abs=1e-3 * scale)
    moved = theta.copy()
    moved[j] += delta
    assert n.new_loss == pytest.approx(loss64(cfg, moved), rel=1e-5, abs=1e-5 * scale)
    assert n.explained  # real − estimate is ½·curvature·Δ² up to the measured float32 rounding
    xs = np.asarray(n.slice_x)
    assert xs.min() <= n.value <= xs.max() and xs.min() <= n.new_value <= xs.max()


def test_text_is_derived_from_the_numbers_and_changes_with_the_point():
    a = nudge(CARD, CARD.w0, CARD.b0, "w2", -0.5)
    b = nudge(CARD, (1.0, 0.25), 0.5, "w2", -0.5)
    for n in (a, b):
        text = " ".join(explain(n))
        for value in (n.new_loss, n.loss, n.estimate):
            assert prose(value) in text
        assert signed(n.real_change) in text and signed(n.estimate_change) in text and signed(n.error) in text
    assert (a.loss, a.grad, a.new_loss, a.estimate, a.error) != (b.loss, b.grad, b.new_loss, b.estimate, b.error)


def test_a_miss_below_float32_rounding_is_not_called_the_curvature():
    # One feature near 1000 makes the loss large, so ½·c·Δ² along the small feature drowns in float32 rounding.
    cfg = RunConfig(X=((1000.0, 2.0), (2.0, 3.0)), y=(1.0, 2.0), w0=(0.1, 0.2))
    n = nudge(cfg, cfg.w0, cfg.b0, "w2", 0.01)
    assert abs(n.quadratic) <= n.rounding
    text = " ".join(explain(n))
    assert "no larger than the float32 rounding" in text and "parabola" not in text


def test_a_feature_of_zeros_gives_a_flat_direction_and_an_exact_estimate():
    cfg = RunConfig(X=((0.0, 1.0), (0.0, 2.0)), y=(1.0, 2.0), w0=(0.3, 0.2))
    n = nudge(cfg, cfg.w0, cfg.b0, "w1", 1.0)
    assert n.curvature == 0 and n.grad == 0 and n.error == 0
    assert "straight line" in " ".join(explain(n))


@pytest.mark.parametrize(
    ("param", "delta", "message"),
    [("w3", 1.0, "param: 'w3'"), ("w1", float("nan"), "delta: nan"), ("w1", 1e7, "w0[0]")],
)
def test_bad_input_names_the_problem(param, delta, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        nudge(CARD, CARD.w0, CARD.b0, param, delta)


@pytest.mark.parametrize("present", [False, True], ids=["normal", "present"])
def test_chart_spec_is_finite_readable_and_carries_the_numbers(present):
    n = nudge(CARD, CARD.w0, CARD.b0, "w1", 1.0)
    spec = slope_spec(n, present=present)
    text = json.dumps(spec)
    assert "NaN" not in text and "Infinity" not in text
    assert spec["height"] >= 280 and len(spec["title"]["text"]) <= 30
    axes = [
        layer["encoding"][c]["axis"] for layer in spec["layer"] for c in ("x", "y") if "axis" in layer["encoding"][c]
    ]
    legends = [layer["encoding"]["color"]["legend"] for layer in spec["layer"] if layer["encoding"].get("color")]
    assert axes and legends
    for axis in axes:
        assert axis["labelColor"] == axis["titleColor"] == INK
        assert axis["labelFontSize"] >= (24 if present else 17)
    for legend in legends:
        assert legend["labelColor"] == INK and legend["labelFontSize"] >= (24 if present else 17)
    points = {p["point"]: (p["x"], p["loss"]) for p in spec["datasets"]["points"]}
    assert points == {POINTS[0]: (0.5, 47.25), POINTS[1]: (1.5, 17.25), POINTS[2]: (1.5, 9.75)}
    tangent = [r for r in spec["datasets"]["lines"] if r["line"] == LINES[1]]
    slope = (tangent[1]["loss"] - tangent[0]["loss"]) / (tangent[1]["x"] - tangent[0]["x"])
    assert slope == pytest.approx(n.grad)
    assert spec["datasets"]["miss"] == [{"x": 1.5, "loss": 9.75, "loss2": 17.25, "gap": 7.5}]


def chart_points(at: AppTest) -> list[dict[str, object]]:
    """The "points" dataset of the page's slope chart, as the browser receives it (Arrow)."""
    (chart,) = at.get("vega_lite_chart")
    (data,) = [d.data.data for d in chart.proto.datasets if d.name == "points"]
    return pa.ipc.open_stream(data).read_pandas().to_dict("records")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_data_flow_panel_shows_pytorchs_numbers_and_follows_the_controls():
    at = open_page("data_flow", {"predict": "0"})
    assert not at.exception
    assert_specs_finite(at)
    shown = metrics(at)
    assert (shown["loss now"], shown["real new loss"], shown["estimate: loss + .grad·Δ"]) == ("47.25", "17.25", "9.75")
    assert shown["miss: real − estimate"] == "+7.5"
    assert "What the number means: nudge a weight" in [h.value for h in at.header]
    assert any("Loss along w1" in s for s in chart_specs(at))

    at.segmented_control(key="nudge_param").set_value("b").run()
    at.select_slider(key="nudge_delta").set_value(-0.1).run()
    n = nudge(CARD, CARD.w0, CARD.b0, "b", -0.1)
    shown = metrics(at)
    assert shown["real new loss"] == num(n.new_loss) and shown["estimate: loss + .grad·Δ"] == num(n.estimate)
    assert shown["miss: real − estimate"] == signed(n.error)
    assert " ".join(explain(n)) in text_of(at).replace("\n\n", " ")
    assert any("Loss along b" in s for s in chart_specs(at))


def _panel_at(w: tuple[float, ...], b: float) -> AppTest:
    def script(w: tuple[float, ...], b: float) -> None:
        from gradlab.settings.config import RunConfig
        from ui.nudge_panel import nudge_panel

        nudge_panel(RunConfig(), w, b, key="other")

    return AppTest.from_function(script, args=(w, b), default_timeout=60).run()


def test_every_live_value_changes_with_the_point():
    start, later = _panel_at((0.5, -0.5), 0.0), _panel_at((1.2, 0.4), 0.3)
    assert not start.exception and not later.exception
    a, b = metrics(start), metrics(later)
    miss = "miss: real − estimate"
    assert a.keys() == b.keys() and all(a[k] != b[k] for k in a if k != miss)
    # The miss is ½·(∂²L/∂w1²)·Δ², and a linear model's MSE has the same curvature at every point.
    assert a[miss] == b[miss] == "+7.5"
    moved = nudge(CARD, (1.2, 0.4), 0.3, "w1", 1.0)
    drawn = {p["point"]: (p["x"], p["loss"]) for p in chart_points(later)}
    assert drawn == {
        POINTS[0]: (1.2, moved.loss),
        POINTS[1]: (moved.new_value, moved.new_loss),
        POINTS[2]: (moved.new_value, moved.estimate),
    }
    assert chart_points(start) != chart_points(later)


def test_a_point_outside_the_lesson_gets_a_message_not_a_traceback():
    at = _panel_at((2e6, 0.0), 0.0)
    assert not at.exception
    assert "No nudge at this point" in at.info[0].value and "w0[0]" in at.info[0].value


@pytest.mark.parametrize("param", ["w1", "w2", "b"])
@pytest.mark.parametrize("delta", DELTAS, ids=[signed(d) for d in DELTAS])
def test_the_miss_is_called_exact_only_where_the_numbers_shown_are_equal(param, delta):
    """Issue 19 §3: "off by +9.8114e-05 … = 0.0001 … exactly that" called two visibly different numbers exact."""
    n = nudge(CARD, CARD.w0, CARD.b0, param, delta)
    said = explain(n)[-1]
    j = CARD.param_names.index(param)
    _, curvature64 = analytic(CARD, np.array([*CARD.w0, CARD.b0], float), j)
    quadratic64 = 0.5 * curvature64 * delta**2  # the parabola's miss in exact arithmetic, from float64 algebra
    assert n.explained and abs(n.error - quadratic64) <= n.rounding
    miss, quadratic = together([n.error, quadratic64])
    assert "by exactly that" not in said and "(up to float32 rounding)" not in said
    if miss == quadratic:  # equal as shown: the sentence may say they are the same number
        assert f"off by **+{miss}**, which is ½·(∂²L/∂{param}²)·Δ²" in said and f"= {quadratic}:" in said
        assert "differs" not in said
    else:  # visibly different: exact only in exact arithmetic, the float32 difference named and bounded
        gap = num(n.error - n.quadratic, 2)
        gap = "−" + gap[1:] if gap.startswith("-") else "+" + gap
        assert f"off by **+{miss}**. Along {param} this loss is a parabola, and in exact arithmetic" in said
        assert f"= {quadratic}. The float32 miss differs from that by {gap}," in said
        assert abs(n.error - n.quadratic) <= n.rounding and f"(up to about {num(n.rounding, 1)})" in said
