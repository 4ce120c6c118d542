"""The network's Grad Lab experiments, each run for real: freezing a layer, `detach()`, gradient accumulation.

Each probe returns frozen facts (numbers, which `.grad` is None); the words are written elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from gradlab.probes.net_backward import (
    AutogradGrad,
    VectorJacobian,
    VersionCounter,
    autograd_grad,
    vector_jacobian,
    version_counter,
)
from gradlab.probes.net_common import Grads, Values, autograd_on, fresh, grads_of, max_diffs, values_of
from gradlab.runs.net import mse
from gradlab.settings.config import RunConfig

_HERE = Path(__file__).resolve()
FREEZE_STEPS = 20


@dataclass(frozen=True)
class Freeze:
    """`model.hidden.requires_grad_(False)`, then `steps` rounds of forward → backward() → `opt.step()` → zero_grad().

    The optimizer is `torch.optim.SGD(model.parameters(), lr)`: it is handed every parameter, frozen ones too.
    """

    lr: float
    steps: int
    requires_grad: dict[str, bool]  # per parameter, after freezing
    grads: Grads  # after the first backward(): None for the frozen layer
    losses: tuple[float, ...]  # (steps,) the loss of each round's forward pass
    start: Values  # parameters before the first step
    end: Values  # after the last step
    moved: dict[str, bool]  # whether any entry of the parameter changed

    @property
    def loss_fell(self) -> bool:
        return self.losses[-1] < self.losses[0]


@autograd_on(_HERE)
def freeze_hidden(config: RunConfig, steps: int = FREEZE_STEPS) -> Freeze:
    """Freeze the hidden layer with `requires_grad_(False)` and train: which `.grad` is None, which parameters move."""
    run = fresh(config)
    net, X, y = run.net, run.X, run.y
    net.hidden.requires_grad_(False)
    opt = torch.optim.SGD(net.parameters(), lr=config.lr)
    start = values_of(net)
    losses, first = [], None
    for _ in range(steps):
        loss = mse(net(X), y)
        loss.backward()
        if first is None:
            first = grads_of(net)
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    end = values_of(net)
    assert first is not None
    return Freeze(
        lr=config.lr,
        steps=steps,
        requires_grad={n: p.requires_grad for n, p in net.named_parameters()},
        grads=first,
        losses=tuple(losses),
        start=start,
        end=end,
        moved={n: start[n] != end[n] for n in start},
    )


@dataclass(frozen=True)
class Detach:
    """One backward() through `out(act(hidden(X)))`, and one through `out(act(hidden(X)).detach())`."""

    grads: Grads  # the normal pass
    detached_grads: Grads  # with h detached: hidden.* are None
    out_grad_diff: dict[str, float | None]  # max |detached − normal| of each parameter's .grad (None: a None .grad)
    h_requires_grad: bool  # h.detach().requires_grad
    h_is_leaf: bool  # h.detach().is_leaf


@autograd_on(_HERE)
def detach_hidden(config: RunConfig) -> Detach:
    """`detach()` the hidden activation: no gradient reaches the hidden layer; the output layer's is unchanged."""
    run = fresh(config)
    mse(run.net(run.X), run.y).backward()
    normal = grads_of(run.net)

    run = fresh(config)
    net = run.net
    h = net.act(net.hidden(run.X)).detach()  # (N, 3), cut from the graph
    mse(net.out(h), run.y).backward()
    detached = grads_of(net)
    return Detach(
        grads=normal,
        detached_grads=detached,
        out_grad_diff=max_diffs(detached, normal),
        h_requires_grad=h.requires_grad,
        h_is_leaf=h.is_leaf,
    )


def micro_batch_counts(n_samples: int) -> tuple[int, ...]:
    """The k > 1 that split N rows into k micro-batches of equal size (k divides N); empty for N = 1."""
    return tuple(k for k in range(2, n_samples + 1) if n_samples % k == 0)


@dataclass(frozen=True)
class Accumulation:
    """k micro-batches, backward() after each, one `opt.step()`; beside one full-batch backward() and step."""

    k: int
    rows: int  # rows per micro-batch (N / k)
    divided: bool  # each micro-batch's loss divided by k
    lr: float
    micro_losses: tuple[float, ...]  # (k,) each micro-batch's loss as passed to backward() (divided if `divided`)
    full_loss: float
    full_grads: Grads  # .grad after the full batch's backward()
    accumulated: Grads  # .grad after the k backward() calls
    grad_diff: dict[str, float | None]  # max |accumulated − full| (divided) or |accumulated − k·full| (not)
    full_step: Values  # parameters after one step from the full batch's .grad
    accumulated_step: Values  # after one step from the accumulated .grad
    step_diff: dict[str, float | None]  # max |accumulated_step − full_step|

    @property
    def scale(self) -> int:
        """What the accumulated `.grad` is compared with: 1× the full batch's when divided, else k×."""
        return 1 if self.divided else self.k


@autograd_on(_HERE)
def accumulate(config: RunConfig, k: int, divide: bool = True) -> Accumulation:
    """Gradient accumulation on purpose: the N rows in k equal micro-batches (ValueError unless k divides N)."""
    n = config.n_samples
    if k not in micro_batch_counts(n):
        choices = ", ".join(map(str, micro_batch_counts(n))) or "none: one row cannot be split"
        raise ValueError(f"k: {k} micro-batches do not split {n} rows into equal parts; choose one of {choices}")

    run = fresh(config)
    opt = torch.optim.SGD(run.net.parameters(), lr=config.lr)
    full = mse(run.net(run.X), run.y)
    full.backward()
    full_grads = grads_of(run.net)
    opt.step()
    full_step = values_of(run.net)

    run = fresh(config)
    net, opt = run.net, torch.optim.SGD(run.net.parameters(), lr=config.lr)
    losses = []
    for X_part, y_part in zip(run.X.chunk(k), run.y.chunk(k), strict=True):
        loss = mse(net(X_part), y_part)
        if divide:
            loss = loss / k
        loss.backward()  # adds into .grad: no zeroing between micro-batches
        losses.append(loss.item())
    accumulated = grads_of(net)
    opt.step()
    acc_step = values_of(net)
    return Accumulation(
        k=k,
        rows=n // k,
        divided=divide,
        lr=config.lr,
        micro_losses=tuple(losses),
        full_loss=full.item(),
        full_grads=full_grads,
        accumulated=accumulated,
        grad_diff=max_diffs(accumulated, full_grads, scale=1.0 if divide else float(k)),
        full_step=full_step,
        accumulated_step=acc_step,
        step_diff=max_diffs(dict(acc_step), dict(full_step)),
    )


@dataclass(frozen=True)
class NetLab:
    """Grad Lab ⑧'s experiments that take no choice, each run once for a config (accumulation: `accumulate`)."""

    freeze: Freeze
    detach: Detach
    version: VersionCounter
    autograd_grad: AutogradGrad
    vjp: VectorJacobian


def net_lab(config: RunConfig) -> NetLab:
    """Run the five experiments on fresh networks (ValueError unless the data has 2 features)."""
    return NetLab(
        freeze=freeze_hidden(config),
        detach=detach_hidden(config),
        version=version_counter(config),
        autograd_grad=autograd_grad(config),
        vjp=vector_jacobian(config),
    )
