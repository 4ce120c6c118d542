"""Shared pieces: result rows, statistics, a local Streamlit server, the bare baseline app, RSS and Chromium."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GRADLAB_SCRIPT = "streamlit_app.py"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
SETTLED = "[data-testid=stApp][data-test-script-state=notRunning]"
SKELETON = "[data-testid=stSkeleton]"

# The baseline: one slider and the value written back, nothing else. Bound to the URL so that
# sessions can be opened with different values, like GradLab's ?epochs= links.
BARE_APP = """import streamlit as st

v = st.slider("Value", 0, 10_000, 5, key="v", bind="query-params")
st.write(f"value: {v}")
"""

# The floor for any page that shows a live autograd number: the bare app plus `import torch` and one
# backward(). Cold start against it shows what GradLab costs beyond PyTorch's own import.
BARE_TORCH_APP = """import streamlit as st
import torch

v = st.slider("Value", 0, 10_000, 5, key="v", bind="query-params")
w = torch.tensor(float(v), requires_grad=True)
(w * w).backward()
st.write(f"value: {v}, w.grad: {w.grad.item():g}")
"""


@dataclass
class Row:
    """One line of the final table."""

    num: str
    measure: str
    gradlab: str
    baseline: str
    ratio: str
    target: str


def compared(
    num: str, measure: str, gradlab: float, baseline: float, cell: Callable[[float], str], target: float | None = None
) -> Row:
    """A row of GradLab beside its baseline: both shown with `cell`, their ratio, and the ≤ target if any."""
    goal = "—" if target is None else f"≤ {target:.1f}×"
    return Row(num, measure, cell(gradlab), cell(baseline), ratio(gradlab, baseline, target), goal)


def log(msg: str) -> None:
    """Progress goes to stderr so that stdout ends with the table alone."""
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def p95(xs: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[max(0, -(-95 * len(s) // 100) - 1)]


def ms(seconds: float) -> str:
    return "n/a" if seconds != seconds else f"{seconds * 1000:,.0f} ms"


def mb_cell(mb: float) -> str:
    return "n/a" if mb != mb else f"{mb:.2f} MB"


def secs(seconds: float) -> str:
    return "n/a" if seconds != seconds else f"{seconds:.2f} s"


def ratio(a: float, b: float, target: float | None = None) -> str:
    """`a / b` as "1.23×", with ✓ or ✗ against a ≤ target when there is one."""
    if not (a == a and b == b) or b <= 0:
        return "n/a"
    r = a / b
    mark = "" if target is None else (" ✓" if r <= target else " ✗")
    return f"{r:.2f}×{mark}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def bare_app_dir(source: str = BARE_APP) -> Iterator[Path]:
    """A temporary directory (outside the repository) holding a bare one-slider app."""
    with tempfile.TemporaryDirectory(prefix="gradlab-bench-bare-") as d:
        (Path(d) / "app.py").write_text(source)
        yield Path(d)


class Server:
    """`python -m streamlit run` on 127.0.0.1 at a free port, in its own process group."""

    def __init__(self, script: Path, cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server; closed in stop()
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.headless=true", f"--server.port={self.port}", "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Poll /_stcore/health until it answers "ok" (bounded by `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.output()}")
            with contextlib.suppress(OSError), _DIRECT.open(f"{self.url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return
            time.sleep(0.02)
        raise TimeoutError(f"streamlit not healthy after {timeout:.0f} s:\n{self.output()}")

    def rss_mb(self) -> float:
        """Resident memory of the server and any children, in MB (from /proc/<pid>/status VmRSS)."""
        return sum(_vmrss_kb(pid) for pid in _tree(self.proc.pid)) / 1024

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server and any children have used so far."""
        return sum(_cpu_ticks(pid) for pid in _tree(self.proc.pid)) / os.sysconf("SC_CLK_TCK")

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


@contextlib.contextmanager
def server(script: Path, cwd: Path) -> Iterator[Server]:
    s = Server(script, cwd)
    try:
        s.wait_healthy()
        yield s
    except BaseException:
        log(f"server {script.name} on port {s.port}, exit code {s.proc.poll()}; its log ends:\n{s.output()[-1500:]}")
        raise
    finally:
        s.stop()


@contextlib.contextmanager
def gradlab_server() -> Iterator[Server]:
    with server(REPO / GRADLAB_SCRIPT, REPO) as s:
        yield s


@contextlib.contextmanager
def bare_server() -> Iterator[Server]:
    with bare_app_dir() as d, server(d / "app.py", d) as s:
        yield s


@contextlib.contextmanager
def bare_torch_server() -> Iterator[Server]:
    with bare_app_dir(BARE_TORCH_APP) as d, server(d / "app.py", d) as s:
        yield s


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


def loadavg() -> str:
    """The 1-minute load average: other work on this machine skews every timing."""
    with contextlib.suppress(OSError), open("/proc/loadavg") as f:
        return f.read().split()[0]
    return "?"
