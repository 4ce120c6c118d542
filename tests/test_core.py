"""The card's model: real autograd numbers, the five stages, .grad operations, training and divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from gradlab.fmt import num
from gradlab.lesson.divergence import explain, warn
from gradlab.runs.grads import set_to_none, step_manual, zero_, zero_grads
from gradlab.runs.model import forward, make_data, make_params, mse
from gradlab.runs.stages import run_stages
from gradlab.runs.train import train
from gradlab.settings.config import CUDA_UNAVAILABLE, RunConfig, resolve_device
from gradlab.settings.stability import stable_limit
from gradlab.views.table import epoch_table

CARD = RunConfig()


def test_card_forward_backward_numbers():
    run = run_stages(CARD)
    assert run.predictions == (-0.5, -0.5, -0.5, -0.5)
    assert run.loss == 47.25
    assert run.w_grad == (-37.5, -50.5)
    assert run.b_grad == -13.0


def _descent64(config: RunConfig) -> np.ndarray:
    """The same gradient descent in float64 numpy, written out by hand: an answer independent of autograd."""
    X, y = np.array(config.X), np.array(config.y)
    w, b, n = np.array(config.w0), config.b0, config.n_samples
    losses = []
    for _ in range(config.epochs):
        r = X @ w + b - y
        losses.append((r**2).mean())
        w, b = w - config.lr * 2 / n * X.T @ r, b - config.lr * 2 / n * r.sum()
    return np.array(losses)


def test_card_five_epoch_losses_at_lr_001():
    trace = train(CARD)
    assert trace.loss[0] == 47.25  # exact in binary
    assert_close(trace.loss, _descent64(CARD), rtol=1e-5, atol=0)  # float32 against float64
    assert trace.stop is None
    assert len(trace) == 5


def test_stages_show_grad_none_before_backward_and_values_after():
    stages = {s.key: s for s in run_stages(CARD).stages}
    w_init, b_init = stages["init"].tensors
    assert (w_init.grad, b_init.grad) == (None, None)
    assert (w_init.is_leaf, w_init.requires_grad, w_init.grad_fn) == (True, True, None)
    assert b_init.shape == ()  # b is 0-d, as on the card's tensor(0.0)
    w_after, b_after, y_hat = stages["backward"].tensors
    assert w_after.grad == str(torch.tensor([-37.5, -50.5]))  # PyTorch's own text for these values
    assert b_after.grad == str(torch.tensor(-13.0))
    assert y_hat.is_leaf is False and y_hat.grad_fn == "AddBackward0"
    assert y_hat.grad_values == (-1.75, -2.75, -3.75, -4.75)  # retain_grad() on the non-leaf
    assert stages["loss"].tensors[0].grad_fn == "MeanBackward0"
    assert stages["forward"].code.splitlines()[0] == "y_hat = X @ w + b"
    assert "y_hat.retain_grad()" in stages["forward"].code
    assert "requires_grad=True, device=device" in stages["init"].code


def _fresh():
    device = torch.device("cpu")
    X, y = make_data(CARD, device)
    w, b = make_params(CARD, device)
    return X, y, w, b


def snapshot(params: dict[str, torch.Tensor]) -> dict[str, tuple[float, ...] | None]:
    """Each parameter's `.grad` as plain floats, or None where `.grad` is None."""
    return {n: None if p.grad is None else tuple(p.grad.detach().cpu().reshape(-1).tolist()) for n, p in params.items()}


def test_grad_is_none_before_backward_and_leaves_are_leaves():
    _, _, w, b = _fresh()
    assert snapshot({"w": w, "b": b}) == {"w": None, "b": None}
    assert w.is_leaf and b.is_leaf and w.grad_fn is None


def test_second_backward_without_zeroing_accumulates():
    X, y, w, b = _fresh()
    mse(forward(X, w, b), y).backward()
    mse(forward(X, w, b), y).backward()  # a fresh forward pass, no zeroing
    assert snapshot({"w": w, "b": b}) == {"w": (-75.0, -101.0), "b": (-26.0,)}


def test_zero_keeps_the_tensor_and_set_to_none_drops_it():
    X, y, w, b = _fresh()
    mse(forward(X, w, b), y).backward()
    grad_before = w.grad
    zero_((w, b))
    assert w.grad is grad_before and w.grad.tolist() == [0.0, 0.0] and b.grad.item() == 0.0
    set_to_none((w, b))
    assert w.grad is None and b.grad is None


