"""Shared fixtures: Streamlit caches are cleared around every test (they are process-wide)."""

from __future__ import annotations

import sys

import pytest


def _clear_streamlit_caches() -> None:
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()


@pytest.fixture(autouse=True)
def clean_streamlit_caches():
    _clear_streamlit_caches()
    yield
    _clear_streamlit_caches()
