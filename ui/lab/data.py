"""Grad Lab ⑦: your own data as rows of text, previewed as GradLab reads them, validated before any page uses it.

Rows are plain text rather than a number grid: a grid's number cells rewrote input (`1e6` became 16, `1,5`
became 15) and took a pasted block into one cell. Text keeps every character the learner typed, and one strict
parser either reads a value exactly or names the cell it refuses.

What was typed but not applied yet is this tab's own state (`DRAFT`), not only the boxes': Streamlit forgets a
widget's value in any run that does not draw it (another lab tab, another page), and the boxes are drawn again
from the draft.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import pandas as pd
import streamlit as st

from gradlab.settings.config import MAX_ROWS
from gradlab.settings.links import MAX_LINK_ROWS, travels
from gradlab.settings.userdata import (
    CARD_DATA,
    COLUMNS,
    MAX_TEXT_CHARS,
    Dataset,
    number_text,
    oversized,
    parse_text,
    rows_text,
)
from ui.settings_state import data_set_count, own_data, reset_data, use_data

WEIGHTS = {"w1": "initial w1", "w2": "initial w2", "b": "initial b"}
TABLE_UP_TO = 20  # a longer preview scrolls
# Session keys, all this tab's own (the data itself is the settings' own: ui.settings_state).
VERSION = "lab_data_version"  # the entry's version: a new one starts the boxes afresh from the data in use
ERROR = "lab_data_error"  # why the last Apply was refused (the last good data stays in use)
DRAWN_FOR = "lab_data_drawn_for"  # the settings' data-set count when the entry was last drawn
DRAFT = "lab_data_draft"  # (entry version, {box name: text typed}): what the boxes held when last drawn


def entry_key(name: str, version: int) -> str:
    """The widget key of one entry box ("rows", "w1", "w2" or "b") in entry version `version`."""
    return f"lab_{name}_{version}"


def too_big_for_a_link(rows: int) -> str:
    """What a learner is told when data cannot travel in the page's link."""
    return f"This data is too big for a link: {rows} rows > {MAX_LINK_ROWS}. A copied link carries the settings only."


def apply_data(state: MutableMapping[Any, Any], text: str, weights: Mapping[str, str]) -> None:
    """Use the entered data if it is valid; otherwise keep the last good data and record why."""
    try:
        entered = parse_text(text, weights)
    except ValueError as err:
        state[ERROR] = str(err)
        return
    use_data(state, entered)


def follow_data(state: MutableMapping[Any, Any], data_set: int) -> None:
    """Start the entry afresh, without an old refusal, when the data was set since it was last drawn.

    The data is set by Apply, by *Reset to the card's data*, by *Reset settings* and by a link; `data_set` is
    how many times that happened in this session (`ui.settings_state.data_set_count`).
    """
    drawn = state.get(DRAWN_FOR)
    if drawn is not None and drawn != data_set:
        state[ERROR] = None
        state[VERSION] = int(state.get(VERSION, 0)) + 1
    state[DRAWN_FOR] = data_set


def refuse_oversized(state: MutableMapping[Any, Any]) -> int:
    """Drop a pending entry over MAX_TEXT_CHARS before anything reads it; return the entry's version to draw.

    The check is a length, so an oversized paste costs nothing per rerun: its text is never split or parsed,
    and the entry restarts with the last good data, which also drops the text from the session.
    """
    version = int(state.get(VERSION, 0))
    for name in ("rows", *WEIGHTS):
        pending = state.get(entry_key(name, version))
        if isinstance(pending, str) and len(pending) > MAX_TEXT_CHARS:
            state[ERROR] = oversized(len(pending))
            state[VERSION] = version + 1
            return version + 1
    return version


def typed(state: Mapping[Any, Any], version: int) -> dict[str, str]:
    """What the boxes of entry `version` held when last drawn (empty: nothing typed yet, or a newer entry)."""
    draft = state.get(DRAFT)
    return dict(draft[1]) if draft is not None and draft[0] == version else {}


