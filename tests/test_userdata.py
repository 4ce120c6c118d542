"""Your own data and links that carry it: every value is kept exactly or refused with its cell named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradlab.fmt import shown
from gradlab.settings.config import MAX_ABS_VALUE, MAX_ROWS
from gradlab.settings.links import (
    EPOCH_STOPS,
    MAX_LINK_ROWS,
    epoch_options,
    format_lr,
    lr_options,
    parse_query,
    to_query,
)
from gradlab.settings.userdata import (
    CARD_DATA,
    MAX_TEXT_CHARS,
    Dataset,
    number_text,
    parse_rows,
    parse_text,
    rows_text,
    to_number,
)

CARD_WEIGHTS = {"w1": "0.5", "w2": "-0.5", "b": "0"}
finite = st.floats(-MAX_ABS_VALUE, MAX_ABS_VALUE, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        pytest.param("1e6, 2, 3", [(1_000_000.0, 2.0, 3.0)], id="exponent-kept"),
        pytest.param("-1e6, .5, 3.", [(-1_000_000.0, 0.5, 3.0)], id="limits-and-short-forms"),
        pytest.param("1\t2\t3\n4\t5\t6", [(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)], id="pasted-tab-block"),
        pytest.param("x1\tx2\ty\n1\t2\t3", [(1.0, 2.0, 3.0)], id="spreadsheet-header"),
        pytest.param("1;2;3\n\n4 5 6\n", [(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)], id="semicolons-spaces-blank-lines"),
        pytest.param("0.1, 0.2, 0.30000000000000004", [(0.1, 0.2, 0.30000000000000004)], id="every-digit"),
    ],
)
def test_rows_are_read_exactly(text, rows):
    assert parse_rows(text) == rows


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("1e30, 1, 1", "Row 1, column x1: `1e30` is too large; keep values within ±1000000", id="1e30"),
        pytest.param("1, -1e30, 1", "Row 1, column x2: `-1e30` is too large", id="minus-1e30"),
        pytest.param("1, 2, 1000001", "Row 1, column y: `1000001` is too large", id="just-over-as-typed"),
        pytest.param("1, 2, 1e999", "`1e999` is too large", id="overflows-float"),
        pytest.param("1,5, 2, 3", "Row 1 has 4 values", id="decimal-comma-in-csv"),
        pytest.param("1,5\t2\t3", "Row 1, column x1: `1,5` has a decimal comma; write a point: 1.5", id="comma-cell"),
        pytest.param("1,5;2;3", "`1,5` has a decimal comma", id="comma-with-semicolons"),
        pytest.param("nan, 1, 1", "`nan` is not a finite number; NaN and inf cannot be trained on", id="nan"),
        pytest.param("1, inf, 1", "Row 1, column x2: `inf` is not a finite number", id="inf"),
        pytest.param("1, -Infinity, 1", "`-Infinity` is not a finite number", id="minus-infinity"),
        pytest.param("1, 1_000, 1", "`1_000` is not a number", id="underscore"),
        pytest.param("1, ١, 1", "is not a number", id="arabic-digit"),
        pytest.param("1, 0x10, 1", "`0x10` is not a number", id="hex"),
        pytest.param("1, 2, 3\n1,,3", "Row 2, column x2 is empty", id="empty-cell"),
        pytest.param("1, 2", "Row 1 has 2 values", id="short-row"),
        pytest.param("1 2 3 " + "4" * 50, "Row 1 has 4 values", id="long-line"),
        pytest.param("1, 2, " + "4" * 50, "is too long for a number", id="long-number"),
        pytest.param("", "The table is empty", id="empty"),
        pytest.param("x1, x2, y", "The table is empty", id="header-only"),
        pytest.param("1 1 1\n" * (MAX_ROWS + 1), f"takes at most {MAX_ROWS}", id="too-many-rows"),
    ],
)
def test_bad_rows_are_refused_naming_the_cell(text, message):
    with pytest.raises(ValueError) as err:
        parse_rows(text)
    assert message in str(err.value)


def test_decimal_comma_is_explained_never_read_as_fifteen():
    with pytest.raises(ValueError) as err:
        parse_rows("1,5, 2, 3")
    assert "a decimal comma? write a point: 1.5, not 1,5" in str(err.value)


def test_oversized_text_is_refused_by_its_length():
    text = "1, 2, 3\n" * 20_000
    assert len(text) > MAX_TEXT_CHARS
    with pytest.raises(ValueError, match="160,000 characters; GradLab takes at most 10,000"):
        parse_rows(text)


@given(finite)
def test_any_allowed_value_round_trips_through_its_text(value):
    text = number_text(value)
    assert "+" not in text and "," not in text
    assert to_number(text, "cell") == value


@given(st.lists(st.tuples(finite, finite, finite), min_size=1, max_size=MAX_ROWS), finite, finite, finite)
def test_any_dataset_round_trips_through_the_entry_text(rows, w1, w2, b):
    data = Dataset(X=tuple((r[0], r[1]) for r in rows), y=tuple(r[2] for r in rows), w0=(w1, w2), b0=b)
    weights = {"w1": number_text(w1), "w2": number_text(w2), "b": number_text(b)}
    assert parse_text(rows_text(data), weights) == data


@given(st.lists(st.tuples(finite, finite, finite), min_size=1, max_size=MAX_LINK_ROWS), finite, finite, finite)
def test_small_datasets_round_trip_through_a_link(rows, w1, w2, b):
    data = Dataset(X=tuple((r[0], r[1]) for r in rows), y=tuple(r[2] for r in rows), w0=(w1, w2), b0=b)
    query = to_query({}, data)
    parsed = parse_query(query)
    assert parsed.notes == []
    assert parsed.data == (None if data == CARD_DATA else data)


def test_a_link_carries_readable_data_and_only_what_differs_from_the_card():
    data = parse_text("1, 2, 3\n4, 5.5, -6", CARD_WEIGHTS)
    assert to_query({}, data) == {"data": "1_2_3~4_5.5_-6"}
    weights_only = parse_text(rows_text(CARD_DATA), {"w1": "0", "w2": "0", "b": "1e6"})
    assert to_query({}, weights_only) == {"init": "0_0_1000000"}
    assert to_query({}, CARD_DATA) == {}
    assert parse_query({"data": "1_2_3~2_3_5~3_4_7~4_5_9"}).data is None  # the card's own rows


def test_data_too_big_for_a_link_stays_out_of_it():
    big = parse_text("1 2 3\n" * (MAX_LINK_ROWS + 1), CARD_WEIGHTS)
    assert to_query({"epochs": 10}, big) == {"epochs": "10"}


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        pytest.param({"data": "1_2"}, "Row 1 has 2 values", id="short-row"),
        pytest.param({"data": "1_2_abc"}, "Row 1, column y: `abc` is not a number", id="text"),
        pytest.param({"data": "1_2_1e30"}, "`1e30` is too large", id="huge"),
        pytest.param({"data": "~".join(["1_2_3"] * 21)}, "has 21 rows; a link carries at most 20", id="rows"),
        pytest.param({"data": "1" * 5000}, "5,000 characters long", id="long"),
        pytest.param({"init": "1_2"}, "**init**=`1_2` needs 3 values", id="init-short"),
        pytest.param({"init": "1_2_nan"}, "**init**: Initial b: `nan` is not a finite number", id="init-nan"),
        pytest.param({"data": ["1_2_3", "4_5_6"]}, "gives **data** 2 different values", id="repeated"),
    ],
)
def test_bad_data_in_a_link_falls_back_to_the_card_with_a_note(raw, fragment):
    parsed = parse_query(raw)
    assert parsed.data is None
    assert len(parsed.notes) == 1 and fragment in parsed.notes[0], parsed.notes


@pytest.mark.parametrize(
    "sneaky",
    ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
     "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\u00ad", "\u2060", "\x1b", "\u2028"],
)  # fmt: skip
def test_invisible_and_direction_characters_are_spelled_out_in_echoed_values(sneaky):
    note = parse_query({"epochs": f"5{sneaky}0", "lr": f"0.0{sneaky}1"}).notes
    assert len(note) == 2
    for text in note:
        assert sneaky not in text and f"\\u{ord(sneaky):04x}" in text
    if sneaky.isspace():
        return  # a line separator ends a row in the data entry, as a newline does
    with pytest.raises(ValueError) as err:
        parse_rows(f"1, 2{sneaky}, 3")
    assert sneaky not in str(err.value) and "Row 1, column x2" in str(err.value)


def test_shown_keeps_ordinary_text():
    assert shown("ŷ = Xw + b — ½ 日本") == "`ŷ = Xw + b — ½ 日本`"
    assert shown("a" * 39 + "\u202e") == "`" + "a" * 39 + "…`"  # an escape is never cut in half


def test_an_off_grid_learning_rate_reads_differently_from_its_neighbour():
    lr = 0.0010000001
    assert parse_query({"lr": "0.0010000001"}).values["lr"] == lr
    labels = [format_lr(v) for v in lr_options(lr)]
    assert len(set(labels)) == len(labels) and "0.0010000001" in labels and "0.001" in labels


def test_epoch_stops_are_log_spaced_and_take_an_exact_value_from_a_link():
    assert epoch_options() == list(EPOCH_STOPS)
    default = EPOCH_STOPS.index(5)
    assert [EPOCH_STOPS.index(n) - default for n in (10, 20, 50, 100)] == [1, 2, 3, 4]
    assert 7 in epoch_options(7) and epoch_options(7) == sorted(epoch_options(7))
    assert epoch_options(20_000) == list(EPOCH_STOPS)
