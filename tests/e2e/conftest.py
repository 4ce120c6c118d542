"""Fixtures for the real-browser tests: one Streamlit server and one Chromium for the session, a fresh context per test.

Chromium comes from Debian (/usr/bin/chromium), never from `playwright install`. Without it, or without the
playwright package, the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
SERVER_START_S = 60.0
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"


def _missing_prerequisite() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install -y chromium; never `playwright install`)"
    return None


@pytest.fixture(scope="session", autouse=True)
def _e2e_prerequisites() -> None:
    """Skip every browser test when Chromium or playwright is missing; under CI=true, fail instead."""
    missing = _missing_prerequisite()
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"e2e tests cannot run under CI: {missing}", pytrace=False)
    pytest.skip(f"e2e: {missing}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `streamlit run streamlit_app.py` on a free port and yield its base URL."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_S
            while not _healthy(f"{base}/_stcore/health"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    pytest.fail(f"Streamlit did not become healthy on port {port} (exit code {proc.poll()}):\n{tail}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
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
