"""The network's gradient check (float64 autograd, finite differences, gradcheck) and its saturation facts, against
plain PyTorch written here."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from gradlab.probes.net_saturation import (
    SATURATED,
    saturating_lrs,
    saturation,
    scan_saturation,
    stall_start,
    stays_below,
)
from gradlab.probes.net_verify import check_epoch_net, gradient_check_net
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.links import LR_SLIDER_MAX, LR_SLIDER_MIN

CARD = RunConfig()
START = {
    "hidden.weight": [[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]],
    "hidden.bias": [0.0, 0.1, -0.1],
    "out.weight": [[1.0, -1.0, 0.5]],
    "out.bias": [0.0],
}


def train_net(config: RunConfig):
    return train(config.with_(model="net"))


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")


def plain_params(dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """The start as leaves: float32 values, in `dtype` (float64 holds the float32 values exactly)."""
    return {k: torch.tensor(v, dtype=torch.float32).to(dtype).requires_grad_(True) for k, v in START.items()}


def plain_loss(p: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    h = torch.tanh(X @ p["hidden.weight"].T + p["hidden.bias"])
    return ((h @ p["out.weight"].T + p["out.bias"] - y) ** 2).mean()


def data(config: RunConfig, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.tensor(config.X, dtype=torch.float32).to(dtype)
    return X, torch.tensor(config.y, dtype=torch.float32).to(dtype).reshape(-1, 1)


def test_gradient_check_at_the_start_against_plain_pytorch():
    check = gradient_check_net(CARD)
    assert check.agrees
    assert len(check.rows) == 6 + 3 + 3 + 1
    p32, p64 = plain_params(torch.float32), plain_params(torch.float64)
    plain_loss(p32, *data(CARD, torch.float32)).backward()
    X, y = data(CARD, torch.float64)
    plain_loss(p64, X, y).backward()
    for name, rows in check.by_param().items():
        assert_close(
            torch.tensor([r.autograd32 for r in rows], dtype=torch.float64), p32[name].grad.double().reshape(-1)
        )
        assert_close(torch.tensor([r.autograd64 for r in rows], dtype=torch.float64), p64[name].grad.reshape(-1))
        # central differences written here, in float64
        flat = p64[name].detach().reshape(-1)
        for r, i in zip(rows, range(flat.numel())):
            up, down = flat.clone(), flat.clone()
            up[i] += 1e-6
            down[i] -= 1e-6
            with torch.no_grad():
                lu = plain_loss(p64 | {name: up.view(p64[name].shape)}, X, y)
                ld = plain_loss(p64 | {name: down.view(p64[name].shape)}, X, y)
            assert r.finite_diff == pytest.approx(float(lu - ld) / float(up[i] - down[i]), rel=1e-6, abs=1e-6)


def test_gradcheck_agrees_with_torch_autograd_gradcheck_run_here():
    check = gradient_check_net(CARD)
    X, y = data(CARD, torch.float64)
    names = list(START)
    p64 = plain_params(torch.float64)

    def loss(*values: torch.Tensor) -> torch.Tensor:
        return plain_loss(dict(zip(names, values)), X, y)

    assert torch.autograd.gradcheck(loss, tuple(p64.values()))
    assert check.gradcheck_all and all(check.gradcheck.values()) and set(check.gradcheck) == set(names)


@pytest.mark.parametrize(("lr", "epoch"), [(0.01, 300), (0.1, 5), (0.02, 200)])
def test_gradient_check_along_a_run(lr: float, epoch: int):
    trace = train_net(CARD.with_(lr=lr, epochs=epoch))
    check = check_epoch_net(trace, epoch)
    assert check.agrees
    for name, rows in check.by_param().items():
        assert_close(np.array([r.autograd32 for r in rows]), trace.grads[name][epoch - 1].reshape(-1))


def test_a_difference_beyond_its_bound_is_reported():
    check = gradient_check_net(CARD)
    row = check.rows[0]
    off = dataclasses.replace(row, autograd_diff=row.rounding_bound * 2)
    assert not dataclasses.replace(check, rows=(off, *check.rows[1:])).autograd_agrees
    off = dataclasses.replace(row, fd_diff=row.fd_bound * 2)
    assert not dataclasses.replace(check, rows=(off, *check.rows[1:])).finite_diff_agrees


values = st.floats(-5, 5, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def two_feature_runs(draw: st.DrawFn) -> RunConfig:
    n = draw(st.integers(1, 8))
    X = tuple((draw(values), draw(values)) for _ in range(n))
    y = tuple(draw(values) for _ in range(n))
    return RunConfig(X=X, y=y, lr=draw(st.sampled_from([0.001, 0.01, 0.05])), epochs=draw(st.integers(1, 30)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_feature_runs())
def test_the_bounds_hold_on_any_small_two_feature_data(config: RunConfig):
    trace = train_net(config)
    if len(trace):
        check = check_epoch_net(trace, len(trace))
        assert check.autograd_agrees and check.finite_diff_agrees


def test_stays_below_and_stall_start():
    assert stays_below(np.array([0.5, 0.001, 0.5, 0.001, 0.001]), 0.01) == 4
    assert stays_below(np.array([0.001, 0.001]), 0.01) == 1
    assert stays_below(np.array([0.001, 0.5]), 0.01) is None
    flat = np.concatenate([np.linspace(10, 5, 20), np.full(30, 5.0)])
    assert stall_start(flat) == 20
    assert stall_start(np.linspace(10, 1, 50)) is None
    assert stall_start(np.full(5, 5.0)) is None  # shorter than the least stall


def plain_run(lr: float, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain PyTorch on the card's data: losses (E,) and the mean over samples of 1 − h² (E, 3)."""
    X, y = data(CARD, torch.float32)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    with torch.no_grad():
        for p, v in zip(model.parameters(), START.values()):
            p.copy_(torch.tensor(v))
    losses, slopes = [], []
    for _ in range(epochs):
        h = model[1](model[0](X))
        loss = ((model[2](h) - y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        slopes.append((1 - h.detach().double() ** 2).mean(dim=0).numpy())
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad  # type: ignore[operator, misc]  # set by backward()
        model.zero_grad()
    return np.array(losses), np.array(slopes)


def test_the_scan_names_learning_rates_that_saturate_and_stall():
    scan = scan_saturation(CARD, lrs=(0.001, 0.01, 0.1, 1.0), epochs=100)
    found = saturating_lrs(scan)
    assert found, "no learning rate in the scan saturated the hidden units"
    assert all(LR_SLIDER_MIN <= lr <= LR_SLIDER_MAX for lr in found)
    for s in scan:
        losses, slopes = plain_run(s.lr, 100)
        finite = np.isfinite(losses).all()
        saturated = finite and (slopes[-20:] < SATURATED).all()
        flat = finite and np.ptp(losses[-10:]) <= 1e-3 * losses[-1] and losses[-1] >= 0.01
        assert s.saturated_and_stalled == bool(saturated and flat), s.lr
        if s.saturated_and_stalled:
            assert s.hidden_grad_norm_end < 1e-3 * s.hidden_grad_norm_start
            assert all(u.abs_max_end > 0.99 for u in s.units)


def test_saturation_read_from_one_run_names_its_units_and_epoch():
    trace = train_net(CARD.with_(lr=0.1, epochs=50))
    s = saturation(trace)
    _, slopes = plain_run(0.1, 50)
    for u in s.units:
        below = slopes[:, u.unit] < SATURATED
        assert u.saturated_from is not None and below[u.saturated_from - 1 :].all()
        assert u.saturated_from == 1 or not below[u.saturated_from - 2]
    y = np.array(CARD.y)
    assert s.constant_loss == pytest.approx(((y - y.mean()) ** 2).mean())


@pytest.mark.slow
def test_the_sidebars_learning_rates_include_a_saturating_one():
    assert saturating_lrs(scan_saturation(CARD))


@pytest.mark.cuda
@cuda
def test_gradient_check_on_cuda():
    gpu, cpu = gradient_check_net(CARD.with_(device="cuda")), gradient_check_net(CARD)
    assert gpu.agrees and gpu.device.startswith("cuda")
    assert_close(np.array([r.autograd32 for r in gpu.rows]), np.array([r.autograd32 for r in cpu.rows]))
