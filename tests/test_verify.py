"""Autograd's .grad against the hand-derived gradient 2/N·Xᵀ(ŷ−y) and central finite differences."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from gradlab.config import RunConfig
from gradlab.train import train
from gradlab.verify import analytic_grad, autograd_grad, check_epoch, finite_diff_grad, gradient_check

values = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def configs(draw: st.DrawFn) -> RunConfig:
    n = draw(st.integers(1, 12))
    f = draw(st.integers(1, 3))
    X = tuple(tuple(draw(values) for _ in range(f)) for _ in range(n))
    y = tuple(draw(values) for _ in range(n))
    w0 = tuple(draw(values) for _ in range(f))
    lr = draw(st.floats(1e-4, 0.1))
    return RunConfig(lr=lr, epochs=draw(st.integers(1, 20)), X=X, y=y, w0=w0, b0=draw(values))


@pytest.mark.parametrize(
    ("w", "b", "w_grad", "b_grad"),
    [
        pytest.param((0.5, -0.5), 0.0, (-37.5, -50.5), -13.0, id="seed-card"),
        pytest.param((0.0, 0.0), 0.0, (-35.0, -47.0), -12.0, id="zeros-by-hand"),  # 0.5·Xᵀ(−y), 0.5·Σ(−y)
        pytest.param((1.0, 1.0), 0.0, (0.0, 0.0), 0.0, id="exact-fit-zero-grad"),  # y = x1 + x2
    ],
)
def test_known_points(w, b, w_grad, b_grad):
    cfg = RunConfig()
    for gw, gb in (autograd_grad(cfg, w, b), analytic_grad(cfg, w, b)):
        assert_close(gw.double(), torch.tensor(w_grad, dtype=torch.float64))
        assert float(gb) == pytest.approx(b_grad)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_autograd_matches_analytic_and_finite_differences_in_float64(cfg):
    w, b = cfg.w0, cfg.b0
    ag_w, ag_b = autograd_grad(cfg, w, b, dtype=torch.float64)
    an_w, an_b = analytic_grad(cfg, w, b)
    fd_w, fd_b = finite_diff_grad(cfg, w, b)
    assert_close(ag_w, an_w, rtol=1e-12, atol=1e-10)
    assert_close(ag_b, an_b, rtol=1e-12, atol=1e-10)
    scale = 1.0 + float(an_w.abs().max()) + abs(float(an_b))
    assert_close(fd_w, an_w, rtol=1e-6, atol=1e-6 * scale)
    assert_close(fd_b, an_b, rtol=1e-6, atol=1e-6 * scale)


@settings(max_examples=30, deadline=None)
@given(configs())
def test_every_recorded_epoch_grad_is_the_analytic_gradient(cfg):
    trace = train(cfg)
    for i in range(len(trace)):
        an_w, an_b = analytic_grad(cfg, tuple(trace.w[i]), float(trace.b[i]))
        scale = 1.0 + float(an_w.abs().max())
        # float32 autograd against float64 analytic: relative float32 precision of the terms
        assert_close(torch.from_numpy(trace.w_grad[i]), an_w, rtol=1e-4, atol=1e-4 * scale * cfg.n_samples)
        assert float(trace.b_grad[i]) == pytest.approx(float(an_b), rel=1e-4, abs=1e-4 * scale * cfg.n_samples)


def test_gradient_check_table_for_the_card():
    check = gradient_check(RunConfig(), (0.5, -0.5), 0.0)
    assert [r.param for r in check.rows] == ["w[0]", "w[1]", "b"]
    assert [r.autograd for r in check.rows] == [-37.5, -50.5, -13.0]
    assert [r.analytic for r in check.rows] == [-37.5, -50.5, -13.0]
    assert check.max_abs_diff < 1e-6
    assert check.device == "cpu"


@pytest.mark.parametrize("epoch", [1, 3, 5])
def test_check_epoch_uses_that_epochs_weights(epoch):
    trace = train(RunConfig())
    check = check_epoch(trace, epoch)
    assert check.w == tuple(trace.w[epoch - 1])
    assert [r.autograd for r in check.rows[:2]] == pytest.approx(list(trace.w_grad[epoch - 1]), rel=1e-6)
    assert check.max_abs_diff < 1e-4


def test_check_epoch_out_of_range():
    with pytest.raises(ValueError, match="epoch: 6 is out of range; this run has epochs 1 to 5"):
        check_epoch(train(RunConfig()), 6)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")
def test_gradient_check_runs_on_cuda():
    check = gradient_check(RunConfig(device="cuda"), (0.5, -0.5), 0.0)
    assert check.device.startswith("cuda") and check.max_abs_diff < 1e-5
