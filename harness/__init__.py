"""One way to start a local Streamlit server, Debian's Chromium and Debian's redis-server, shared by the tests
and the benchmarks.

No pytest and no Playwright import here: `bench` uses it without a test runner, and a missing Playwright is
reported by the caller (a skip in tests, an error in the benchmarks).
"""

from harness.chromium import CHROMIUM, CHROMIUM_ARGS, launch, missing_browser
from harness.redis import RedisServer, missing_redis, redis_server
from harness.server import DIRECT, Server, free_port, server

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "DIRECT", "RedisServer", "Server", "free_port", "launch", "missing_browser",
           "missing_redis", "redis_server", "server"]  # fmt: skip
