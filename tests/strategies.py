"""Hypothesis strategies shared by the tests: small datasets and a point (w, b) on them."""

from __future__ import annotations

from hypothesis import strategies as st

from gradlab.settings.config import RunConfig

values = st.floats(-5, 5, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def points(draw: st.DrawFn) -> tuple[RunConfig, tuple[float, ...], float]:
    """A dataset of 1–8 rows × 1–3 features and a point (w, b) on it, every value a float32 in [-5, 5]."""
    n, f = draw(st.integers(1, 8)), draw(st.integers(1, 3))
    X = tuple(tuple(draw(values) for _ in range(f)) for _ in range(n))
    cfg = RunConfig(X=X, y=tuple(draw(values) for _ in range(n)), w0=(0.0,) * f)
    return cfg, tuple(draw(values) for _ in range(f)), draw(values)
