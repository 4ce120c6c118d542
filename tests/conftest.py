"""Shared fixtures: Streamlit caches are cleared around every test (they are process-wide); background checks
start as soon as the session's tests are known (see tests/background.py)."""

from __future__ import annotations

import functools
import sys

import pytest


def _clear_streamlit_caches() -> None:
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()


@pytest.fixture(scope="session", autouse=True)
def _scan_installed_components_once() -> None:
    """Scan installed packages for Streamlit components once per test session, not on every AppTest run.

    AppTest looks through every installed distribution's metadata for v2 components before each run: about
    0.3 s of a 0.35 s page run here. The installed packages cannot change during a test session, so the first
    scan's answer (none, for GradLab) stands for the rest; what the pages do is not touched.
    """
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:  # a Streamlit without v2 components: nothing to scan
        return
    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


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


@pytest.fixture(scope="session")
def redis_server():
    """One Debian redis-server for the session's class-vote tests (each test uses its own key prefix).

    Skipped with the reason when redis-server is missing; under CI=true that fails instead.
    """
    from harness.redis import RedisServer, missing_redis
    from tests.prereq import require

    require(missing_redis())
    server = RedisServer()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