def _preview(text: str, weights: Mapping[str, str]) -> Dataset | None:
    """The rows and weights exactly as Apply would use them, or the first problem, named by row and column."""
    st.markdown("**Preview:** what *Apply* would use")
    try:
        data = parse_text(text, weights)
    except ValueError as err:
        st.warning(f"Not usable yet: {err}.", icon=":material/edit_note:")
        return None
    frame = pd.DataFrame(
        [[str(i), *(number_text(v) for v in row)] for i, row in enumerate(data.rows(), start=1)],
        columns=["row", *COLUMNS],
    ).set_index("row")
    if len(frame) <= TABLE_UP_TO:
        st.table(frame)
    else:
        st.dataframe(frame, height=320)
    w1, w2, b = (number_text(v) for v in (*data.w0, data.b0))
    st.caption(f"{len(data.y)} rows; initial w = [{w1}, {w2}], b = {b}.")
    if not travels(data):
        st.caption(":material/link_off: " + too_big_for_a_link(len(data.y)))
    return data


NET_NOTE = (
    "With the network (*Model* in the sidebar), your rows feed `model = Net()`: its hidden layer takes exactly the "
    "2 features x1 and x2. The initial w and b set the linear model's start only; the network always starts from "
    "its fixed values (tab ① lists them as `named_parameters()` gives them)."
)


def data_panel(*, is_net: bool = False) -> None:
    """Type or paste rows (x1, x2, y) and the initial weights; valid data drives every page."""
    ss = st.session_state
    own = own_data()
    current: Dataset = own or CARD_DATA
    follow_data(ss, data_set_count())
    version = refuse_oversized(ss)
    st.markdown(
        "Type or paste rows **x1, x2, y**, one per line: commas, tabs (as a spreadsheet copies them), "
        "semicolons or spaces between the values, a point for decimals. Set the starting weights, check the "
        "preview, then **Apply**. Every page then uses your data in this browser session; up to "
        f"{MAX_LINK_ROWS} rows also travel in the page's link. *Reset to the card's data* brings back the 4 "
        "samples of the learning card this lesson grew from."
    )
    if is_net:
        st.info(NET_NOTE, icon=":material/hub:")
    draft = typed(ss, version)
    entry, preview = st.columns(2)
    with entry:
        # A box drawn again after a run that did not draw it (another tab or page) starts from the draft.
        text = st.text_area(
            "Rows: x1, x2, y",
            value=draft.get("rows", rows_text(current)),
            key=entry_key("rows", version),
            height=240,
            help=f"Up to {MAX_ROWS} rows and {MAX_TEXT_CHARS:,} characters. The preview updates when you leave "
            "the box or press Ctrl+Enter.",
        )
        starts = dict(zip(WEIGHTS, (*current.w0, current.b0), strict=True))
        weights = {
            name: col.text_input(label, value=draft.get(name, number_text(starts[name])), key=entry_key(name, version))
            for (name, label), col in zip(WEIGHTS.items(), st.columns(3), strict=True)
        }
        ss[DRAFT] = (version, {"rows": text, **weights})
        b1, b2 = st.columns(2)
        # Act on this run's values (a callback would get the values of the run before the last edit).
        if b1.button("Apply my data", type="primary", width="stretch"):
            apply_data(ss, text, weights)
            st.rerun()
        if b2.button("Reset to the card's data", width="stretch"):
            reset_data(ss)
            st.rerun()
    with preview:
        shown = _preview(text, weights)
        if shown != current:
            st.info(
                "**Not applied yet.** The preview shows what you typed; every page still uses "
                + ("your data applied before" if own is not None else "the card's data")
                + ". It stays here while you look at other tabs and pages; *Apply my data* puts it to use.",
                icon=":material/edit_note:",
            )
    error = ss.get(ERROR)
    if error:
        st.error(f"That data can't be used: {error}. The last good data is still in use.", icon=":material/block:")
    elif own is not None:
        st.success(f"Your data ({len(current.y)} rows) is in use on every page.", icon=":material/check_circle:")
        if not travels(current):
            st.caption(":material/link_off: " + too_big_for_a_link(len(current.y)))
