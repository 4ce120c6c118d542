"""The stable learning-rate limit (one implementation, in plain Python) agrees with torch's and numpy's eigenvalues,
and the sidebar shows it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.stability import stable_limit
from tests.apptest import open_page

values = st.floats(-1e3, 1e3, allow_nan=False).filter(lambda v: abs(v) > 1e-3 or v == 0)


@st.composite
def configs(draw: st.DrawFn) -> RunConfig:
    n = draw(st.integers(1, 12))
    f = draw(st.integers(1, 3))
    X = tuple(tuple(draw(values) for _ in range(f)) for _ in range(n))
    return RunConfig(X=X, y=tuple(draw(values) for _ in range(n)), w0=(0.0,) * f)


def torch_limit(config: RunConfig) -> float:
    """2/λmax of the MSE Hessian 2/N·[X 1]ᵀ[X 1], by torch's symmetric eigensolver in float64."""
    X = torch.tensor(config.X, dtype=torch.float64)
    A = torch.cat([X, torch.ones(config.n_samples, 1, dtype=torch.float64)], dim=1)
    lam = float(torch.linalg.eigvalsh(2.0 / config.n_samples * A.T @ A)[-1])
    return 2.0 / lam if lam > 0 else float("inf")


@given(configs())
@settings(max_examples=150, deadline=None)
def test_plain_python_limit_equals_torchs(cfg: RunConfig):
    assert stable_limit(cfg) == pytest.approx(torch_limit(cfg), rel=1e-9)


def test_the_cards_limit_is_two_over_numpys_largest_curvature():
    cfg = RunConfig()
    A = np.column_stack([np.array(cfg.X), np.ones(cfg.n_samples)])
    lam = np.linalg.eigvalsh(2 / cfg.n_samples * A.T @ A).max()  # the MSE Hessian, by numpy
    assert stable_limit(cfg) == pytest.approx(2 / lam, rel=1e-12)


def test_the_limit_separates_converging_from_diverging_runs():
    limit = stable_limit(RunConfig())
    assert limit == pytest.approx(0.0458, abs=1e-4)
    below = train(RunConfig(lr=round(limit * 0.95, 4), epochs=3000))
    above = train(RunConfig(lr=round(limit * 1.05, 4), epochs=3000))
    assert below.stop is None and below.end_loss < below.start_loss
    assert above.stop is not None or above.end_loss > above.start_loss


def test_the_sidebar_shows_the_limit_and_warns_above_it():
    at = open_page("home", {"predict": "0"})
    shown = f"{stable_limit(RunConfig()):.3g}"
    assert any(f"stable below lr ≈ {shown}" in c.value for c in at.sidebar.caption)
    at = open_page("home", {"lr": "0.05"})
    assert any(f"diverges above lr ≈ {shown}" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize(
    ("page", "query", "withheld"),
    [
        ("grad_lab", {"lr": "0.05"}, True),  # ② asks up or down before each epoch
        ("grad_lab", {"lr": "0.05", "predict": "0"}, False),  # no question asked: the limit is shown
        ("quiz", {"lr": "0.05"}, True),  # the live question asks what happens at this lr
        ("quiz", {"lr": "0.05", "predict": "0"}, True),  # the quiz asks whatever Predict first says
        ("training_trace", {"lr": "0.05"}, False),  # the page names divergence itself
    ],
)
def test_a_page_that_asks_whether_this_lr_diverges_keeps_the_limit_back(page, query, withheld):
    from ui.sidebar import WITHHELD_NOTE

    at = open_page(page, query)
    captions = " ".join(c.value for c in at.sidebar.caption)
    shown = f"{stable_limit(RunConfig()):.3g}"
    assert (WITHHELD_NOTE in captions) is withheld
    assert (f"diverges above lr ≈ {shown}" in captions) is not withheld
