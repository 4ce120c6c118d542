"""Fixtures for the real-browser tests: one Streamlit server and one Chromium for the session, a fresh context per test.

Chromium comes from Debian (/usr/bin/chromium), never from `playwright install`. Without it, or without the
playwright package, the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness import Server, launch, missing_browser
from tests.prereq import require  # the e2e tests import it from here

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

REPO_ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1400, "height": 900}
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def _e2e_prerequisites() -> None:
    """Skip every browser test when Chromium or playwright is missing; under CI=true, fail instead."""
    require(missing_browser())


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `streamlit run streamlit_app.py` on a free port and yield its base URL."""
    s = Server("streamlit_app.py", REPO_ROOT, log_path=tmp_path_factory.mktemp("streamlit") / "server.log")
    try:
        try:
            s.wait_healthy()
        except (RuntimeError, TimeoutError) as err:
            pytest.fail(f"Streamlit did not become healthy: {err}")
        yield s.url
    finally:
        s.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw.chromium)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Factory for isolated browser contexts (own cookies, own Streamlit sessions); all closed afterwards."""
    made: list[BrowserContext] = []

    def make(**kwargs: object) -> BrowserContext:
        ctx = browser.new_context(**{"viewport": VIEWPORT, **kwargs})
        ctx.set_default_timeout(15_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught JavaScript errors seen by `page` (a Vega spec with Infinity ends up here)."""
    return []


@pytest.fixture
def page_requests() -> list[str]:
    """Every URL `page` requested (the app must not reach beyond its own server)."""
    return []


@pytest.fixture
def page(new_context: Callable[..., BrowserContext], page_errors: list[str], page_requests: list[str]) -> Page:
    """A page in a fresh context, 1400×900."""
    pg = new_context().new_page()
    pg.on("pageerror", lambda err: page_errors.append(str(err)))
    pg.on("request", lambda req: page_requests.append(req.url))
    return pg


@pytest.fixture
def expect() -> Callable[..., object]:
    """Playwright's auto-retrying assertions."""
    from playwright.sync_api import expect as pw_expect

    return pw_expect


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """artifacts/screenshots/ (git-ignored), created on demand."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
