"""The network's pitfalls, each run for real: `.to()` on a tensor vs on a module, forgetting to zero, a frozen layer
still handed to the optimizer, and what `model.zero_grad()` / `optimizer.zero_grad()` do by default.

(Reading `.grad` of an activation is `gradlab.probes.net_backward.non_leaf`.) Facts only; no words of ours.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

from gradlab.probes.capture import capture
from gradlab.probes.net_common import Grads, autograd_on, fresh, grads_of, max_diffs
from gradlab.runs.net import HIDDEN_WEIGHT, make_net, mse, net_data
from gradlab.settings.config import RunConfig

_HERE = Path(__file__).resolve()


@dataclass(frozen=True)
class ToLeafness:
    """`tensor.to(target)` beside `module.to(target)`, then one backward() through each."""

    target: str  # "torch.float64", "cuda", …
    tensor_copied: bool  # tensor.to returned a new tensor (False: nothing to change, it returned the tensor itself)
    tensor_is_leaf: bool  # (w.to(target)).is_leaf
    tensor_grad_fn: str | None  # its grad_fn, "ToCopyBackward0" when copied
    tensor_grad: tuple[float, ...] | None  # the copy's .grad after backward(): None when it is not a leaf
    warning: str | None  # PyTorch's UserWarning for reading that .grad, if any
    original_grad_is_none: bool  # the leaf created before .to(): its .grad after backward()
    module_is_leaf: dict[str, bool]  # every parameter after model.to(target)
    module_grad_is_none: dict[str, bool]  # every parameter's .grad after backward()
    module_dtype: str
    module_device: str


@autograd_on(_HERE)
def to_leafness(config: RunConfig, target: torch.dtype | str = torch.float64) -> ToLeafness:
    """`w = torch.tensor(..., requires_grad=True).to(target)` vs `model.to(target)` (a dtype, or a device name)."""
    X, y = net_data(config, "cpu")
    X, y = X.to(target), y.to(target)
    leaf = torch.tensor(HIDDEN_WEIGHT, requires_grad=True)  # (3, 2) created on the CPU in float32
    w = leaf.to(target)
    mse(torch.tanh(X @ w.T).sum(dim=1, keepdim=True), y).backward()
    with capture(_HERE) as got:
        copy_grad = w.grad  # PyTorch warns on this line when w is not a leaf

    model = make_net("cpu")
    model.to(target)
    mse(model(X), y).backward()
    p = model.out.weight
    return ToLeafness(
        target=str(target),
        tensor_copied=w is not leaf,
        tensor_is_leaf=w.is_leaf,
        tensor_grad_fn=None if w.grad_fn is None else type(w.grad_fn).__name__,
        tensor_grad=None if copy_grad is None else tuple(copy_grad.double().cpu().reshape(-1).tolist()),
        warning=got.warnings[0] if got.warnings else None,
        original_grad_is_none=leaf.grad is None,
        module_is_leaf={n: q.is_leaf for n, q in model.named_parameters()},
        module_grad_is_none={n: q.grad is None for n, q in model.named_parameters()},
        module_dtype=str(p.dtype),
        module_device=str(p.device),
    )


@dataclass(frozen=True)
class Unzeroed:
    """backward() twice without zeroing: at the same weights, and with an update step in between."""

    first: Grads  # .grad after one backward()
    twice: Grads  # after a second forward + backward() at the same weights, no zeroing
    twice_diff: dict[str, float | None]  # max |twice − 2·first|
    after_step: Grads  # backward(), update, backward() again, no zeroing
    fresh_at_new: Grads  # .grad of one backward() at the updated weights, on a fresh model
    after_step_diff: dict[str, float | None]  # max |after_step − (first + fresh_at_new)|


@autograd_on(_HERE)
def forgetting_to_zero(config: RunConfig) -> Unzeroed:
    """`.grad` adds up: 2× at the same weights; old + new across an update step."""
    run = fresh(config)
    mse(run.net(run.X), run.y).backward()
    first = grads_of(run.net)
    mse(run.net(run.X), run.y).backward()
    twice = grads_of(run.net)

    run = fresh(config)
    opt = torch.optim.SGD(run.net.parameters(), lr=config.lr)
    mse(run.net(run.X), run.y).backward()
    opt.step()
    new_state = {n: p.detach().clone() for n, p in run.net.named_parameters()}
    mse(run.net(run.X), run.y).backward()
    after = grads_of(run.net)

    other = fresh(config)
    other.net.load_state_dict(new_state)
    mse(other.net(other.X), other.y).backward()
    at_new = grads_of(other.net)
    summed = {n: tuple(a + b for a, b in zip(first[n] or (), at_new[n] or (), strict=True)) for n in first}
    return Unzeroed(
        first=first,
        twice=twice,
        twice_diff=max_diffs(twice, first, scale=2.0),
        after_step=after,
        fresh_at_new=at_new,
        after_step_diff=max_diffs(after, dict(summed)),
    )


OPTIMIZERS: dict[str, Callable[[Iterable[torch.nn.Parameter], float], torch.optim.Optimizer]] = {
    "SGD": lambda ps, lr: torch.optim.SGD(ps, lr=lr),
    "SGD(momentum=0.9)": lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9),
    "SGD(weight_decay=0.1)": lambda ps, lr: torch.optim.SGD(ps, lr=lr, weight_decay=0.1),
    "Adam": lambda ps, lr: torch.optim.Adam(ps, lr=lr),
}
# When the hidden layer is frozen, and how the optimizer's .grad is zeroed around it.
SCENARIOS: tuple[str, ...] = (
    "frozen_from_start",  # requires_grad_(False) before the first backward(); zero_grad() each step
    "frozen_later_set_to_none",  # after WARM steps; opt.zero_grad() (set_to_none=True, the default) each step
    "frozen_later_zero",  # after WARM steps; opt.zero_grad(set_to_none=False) each step
    "frozen_between_backward_and_step",  # after a backward(), before its step(); zero_grad() each step
    "frozen_later_never_zeroed",  # after WARM steps; .grad never zeroed at all
)
WARM, AFTER = 2, 3  # training steps before freezing, and steps taken with the layer frozen


@dataclass(frozen=True)
class FrozenCase:
    """One optimizer and scenario: `model.parameters()` (frozen layer included) handed to the optimizer."""

    optimizer: str  # a key of OPTIMIZERS
    scenario: str  # one of SCENARIOS
    grad_at_freeze: str  # hidden.weight.grad when frozen: "None", "zeros" or "nonzero"
    moved_steps: int  # how many of the AFTER steps changed hidden.weight
    max_change: float  # max |hidden.weight after − at freezing|

    @property
    def moved(self) -> bool:
        return self.moved_steps > 0


def _grad_state(p: torch.Tensor) -> str:
    return "None" if p.grad is None else ("nonzero" if bool(p.grad.any()) else "zeros")


@autograd_on(_HERE)
def frozen_in_optimizer(config: RunConfig) -> tuple[FrozenCase, ...]:
    """Every optimizer × scenario run for real: does a layer frozen with `requires_grad_(False)` still move?"""
    return tuple(_frozen_case(config, opt, scenario) for opt in OPTIMIZERS for scenario in SCENARIOS)


def _frozen_case(config: RunConfig, optimizer: str, scenario: str) -> FrozenCase:
    run = fresh(config)
    net, X, y = run.net, run.X, run.y
    opt = OPTIMIZERS[optimizer](net.parameters(), config.lr)
    set_to_none = scenario != "frozen_later_zero"
    zeroing = scenario != "frozen_later_never_zeroed"

    def zero() -> None:
        if zeroing:
            opt.zero_grad(set_to_none=set_to_none)

    if scenario == "frozen_from_start":
        net.hidden.requires_grad_(False)
    else:
        for _ in range(WARM):
            mse(net(X), y).backward()
            opt.step()
            zero()
        if scenario == "frozen_between_backward_and_step":
            mse(net(X), y).backward()
        net.hidden.requires_grad_(False)
    w = net.hidden.weight
    state, at_freeze = _grad_state(w), w.detach().clone()
    moved = 0
    for i in range(AFTER):
        before = w.detach().clone()
        if not (scenario == "frozen_between_backward_and_step" and i == 0):  # that step uses the pending .grad
            mse(net(X), y).backward()
        opt.step()
        zero()
        moved += int(not torch.equal(before, w.detach()))
    change = float((w.detach() - at_freeze).abs().max())
    return FrozenCase(optimizer, scenario, state, moved, change)


@dataclass(frozen=True)
class ZeroGradDefaults:
    """`model.zero_grad()` and `optimizer.zero_grad()`: their default, and what each really left in `.grad`."""

    module_default: bool  # the default of nn.Module.zero_grad's set_to_none
    optimizer_default: bool  # the default of torch.optim.Optimizer.zero_grad's set_to_none
    after_model_zero_grad: Grads  # .grad after backward() then model.zero_grad()
    after_optimizer_zero_grad: Grads  # after backward() then opt.zero_grad()
    after_zero_grad_false: Grads  # after backward() then opt.zero_grad(set_to_none=False)
    torch_version: str


@autograd_on(_HERE)
def zero_grad_defaults(config: RunConfig) -> ZeroGradDefaults:
    """What this PyTorch's zero_grad() does by default, read from its signature and from real calls."""

    def after(zero: Callable[[torch.nn.Module, torch.optim.Optimizer], None]) -> Grads:
        run = fresh(config)
        opt = torch.optim.SGD(run.net.parameters(), lr=config.lr)
        mse(run.net(run.X), run.y).backward()
        zero(run.net, opt)
        return grads_of(run.net)

    def default(fn: Callable[..., None]) -> bool:
        return bool(inspect.signature(fn).parameters["set_to_none"].default)

    return ZeroGradDefaults(
        module_default=default(torch.nn.Module.zero_grad),
        optimizer_default=default(torch.optim.Optimizer.zero_grad),
        after_model_zero_grad=after(lambda m, o: m.zero_grad()),
        after_optimizer_zero_grad=after(lambda m, o: o.zero_grad()),
        after_zero_grad_false=after(lambda m, o: o.zero_grad(set_to_none=False)),
        torch_version=torch.__version__,
    )
