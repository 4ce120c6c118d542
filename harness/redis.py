"""Debian's redis-server on a loopback port, in the foreground, without persistence: started, pinged, stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from harness.server import free_port, stop_group

REDIS_SERVER = Path("/usr/bin/redis-server")


def missing_redis() -> str | None:
    """Why redis-server cannot run here, or None."""
    if not REDIS_SERVER.is_file() or not os.access(REDIS_SERVER, os.X_OK):
        return f"{REDIS_SERVER} is missing (apt-get install -y redis-server)"
    return None


def ping(port: int, timeout: float = 0.5) -> bool:
    """Whether a Redis on 127.0.0.1:`port` answers PING with PONG (plain RESP over a socket, no client needed)."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).startswith(b"+PONG")
    return False


class RedisServer:
    """`redis-server` on 127.0.0.1:`port` (a free one by default) in its own process group; nothing saved to disk."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="gradlab-redis-")  # its working directory: nothing is written there
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  (closed in stop())
        cmd = [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
               "no", "--dir", self.dir, "--protected-mode", "yes"]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, cwd=self.dir, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Until the server answers PING; RuntimeError if it exits first, TimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n{self.output()}")
            if ping(self.port):
                return
            time.sleep(0.02)
        raise TimeoutError(f"redis-server on port {self.port} not answering PING after {timeout:.0f} s")

    def output(self) -> str:
        """The end of the server's log so far."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        """SIGTERM to its process group (SIGKILL after 10 s); safe to call twice."""
        stop_group(self.proc, signal.SIGTERM)
        if not self._log.closed:
            self._log.close()
        with contextlib.suppress(OSError):
            for name in os.listdir(self.dir):
                os.remove(os.path.join(self.dir, name))
            os.rmdir(self.dir)


@contextlib.contextmanager
def redis_server(port: int | None = None) -> Iterator[RedisServer]:
    """A Redis that answers PING for the `with` block, stopped afterwards."""
    r = RedisServer(port)
    try:
        r.wait_ready()
        yield r
    finally:
        r.stop()
