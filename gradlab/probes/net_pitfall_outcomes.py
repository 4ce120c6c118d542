"""The network's pitfalls, each run for real on a fresh `Net`: what PyTorch really did, and the fix's result.

The functions of `gradlab.probes.net_pitfall_code` run here and their source is shown, so the code on the page is
the code that ran. The outcomes are `PitfallOutcome`s, asked first and shown exactly as the linear model's are.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from gradlab.fmt import num
from gradlab.probes import net_pitfall_code as code
from gradlab.probes.capture import ONE_AT_A_TIME, Captured, capture, silenced
from gradlab.probes.pitfalls import PitfallOutcome
from gradlab.runs.net import make_net, net_data
from gradlab.settings.config import RunConfig, resolve_device

_CODE = Path(inspect.getfile(code)).resolve()


class _NetRun:
    """One call of a pitfall function on a fresh `Net` and the config's data: result, error, warnings."""

    def __init__(self, fn: Callable[..., Any], config: RunConfig, target: torch.dtype | str) -> None:
        device = resolve_device(config.device)[0]
        X, y = net_data(config, device)
        given = {"model": make_net(device), "X": X, "y": y, "lr": config.lr, "target": target}
        self.fn = fn
        self.result: Any = None
        with capture(_CODE) as got:
            self.result = fn(**{n: given[n] for n in inspect.signature(fn).parameters})
        self.got: Captured = got

    def behaviour(self, right: Callable[[], bool]) -> str:
        if self.got.error:
            return "error"
        if self.got.warnings:
            return "warning"
        return "works" if right() else "silent"

    def said(self) -> list[str]:
        return [*self.got.warnings, *([self.got.error] if self.got.error else [])]


def target_for(config: RunConfig) -> torch.dtype | str:
    """What `.to()` moves to: the run's CUDA device; on a CPU, float64 (a dtype change copies as a device move does)."""
    device = resolve_device(config.device)[0]
    return str(device) if device.type != "cpu" else torch.float64


def shown(fn: Callable[..., Any], config: RunConfig, target: torch.dtype | str) -> str:
    names = inspect.signature(fn).parameters
    given = {
        "model": "model: a fresh Net() at its starting values",
        "X": "X, y: this data",
        "lr": f"lr = {config.lr!r}",
        "target": f"target = {target!r}",
    }
    return f"# {'; '.join(t for n, t in given.items() if n in names)}\n{inspect.getsource(fn).rstrip()}"


def _leaf(name: str, t: torch.Tensor) -> str:
    grad_fn = None if t.grad_fn is None else type(t.grad_fn).__name__
    return f"{name}.is_leaf = {t.is_leaf}, {name}.grad_fn = {grad_fn}"


