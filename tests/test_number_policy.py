"""One number format across the app (gradlab.fmt): significant digits, plain decimals from 1e-4 up to 1e6 and
scientific notation outside, decided by size alone; then every number the rendered pages show, checked against it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gradlab.fmt import DIGITS, PRECISE_DIGITS, SCI_BELOW, SCI_FROM, num, percent, together
from gradlab.probes.nudge import DELTAS
from tests.apptest import open_page

# A number as a person reads it: optional sign, digits, an optional fraction and exponent. Not a part of a name
# (w1, x2), a version (2.13.0) or a code token (0x1f).
NUMBER = re.compile(r"(?<![\w.])[-−+]?\d+(?:,\d{3})*(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])")
# The gradient check compares float32 with float64: its table shows PRECISE_DIGITS on purpose.
PRECISE_COLUMN = "autograd .grad (float32)"


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        pytest.param(47.25, DIGITS, "47.25", id="plain"),
        pytest.param(0.000747681, DIGITS, "0.000747681", id="small-plain"),
        pytest.param(9.8114e-05, DIGITS, "9.8114e-05", id="below-1e-4-scientific"),
        pytest.param(15.000225067138672, DIGITS, "15.0002", id="raw-float-cut"),
        pytest.param(1820.3, 3, "1820", id="never-scientific-for-few-digits"),
        pytest.param(123456.7, 3, "123000", id="rounded-plain"),
        pytest.param(1234567.0, DIGITS, "1.23457e+06", id="from-1e6-scientific"),
        pytest.param(999999.7, DIGITS, "1e+06", id="rounding-crosses-1e6"),
        pytest.param(9.999999e-05, DIGITS, "0.0001", id="rounding-crosses-1e-4"),
        pytest.param(-0.0, DIGITS, "0", id="negative-zero"),
        pytest.param(-13.0, DIGITS, "-13", id="integer"),
        pytest.param(2.384185791015625e-07, 3, "2.38e-07", id="tiny"),
    ],
)
def test_num_follows_the_policy(x, digits, text):
    assert num(x, digits) == text


def test_the_policy_helpers():
    assert together([9.8114e-05, 1e-4]) == ["9.8114e-05", "1e-04"]  # compared in one sentence: one notation
    assert together([47.25, 0.5]) == ["47.25", "0.5"]
    assert percent(0.4) == "40%" and percent(0.0001) == "0.01%" and percent(0.00001234) == "0.0012%"
    with pytest.raises(ValueError, match="digits"):
        num(1.0, 0)


def violations(text: str, max_digits: int = DIGITS) -> list[str]:
    """Numbers in `text` that break the policy: too many significant digits, or the wrong notation for their size."""
    out = []
    for token in NUMBER.findall(text):
        plain = token.replace("−", "-").replace(",", "")
        mantissa = plain.lstrip("+-").split("e")[0]
        digits = len(mantissa.replace(".", "").lstrip("0")) if "." in mantissa else len(mantissa.strip("0") or "0")
        if "." in mantissa and digits > max_digits:
            out.append(f"{token}: {digits} significant digits")
        value = abs(float(plain))
        if "e" in plain and SCI_BELOW <= value < SCI_FROM:
            out.append(f"{token}: scientific notation for a number from {SCI_BELOW:g} to {SCI_FROM:g}")
        if "e" not in plain and value != 0 and "." in mantissa and value < SCI_BELOW:
            out.append(f"{token}: a plain decimal below {SCI_BELOW:g}")
    return out


def test_the_scan_finds_what_the_policy_forbids():
    assert violations("loss 15.000225067138672, rose 1.82e+03×, miss 0.0000981") == [
        "15.000225067138672: 17 significant digits",
        "1.82e+03: scientific notation for a number from 0.0001 to 1e+06",
        "0.0000981: a plain decimal below 0.0001",
    ]
    assert violations("w1 = 0.5, epoch 10,000, lr 0.01, miss 9.8114e-05, tensor 2.13.0, step 2 of 5") == []


def _frames(at: AppTest) -> Iterator[tuple[pd.DataFrame, int]]:
    for t in at.table:
        frame = t.value
        yield frame, PRECISE_DIGITS if PRECISE_COLUMN in frame.columns else DIGITS
    for d in at.dataframe:  # numbers go as numbers (the browser formats them); text columns are ours
        frame = d.value
        yield frame.select_dtypes(exclude="number"), DIGITS


def rendered(at: AppTest) -> Iterator[tuple[str, str, int]]:
    """(where, text, digits allowed) for everything the page shows a person; PyTorch's own printing is exempt."""
    for kind in ("markdown", "caption", "info", "warning", "error", "success"):
        for e in getattr(at, kind):
            value = str(e.value)
            if not value.startswith("<style>"):
                yield kind, value, DIGITS
    for m in at.metric:
        yield f"metric {m.label}", f"{m.label} {m.value}", DIGITS
    for c in at.code:
        if "tensor(" not in c.value and "import torch" not in c.value:  # PyTorch prints tensors its own way
            yield "code", c.value, DIGITS
    for frame, digits in _frames(at):
        yield "table", frame.to_string(), digits
    for h in at.header:
        yield "heading", h.value, DIGITS


def page_violations(at: AppTest) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return [f"{where}: {v}" for where, text, digits in rendered(at) for v in violations(text, digits)]


MY_PAGES = [
    pytest.param("home", {}, id="home"),
    pytest.param("home", {"predict": "0"}, id="home-revealed"),
    pytest.param("data_flow", {"predict": "0"}, id="data-flow"),
    pytest.param("prediction_trace", {"predict": "0"}, id="prediction-trace"),
    pytest.param("prediction_trace", {"predict": "0", "lr": "0.05", "epochs": "20"}, id="prediction-trace-fast"),
    pytest.param("training_trace", {}, id="training-trace"),
    pytest.param("training_trace", {"lr": "0.05", "epochs": "50", "zeroing": "never"}, id="training-trace-never"),
    pytest.param("training_trace", {"lr": "1", "epochs": "100"}, id="training-trace-diverges"),
]


@pytest.mark.parametrize(("name", "query"), MY_PAGES)
def test_rendered_pages_follow_the_number_policy(name, query):
    assert page_violations(open_page(name, query)) == []


def test_the_gradient_check_and_landscape_follow_it():
    at = open_page("training_trace")
    at.toggle(key="tt_check").set_value(True).run()
    at.toggle(key="tt_landscape").set_value(True).run()
    assert any(PRECISE_COLUMN in t.value.columns for t in at.table)
    assert page_violations(at) == []


@pytest.mark.parametrize("param", ["w1", "b"])
def test_every_nudge_follows_it(param):
    at = open_page("data_flow", {"predict": "0"})
    at.segmented_control(key="nudge_param").set_value(param).run()
    for delta in DELTAS:
        at.select_slider(key="nudge_delta").set_value(delta).run()
        assert page_violations(at) == [], (param, delta)
