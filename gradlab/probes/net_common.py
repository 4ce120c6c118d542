"""Shared pieces of the network's probes: a fresh net, `.grad` snapshots by name, differences, autograd switched on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import torch

from gradlab.probes.capture import silenced
from gradlab.runs.live import NetLive, net_live
from gradlab.runs.net import Net
from gradlab.settings.config import RunConfig

Grads = dict[str, tuple[float, ...] | None]  # parameter name → its .grad flattened, or None where .grad is None
Values = dict[str, tuple[float, ...]]  # parameter name → its values flattened

P = ParamSpec("P")
R = TypeVar("R")

_ONE_AT_A_TIME = threading.RLock()  # re-entrant: a probe may call another


def fresh(config: RunConfig) -> NetLive:
    """A new net at its start, X (N, 2), y (N, 1) on the config's device; ValueError unless the data has 2 features."""
    return net_live(config.with_(update="manual"))  # the probes build their own optimizers


def grads_of(net: Net) -> Grads:
    """Each parameter's `.grad` as floats (None stays None), by `named_parameters()` name."""
    return {
        n: None if p.grad is None else tuple(p.grad.detach().cpu().reshape(-1).tolist())
        for n, p in net.named_parameters()
    }


def values_of(net: Net) -> Values:
    """Each parameter's values as floats, by `named_parameters()` name."""
    return {n: tuple(p.detach().double().cpu().reshape(-1).tolist()) for n, p in net.named_parameters()}


def max_diff(a: tuple[float, ...] | None, b: tuple[float, ...] | None, scale: float = 1.0) -> float | None:
    """max |a − scale·b| over entries; None when either side is None (a `.grad` that was None)."""
    if a is None or b is None:
        return None
    return max(abs(x - scale * y) for x, y in zip(a, b, strict=True))


def max_diffs(a: Grads, b: Grads, scale: float = 1.0) -> dict[str, float | None]:
    """`max_diff` for every name both sides share: name → float, or None where a `.grad` was None."""
    return {name: max_diff(a[name], b[name], scale) for name in a}


def largest(values: dict[str, tuple[float, ...] | None]) -> float:
    """The largest |entry| over all names (0.0 if every entry is None): the scale a tolerance is taken against."""
    return max((abs(v) for vals in values.values() if vals is not None for v in vals), default=0.0)


def autograd_on(origin: Path) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a probe with autograd on (even under no_grad or inference_mode), one probe at a time.

    One at a time because recording warnings swaps process-wide state and Streamlit runs each session in a
    thread; warnings raised on `origin`'s lines are the probe's own and are dropped, every other is passed on.
    """

    def wrap(probe: Callable[P, R]) -> Callable[P, R]:
        @wraps(probe)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with _ONE_AT_A_TIME, silenced(origin), torch.inference_mode(False), torch.enable_grad():
                return probe(*args, **kwargs)

        return run

    return wrap
