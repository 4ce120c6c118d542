"""Shared pieces: result rows, statistics, the bare baseline apps, and servers started through `harness`."""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import Server

REPO = Path(__file__).resolve().parent.parent
GRADLAB_SCRIPT = "streamlit_app.py"

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


@contextlib.contextmanager
def bare_app_dir(source: str = BARE_APP) -> Iterator[Path]:
    """A temporary directory (outside the repository) holding a bare one-slider app."""
    with tempfile.TemporaryDirectory(prefix="gradlab-bench-bare-") as d:
        (Path(d) / "app.py").write_text(source)
        yield Path(d)


@contextlib.contextmanager
def server(script: Path, cwd: Path, **options: Any) -> Iterator[Server]:
    """A healthy server (see harness.Server for the options); its log goes to stderr if anything fails."""
    s = Server(script, cwd, **options)
    try:
        s.wait_healthy()
        yield s
    except BaseException:
        log(f"server {script.name} on port {s.port}, exit code {s.proc.poll()}; its log ends:\n{s.output()[-1500:]}")
        raise
    finally:
        s.stop()


@contextlib.contextmanager
def gradlab_server(**options: Any) -> Iterator[Server]:
    with server(REPO / GRADLAB_SCRIPT, REPO, **options) as s:
        yield s


@contextlib.contextmanager
def bare_server(**options: Any) -> Iterator[Server]:
    with bare_app_dir() as d, server(d / "app.py", d, **options) as s:
        yield s


@contextlib.contextmanager
def bare_torch_server() -> Iterator[Server]:
    with bare_app_dir(BARE_TORCH_APP) as d, server(d / "app.py", d) as s:
        yield s


def loadavg() -> str:
    """The 1-minute load average: other work on this machine skews every timing."""
    with contextlib.suppress(OSError), open("/proc/loadavg") as f:
        return f.read().split()[0]
    return "?"
