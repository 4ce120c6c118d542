"""A bare Streamlit app with the elements GradLab uses and nothing of GradLab's: no CSS, no keys, no text of its own.

tests/e2e/test_axe.py runs axe-core on it to tell the violations Streamlit itself causes from GradLab's.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

st.set_page_config(page_title="Bare", layout="wide")
with st.sidebar:
    st.markdown("**Settings**")
    st.slider("Epochs", 1, 50, 5)
    st.select_slider("Learning rate", options=[0.001, 0.01, 0.1], value=0.01)
    st.toggle("Presentation mode")
    st.selectbox("Device", ["cpu"])
st.title("Bare app")
st.markdown("One paragraph with `inline code`.")
st.header("A header")
st.subheader("A subheader")
st.caption("A caption with `inline code` in it.")
st.slider("Epoch", 1, 5, 1)
st.number_input("A number", value=None, step=None, format="%g")
st.radio("A question", ["one", "two", "three"], index=None, horizontal=True)
st.button("A button", type="primary")
st.table(pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]}), hide_index=False)
st.metric("w.grad", "[-37.5, -50.5]")
st.info("An info box with an icon.", icon=":material/info:")
st.code("w.grad.zero_()", language="python")
with st.expander("An expander"):
    st.markdown("Inside.")
