"""The network's quiz: answer keys checked against plain PyTorch, live questions that really follow their settings."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from gradlab.fmt import num
from gradlab.lesson.net_quiz import NET_CONCEPTS, NetQuizRuns, build_net_quiz, net_trace_configs
from gradlab.lesson.quiz import Question
from gradlab.runs.net_stages import run_net_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

NET = RunConfig(model="net")
LIVE_IDS = {"live_net_update", "live_net_loss", "live_net_saturates", "live_net_accumulated"}
# Changes of each setting a live question can name, from the defaults (lr 0.01: no unit saturates in 300 epochs;
# lr 0.1: every unit does and the loss stalls).
CHANGES = {
    "lr": ({"lr": 0.02}, {"lr": 0.1}),
    "epochs": ({"epochs": 6},),
    "zeroing": ({"zeroing": "never"},),
}
START = {
    "hidden.weight": [[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]],
    "hidden.bias": [0.0, 0.1, -0.1],
    "out.weight": [[1.0, -1.0, 0.5]],
    "out.bias": [0.0],
}


def fresh_quiz(config: RunConfig) -> tuple[Question, ...]:
    runs = {name: train(c) for name, c in net_trace_configs(config).items()}
    return build_net_quiz(NetQuizRuns(stages=run_net_stages(config), **runs))


def by_id(config: RunConfig) -> dict[str, Question]:
    return {q.qid: q for q in fresh_quiz(config)}


def plain(config: RunConfig = NET) -> tuple[nn.Sequential, torch.Tensor, torch.Tensor]:
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    with torch.no_grad():
        for p, v in zip(model.parameters(), START.values(), strict=True):
            p.copy_(torch.tensor(v))
    return model, torch.tensor(config.X), torch.tensor(config.y).reshape(-1, 1)


def test_every_question_has_four_distinct_options_and_one_answer():
    for config in (NET, NET.with_(lr=1.0, epochs=100), NET.with_(lr=0.1)):
        quiz = fresh_quiz(config)
        assert len({q.qid for q in quiz}) == len({q.prompt for q in quiz}) == len(quiz)
        for q in quiz:
            assert len(set(q.options)) == len(q.options) == 4, q.qid
            assert 0 <= q.answer < 4
        assert {q.qid for q in quiz if q.live} == LIVE_IDS
        assert all(not q.live for q in quiz if q.from_data)


def test_every_live_question_changes_with_each_setting_it_names():
    base = by_id(NET)
    for qid in LIVE_IDS:
        q = base[qid]
        assert q.depends_on, qid
        for setting in q.depends_on:
            answers = {by_id(NET.with_(**change))[qid].right for change in CHANGES[setting]}
            assert answers - {q.right}, (qid, setting)


def test_data_questions_do_not_change_with_the_settings_but_do_with_the_data():
    base = {k: q for k, q in by_id(NET).items() if q.from_data}
    assert set(base) == {"net_data_loss", "net_data_out_bias"}
    for changes in CHANGES.values():
        for change in changes:
            moved = by_id(NET.with_(**change))
            assert all(moved[k].right == q.right for k, q in base.items())
    other = by_id(NET.with_(y=(1.0, 2.0, 3.0, 4.0)))
    assert all(other[k].right != q.right for k, q in base.items())


def test_data_and_live_answer_keys_agree_with_an_independent_loop():
    lr, epochs = 0.02, 6
    q = by_id(NET.with_(lr=lr, epochs=epochs))
    model, X, y = plain()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    assert q["net_data_loss"].right == num(loss.item())
    assert q["net_data_out_bias"].right == f"[{num(model[2].bias.grad.item())}]"
    with torch.no_grad():
        one = model[2].bias - lr * model[2].bias.grad
    assert q["live_net_update"].right == f"[{num(one.item())}]"

    model, X, y = plain()
    for _ in range(epochs):
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        model.zero_grad()
    assert q["live_net_loss"].right == num(loss.item(), 4)

    model, X, y = plain()
    for _ in range(3):  # never zeroed: .grad is the running sum
        nn.functional.mse_loss(model(X), y).backward()
        summed = model[2].bias.grad.item()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    assert q["live_net_accumulated"].right == f"[{num(summed)}]"


@pytest.mark.parametrize("lr", [0.01, 0.1, 1.0])
def test_the_saturation_answer_is_what_a_plain_run_does(lr: float):
    q = by_id(NET.with_(lr=lr))["live_net_saturates"]
    model, X, y = plain()
    slopes, losses = [], []
    for _ in range(300):
        h = model[1](model[0](X))
        loss = nn.functional.mse_loss(model[2](h), y)
        if not torch.isfinite(loss):
            break
        losses.append(loss.item())
        loss.backward()
        slopes.append((1 - h.detach().double() ** 2).mean(dim=0))
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        model.zero_grad()
    if len(losses) < 300:
        assert q.right.startswith("The numbers overflow")
    elif (slopes[-1] < 0.01).all():
        assert q.right == "Every hidden unit saturates and the loss stalls"
        assert abs(losses[-1] - losses[-11]) <= 1e-3 * losses[-1]
    else:
        assert q.right in ("No hidden unit saturates", "Some hidden units saturate")
        assert (q.right == "No hidden unit saturates") == bool((slopes[-1] >= 0.01).all())


def test_concept_answer_keys_are_what_pytorch_does():
    texts = {q.qid: q for q in NET_CONCEPTS}
    model, X, y = plain()
    named = [n for n, _ in nn.ModuleDict({"hidden": model[0], "act": model[1], "out": model[2]}).named_parameters()]
    assert texts["net_named"].right == ", ".join(named)
    h = model[1](model[0](X))
    nn.functional.mse_loss(model[2](h), y).backward()
    assert list(model[0].weight.grad.shape) == [3, 2] and texts["net_grad_shape"].right.startswith("[3, 2]")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert h.grad is None and texts["net_h_grad"].right.startswith("None")
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters()) and "(set_to_none=True)" in texts["net_zero_grad"].right

    model, X, y = plain()
    model[0].requires_grad_(False)
    nn.functional.mse_loss(model(X), y).backward()
    assert model[0].weight.grad is None and model[2].weight.grad is not None
    assert texts["net_freeze"].right == "None"

    model, X, y = plain()
    nn.functional.mse_loss(model[2](model[1](model[0](X)).detach()), y).backward()
    have = [n for n, p in zip(START, model.parameters(), strict=True) if p.grad is not None]
    assert have == ["out.weight", "out.bias"] and texts["net_detach"].right == "Only out.weight and out.bias"


def test_the_runs_must_be_the_ones_the_quiz_needs():
    runs = {name: train(c) for name, c in net_trace_configs(NET).items()}
    with pytest.raises(ValueError, match="one_update: a run of"):
        NetQuizRuns(stages=run_net_stages(NET), **(runs | {"one_update": runs["trace"]}))
    with pytest.raises(ValueError, match="model='net'"):
        net_trace_configs(RunConfig())
