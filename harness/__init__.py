"""One way to start a local Streamlit server and Debian's Chromium, shared by the browser tests and the benchmarks.

No pytest and no Playwright import here: `bench` uses it without a test runner, and a missing Playwright is
reported by the caller (a skip in tests, an error in the benchmarks).
"""

from harness.chromium import CHROMIUM, CHROMIUM_ARGS, launch, missing_browser
from harness.server import DIRECT, Server, free_port, server

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "DIRECT", "Server", "free_port", "launch", "missing_browser", "server"]
