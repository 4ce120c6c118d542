"""Property tests: gradlab raises only its documented ValueError, and no page shows an exception."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradlab.runs.train import train
from gradlab.settings.config import MAX_ABS_VALUE, MAX_ROWS, RunConfig
from tests.apptest import PAGES, assert_specs_finite, open_page

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)


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


# Values the data entry accepts: finite and within ±MAX_ABS_VALUE (hypothesis draws tiny, ordinary and huge ones).
values = st.floats(-MAX_ABS_VALUE, MAX_ABS_VALUE, allow_nan=False)


@st.composite
def valid_data(draw: st.DrawFn) -> dict:
    """A dataset RunConfig accepts, by construction: N rows of F numbers, N targets, F initial weights."""
    n, f = draw(st.integers(1, 8)), draw(st.integers(1, 3))
    cells = draw(st.lists(values, min_size=n * f + n + f + 1, max_size=n * f + n + f + 1))
    X = [cells[r * f : (r + 1) * f] for r in range(n)]
    return {"X": X, "y": cells[n * f : n * f + n], "w0": cells[n * f + n : -1], "b0": cells[-1]}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=valid_data(),
    lr=st.floats(1e-3, 10.0),
    epochs=st.integers(1, 40),
    zeroing=st.sampled_from(["zero", "none", "never"]),
    update=st.sampled_from(["manual", "sgd"]),
)
def test_traces_are_finite_up_to_the_stop(data, lr, epochs, zeroing, update):
    config = RunConfig(lr=lr, epochs=epochs, zeroing=zeroing, update=update, **data)  # valid: must not raise
    trace = train(config)
    for field in ("loss", "w", "b", "w_grad", "b_grad", "grad_norm", "predictions"):
        assert np.isfinite(getattr(trace, field)).all(), field
    if trace.stop is None:
        assert len(trace) == epochs and trace.final_w is not None
    else:
        assert len(trace) == trace.stop.epoch - 1 >= 1 and trace.stop.nonfinite and trace.final_w is None


# Each way to break a valid dataset, and the field its error must name.
BREAKS = {
    "no rows": (lambda d: d | {"X": [], "y": []}, "X"),
    "too many rows": (lambda d: d | {"X": d["X"] * (MAX_ROWS + 1), "y": d["y"] * (MAX_ROWS + 1)}, "X"),
    "ragged row": (lambda d: d | {"X": [*d["X"], [*d["X"][0], 1.0]], "y": [*d["y"], 1.0]}, "X["),
    "missing target": (lambda d: d | {"y": d["y"][:-1]}, "y"),
    "extra weight": (lambda d: d | {"w0": [*d["w0"], 0.0]}, "w0"),
    "nan feature": (lambda d: d | {"X": [[float("nan"), *d["X"][0][1:]], *d["X"][1:]]}, "X[0][0]"),
    "inf target": (lambda d: d | {"y": [float("inf"), *d["y"][1:]]}, "y[0]"),
    "huge weight": (lambda d: d | {"w0": [2 * MAX_ABS_VALUE, *d["w0"][1:]]}, "w0[0]"),
    "text bias": (lambda d: d | {"b0": "0.5"}, "b0"),
}


@settings(max_examples=60, deadline=None)
@given(data=valid_data(), broken=st.sampled_from(sorted(BREAKS)))
def test_invalid_data_is_refused_naming_the_field(data, broken):
    breaking, field = BREAKS[broken]
    with pytest.raises(ValueError) as refused:
        RunConfig(**breaking(data))
    assert str(refused.value).startswith(field), (broken, str(refused.value))


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
