"""Property tests: gradlab raises only its documented ValueError, and no page shows an exception."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradlab.config import RunConfig
from gradlab.train import train
from tests.apptest import PAGES, assert_specs_finite, open_page

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)
numbers = st.floats(-1e7, 1e7) | st.sampled_from([float("nan"), float("inf")]) | st.integers(-(10**8), 10**8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lr=anything,
    epochs=anything,
    device=st.sampled_from(["cpu", "cuda", "tpu", "", None]),
    zeroing=st.sampled_from(["zero", "none", "never", "x"]),
    update=st.sampled_from(["manual", "sgd", "adam"]),
)
def test_run_config_only_raises_value_error(lr, epochs, device, zeroing, update):
    try:
        RunConfig(lr=lr, epochs=epochs, device=device, zeroing=zeroing, update=update)
    except ValueError as err:
        field = str(err).split(":")[0]
        assert field in {"lr", "epochs", "device", "zeroing", "update"}


@st.composite
def datasets(draw: st.DrawFn) -> dict:
    n = draw(st.integers(0, 8))
    width = draw(st.integers(1, 3))
    X = [[draw(numbers) for _ in range(draw(st.sampled_from([width, width, width, width + 1])))] for _ in range(n)]
    y = [draw(numbers) for _ in range(draw(st.sampled_from([n, n, n, n + 1])))]
    w0 = [draw(numbers) for _ in range(draw(st.sampled_from([width, width, 1])))]
    return {"X": X, "y": y, "w0": w0, "b0": draw(numbers)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=datasets(), lr=st.floats(1e-3, 10.0), epochs=st.integers(1, 300), zeroing=st.sampled_from(["zero", "never"])
)
def test_traces_are_finite_up_to_the_flagged_divergence(data, lr, epochs, zeroing):
    try:
        config = RunConfig(lr=lr, epochs=epochs, zeroing=zeroing, **data)
    except ValueError:
        return
    trace = train(config)
    for field in ("loss", "w", "b", "w_grad", "b_grad", "grad_norm", "predictions"):
        assert np.isfinite(getattr(trace, field)).all(), field
    if trace.stop is None:
        assert len(trace) == epochs
    else:
        assert len(trace) == trace.stop.epoch - 1 >= 1


url_values = st.one_of(
    st.sampled_from(["", "abc", "nan", "inf", "-1", "0", "1e308", "0.03", "1", "10000", "1.5", "<b>x</b>", "%00"]),
    st.text(max_size=12),
    st.floats(allow_nan=True).map(repr),
    st.integers(-(10**15), 10**15).map(str),
)


@pytest.mark.parametrize("name", list(PAGES))
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(query=st.dictionaries(st.sampled_from(["lr", "epochs", "device", "present", "zeroing", "update"]), url_values))
def test_random_links_never_show_an_exception(name, query):
    query = {k: v for k, v in query.items() if "\x00" not in v}
    at = open_page(name, query)
    assert not at.exception, (query, at.exception)
    assert_specs_finite(at)
