"""Catch what PyTorch (and Python) say to one piece of code: the exception it raises, the warnings raised on that
code's lines, and what it prints.

Python records warnings process-wide, and Streamlit runs each session in a thread of its own, so a recording
also catches warnings other threads raise meanwhile. Only the warnings raised on lines of the given file
count; the others are passed on, as if never caught. Likewise only this thread's prints are kept; other threads
print as usual meanwhile.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

# One capture at a time in this process: catch_warnings and sys.stdout are process-wide, and two captures of the
# same file in two threads would each see the other's warnings.
ONE_AT_A_TIME = threading.Lock()
# PyTorch's C++ warnings (TORCH_WARN) arrive as UserWarning, attributed to the Python line that triggered them.
PYTORCH_WARNINGS = (UserWarning,)
# PyTorch appends its C++ source location to warnings; that is noise for a learner.
_TRIGGERED = re.compile(r"\s*\(Triggered internally at .*\)\s*$", re.DOTALL)


@dataclass
class Captured:
    """The exception a block raised (as "RuntimeError: …", PyTorch's, or Python's own, such as "TypeError: …"), its
    own warnings (as "UserWarning: …", each once) and the lines it printed."""

    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)


class _ThreadStdout(io.TextIOBase):
    """sys.stdout while a block runs: the block's thread writes into a buffer, every other thread to `real`."""

    def __init__(self, real: TextIO, thread: int) -> None:
        self.real, self.thread, self.buffer = real, thread, io.StringIO()

    def write(self, text: str) -> int:
        return (self.buffer if threading.get_ident() == self.thread else self.real).write(text)

    def flush(self) -> None:
        self.real.flush()


def ours(w: warnings.WarningMessage, origin: Path) -> bool:
    """A warning PyTorch raised on a line of `origin`, not one from another thread that ran meanwhile."""
    return issubclass(w.category, PYTORCH_WARNINGS) and Path(w.filename).resolve() == origin


def pass_on(caught: list[warnings.WarningMessage], origin: Path) -> None:
    """Re-issue the warnings that did not come from `origin`."""
    for w in caught:
        if not ours(w, origin):
            with suppress(Warning):  # a filter may turn it into an error; that is for its own thread to see
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


@contextmanager
def capture(origin: Path) -> Iterator[Captured]:
    """Run the block, keeping the exception it raises and the warnings raised on lines of `origin`."""
    got = Captured()
    real = sys.stdout
    out = _ThreadStdout(real, threading.get_ident())
    sys.stdout = out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield got
        except Exception as exc:  # what a learner running the code would see: PyTorch's error or Python's
            got.error = f"{type(exc).__name__}: {exc}"
        finally:
            sys.stdout = real
            got.printed = out.buffer.getvalue().splitlines()
            said = [w for w in caught if ours(w, origin)]
            shown = [f"{w.category.__name__}: {_TRIGGERED.sub('', str(w.message))}" for w in said]
            got.warnings += list(dict.fromkeys(shown))  # a warning raised on two lines is said once
    pass_on(caught, origin)


@contextmanager
def silenced(origin: Path) -> Iterator[None]:
    """Drop the warnings raised on lines of `origin` while the block runs; pass on every other."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        pass_on(caught, origin)
