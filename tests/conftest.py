"""Shared fixtures: Streamlit caches are cleared around every test (they are process-wide); background checks
start as soon as the session's tests are known (see tests/background.py)."""

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


_STARTED: list = []


def pytest_collection_finish(session: pytest.Session) -> None:
    from tests.background import Background

    modules = {getattr(item, "module", None) for item in session.items}
    for module in modules:
        job = getattr(module, "BACKGROUND", None)
        if isinstance(job, Background):
            job.start()
            _STARTED.append(job)


def pytest_sessionfinish(session: pytest.Session) -> None:
    for job in _STARTED:
        job.stop()