def _lines(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _activation(config: RunConfig, target: torch.dtype | str) -> PitfallOutcome:
    wrong = _NetRun(code.read_activation_grad, config, target)
    fixed = _NetRun(code.retain_activation_grad, config, target)
    h, grad = wrong.result
    h2, fixed_grad = fixed.result
    return PitfallOutcome(
        key="net_activation_grad",
        title="Reading .grad of a hidden activation (h = tanh(hidden(X)))",
        wrong_code=shown(wrong.fn, config, target),
        behaviour=wrong.behaviour(lambda: grad is not None and torch.equal(grad, fixed_grad)),
        outcome=_lines(_leaf("h", h), *wrong.said(), f"h.grad = {grad}"),
        why="backward() fills .grad only on leaves that require grad: the model's four parameters. h is computed "
        "from hidden's parameters, so it is a non-leaf; its gradient is used on the way back and dropped unless "
        "h.retain_grad() is called before backward().",
        fix_code=shown(fixed.fn, config, target),
        fixed_outcome=_lines(_leaf("h", h2), f"h.grad (shape {tuple(fixed_grad.shape)}) = {fixed_grad}"),
    )


def _tensor_to(config: RunConfig, target: torch.dtype | str) -> PitfallOutcome:
    wrong = _NetRun(code.tensor_to_after_requires_grad, config, target)
    fixed = _NetRun(code.module_to, config, target)
    w, grad = wrong.result
    model = fixed.result
    leaves = ", ".join(f"{n}.is_leaf = {p.is_leaf}" for n, p in model.named_parameters())
    filled = ", ".join(f"{n}.grad is {'None' if p.grad is None else 'a tensor'}" for n, p in model.named_parameters())
    return PitfallOutcome(
        key="net_tensor_to",
        title="tensor.to(device) after requires_grad=True, beside model.to(device)",
        wrong_code=shown(wrong.fn, config, target),
        behaviour=wrong.behaviour(lambda: grad is not None),
        outcome=_lines(_leaf("w", w), *wrong.said(), f"w.grad = {grad}"),
        why="A .to() that copies (to a GPU, or to another dtype) is an operation autograd records: it returns a new "
        "non-leaf tensor (grad_fn ToCopyBackward0), and backward() fills the .grad of the original leaf that the "
        "name w no longer points at. model.to() instead moves each parameter's data in place of the old, so the "
        "parameters stay leaves and backward() fills their .grad.",
        fix_code=shown(fixed.fn, config, target),
        fixed_outcome=_lines(
            leaves, filled, f"model.out.weight.dtype = {model.out.weight.dtype}, device = {model.out.weight.device}"
        ),
    )


def _forgot_zero(config: RunConfig, target: torch.dtype | str) -> PitfallOutcome:
    wrong = _NetRun(code.two_steps_without_zeroing, config, target)
    fixed = _NetRun(code.two_steps_zeroing_each, config, target)
    start = _first_grad(config)  # the first step's .grad: one backward() at the start
    got, right = float(wrong.result.item()), float(fixed.result.item())
    total = float(torch.tensor(start) + torch.tensor(right))  # added in float32, as backward() adds into .grad
    rounding = "" if got == total else f"; {num(got)} differs from it by float32 rounding"
    return PitfallOutcome(
        key="net_forgot_zero",
        title="Forgetting optimizer.zero_grad() between steps",
        wrong_code=shown(wrong.fn, config, target),
        behaviour=wrong.behaviour(lambda: torch.equal(wrong.result, fixed.result)),
        outcome=_lines(
            f"model.out.bias.grad = {wrong.result}",
            *wrong.said(),
            f"= the first step's gradient {num(start)} + the second's {num(right)} (sum {num(total)}{rounding})",
        ),
        why="backward() adds into .grad and nothing cleared it, so the second step's .grad is the sum of both "
        "steps' gradients, and an optimizer.step() there would use that sum. Every parameter is affected alike.",
        fix_code=shown(fixed.fn, config, target),
        fixed_outcome=f"model.out.bias.grad = {fixed.result}",
    )


def _first_grad(config: RunConfig) -> float:
    """out.bias.grad after one backward() at the start, on the run's device."""
    device = resolve_device(config.device)[0]
    X, y = net_data(config, device)
    model = make_net(device)
    torch.nn.functional.mse_loss(model(X), y).backward()
    assert model.out.bias.grad is not None
    return float(model.out.bias.grad.item())


def _frozen(config: RunConfig, target: torch.dtype | str) -> PitfallOutcome:
    wrong = _NetRun(code.frozen_layer_still_in_optimizer, config, target)
    fixed = _NetRun(code.frozen_layer_left_out, config, target)

    def change(run: _NetRun) -> float:
        at, after = run.result
        return float((after - at).abs().max())

    return PitfallOutcome(
        key="net_frozen_in_optimizer",
        title="A frozen layer still handed to the optimizer",
        wrong_code=shown(wrong.fn, config, target),
        behaviour=wrong.behaviour(lambda: change(wrong) == 0.0),
        outcome=_lines(*wrong.said(), f"hidden.weight moved after freezing: max |change| = {num(change(wrong))}"),
        why="requires_grad_(False) stops backward() from writing hidden's .grad, but the optimizer still holds the "
        "parameter. zero_grad(set_to_none=False) leaves .grad as zeros, not None, so SGD does not skip it, and its "
        "momentum buffer, built up before freezing, keeps moving the weights. (With .grad None, SGD skips a "
        "parameter.)",
        fix_code=shown(fixed.fn, config, target),
        fixed_outcome=f"hidden.weight after 5 steps: max |change| = {num(change(fixed))}",
    )


_RUNNERS: dict[str, Callable[[RunConfig, torch.dtype | str], PitfallOutcome]] = {
    "net_activation_grad": _activation,
    "net_tensor_to": _tensor_to,
    "net_forgot_zero": _forgot_zero,
    "net_frozen_in_optimizer": _frozen,
}
NET_PITFALLS: tuple[str, ...] = tuple(_RUNNERS)


def run_net_pitfall(key: str, config: RunConfig) -> PitfallOutcome:
    """Run one of the network's mistakes and its fix for real (ValueError: unknown key, or not 2 features)."""
    if key not in _RUNNERS:
        raise ValueError(f"pitfall {key!r} is unknown; choose one of {NET_PITFALLS}")
    with ONE_AT_A_TIME, silenced(_CODE), torch.inference_mode(False), torch.enable_grad():
        return _RUNNERS[key](config, target_for(config))


def run_all_net(config: RunConfig) -> list[PitfallOutcome]:
    """Every network pitfall in display order."""
    return [run_net_pitfall(key, config) for key in NET_PITFALLS]
