"""Grad Lab ⑦: your own data, validated before any page uses it."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pandas as pd
import streamlit as st

from gradlab.userdata import CARD_DATA, Dataset, parse_dataset
from ui.sidebar import reset_data, use_data


def apply_data(state: MutableMapping[str, Any], rows: list[dict[str, object]], w0: list[object], b0: object) -> None:
    """Use the edited data if it is valid; otherwise keep the last good data and record why."""
    try:
        data = parse_dataset(rows, w0, b0)
    except ValueError as err:
        state["lab_data_error"] = str(err)
        return
    use_data(state, data)


def data_panel() -> None:
    """Edit the rows (x1, x2, y) and the initial weights; valid data drives every page."""
    current: Dataset = st.session_state.get("gl_data") or CARD_DATA
    version = st.session_state.get("lab_data_version", 0)
    st.markdown(
        "Edit, add or delete rows, set the starting weights, then **Apply**. Every page then uses your data "
        "in this browser session only. Invalid input is explained and the last good data is kept."
    )
    edited = st.data_editor(
        pd.DataFrame(current.rows()),
        num_rows="dynamic",
        key=f"lab_editor_{version}",
        column_config={c: st.column_config.NumberColumn(c, format="%.6g") for c in ("x1", "x2", "y")},
        width="stretch",
    )
    c1, c2, c3 = st.columns(3)
    w1 = c1.number_input("initial w1", value=current.w0[0], format="%.6g", key=f"lab_w1_{version}")
    w2 = c2.number_input("initial w2", value=current.w0[1], format="%.6g", key=f"lab_w2_{version}")
    b0 = c3.number_input("initial b", value=current.b0, format="%.6g", key=f"lab_b_{version}")
    rows = edited.astype(object).where(edited.notna(), None).to_dict("records")
    b1, b2 = st.columns(2)
    ss = st.session_state
    # Act on this run's values (a callback would get the values of the run before the last edit).
    if b1.button("Apply my data", type="primary", width="stretch"):
        apply_data(ss, rows, [w1, w2], b0)
        st.rerun()
    if b2.button("Reset to the card's data", width="stretch"):
        reset_data(ss)
        st.rerun()
    error = st.session_state.get("lab_data_error")
    if error:
        st.error(f"That data can't be used: {error}. The last good data is still in use.", icon=":material/block:")
    elif "gl_data" in st.session_state:
        st.success(f"Your data ({len(current.y)} rows) is in use on every page.", icon=":material/check_circle:")
