"""`open_store()`: the in-process store by default, Redis when GRADLAB_REDIS_URL names one."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from gradlab.rooms.bounds import Limits
from gradlab.rooms.memory import MemoryBackend
from gradlab.rooms.store import RoomStore

if TYPE_CHECKING:
    import redis

ENV = "GRADLAB_REDIS_URL"
TIMEOUT_S = 0.5  # connect and read timeout of every Redis call: an outage costs a page at most ~1 s
_SCHEMES = ("redis", "rediss", "unix")
_EXAMPLE = "redis://127.0.0.1:6379/0"
# Query options passed on to redis-py; others are refused (timeouts and retries are GradLab's to set, and
# redis-py would hand an unknown option to the socket code, failing only at the first command).
OPTIONS = ("db", "client_name", "ssl_cert_reqs", "ssl_ca_certs", "ssl_check_hostname")


def check_redis_url(url: str) -> str:
    """`url` if redis-py can use it (redis://, rediss:// or unix://, a host, a port and db number if given).

    ValueError naming the setting and what is wrong otherwise; the message never repeats a password.
    """
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when not a number in 0–65535
    except ValueError:
        raise ValueError(f"{ENV} is not a URL like {_EXAMPLE} (bad port or brackets)") from None
    unknown = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)} - set(OPTIONS))
    if unknown:
        raise ValueError(f"{ENV}: option {unknown[0]!r} is not supported (only {', '.join(OPTIONS)})")
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"{ENV} must start with redis://, rediss:// or unix:// (like {_EXAMPLE})")
    if parts.scheme == "unix":
        if not parts.path:
            raise ValueError(f"{ENV} names no socket path (like unix:///run/redis.sock)")
        return url
    if not parts.hostname:
        raise ValueError(f"{ENV} names no host (like {_EXAMPLE})")
    if port == 0:
        raise ValueError(f"{ENV} names port 0 (like {_EXAMPLE})")
    db = parts.path.lstrip("/")
    if db and not db.isdigit():
        raise ValueError(f"{ENV}: the path after the host must be a database number (like {_EXAMPLE})")
    return url


def redis_client(url: str, timeout_s: float = TIMEOUT_S) -> redis.Redis:
    """A client with short timeouts and one immediate retry, on a broken connection only (a pooled connection
    that a Redis restart closed). redis-py's default retries ten times with backoff, timeouts included, which
    would hold a page for seconds during an outage and could send a write twice.
    """
    import redis  # here, not above: the in-process store never loads it (about 75 ms after Streamlit's imports)
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    check_redis_url(url)
    try:
        return redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1, (redis.ConnectionError,)),
            decode_responses=True,
        )
    except ValueError as err:  # a query option redis-py cannot read (say ?socket_timeout=soon)
        raise ValueError(f"{ENV} has an option redis-py cannot read: {err}") from None


def open_store(
    env: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    clock: Callable[[], float] = time.monotonic,
    prefix: str = "gradlab",
) -> RoomStore:
    """The store this server uses: Redis if GRADLAB_REDIS_URL is set (not blank), else in this process.

    Nothing is contacted here: an unreachable Redis shows as StoreUnavailable on the first call, so a page
    can fall back to *Ask the room*. ValueError if the URL is malformed. `clock` is the in-process store's.
    """
    url = (os.environ if env is None else env).get(ENV, "").strip()
    if not url:
        return RoomStore(MemoryBackend(limits, clock))
    from gradlab.rooms.redis_backend import RedisBackend

    return RoomStore(RedisBackend(redis_client(url), limits, prefix))