@pytest.mark.parametrize("mode", ["zero", "none", "never"])
def test_zero_grads_modes(mode):
    X, y, w, b = _fresh()
    mse(forward(X, w, b), y).backward()
    zero_grads((w, b), mode)
    expected = {"zero": (0.0, 0.0), "none": None, "never": (-37.5, -50.5)}[mode]
    assert snapshot({"w": w})["w"] == expected


def test_manual_step_moves_against_grad_and_needs_a_grad():
    X, y, w, b = _fresh()
    with pytest.raises(RuntimeError, match="backward"):
        step_manual((w, b), 0.01)
    mse(forward(X, w, b), y).backward()
    step_manual((w, b), 0.01)
    assert_close(w.detach(), torch.tensor([0.875, 0.005]))
    assert w.is_leaf and b.item() == pytest.approx(0.13)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(CARD.with_(epochs=40), id="manual-zero"),
        pytest.param(CARD.with_(epochs=40, zeroing="none"), id="manual-none"),
        pytest.param(CARD.with_(epochs=40, update="sgd"), id="sgd-zero"),
        pytest.param(CARD.with_(epochs=40, update="sgd", zeroing="none"), id="sgd-none"),
    ],
)
def test_update_rules_and_zeroing_give_the_same_descent(config):
    # SGD computes p.add_(grad, alpha=-lr): the same rule, rounded once instead of twice.
    tol = {"rtol": 1e-4, "atol": 1e-5} if config.update == "sgd" else {"rtol": 0, "atol": 0}
    assert_close(train(config).loss, train(CARD.with_(epochs=40)).loss, **tol)


def test_never_zeroing_records_accumulated_grads():
    trace = train(CARD.with_(epochs=3, zeroing="never"))
    fresh = train(CARD.with_(epochs=1))
    assert_close(trace.w_grad[0], fresh.w_grad[0])
    # epoch 2's .grad = epoch 1's gradient + the gradient at epoch 2's weights
    from gradlab.probes.verify import analytic_grad

    g2, _ = analytic_grad(CARD, tuple(trace.w[1]), float(trace.b[1]))
    assert_close(trace.w_grad[1], trace.w_grad[0] + g2.numpy(), rtol=1e-5, atol=1e-4)


def test_trace_records_every_field_and_is_deterministic():
    a, b = train(CARD.with_(epochs=30)), train(CARD.with_(epochs=30))
    for field in ("loss", "w", "b", "w_grad", "b_grad", "grad_norm", "predictions"):
        assert_close(getattr(a, field), getattr(b, field), rtol=0, atol=0)
    assert a.w.shape == (30, 2) and a.predictions.shape == (30, 4)
    assert_close(a.grad_norm, np.sqrt((a.w_grad**2).sum(1) + a.b_grad**2))
    # the recorded w is what the epoch's forward pass used: w[e+1] = w[e] − lr·w.grad[e]
    assert_close(a.w[1:], a.w[:-1] - 0.01 * a.w_grad[:-1], rtol=1e-6, atol=1e-6)
    assert_close(a.predictions[0], np.full(4, -0.5, dtype=np.float32))


