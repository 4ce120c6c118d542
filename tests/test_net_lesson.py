"""The network's words: every sentence is checked against the run's numbers or plain PyTorch written here."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from gradlab.fmt import num
from gradlab.lesson.guess import sign_of
from gradlab.lesson.net_observations import (
    hidden_grad_norm,
    local_limit_text,
    net_divergence,
    net_observations,
    saturating_lr_text,
    saturation_text,
)
from gradlab.lesson.net_prompts import grad_entry_sign, h_grad_after_backward, hidden_weight_grad_shape
from gradlab.probes.net_backward import non_leaf
from gradlab.probes.net_curvature import curvature, curvature_at
from gradlab.probes.net_saturation import SATURATED, saturation, scan_saturation
from gradlab.runs.net_stages import run_net_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

CARD = RunConfig()
NET = CARD.with_(model="net")


def prompt_value(prompt) -> float:
    """The value a sign prompt was built from (its signature: name, index, value)."""
    return prompt.signature[2]


# --- observations -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lr", [0.01, 0.1, 0.3])
def test_every_observation_says_what_the_loss_did(lr: float):
    trace = train(NET.with_(lr=lr, epochs=200))
    said = net_observations(trace)
    assert len(said) == len(trace)
    assert said[0].startswith(f"starting loss {trace.loss[0]:.4g}")
    slope = trace.hidden.tanh_slope_mean  # type: ignore[union-attr]
    for i in range(1, len(trace)):
        loss, prev = trace.loss[i], trace.loss[i - 1]
        text = said[i]
        if text.startswith("loss rose"):
            assert loss > prev
            if "overshot" in text:
                assert trace.rises()[i]
        elif text.startswith("loss fell"):
            assert loss < prev
            if "every hidden unit is saturated" in text:
                assert (slope[i] < SATURATED).all()
                assert f"{hidden_grad_norm(trace)[i]:.3g}" in text
            else:
                assert ("shrank" in text) == (trace.grad_norm[i] < trace.grad_norm[i - 1])
        else:
            assert abs(loss - prev) <= 1e-6 * abs(prev)


def test_overshooting_is_said_only_where_a_shorter_step_would_have_lowered_the_loss():
    """The sentence's claim, checked by re-running that epoch's step at a tenth of the learning rate."""
    config = NET.with_(lr=0.3, epochs=40)
    trace = train(config)
    said = net_observations(trace)
    hits = [i for i, s in enumerate(said) if "overshot" in s]
    assert hits
    names = trace.names
    for i in hits[:5]:
        model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
        with torch.no_grad():
            for p, n in zip(model.parameters(), names, strict=True):
                p.copy_(torch.tensor(trace.params[n][i - 1], dtype=torch.float32))
        X, y = torch.tensor(config.X), torch.tensor(config.y).reshape(-1, 1)
        nn.functional.mse_loss(model(X), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= config.lr / 10 * p.grad  # type: ignore[operator]
            shorter = nn.functional.mse_loss(model(X), y).item()
        assert shorter < trace.loss[i - 1] < trace.loss[i]


def test_the_linear_words_refuse_a_network_run_and_back():
    with pytest.raises(ValueError, match="linear model"):
        net_observations(train(CARD.with_(epochs=2)))


# --- divergence -------------------------------------------------------------------------------------------
def test_divergence_is_named_from_the_loss_itself():
    stopped = train(NET.with_(lr=1.0, epochs=100))
    d = net_divergence(stopped)
    assert d is not None and d.stopped and stopped.stop is not None and d.epoch == stopped.stop.epoch
    assert f"at epoch {stopped.stop.epoch}" in d.headline and "too large for float32" in d.reason
    assert net_divergence(train(NET.with_(lr=0.01, epochs=50))) is None  # the loss falls: nothing to name
    never = train(NET.with_(lr=0.05, epochs=300, zeroing="never"))
    d = net_divergence(never)
    if never.stop is None and never.end_loss <= never.start_loss:
        assert d is None
    else:
        assert d is not None and "zero the gradients" in d.advice


def test_a_finite_run_that_ends_above_its_start_is_named_with_its_numbers():
    trace = train(NET.with_(lr=0.3, epochs=60))
    assert trace.stop is None and trace.end_loss > trace.start_loss  # this run climbs but stays finite
    d = net_divergence(trace)
    assert d is not None and not d.stopped
    i = d.epoch - 1
    assert trace.loss[i] > trace.loss[i - 1]
    assert f"ended at {num(trace.end_loss)}, above the {num(trace.start_loss)} it started from" in d.reason


# --- the local limit --------------------------------------------------------------------------------------
def test_the_local_limit_sentence_carries_the_runs_numbers():
    trace = train(NET.with_(lr=0.05, epochs=300))
    start, end = curvature(NET), curvature_at(trace, 300)
    text = local_limit_text(start, end, 0.05)
    assert f"{start.lam_max:.4g}" in text and f"{start.limit:.3g}" in text and f"{end.limit:.3g}" in text
    assert "at epoch 300 of this run (lr = 0.05)" in text
    assert "only" in text and "the same at every point" in text
    assert 2 / start.lam_max == pytest.approx(start.limit)


# --- saturation ---------------------------------------------------------------------------------------------
def test_saturation_words_carry_the_runs_facts():
    trace = train(NET.with_(lr=0.1, epochs=60))
    s = saturation(trace)
    text = " ".join(saturation_text(s))
    assert s.all_saturated_from is not None and f"From epoch {s.all_saturated_from:,} on" in text
    top = min(u.abs_max_end for u in s.units)
    said = float(re.search(r"largest \|h\| is at least ([0-9.]+)", text).group(1))  # type: ignore[union-attr]
    assert said <= top  # "at least" is true
    assert f"{s.hidden_grad_norm_start:.3g}" in text and f"{s.hidden_grad_norm_end:.3g}" in text
    assert s.stalled and f"stalled from epoch {s.stall_from:,}" in text
    calm = " ".join(saturation_text(saturation(train(NET.with_(lr=0.01, epochs=60)))))
    assert calm.startswith("No hidden unit ends saturated")


def test_the_saturating_rate_is_named_from_the_scan():
    scan = scan_saturation(NET, lrs=(0.001, 0.01, 0.1, 1.0), epochs=100)
    text = saturating_lr_text(scan, 100)
    named = float(re.search(r"lr = ([0-9.]+) is the smallest", text).group(1))  # type: ignore[union-attr]
    run = next(s for s in scan if s.lr == named)
    assert run.saturated_and_stalled
    assert all(not s.saturated_and_stalled for s in scan if s.lr < named)
    assert "from 0.001 to 1" in text
    none = saturating_lr_text([s for s in scan if not s.saturated_and_stalled], 100)
    assert none.startswith("On this data no learning rate of the scan")


# --- Data Flow's predictions ------------------------------------------------------------------------------
def test_the_shape_prediction_is_the_shape_of_hidden_weight_grad():
    run = run_net_stages(NET)
    prompt = hidden_weight_grad_shape(run)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    X, y = torch.tensor(NET.X), torch.tensor(NET.y).reshape(-1, 1)
    nn.functional.mse_loss(model(X), y).backward()
    assert prompt.answer == "[" + ", ".join(map(str, model[0].weight.grad.shape)) + "]"
    assert prompt.options is not None and prompt.answer in prompt.options and len(set(prompt.options)) == 4
    assert prompt.judge(prompt.answer).correct and not prompt.judge("[2, 3]").correct


def test_the_h_grad_prediction_is_what_pytorch_does():
    prompt = h_grad_after_backward(non_leaf(NET))
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    X, y = torch.tensor(NET.X), torch.tensor(NET.y).reshape(-1, 1)
    h = model[1](model[0](X))
    nn.functional.mse_loss(model[2](h), y).backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        actual = h.grad
    assert actual is None and prompt.answer == "None" and prompt.judge("None").correct
    said = [str(w.message).split(" (Triggered internally")[0] for w in caught if issubclass(w.category, UserWarning)]
    assert said and all(text in prompt.why for text in said)  # PyTorch's own warning, without its C++ location


@pytest.mark.parametrize(
    ("name", "index"), [("out.weight", (0, 0)), ("out.bias", (0,)), ("hidden.weight", (2, 1)), ("hidden.bias", (1,))]
)
def test_the_sign_prediction_and_its_formula_agree_with_pytorch(name: str, index: tuple[int, ...]):
    run = run_net_stages(NET)
    prompt = grad_entry_sign(run, name, index)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    with torch.no_grad():
        for p, v in zip(model.parameters(), run.params.values(), strict=True):
            p.copy_(torch.tensor(v).view(p.shape))
    X, y = torch.tensor(NET.X), torch.tensor(NET.y).reshape(-1, 1)
    h = model[1](model[0](X))
    y_hat = model[2](h)
    nn.functional.mse_loss(y_hat, y).backward()
    params = dict(zip(("hidden.weight", "hidden.bias", "out.weight", "out.bias"), model.parameters(), strict=True))
    value = params[name].grad[index].item()
    assert prompt.answer == sign_of(value) and prompt.judge(sign_of(value)).correct
    # the formula in the why, evaluated in float64 from the forward pass
    r = (y_hat - y).detach().double().reshape(-1)
    hd, w2 = h.detach().double(), model[2].weight.detach().double().reshape(-1)
    n = len(r)
    by_formula = {
        "out.bias": lambda: 2 / n * r.sum(),
        "out.weight": lambda: 2 / n * (r * hd[:, index[-1]]).sum(),
        "hidden.bias": lambda: 2 / n * (r * w2[index[0]] * (1 - hd[:, index[0]] ** 2)).sum(),
        "hidden.weight": lambda: (
            2
            / n
            * (
                r * w2[index[0]] * (1 - hd[:, index[0]] ** 2) * torch.tensor(NET.X, dtype=torch.float64)[:, index[1]]
            ).sum()
        ),
    }[name]()
    assert float(by_formula) == pytest.approx(value, rel=1e-5)
    assert f"over the samples r = {num(prompt_value(prompt))}, so it is {sign_of(value)}" in prompt.why
    assert prompt_value(prompt) == value


def test_the_residual_count_in_the_sign_why_is_the_runs():
    run = run_net_stages(NET)
    prompt = grad_entry_sign(run)
    below = int(np.sum(np.array(run.predictions) < np.array(NET.y)))
    assert f"{below} of the {NET.n_samples} predictions are below" in prompt.why
