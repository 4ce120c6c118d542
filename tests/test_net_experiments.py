"""Every network experiment and pitfall (issue 21) against plain PyTorch written here, on the CPU (CUDA: marked)."""

from __future__ import annotations

import inspect
import re
import warnings

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from gradlab.probes.net_backward import autograd_grad, non_leaf, vector_jacobian, version_counter
from gradlab.probes.net_experiments import accumulate, detach_hidden, freeze_hidden, micro_batch_counts
from gradlab.probes.net_pitfalls import (
    AFTER,
    OPTIMIZERS,
    SCENARIOS,
    WARM,
    forgetting_to_zero,
    frozen_in_optimizer,
    to_leafness,
    zero_grad_defaults,
)
from gradlab.settings.config import RunConfig

CARD = RunConfig()
START = {
    "hidden.weight": [[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]],
    "hidden.bias": [0.0, 0.1, -0.1],
    "out.weight": [[1.0, -1.0, 0.5]],
    "out.bias": [0.0],
}
NAMES = list(START)
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")


class Plain(nn.Module):
    """The issue's class, written again here."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.act = nn.Tanh()
        self.out = nn.Linear(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.act(self.hidden(x)))


def plain(config: RunConfig = CARD, device: str = "cpu"):
    model = Plain()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(START[name]))
    model.to(device)
    X = torch.tensor(config.X, device=device)
    y = torch.tensor(config.y, device=device).reshape(-1, 1)
    return model, X, y


def loss_of(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((model(X) - y) ** 2).mean()


def grads(model: nn.Module) -> dict[str, torch.Tensor | None]:
    return {n: None if p.grad is None else p.grad.detach().clone() for n, p in model.named_parameters()}


def close(
    got: tuple[float, ...] | None, want: torch.Tensor | None, rtol: float | None = None, atol: float | None = None
):
    """The probe's floats against a tensor computed here (both None, or close within float32 tolerance)."""
    assert (got is None) == (want is None)
    if got is not None and want is not None:
        gt = torch.tensor(got, dtype=torch.float64)
        assert_close(gt, want.detach().double().cpu().reshape(-1), rtol=rtol, atol=atol)