def test_trace_dataframe_columns():
    df = epoch_table(train(CARD))
    assert list(df.columns) == [
        "epoch", "loss", "w1", "w2", "b", "w1.grad", "w2.grad", "b.grad", "grad_norm", "observation",
    ]  # fmt: skip
    assert df["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert df["observation"][1].startswith("loss fell 68%")


def test_on_epoch_callback_sees_every_epoch():
    seen: list[tuple[int, int]] = []
    train(CARD.with_(epochs=7), on_epoch=lambda e, n: seen.append((e, n)))
    assert seen == [(e, 7) for e in range(1, 8)]


def test_lr_005_is_named_diverging_within_its_first_five_epochs():
    trace = train(CARD.with_(lr=0.05))  # 5 epochs: the loss goes 47.25 → about 181, all finite
    assert trace.stop is None and explain(trace) is None and len(trace) == 5
    assert trace.end_loss > 3 * trace.start_loss
    warning = warn(trace)
    assert warning is not None and warning.epoch <= 5
    assert f"lr ≈ {stable_limit(CARD):.3g}" in warning.reason and warning.suggested_lr < stable_limit(CARD)
    assert f"reached {num(trace.end_loss)} by epoch 5" in warning.reason


def test_a_rate_just_above_the_limit_is_named_from_epoch_one():
    limit = stable_limit(CARD)
    above = warn(train(CARD.with_(lr=limit * 1.01)))
    assert above is not None and above.epoch == 1 and above.headline.startswith("Gradient descent diverges")
    assert warn(train(CARD.with_(lr=limit * 0.99, epochs=3000))) is None  # converges slowly, never rises


@pytest.mark.parametrize("lr", [pytest.param(0.05, id="lr-0.05"), pytest.param(1.0, id="lr-1")])
def test_divergence_runs_until_a_number_overflows_float32_then_stops(lr):
    trace = train(CARD.with_(lr=lr, epochs=1000))
    stop = trace.stop
    assert stop is not None and stop.epoch == len(trace) + 1  # the non-finite epoch is described, not kept
    assert not math.isfinite(stop.loss) and "loss" in stop.nonfinite
    for field in ("loss", "w", "b", "w_grad", "b_grad", "grad_norm", "predictions"):
        assert np.isfinite(getattr(trace, field)).all(), field
    assert trace.loss[-1] > 1e30  # finite, but close to float32's largest value (about 3.4e38)
    said = explain(trace)
    assert said.epoch == stop.epoch and f"loss = {num(stop.loss)}" in said.reason
    assert said.message.startswith(f"Training diverged at epoch {stop.epoch}: ")
    assert warn(trace).epoch == 1  # named long before the stop
    assert trace.final_w is None


def test_never_zeroing_is_named_when_the_loss_first_rises():
    trace = train(CARD.with_(zeroing="never", epochs=12))
    first = next(e for e in range(2, 13) if trace.loss[e - 1] > trace.loss[e - 2])
    warning = warn(trace)
    assert warning is not None and warning.epoch == first == trace.first_rise
    assert warning.headline == f"The loss rose at epoch {first}." and "never zeroed" in warning.reason
    assert warning.suggested_lr is None  # the fix is zeroing, not a smaller rate


def test_overflow_to_inf_is_flagged_and_never_reaches_the_trace():
    cfg = RunConfig(lr=10.0, epochs=500, X=((1e6, 1e6),), y=(0.0,), w0=(1.0, 0.0))
    trace = train(cfg)
    assert trace.stop is not None
    for field in ("loss", "w", "b", "w_grad", "b_grad", "grad_norm", "predictions"):
        assert np.isfinite(getattr(trace, field)).all(), field


def test_stable_learning_rate_converges_without_a_flag():
    trace = train(CARD.with_(lr=0.04, epochs=2000))
    assert trace.stop is None and trace.end_loss < 1e-3
    assert warn(trace) is None and trace.first_rise is None  # float32 noise near the minimum is not a rise
    assert trace.epochs_to(0.01) is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"lr": 0.0}, r"lr: 0\.0 is out of range; it must be a finite number in \(0, 10\]", id="lr-zero"),
        pytest.param({"lr": -1.0}, r"lr: -1\.0 is out of range", id="lr-negative"),
        pytest.param({"lr": float("nan")}, r"lr: nan is not allowed; it must be a finite number", id="lr-nan"),
        pytest.param({"lr": float("inf")}, r"lr: inf is not allowed", id="lr-inf"),
        pytest.param({"lr": 11.0}, r"lr: 11\.0 is out of range", id="lr-too-big"),
        pytest.param({"lr": "0.1"}, r"lr: '0\.1' is not allowed", id="lr-text"),
        pytest.param({"epochs": 0}, r"epochs: 0 is not allowed; it must be an integer from 1 to 10,000", id="ep-0"),
        pytest.param({"epochs": 10_001}, r"epochs: 10001 is not allowed", id="ep-too-many"),
        pytest.param({"epochs": 1.5}, r"epochs: 1\.5 is not allowed", id="ep-float"),
        pytest.param({"epochs": True}, r"epochs: True is not allowed", id="ep-bool"),
        pytest.param({"device": "tpu"}, r"device: 'tpu' is not allowed; choose one of \('cpu', 'cuda'\)", id="device"),
        pytest.param({"zeroing": "sometimes"}, r"zeroing: 'sometimes' is not allowed", id="zeroing"),
        pytest.param({"update": "adam"}, r"update: 'adam' is not allowed", id="update"),
        pytest.param({"X": (), "y": ()}, r"X: 0 rows is not allowed; the dataset needs 1 to 200 rows", id="no-rows"),
        pytest.param({"X": ((1.0, 2.0),) * 201, "y": (1.0,) * 201}, r"X: 201 rows is not allowed", id="too-many-rows"),
        pytest.param({"y": (1.0, 2.0)}, r"y: 2 targets for 4 rows", id="y-length"),
        pytest.param(
            {"X": ((1.0, 2.0), (1.0,), (1.0, 2.0), (1.0, 2.0))}, r"X\[1\]: .* must have 2 features", id="ragged"
        ),
        pytest.param({"X": ((1.0, float("nan")),) * 4}, r"X\[0\]\[1\]: nan is not allowed", id="x-nan"),
        pytest.param({"y": (1.0, 2.0, float("inf"), 4.0)}, r"y\[2\]: inf is not allowed", id="y-inf"),
        pytest.param({"y": (1.0, 2.0, 3.0, 1e7)}, r"y\[3\]: 10000000\.0 is out of range", id="y-huge"),
        pytest.param({"X": (("a", 1.0),) * 4}, r"X\[0\]\[0\]: 'a' is not allowed", id="x-text"),
        pytest.param({"w0": (1.0,)}, r"w0: \(1\.0,\) must hold 2 numbers", id="w0-length"),
        pytest.param({"b0": float("nan")}, r"b0: nan is not allowed", id="b0-nan"),
    ],
)
def test_every_validation_error_names_field_value_and_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RunConfig(**kwargs)


