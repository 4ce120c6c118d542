"""Debian's Chromium (never a browser that Playwright downloads), launched the same way everywhere."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def missing_browser() -> str | None:
    """Why Chromium cannot be driven here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install -y chromium; never `playwright install`)"
    return None


def launch(browser_type: Any) -> Any:
    """`browser_type.launch(...)` with the system Chromium: a Browser (sync API) or an awaitable (async API)."""
    return browser_type.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