def pytorch_says(mistake) -> tuple[str | None, list[str]]:
    """PyTorch's RuntimeError text and warnings for a mistake run here."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mistake()
        except RuntimeError as err:
            return f"RuntimeError: {err}", []
    return None, [str(w.message).split(" (Triggered internally")[0] for w in caught]


def test_freezing_the_hidden_layer():
    got = freeze_hidden(CARD, steps=10)
    model, X, y = plain()
    model.hidden.requires_grad_(False)
    opt = torch.optim.SGD(model.parameters(), lr=CARD.lr)
    losses = []
    for step in range(10):
        loss = loss_of(model, X, y)
        loss.backward()
        if step == 0:
            first = grads(model)
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    assert got.grads["hidden.weight"] is None and got.grads["hidden.bias"] is None
    for name in ("out.weight", "out.bias"):
        close(got.grads[name], first[name])
    assert_close(torch.tensor(got.losses), torch.tensor(losses))
    assert got.moved == {"hidden.weight": False, "hidden.bias": False, "out.weight": True, "out.bias": True}
    assert got.loss_fell and losses[-1] < losses[0]
    assert got.requires_grad == {"hidden.weight": False, "hidden.bias": False, "out.weight": True, "out.bias": True}
    close(got.end["hidden.weight"], torch.tensor(START["hidden.weight"]), rtol=0, atol=0)


def test_detaching_the_hidden_activation():
    got = detach_hidden(CARD)
    model, X, y = plain()
    h = model.act(model.hidden(X)).detach()
    ((model.out(h) - y) ** 2).mean().backward()
    want = grads(model)
    assert want["hidden.weight"] is None and want["hidden.bias"] is None
    for name in NAMES:
        close(got.detached_grads[name], want[name])
    normal, X, y = plain()
    loss_of(normal, X, y).backward()
    for name in ("out.weight", "out.bias"):
        close(got.grads[name], normal.get_parameter(name).grad)
        assert got.out_grad_diff[name] is not None and got.out_grad_diff[name] <= 1e-6
    assert not got.h_requires_grad and got.h_is_leaf


@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("divide", [True, False], ids=["divided", "not-divided"])
def test_gradient_accumulation_on_purpose(k: int, divide: bool):
    got = accumulate(CARD, k, divide)
    full, X, y = plain()
    loss_of(full, X, y).backward()
    acc, X, y = plain()
    for X_part, y_part in zip(X.split(4 // k), y.split(4 // k)):
        loss = loss_of(acc, X_part, y_part)
        (loss / k if divide else loss).backward()
    scale = 1 if divide else k
    for name in NAMES:
        close(got.full_grads[name], full.get_parameter(name).grad)
        close(got.accumulated[name], acc.get_parameter(name).grad)
        assert_close(acc.get_parameter(name).grad, scale * full.get_parameter(name).grad, rtol=1e-5, atol=1e-5)
        diff, full_grad = got.grad_diff[name], got.full_grads[name]
        assert diff is not None and full_grad is not None
        assert diff <= 1e-5 * max(1.0, max(map(abs, full_grad)) * scale)
    assert got.rows == 4 // k and len(got.micro_losses) == k
    with torch.no_grad():
        for m in (full, acc):
            for p in m.parameters():
                p -= CARD.lr * p.grad
    for name in NAMES:
        close(got.full_step[name], full.get_parameter(name))
        close(got.accumulated_step[name], acc.get_parameter(name))
    if divide:
        assert all(d is not None and d <= 1e-6 for d in got.step_diff.values())


def test_micro_batch_counts_and_a_count_that_does_not_divide():
    assert micro_batch_counts(4) == (2, 4)
    assert micro_batch_counts(6) == (2, 3, 6)
    assert micro_batch_counts(5) == (5,)
    assert micro_batch_counts(1) == ()
    with pytest.raises(ValueError, match="k: 3 micro-batches do not split 4 rows into equal parts; choose one of 2, 4"):
        accumulate(CARD, 3)


def test_the_version_counter():
    got = version_counter(CARD)

    def mistake() -> None:
        model, X, y = plain()
        loss = loss_of(model, X, y)
        with torch.no_grad():
            model.out.weight -= 0.01 * torch.ones_like(model.out.weight)
        loss.backward()

    error, _ = pytorch_says(mistake)
    assert error is not None and "modified by an inplace operation" in error
    # the versions count every in-place change since the tensor was made (nn.Linear's own init included here)
    unversioned = re.compile(r"version \d+")
    assert unversioned.sub("version #", got.error) == unversioned.sub("version #", error)
    assert f"is at version {got.version_at_backward}; expected version {got.version_after_forward}" in got.error
    assert got.version_at_backward == got.version_after_forward + 1
    assert all(g is None for g in got.grads_after_error.values())
    model, X, y = plain()
    loss_of(model, X, y).backward()
    for name in NAMES:
        close(got.fixed_grads[name], model.get_parameter(name).grad)


def test_autograd_grad_leaves_dot_grad_alone():
    got = autograd_grad(CARD)
    model, X, y = plain()
    returned = torch.autograd.grad(loss_of(model, X, y), list(model.parameters()))
    assert all(p.grad is None for p in model.parameters())
    assert all(g is None for g in got.grads_after.values())
    for name, g in zip(NAMES, returned):
        close(got.returned[name], g)
        close(got.backward_grads[name], g)


def test_backward_with_a_gradient_vector_is_a_vector_jacobian_product():
    got = vector_jacobian(CARD)
    model, X, y = plain()
    y_hat = model(X)
    v = (2 / 4 * (y_hat - y)).detach()
    close(got.v, v)
    error, _ = pytorch_says(lambda: model(X).backward())
    assert got.no_gradient_error == error and "scalar outputs" in error
    y_hat.backward(gradient=v)
    mse_model, X, y = plain()
    nn.functional.mse_loss(mse_model(X), y).backward()
    for name in NAMES:
        close(got.vjp_grads[name], model.get_parameter(name).grad)
        close(got.vjp_grads[name], mse_model.get_parameter(name).grad)
    assert got.y_hat_shape == (4, 1)


def test_any_vector_equals_the_loss_whose_gradient_it_is():
    v = (1.0, 0.0, -1.0, 2.0)
    got = vector_jacobian(CARD, v)
    model, X, _ = plain()
    (model(X) * torch.tensor(v).reshape(4, 1)).sum().backward()
    for name in NAMES:
        close(got.vjp_grads[name], model.get_parameter(name).grad)
    assert not got.mse_v
    with pytest.raises(ValueError, match="v: 3 numbers"):
        vector_jacobian(CARD, (1.0, 2.0, 3.0))


def test_the_non_leaf_activation_retain_grad_and_a_hook():
    got = non_leaf(CARD)
    model, X, y = plain()
    h = model.act(model.hidden(X))
    ((model.out(h) - y) ** 2).mean().backward()
    error, said = pytorch_says(lambda: h.grad)
    assert error is None and got.warning == f"UserWarning: {said[0]}"
    assert got.grad_without_retain is None and not got.is_leaf and got.grad_fn == "TanhBackward0"
    model, X, y = plain()
    h = model.act(model.hidden(X))
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.clone()))
    ((model.out(h) - y) ** 2).mean().backward()
    close(got.retained, h.grad)
    close(got.hooked, seen[0])
    assert got.hook_matches_retained
    assert all(d == 0.0 for d in got.param_grad_diff.values())


@pytest.mark.parametrize("target", [torch.float64, torch.float32], ids=["float64-copies", "float32-no-copy"])
def test_tensor_to_vs_module_to(target: torch.dtype):
    got = to_leafness(CARD, target)
    w = torch.tensor(START["hidden.weight"], requires_grad=True).to(target)
    model = Plain().to(target)
    assert got.tensor_is_leaf == w.is_leaf == (target == torch.float32)
    assert got.tensor_copied == (target != torch.float32)
    assert got.tensor_grad_fn == (None if w.grad_fn is None else type(w.grad_fn).__name__)
    assert all(got.module_is_leaf.values()) and all(p.is_leaf for p in model.parameters())
    assert not any(got.module_grad_is_none.values())
    assert got.module_dtype == str(target)
    assert (got.tensor_grad is None) == (target != torch.float32)
    assert (got.warning is not None) == (target != torch.float32)
    assert not got.original_grad_is_none  # the gradient flows back through the copy to the leaf


def test_forgetting_to_zero():
    got = forgetting_to_zero(CARD)
    model, X, y = plain()
    loss_of(model, X, y).backward()
    once = grads(model)
    loss_of(model, X, y).backward()
    for name in NAMES:
        close(got.twice[name], 2 * once[name])
        assert got.twice_diff[name] <= 1e-5
    model, X, y = plain()
    opt = torch.optim.SGD(model.parameters(), lr=CARD.lr)
    loss_of(model, X, y).backward()
    opt.step()
    loss_of(model, X, y).backward()
    for name in NAMES:
        close(got.after_step[name], model.get_parameter(name).grad)


def plain_frozen_case(optimizer: str, scenario: str) -> tuple[int, float]:
    """The scenario written out in plain PyTorch: (steps that moved hidden.weight, its largest change)."""
    model, X, y = plain()
    kinds = {
        "SGD": lambda ps: torch.optim.SGD(ps, lr=CARD.lr),
        "SGD(momentum=0.9)": lambda ps: torch.optim.SGD(ps, lr=CARD.lr, momentum=0.9),
        "SGD(weight_decay=0.1)": lambda ps: torch.optim.SGD(ps, lr=CARD.lr, weight_decay=0.1),
        "Adam": lambda ps: torch.optim.Adam(ps, lr=CARD.lr),
    }
    opt = kinds[optimizer](model.parameters())

    def zero() -> None:
        if scenario == "frozen_later_zero":
            opt.zero_grad(set_to_none=False)
        elif scenario != "frozen_later_never_zeroed":
            opt.zero_grad()

    if scenario != "frozen_from_start":
        for _ in range(WARM):
            loss_of(model, X, y).backward()
            opt.step()
            zero()
    pending = scenario == "frozen_between_backward_and_step"
    if pending:
        loss_of(model, X, y).backward()
    model.hidden.requires_grad_(False)
    start = model.hidden.weight.detach().clone()
    moved = 0
    for _ in range(AFTER):
        before = model.hidden.weight.detach().clone()
        if not pending:
            loss_of(model, X, y).backward()
        pending = False
        opt.step()
        zero()
        moved += int(not torch.equal(before, model.hidden.weight))
    return moved, float((model.hidden.weight - start).abs().max())


def test_a_frozen_layer_handed_to_the_optimizer():
    cases = frozen_in_optimizer(CARD)
    assert {(c.optimizer, c.scenario) for c in cases} == {(o, s) for o in OPTIMIZERS for s in SCENARIOS}
    for case in cases:
        moved, change = plain_frozen_case(case.optimizer, case.scenario)
        assert case.moved_steps == moved, (case.optimizer, case.scenario)
        assert case.max_change == pytest.approx(change, rel=1e-5, abs=1e-7), (case.optimizer, case.scenario)
    by = {(c.optimizer, c.scenario): c for c in cases}
    # the facts the lesson will state, as this PyTorch gives them
    assert not any(by[o, "frozen_from_start"].moved for o in OPTIMIZERS)
    assert not any(by[o, "frozen_later_set_to_none"].moved for o in OPTIMIZERS)
    assert not by["SGD", "frozen_later_zero"].moved
    assert all(by[o, "frozen_later_zero"].moved for o in OPTIMIZERS if o != "SGD")
    assert all(by[o, "frozen_between_backward_and_step"].moved_steps == 1 for o in OPTIMIZERS)


def test_zero_grad_defaults():
    got = zero_grad_defaults(CARD)
    assert got.module_default is inspect.signature(nn.Module.zero_grad).parameters["set_to_none"].default
    assert got.optimizer_default is inspect.signature(torch.optim.Optimizer.zero_grad).parameters["set_to_none"].default
    model, X, y = plain()
    loss_of(model, X, y).backward()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters()) == all(g is None for g in got.after_model_zero_grad.values())
    assert all(g is None for g in got.after_optimizer_zero_grad.values())
    assert all(g is not None and not any(g) for g in got.after_zero_grad_false.values())


def test_probes_run_under_no_grad_and_restore_it():
    with torch.no_grad():
        got = autograd_grad(CARD)
        assert not torch.is_grad_enabled()
    model, X, y = plain()
    loss_of(model, X, y).backward()
    close(got.returned["out.bias"], model.out.bias.grad)


@pytest.mark.cuda
@cuda
def test_experiments_on_cuda_match_the_cpu():
    gpu = CARD.with_(device="cuda")
    for probe in (autograd_grad, non_leaf):
        a, b = probe(CARD), probe(gpu)
        assert a.__class__ is b.__class__
    acc_cpu, acc_gpu = accumulate(CARD, 2), accumulate(gpu, 2)
    for name in NAMES:
        assert_close(torch.tensor(acc_gpu.accumulated[name]), torch.tensor(acc_cpu.accumulated[name]))
    assert version_counter(gpu).error is not None


@pytest.mark.cuda
@cuda
def test_tensor_to_cuda_is_not_a_leaf_while_module_to_cuda_keeps_leaves():
    got = to_leafness(CARD, "cuda")
    w = torch.tensor(START["hidden.weight"], requires_grad=True).to("cuda")
    assert got.tensor_is_leaf is w.is_leaf is False
    assert got.tensor_grad_fn == "ToCopyBackward0"
    assert all(got.module_is_leaf.values()) and got.module_device.startswith("cuda")
