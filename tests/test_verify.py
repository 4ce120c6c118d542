"""Autograd's .grad against the hand-derived gradient 2/N·Xᵀ(ŷ−y) and central finite differences."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

import gradlab.probes.verify
from gradlab.probes.verify import (
    GradCheck,
    analytic_grad,
    autograd_grad,
    check_epoch,
    explain_check,
    finite_diff_grad,
    gradient_check,
    rounding_bounds,
)
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.stability import stable_limit

values = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=32)


def largest_diff(check: GradCheck) -> float:
    """The largest |analytic − autograd| or |finite diff − analytic| of a check."""
    return max(max(r.analytic_diff, r.finite_diff_diff) for r in check.rows)


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
def test_every_recorded_epoch_grad_is_within_the_float32_rounding_bound(cfg):
    trace = train(cfg)
    for i in range(len(trace)):
        w, b = tuple(trace.w[i]), float(trace.b[i])
        an_w, an_b = analytic_grad(cfg, w, b)
        bound, _ = rounding_bounds(cfg, w, b)
        got = [*trace.w_grad[i], trace.b_grad[i]]
        want = [*an_w.tolist(), float(an_b)]
        assert all(abs(g - a) <= m for g, a, m in zip(got, want, bound)), (got, want, bound)


def test_gradient_check_table_for_the_card():
    check = gradient_check(RunConfig(), (0.5, -0.5), 0.0)
    assert [r.param for r in check.rows] == ["w1", "w2", "b"]
    assert [r.autograd for r in check.rows] == [-37.5, -50.5, -13.0]
    assert [r.analytic for r in check.rows] == [-37.5, -50.5, -13.0]
    assert largest_diff(check) < 1e-6 and check.agrees
    assert all(r.exact for r in check.rows)  # float32 autograd computes the card's first gradient exactly
    assert check.device == "cpu"


@pytest.mark.parametrize("epoch", [1, 3, 5])
def test_check_epoch_uses_that_epochs_weights(epoch):
    trace = train(RunConfig())
    check = check_epoch(trace, epoch)
    assert check.w == tuple(trace.w[epoch - 1])
    assert [r.autograd for r in check.rows[:2]] == pytest.approx(list(trace.w_grad[epoch - 1]), rel=1e-6)
    assert largest_diff(check) < 1e-4


def _scaled(scale: float) -> RunConfig:
    """The card's data times `scale`, with a stable learning rate for it (capped at the largest allowed, 10)."""
    card = RunConfig()
    X = tuple(tuple(v * scale for v in row) for row in card.X)
    cfg = card.with_(X=X, y=tuple(v * scale for v in card.y), epochs=300)
    return cfg.with_(lr=min(10.0, 0.5 * stable_limit(cfg)))


SCALES = [pytest.param(s, id=f"scale-{s:g}") for s in (1e-3, 1e-2, 1e-1, 1.0, 10.0, 1e2, 1e3, 1e4)]
THOUSANDS = RunConfig(X=((1e3, 2e3), (3e3, 1e3), (2e3, 2.5e3)), y=(5e3, 5e3, 7e3), w0=(0.5, -0.5), lr=1e-7, epochs=2000)


@pytest.mark.parametrize("scale", SCALES)
def test_gradient_check_agrees_at_every_data_scale(scale):
    trace = train(_scaled(scale))
    for epoch in (1, len(trace) // 2, len(trace)):
        check = check_epoch(trace, epoch)
        assert check.agrees, [
            (r.param, r.analytic_diff, r.rounding_bound, r.finite_diff_diff, r.fd_bound) for r in check.rows
        ]


def test_gradient_check_agrees_near_the_optimum_of_large_features():
    # Features in the thousands: near the optimum float32 rounding alone moves .grad by about 1.
    trace = train(THOUSANDS)
    check = check_epoch(trace, len(trace))
    assert max(r.analytic_diff for r in check.rows) > 0.1  # rounding is visible here…
    assert check.agrees  # …and within what float32 can produce


@pytest.mark.parametrize("scale", SCALES)
def test_a_planted_wrong_gradient_is_caught_at_every_scale(scale, monkeypatch):
    real = gradlab.probes.verify.autograd_grad

    def off_by_a_thousandth(*args, **kwargs):
        w_grad, b_grad = real(*args, **kwargs)
        return w_grad * torch.tensor([1.001, 1.0], dtype=w_grad.dtype), b_grad

    monkeypatch.setattr(gradlab.probes.verify, "autograd_grad", off_by_a_thousandth)
    check = check_epoch(train(_scaled(scale)), 1)
    assert not check.autograd_agrees and not check.agrees
    assert [r.analytic_diff > r.rounding_bound for r in check.rows] == [True, False, False]
    assert check.finite_diff_agrees  # the independent answers still agree with each other


def test_check_epoch_out_of_range():
    with pytest.raises(ValueError, match="epoch: 6 is out of range; this run has epochs 1 to 5"):
        check_epoch(train(RunConfig()), 6)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")
def test_gradient_check_runs_on_cuda():
    check = gradient_check(RunConfig(device="cuda"), (0.5, -0.5), 0.0)
    assert check.device.startswith("cuda") and check.agrees and largest_diff(check) < 1e-5
    for scale in (1e-3, 1.0, 1e4):  # the rounding bounds hold for the GPU's float32 kernels too
        trace = train(_scaled(scale).with_(device="cuda"))
        assert trace.device.startswith("cuda")
        assert all(check_epoch(trace, e).agrees for e in (1, len(trace)))


def test_check_sentences_follow_the_numbers(monkeypatch):
    exact = explain_check(gradient_check(RunConfig(), (0.5, -0.5), 0.0))
    assert exact[0].startswith("|analytic − autograd| is 0 for every parameter")
    assert "central difference" in exact[-1] and "float64" in exact[-1]
    check = check_epoch(train(RunConfig()), 5)
    largest = max(check.rows, key=lambda r: r.analytic_diff)
    rounded = explain_check(check)
    if check.rows and not any(r.exact for r in check.rows):
        assert rounded[0].startswith(f"|analytic − autograd| for {', '.join(r.param for r in check.rows[:-1])} and b")
    assert f"The largest, {largest.analytic_diff:.2e} for {largest.param}, is within the" in rounded[0]
    near = explain_check(check_epoch(train(THOUSANDS), 2000))
    assert any("of the largest gradient" in s for s in near)

    real = gradlab.probes.verify.autograd_grad
    monkeypatch.setattr(
        gradlab.probes.verify, "autograd_grad", lambda *a, **k: (real(*a, **k)[0] * 1.01, real(*a, **k)[1])
    )
    wrong = explain_check(check_epoch(train(RunConfig()), 1))
    assert "For w1 and w2 the difference is larger than float32 rounding can produce" in wrong[1]
    assert "is more than the" in wrong[0] and "is float32 rounding" not in wrong[0]  # no claim the next line denies
