"""Checks that run in a subprocess beside the other tests: started once the session's tests are known.

A test module sets `BACKGROUND = Background(launch)`, where `launch()` prepares the work and returns the command,
its folder and its input. `tests/conftest.py` starts every such job as soon as collection is done (only for
modules that have a test selected), and the module's fixture waits for the answer with `.result()`. A fixture
that finds its job not started (say, under another runner) starts it then.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

Launch = Callable[[], tuple[list[str], Path, str]]


class Background:
    """One subprocess, started at most once; its output goes to files, so it never waits on a full pipe."""

    def __init__(self, launch: Launch) -> None:
        self._launch = launch
        self._proc: subprocess.Popen | None = None
        self._done: subprocess.CompletedProcess | None = None
        self._files = ExitStack()  # the job's input and output files, closed once its result is read

    def start(self) -> None:
        if self._proc is not None:
            return
        argv, cwd, stdin = self._launch()
        # The files outlive this call (the job writes them while other tests run): the ExitStack closes them.
        files = [tempfile.TemporaryFile("w+", encoding="utf-8") for _ in range(3)]  # noqa: SIM115
        given, self._out, self._err = (self._files.enter_context(f) for f in files)
        given.write(stdin)
        given.seek(0)
        self._proc = subprocess.Popen(argv, cwd=cwd, stdin=given, stdout=self._out, stderr=self._err, text=True)

    def stop(self) -> None:
        """End the job if it still runs (the session ended before a test asked for its result)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._files.close()

    def result(self, timeout: float = 600) -> subprocess.CompletedProcess:
        """Wait for the job (starting it if need be) and return its exit status and output."""
        if self._done is not None:
            return self._done
        self.start()
        assert self._proc is not None
        code = self._proc.wait(timeout=timeout)
        self._out.seek(0)
        self._err.seek(0)
        self._done = subprocess.CompletedProcess(self._proc.args, code, self._out.read(), self._err.read())
        self._files.close()
        return self._done