def test_config_normalises_to_hashable_floats():
    a = RunConfig(lr=1, X=[[1, 2], [2, 3], [3, 4], [4, 5]], y=[3, 5, 7, 9], w0=[0.5, -0.5], b0=0)
    assert a == RunConfig(lr=1.0) and hash(a) == hash(RunConfig(lr=1.0))
    assert isinstance(a.X, tuple) and isinstance(a.X[0][0], float)


def test_cuda_falls_back_to_cpu_with_a_reason(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("cuda") == (torch.device("cpu"), CUDA_UNAVAILABLE)
    trace = train(CARD.with_(device="cuda"))
    assert trace.device == "cpu" and trace.device_note == CUDA_UNAVAILABLE
    assert_close(trace.loss, train(CARD).loss)
    run = run_stages(CARD.with_(device="cuda"))
    assert run.device == "cpu" and run.device_note == CUDA_UNAVAILABLE


def test_a_broken_cuda_driver_reads_as_no_cuda(monkeypatch):
    def broken() -> bool:
        raise RuntimeError("driver exploded")

    monkeypatch.setattr(torch.cuda, "is_available", broken)
    assert resolve_device("cuda")[0].type == "cpu"


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")
def test_cuda_path_matches_cpu_to_float32_tolerance():
    gpu = train(CARD.with_(device="cuda", epochs=200))
    cpu = train(CARD.with_(epochs=200))
    assert gpu.device.startswith("cuda") and gpu.device_note is None
    assert_close(gpu.loss, cpu.loss, rtol=1e-5, atol=1e-5)
    assert_close(gpu.w_grad, cpu.w_grad, rtol=1e-5, atol=1e-4)
    stages = run_stages(CARD.with_(device="cuda"))
    assert stages.w_grad == (-37.5, -50.5)
    w = stages.stages[1].tensors[0]
    assert w.device.startswith("cuda") and w.is_leaf


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        pytest.param(0.3, 0.3, id="0.3"),
        pytest.param(0.6, 0.6, id="0.6"),
        pytest.param(0.7, 0.7, id="0.7"),
        pytest.param(0.046, 0.04, id="0.046"),
        pytest.param(0.0999, 0.09, id="just-below-a-power"),
        pytest.param(12.5, 10.0, id="above-one"),
        pytest.param(0.0, 0.001, id="never-zero"),
    ],
)
def test_suggested_rates_round_down_on_decimal_digits(x, expected):
    from gradlab.lesson.divergence import round_down

    assert round_down(x) == expected  # exact: 0.3 stays the float 0.3, not 0.2 or 0.30000000000000004
