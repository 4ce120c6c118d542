"""Settings from a link: every malformed value is rejected with a note, in-range values are exact."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradlab.fmt import shown
from gradlab.settings.config import RunConfig
from gradlab.settings.links import DATA_KEYS, DEFAULTS, format_lr, lr_options, parse_query, sanitize, to_query


@pytest.mark.parametrize(
    ("raw", "values"),
    [
        pytest.param({"lr": "0.03"}, {"lr": 0.03}, id="lr-exact"),
        pytest.param({"lr": "0.0237"}, {"lr": 0.0237}, id="lr-off-grid"),
        pytest.param({"lr": "1e-3"}, {"lr": 0.001}, id="lr-exponent"),
        pytest.param({"lr": "1"}, {"lr": 1.0}, id="lr-max"),
        pytest.param({"epochs": "10000"}, {"epochs": 10000}, id="epochs-max"),
        pytest.param({"epochs": "007"}, {"epochs": 7}, id="epochs-leading-zeros"),
        pytest.param({"device": "CUDA"}, {"device": "cuda"}, id="device-case"),
        pytest.param({"present": "1"}, {"present": True}, id="present"),
        pytest.param({"predict": "0"}, {"predict": False}, id="predict-off"),
        pytest.param({"zeroing": "never", "update": "sgd"}, {"zeroing": "never", "update": "sgd"}, id="modes"),
        pytest.param({"lr": ["0.02", "0.02"]}, {"lr": 0.02}, id="repeated-same"),
        pytest.param({"utm_source": "mail"}, {}, id="unknown-ignored"),
        pytest.param({"model": "net"}, {"model": "net"}, id="model-net"),
        pytest.param({"model": "Linear"}, {"model": "linear"}, id="model-case"),
    ],
)
def test_good_values_are_taken_exactly(raw, values):
    parsed = parse_query(raw)
    assert parsed.values == values and parsed.notes == []


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        pytest.param({"lr": "abc"}, "`abc` is not a number", id="lr-abc"),
        pytest.param({"lr": "nan"}, "`nan` is not a number", id="lr-nan"),
        pytest.param({"lr": "inf"}, "`inf` is not a finite number", id="lr-inf"),
        pytest.param({"lr": "-1"}, "`-1` is outside 0.001–1", id="lr-negative"),
        pytest.param({"lr": "1e308"}, "`1e308` is outside", id="lr-huge"),
        pytest.param({"lr": "1e999"}, "`1e999` is not a finite number", id="lr-overflow"),
        pytest.param({"lr": "0x10"}, "is not a number", id="lr-hex"),
        pytest.param({"lr": "1_0"}, "is not a number", id="lr-underscore"),
        pytest.param({"lr": ""}, "an empty value is not a number", id="lr-empty"),
        pytest.param({"epochs": "-5"}, "`-5` is negative", id="epochs-negative"),
        pytest.param({"epochs": "1.5"}, "`1.5` is not a whole number", id="epochs-fraction"),
        pytest.param({"epochs": "999999999999"}, "is outside 1–10,000", id="epochs-huge"),
        pytest.param({"epochs": "0"}, "`0` is outside 1–10,000", id="epochs-zero"),
        pytest.param({"epochs": "٣"}, "is not a whole number", id="epochs-arabic-digit"),
        pytest.param({"device": "tpu"}, "`tpu` is not one of cpu, cuda", id="device-tpu"),
        pytest.param({"present": "maybe"}, "`maybe` is not 1 or 0", id="present-bad"),
        pytest.param({"predict": "no way"}, "`no way` is not 1 or 0", id="predict-bad"),
        pytest.param({"lr": ["0.02", "0.03"]}, "gives **lr** 2 different values", id="repeated-different"),
        pytest.param({"model": "resnet"}, "`resnet` is not one of linear, net", id="model-unknown"),
        pytest.param({"model": ""}, "is not one of linear, net", id="model-empty"),
    ],
)
def test_bad_values_fall_back_to_the_default_with_a_note(raw, fragment):
    parsed = parse_query(raw)
    (key,) = raw
    assert key not in parsed.values
    assert len(parsed.notes) == 1 and fragment in parsed.notes[0]
    assert "using the default" in parsed.notes[0]


def test_html_in_a_link_is_shown_as_inert_code():
    note = parse_query({"lr": "<script>alert(1)</script>`**x**"}).notes[0]
    assert "`<script>alert(1)</scrip" in note  # inside a code span, truncated
    assert note.count("`") == 2  # a backtick in the value cannot close the code span early


def test_shown_truncates_long_values():
    assert shown("x" * 500) == "`" + "x" * 40 + "…`"


def test_lr_options_are_log_spaced_and_include_an_exact_extra():
    opts = lr_options()
    assert opts[0] == 0.001 and opts[-1] == 1.0 and 0.01 in opts and opts == sorted(opts)
    assert 0.0237 in lr_options(0.0237) and 5.0 not in lr_options(5.0)


def test_to_query_leaves_defaults_out_and_round_trips():
    assert to_query(DEFAULTS) == {}
    values = {
        "model": "net", "lr": 0.0237, "epochs": 50, "device": "cuda", "zeroing": "never", "update": "sgd",
        "present": True, "predict": False,
    }  # fmt: skip
    query = to_query(values)
    assert query == {
        "model": "net",
        "lr": "0.0237",
        "epochs": "50",
        "device": "cuda",
        "zeroing": "never",
        "update": "sgd",
        "present": "1",
        "predict": "0",
    }
    assert parse_query(query).values == values


@given(st.floats(0.001, 1.0))
def test_any_in_range_lr_round_trips_through_the_url_exactly(lr):
    assert parse_query({"lr": format_lr(lr)}).values["lr"] == lr


@given(
    st.dictionaries(
        st.sampled_from([*DEFAULTS, *DATA_KEYS]),
        st.text(alphabet="0123456789_~.-e,x ", max_size=30)
        | st.text(max_size=30)
        | st.lists(st.text(max_size=8), max_size=3),
    )
)
def test_parse_query_never_raises(raw):
    parsed = parse_query(raw)
    assert set(parsed.values) <= set(DEFAULTS)


def test_sanitize_keeps_good_values_and_replaces_bad_ones():
    good = {
        "model": "net", "lr": 0.03, "epochs": 50, "device": "cuda", "zeroing": "never", "update": "sgd",
        "present": True, "predict": False,
    }  # fmt: skip
    assert sanitize(good) == (good, [])
    clean, notes = sanitize({"lr": float("inf"), "epochs": True, "device": "tpu", "predict": 1, "model": "cnn"})
    assert clean == DEFAULTS and len(notes) == 5
    assert any("**model** had an invalid value `'cnn'`" in n for n in notes)
    assert "**lr** had an invalid value `inf`" in notes[1]


def test_the_model_travels_in_a_link_and_the_default_is_left_out():
    assert "model" not in to_query({**DEFAULTS, "model": "linear"})
    assert to_query({**DEFAULTS, "model": "net"}) == {"model": "net"}
    assert parse_query(to_query({**DEFAULTS, "model": "net"})).values == {"model": "net"}
    assert DEFAULTS["model"] == "linear"


def test_a_network_link_with_own_data_keeps_both():
    parsed = parse_query({"model": "net", "data": "1_2_3~2_0_1"})
    assert parsed.values == {"model": "net"} and parsed.notes == [] and parsed.data is not None
    config = parsed.data.apply(RunConfig(model="net"))
    assert config.model == "net" and config.X == ((1.0, 2.0), (2.0, 0.0))
