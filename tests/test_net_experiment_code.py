"""Grad Lab ⑧: the code each network experiment shows, run here on plain PyTorch, gives what its probe reports;
and each question's answer (gradlab.lesson.net_experiment_prompts) is what plain PyTorch does."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from gradlab.lesson import net_experiment_prompts as ask
from gradlab.probes import net_experiment_code as code
from gradlab.probes.net_backward import autograd_grad, vector_jacobian, version_counter
from gradlab.probes.net_experiments import accumulate, detach_hidden, freeze_hidden, net_lab
from gradlab.settings.config import RunConfig
from tests.test_net_experiments import CARD, NAMES, close, grads, plain, pytorch_says

OTHER = RunConfig(
    X=((1.0, 2.0), (0.5, -1.0), (2.0, 0.0), (-1.0, 1.5), (0.0, 1.0), (3.0, -2.0)), y=(1.0, -2.0, 3.0, 0.5, 2.0, -1.0)
)


@pytest.mark.parametrize("config", [CARD, OTHER], ids=["card", "six-rows"])
def test_the_shown_freeze_is_the_probes_run(config: RunConfig):
    got = freeze_hidden(config, steps=7)
    model, X, y = plain(config)
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    code.freeze_hidden(model, X, y, config.lr, 7)
    for name in NAMES:
        close(got.end[name], model.get_parameter(name))
        assert got.moved[name] == (not torch.equal(start[name], model.get_parameter(name)))
    assert all(p.grad is None for p in model.hidden.parameters())  # SGD skipped them: no .grad, no change
    assert got.moved == {"hidden.weight": False, "hidden.bias": False, "out.weight": True, "out.bias": True}
    prompt = ask.freeze_prompt(got)
    assert prompt.answer == ask.FREEZE_OPTIONS["None_still"]
    assert prompt.judge("None_still").correct and not prompt.judge("values_moves").correct


def test_the_shown_detach_is_the_probes_run():
    got = detach_hidden(CARD)
    model, X, y = plain()
    hidden_grad, out_grad = code.detach_hidden(model, X, y)
    assert hidden_grad is None and got.detached_grads["hidden.weight"] is None
    close(got.detached_grads["out.weight"], out_grad)
    normal, X, y = plain()
    nn.functional.mse_loss(normal(X), y).backward()
    assert_close(out_grad, normal.out.weight.grad)  # out's gradient needs only h's values
    assert ask.detach_prompt(got).answer == ask.DETACH_OPTIONS["None"]


@pytest.mark.parametrize(("config", "k"), [(CARD, 2), (CARD, 4), (OTHER, 3)], ids=["card-2", "card-4", "six-3"])
@pytest.mark.parametrize("divide", [True, False], ids=["divided", "not-divided"])
def test_the_shown_accumulation_is_the_probes_run(config: RunConfig, k: int, divide: bool):
    got = accumulate(config, k, divide)
    model, X, y = plain(config)
    shown = code.accumulate(model, X, y, config.lr, k, divide)
    for name, g in zip(NAMES, shown, strict=True):
        close(got.accumulated[name], g)
        close(got.accumulated_step[name], model.get_parameter(name))
    full, X, y = plain(config)
    nn.functional.mse_loss(full(X), y).backward()
    scale = 1 if divide else k
    for name, g in zip(NAMES, shown, strict=True):
        assert_close(g, scale * full.get_parameter(name).grad, rtol=1e-5, atol=1e-5)
    prompt = ask.accumulation_prompt(got)
    assert ask.accumulated_vs_full(got) == ("equal" if divide else "k_times")
    assert prompt.answer == ask.accumulation_options(k)["equal" if divide else "k_times"]
    if divide:  # the k losses divided by k add up to the full batch's, as the why says
        assert sum(got.micro_losses) == pytest.approx(nn.functional.mse_loss(full(X), y).item(), rel=1e-5)


@pytest.mark.parametrize("k", [2, 4])
def test_without_dividing_the_step_is_the_full_batch_step_at_k_times_lr(k: int):
    """The why: "the one opt.step() is then k× as long: the step of lr = k·lr on the full batch"."""
    got = accumulate(CARD, k, divide=False)
    model, X, y = plain()
    opt = torch.optim.SGD(model.parameters(), lr=k * CARD.lr)
    nn.functional.mse_loss(model(X), y).backward()
    opt.step()
    for name in NAMES:
        close(got.accumulated_step[name], model.get_parameter(name), rtol=1e-5, atol=1e-6)
    assert "4·0.01 = 0.04" in ask.accumulation_prompt(accumulate(CARD, 4, divide=False)).why


def test_the_shown_in_place_update_raises_the_probes_error():
    got = version_counter(CARD)
    model, X, y = plain()
    error, _ = pytorch_says(lambda: code.update_between_forward_and_backward(model, X, y, CARD.lr))
    assert error is not None and "modified by an inplace operation" in error and got.error is not None
    assert error.split(" is at version")[0] == got.error.split(" is at version")[0]
    assert all(p.grad is None for p in model.parameters())
    prompt = ask.version_prompt(got)
    assert prompt.answer == ask.VERSION_OPTIONS["error"] and "no .grad was written" in prompt.why


def test_the_shown_autograd_grad_is_the_probes_run():
    got = autograd_grad(CARD)
    model, X, y = plain()
    returned, after = code.autograd_grad(model, X, y)
    assert after == [None] * 4 and all(g is None for g in got.grads_after.values())
    for name, g in zip(NAMES, returned, strict=True):
        close(got.returned[name], g)
    assert ask.autograd_grad_prompt(got).answer == ask.AUTOGRAD_GRAD_OPTIONS["None"]


def test_the_shown_backward_with_gradient_is_the_probes_run():
    got = vector_jacobian(CARD)
    model, X, y = plain()
    shown = code.backward_with_gradient(model, X, y)
    loss_model, X, y = plain()
    nn.functional.mse_loss(loss_model(X), y).backward()
    want = grads(loss_model)
    for name, g in zip(NAMES, shown, strict=True):
        close(got.vjp_grads[name], g)
        assert_close(g, want[name])
    prompt = ask.vjp_prompt(got)
    assert prompt.answer == ask.VJP_OPTIONS["equal"] and "scalar outputs" in prompt.why


def test_every_prompt_refuses_a_guess_that_is_no_option_and_net_lab_runs_all_five():
    lab = net_lab(CARD)
    prompts = [
        ask.freeze_prompt(lab.freeze),
        ask.detach_prompt(lab.detach),
        ask.version_prompt(lab.version),
        ask.autograd_grad_prompt(lab.autograd_grad),
        ask.vjp_prompt(lab.vjp),
        ask.accumulation_prompt(accumulate(CARD, 2)),
    ]
    assert len({p.pid for p in prompts}) == len(prompts)
    for p in prompts:
        assert p.options is not None and p.answer in p.options.values()
        with pytest.raises(ValueError, match="is not one of"):
            p.judge("maybe")
    with pytest.raises(KeyError):
        code.source("nope")
    assert "def freeze_hidden(model, X, y, lr, steps):" in code.source("freeze")


def test_the_freeze_why_names_the_losses_plain_pytorch_gives():
    from gradlab.fmt import num

    got = freeze_hidden(CARD, steps=5)
    model, X, y = plain()
    model.hidden.requires_grad_(False)
    opt = torch.optim.SGD(model.parameters(), lr=CARD.lr)
    losses = []
    for _ in range(5):
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    assert got.losses == pytest.approx(losses, rel=1e-6)
    why = ask.freeze_prompt(got).why
    assert f"the loss went from {num(got.losses[0])} to {num(got.losses[-1])}" in why
    assert "in 5 steps the hidden layer never changed, while out.weight and out.bias did" in why


def test_every_question_fits_a_class_vote_with_200_rows():
    """A room's why has at most 1000 characters: long data is summed, not listed."""
    from gradlab.lesson.room_questions import from_prompt

    X = tuple(((i % 7) / 3 - 1.0, (i % 5) / 2 - 1.0) for i in range(200))
    config = RunConfig(X=X, y=tuple(float(i % 9 - 4) for i in range(200)))
    lab = net_lab(config)
    prompts = [
        ask.freeze_prompt(lab.freeze),
        ask.detach_prompt(lab.detach),
        ask.version_prompt(lab.version),
        ask.autograd_grad_prompt(lab.autograd_grad),
        ask.vjp_prompt(lab.vjp),
        *(ask.accumulation_prompt(accumulate(config, k, d)) for k in (2, 200) for d in (True, False)),
    ]
    for p in prompts:
        from_prompt(p)  # BadQuestion if a label or the why is too long
    divided = ask.accumulation_prompt(accumulate(config, 200, True))
    assert "the 200 terms add up to" in divided.why and divided.answer == ask.accumulation_options(200)["equal"]
