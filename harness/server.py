"""`python -m streamlit run` on 127.0.0.1 at a free port: started, health-checked, measured and stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

# Loopback only, never through an HTTP proxy that the environment may name.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
HEALTH_TIMEOUT_S = 60.0
# The flags Streamlit's own e2e suite starts a server with; the address keeps it on loopback.
BASE_FLAGS = ("--server.headless=true", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
              "--server.fileWatcherType=none")  # fmt: skip


def wait_health(
    proc: subprocess.Popen, url: str, timeout: float, interval: float, errors: Callable[[], str], what: str
) -> None:
    """Poll `url`/_stcore/health until it answers 200; fail at once if `proc` exits, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{errors()}")
        with contextlib.suppress(OSError), DIRECT.open(f"{url}/_stcore/health", timeout=1) as r:
            if r.status == 200:
                return
        time.sleep(interval)
    raise TimeoutError(f"{what} not answering /_stcore/health after {timeout:.0f} s:\n{errors()}")


def stop_group(proc: subprocess.Popen, first: signal.Signals, wait_s: float = 10) -> None:
    """Stop a process started in its own process group: `first`, then SIGKILL if it is still there after `wait_s`."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, first)
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=wait_s)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`python -m streamlit run <script>` in its own process group, its output kept in `log_path` or a temp file.

    `flags` are extra `--section.option=value` flags; `prefix` goes before the interpreter (e.g. `taskset -c 0`).
    """

    def __init__(
        self,
        script: Path | str,
        cwd: Path | str,
        *,
        flags: Sequence[str] = (),
        prefix: Sequence[str] = (),
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        # Lives as long as the server; closed in stop().
        self._log: IO[bytes] = log_path.open("wb") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
        cmd = [*prefix, sys.executable, "-m", "streamlit", "run", str(script), *BASE_FLAGS,
               f"--server.port={self.port}", *flags]  # fmt: skip
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env=full_env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def get(self, path: str, timeout: float = 5.0) -> bytes:
        """GET `path` from the server directly (no proxy)."""
        with DIRECT.open(self.url + path, timeout=timeout) as r:
            return bytes(r.read())

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        """Poll /_stcore/health until it answers 200 (bounded by `timeout`)."""
        wait_health(self.proc, self.url, timeout, 0.02, self.output, f"streamlit on port {self.port}")

    def rss_mb(self) -> float:
        """Resident memory of the server and any children, in MB (from /proc/<pid>/status VmRSS)."""
        return sum(_vmrss_kb(pid) for pid in _tree(self.proc.pid)) / 1024

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server and any children have used so far."""
        return sum(_cpu_ticks(pid) for pid in _tree(self.proc.pid)) / os.sysconf("SC_CLK_TCK")

    def output(self) -> str:
        """The end of the server's output so far."""
        self._log.flush()
        if self.log_path is not None:
            return self.log_path.read_text(errors="replace")[-4000:]
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        """SIGTERM to the process group (SIGKILL after 10 s); safe to call twice."""
        stop_group(self.proc, signal.SIGTERM)
        if not self._log.closed:
            self._log.close()


@contextlib.contextmanager
def server(script: Path | str, cwd: Path | str, **options: Any) -> Iterator[Server]:
    """A healthy server for the `with` block, stopped afterwards; its log ends the error if it fails to start."""
    s = Server(script, cwd, **options)
    try:
        s.wait_healthy()
        yield s
    finally:
        s.stop()


def _tree(pid: int) -> list[int]:
    """The pid and all its descendants, from /proc/<pid>/task/*/children."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
    return out


def _vmrss_kb(pid: int) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _cpu_ticks(pid: int) -> int:
    with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return 0
