"""`gradlab.runs.train.train` (full per-epoch trace) vs a bare hand-written torch loop that records nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from bench.common import Row, compared, log, median, ms, ratio
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

EPOCHS = 10_000


def bare_loop(config: RunConfig) -> None:
    """The same forward → loss → backward → no_grad update → zero_, recording nothing."""
    X = torch.tensor(config.X, dtype=torch.float32)  # (N, F)
    y = torch.tensor(config.y, dtype=torch.float32)  # (N,)
    w = torch.tensor(config.w0, dtype=torch.float32, requires_grad=True)
    b = torch.tensor(config.b0, dtype=torch.float32, requires_grad=True)
    for _ in range(config.epochs):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= config.lr * w.grad
            b -= config.lr * b.grad
        w.grad.zero_()
        b.grad.zero_()


def _time(fn: Callable[[RunConfig], object], config: RunConfig) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds): CPU time is far less disturbed by other work on the machine."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn(config)
    return time.perf_counter() - w0, time.process_time() - c0


def train_measure(ctx: dict[str, float], quick: bool) -> list[Row]:
    """Interleaved repeats (GradLab, bare, GradLab, …) after one untimed warm-up of each; wall-clock medians."""
    repeats = 2 if quick else 7
    config = RunConfig(epochs=EPOCHS)
    train(config)
    bare_loop(config)
    gl, bare = [], []
    for _ in range(repeats):
        gl.append(_time(train, config))
        bare.append(_time(bare_loop, config))
    gl_wall, bare_wall = [w for w, _ in gl], [w for w, _ in bare]
    gl_cpu, bare_cpu = median([c for _, c in gl]), median([c for _, c in bare])
    log(f"train: torch threads={torch.get_num_threads()} (defaults, same for both)")
    log(f"train wall ms GradLab {[round(t * 1000) for t in gl_wall]}; bare {[round(t * 1000) for t in bare_wall]}")
    log(
        f"train cross-checks: best-of ratio {ratio(min(gl_wall), min(bare_wall))}; process-CPU medians "
        f"{gl_cpu * 1000:.0f} vs {bare_cpu * 1000:.0f} ms = {ratio(gl_cpu, bare_cpu)}"
    )
    ctx["train_s"] = median(gl_wall)
    what = f"train: `train(RunConfig(epochs=10_000))` vs bare loop (wall median of {repeats}, interleaved)"
    return [compared("1", what, median(gl_wall), median(bare_wall), ms, 1.3)]
