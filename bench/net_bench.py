"""`gradlab.runs.train.train` of the network (full per-epoch trace) vs a bare `nn.Module` loop that records nothing.

`python -m bench --only net` (or `python -m bench.net_bench [--quick]`) prints one table row.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import torch

from bench.common import Row, compared, log, median, ms, ratio
from gradlab.runs.net import make_net, net_data
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

EPOCHS = 10_000


def bare_net_loop(config: RunConfig) -> None:
    """The same forward → MSE → backward → no_grad update → zero_, with `model(X)`, recording nothing."""
    X, y = net_data(config, "cpu")  # (N, 2), (N, 1)
    model = make_net("cpu")
    params = list(model.parameters())
    for _ in range(config.epochs):
        loss = torch.nn.functional.mse_loss(model(X), y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= config.lr * p.grad  # type: ignore[operator, misc]  # set by backward()
        for p in params:
            p.grad.zero_()  # type: ignore[union-attr]  # set by backward()


def _time(fn: Callable[[RunConfig], object], config: RunConfig) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds)."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn(config)
    return time.perf_counter() - w0, time.process_time() - c0


def net_measure(ctx: dict[str, float], quick: bool) -> list[Row]:
    """Interleaved repeats (traced, bare, traced, …) after one untimed warm-up of each; wall-clock medians."""
    repeats = 2 if quick else 7
    config = RunConfig(epochs=EPOCHS, model="net")
    train(config)
    bare_net_loop(config)
    traced, bare = [], []
    for _ in range(repeats):
        traced.append(_time(train, config))
        bare.append(_time(bare_net_loop, config))
    t_wall, b_wall = [w for w, _ in traced], [w for w, _ in bare]
    t_cpu, b_cpu = median([c for _, c in traced]), median([c for _, c in bare])
    log(f"net: torch threads={torch.get_num_threads()} (defaults, same for both)")
    log(f"net wall ms traced {[round(t * 1000) for t in t_wall]}; bare {[round(t * 1000) for t in b_wall]}")
    log(
        f"net cross-checks: best-of ratio {ratio(min(t_wall), min(b_wall))}; process-CPU medians "
        f"{t_cpu * 1000:.0f} vs {b_cpu * 1000:.0f} ms = {ratio(t_cpu, b_cpu)}"
    )
    ctx["net_train_s"] = median(t_wall)
    what = f"net: `train(RunConfig(epochs=10_000, model='net'))` vs bare nn.Module loop (wall median of {repeats})"
    return [compared("1n", what, median(t_wall), median(b_wall), ms, 1.3)]


if __name__ == "__main__":
    rows = net_measure({}, "--quick" in sys.argv[1:])
    for r in rows:
        print(f"| {r.num} | {r.measure} | {r.gradlab} | {r.baseline} | {r.ratio} | {r.target} |")
