"""Helpers to run GradLab pages in Streamlit's AppTest, the way the server runs them."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent

PAGES = {
    "home": "streamlit_app.py",
    "data_flow": "pages/1_Data_Flow.py",
    "prediction_trace": "pages/2_Prediction_Trace.py",
    "training_trace": "pages/3_Training_Trace.py",
    "grad_lab": "pages/4_Grad_Lab.py",
    "quiz": "pages/5_Quiz.py",
}


def open_page(name: str, query: dict[str, str] | None = None, run: bool = True) -> AppTest:
    """The page `name` as the multipage app runs it (entrypoint first, then switch_page)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    if PAGES[name] != "streamlit_app.py":
        at.switch_page(PAGES[name])
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run() if run else at


def text_of(at: AppTest) -> str:
    """Everything a learner can read on the page, as one string."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.code] + [m.value for m in at.metric]
    parts += [str(e.value) for kind in ("warning", "info", "error", "success", "caption") for e in getattr(at, kind)]
    parts += [t.value.to_string() if hasattr(t.value, "to_string") else str(t.value) for t in at.table]
    return "\n".join(parts)


def last_loss(at: AppTest) -> str:
    """The Training Trace's loss at the last epoch, before its update (the metric labelled `loss_at_epoch(E)`)."""
    from gradlab.lesson.sentences import BEFORE_ITS_UPDATE

    (value,) = [m.value for m in at.metric if m.label.endswith(BEFORE_ITS_UPDATE)]
    return str(value)


def chart_specs(at: AppTest) -> list[str]:
    """The Vega-Lite specs of every Altair chart on the page."""
    return [el.proto.spec for el in at.get("vega_lite_chart")]


def assert_specs_finite(at: AppTest) -> None:
    specs = chart_specs(at)
    for spec in specs:
        assert "NaN" not in spec and "Infinity" not in spec, spec[:200]
        json.loads(spec)
