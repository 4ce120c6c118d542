"""Skip a test when a real part it needs (Chromium, nginx, redis-server) is missing; under CI=true, fail instead."""

from __future__ import annotations

import os

import pytest


def require(missing: str | None) -> None:
    """Nothing if `missing` is None; else skip with it as the reason, or fail when CI=true (CI must run it all)."""
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"cannot run under CI: {missing}", pytrace=False)
    pytest.skip(missing)
