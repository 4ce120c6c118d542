"""Common `.grad` mistakes, each run for real on ŷ = X@w + b, with the outcome PyTorch really gives.

A mistake and its fix are functions in `gradlab.probes.pitfall_code`; the page shows their source, and this
module runs exactly those functions on fresh tensors and writes down what PyTorch did.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from gradlab.fmt import num
from gradlab.probes import pitfall_code as code
from gradlab.probes.capture import ONE_AT_A_TIME, Captured, capture, silenced
from gradlab.runs.code import fmt_list
from gradlab.runs.live import live
from gradlab.runs.model import DTYPE
from gradlab.settings.config import RunConfig


@dataclass(frozen=True)
class PitfallOutcome:
    """One mistake, what PyTorch really did with it, and the fix with its real result.

    `wrong_code` and `fix_code` are the source of the functions that ran, after a comment naming what they were
    called with. `behaviour` is what running the mistake did, read from that run (one of BEHAVIOURS).
    """

    key: str
    title: str
    wrong_code: str
    behaviour: str
    outcome: str
    why: str
    fix_code: str
    fixed_outcome: str


# What running a mistake can do, in order of precedence: it raised (PyTorch's error or Python's), PyTorch warned,
# it ran without a word to a wrong result, or it did what was meant (the fix's result).
BEHAVIOURS: tuple[str, ...] = ("error", "warning", "silent", "works")

_CODE = Path(inspect.getfile(code)).resolve()  # the pitfalls' own lines: only their warnings count


class _Run:
    """One call of a pitfall function on fresh tensors: what it returned, raised, warned and printed."""

    def __init__(self, fn: Callable[..., Any], config: RunConfig) -> None:
        run = live(config)  # fresh leaves; an optimizer, if configured, goes unused (the pitfalls make their own)
        given = {"X": run.X, "y": run.y, "w": run.w, "b": run.b, "lr": config.lr, "w0": list(config.w0)}
        given["device"] = str(run.device)
        names = inspect.signature(fn).parameters
        self.fn, self.config, self.device = fn, config, run.device
        self.result: Any = None
        with _capture() as got:
            self.result = fn(**{name: given[name] for name in names})
        self.got: Captured = got

    def said(self) -> list[str]:
        """What PyTorch said: the warnings, then the error."""
        return [*self.got.warnings, *([self.got.error] if self.got.error else [])]

    def behaviour(self, right: Callable[[], bool]) -> str:
        """What this run did (BEHAVIOURS): raised, else warned, else `right()` (its result is the fix's) or not."""
        if self.got.error:
            return "error"
        if self.got.warnings:
            return "warning"
        return "works" if right() else "silent"


@contextmanager
def _capture() -> Iterator[Captured]:
    with capture(_CODE) as got:
        yield got


def shown(fn: Callable[..., Any], config: RunConfig) -> str:
    """The function's source, after a comment with what it is called with (the config's values)."""
    names = inspect.signature(fn).parameters
    given = {
        "X": "X, y: this data",
        "w": "w, b: fresh leaves (requires_grad=True)",
        "b": "b: a fresh leaf (requires_grad=True)",
        "w0": f"w0 = {fmt_list(config.w0)}",
        "lr": f"lr = {config.lr!r}",
        "device": "device: the run's device",
    }
    parts = [text for name, text in given.items() if name in names and not (name == "b" and "w" in names)]
    return f"# {'; '.join(parts)}\n{inspect.getsource(fn).rstrip()}"


def _leaf(name: str, t: torch.Tensor) -> str:
    grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    return f"{name}.is_leaf = {t.is_leaf}, {name}.grad_fn = {grad_fn}"


def _lines(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _inplace_outside_no_grad(config: RunConfig) -> PitfallOutcome:
    wrong = _Run(code.update_in_place_while_recording, config)
    fixed = _Run(code.update_in_place_under_no_grad, config)
    w, b = fixed.result
    return PitfallOutcome(
        key="inplace_outside_no_grad",
        title="Updating a weight in place outside torch.no_grad()",
        wrong_code=shown(wrong.fn, config),
        behaviour=wrong.behaviour(lambda: torch.equal(wrong.result.detach(), w.detach())),
        outcome=wrong.got.error or f"no error was raised: w = {wrong.result}",
        why="While gradients are being recorded, PyTorch refuses an in-place change to a leaf that requires grad. "
        "The update is not part of the model, so it belongs under torch.no_grad().",
        fix_code=shown(fixed.fn, config),
        fixed_outcome=_lines(f"w = {w!r}", f"b = {b!r}", _leaf("w", w), f"w.grad = {w.grad!r}, b.grad = {b.grad!r}"),
    )


def _to_after_requires_grad(config: RunConfig) -> PitfallOutcome:
    wrong = _Run(code.move_after_requires_grad, config)
    fixed = _Run(code.create_on_the_device, config)
    w, grad = wrong.result
    fixed_w, fixed_grad = fixed.result
    return PitfallOutcome(
        key="to_after_requires_grad",
        title="Calling .to(device) after requires_grad=True",
        wrong_code=shown(wrong.fn, config),
        behaviour=wrong.behaviour(lambda: grad is not None and torch.equal(grad, fixed_grad)),
        outcome=_lines(_leaf("w", w), f"w.grad = {grad}", *wrong.said()),
        why="A .to() that really copies (to a GPU, or to another dtype as here) returns a new non-leaf tensor: "
        'backward() fills the hidden original\'s .grad and w.grad stays None. On a CPU, .to("cpu") alone '
        "returns the same tensor, so this demo changes the dtype to force the copy a device move makes.",
        fix_code=shown(fixed.fn, config),
        fixed_outcome=_lines(_leaf("w", fixed_w), f"w.grad = {fixed_grad}"),
    )


def _out_of_place_update(config: RunConfig) -> PitfallOutcome:
    wrong = _Run(code.update_out_of_place, config)
    fixed = _Run(code.update_in_place_then_zero, config)
    return PitfallOutcome(
        key="out_of_place_update",
        title="Updating with w = w - lr * w.grad",
        wrong_code=shown(wrong.fn, config),
        behaviour=wrong.behaviour(lambda: wrong.got.printed == fixed.got.printed),
        outcome=_lines(*wrong.got.printed, *wrong.said()),
        why="w - lr * w.grad builds a new tensor from the old w, so after the first update the name w points at a "
        "non-leaf (w.is_leaf = False), and b likewise. The next backward() sends the gradient to the old leaves, "
        "and the new w.grad stays None: PyTorch warns when it is read. In a loop, the update after it would fail "
        "in Python: lr * None is a TypeError.",
        fix_code=shown(fixed.fn, config),
        fixed_outcome=_lines(*fixed.got.printed, *fixed.said()),
    )


def _backward_twice(config: RunConfig) -> PitfallOutcome:
    wrong = _Run(code.backward_twice, config)
    fixed = _Run(code.backward_on_a_fresh_graph, config)
    return PitfallOutcome(
        key="backward_twice",
        title="Calling backward() twice on one graph",
        wrong_code=shown(wrong.fn, config),
        behaviour=wrong.behaviour(lambda: False),  # the second call can only add a gradient computed already
        outcome=wrong.got.error or f"no error was raised: w.grad = {wrong.result}",
        why="backward() frees the values the graph saved for the chain rule once it has used them. Each step "
        "needs a fresh forward pass (retain_graph=True keeps the old graph, rarely what a loop wants).",
        fix_code=shown(fixed.fn, config),
        fixed_outcome=_lines(*fixed.got.printed, *fixed.said()),
    )


def _nonleaf_grad(config: RunConfig) -> PitfallOutcome:
    wrong = _Run(code.read_a_nonleaf_grad, config)
    fixed = _Run(code.retain_a_nonleaf_grad, config)
    _, grad = wrong.result
    y_hat, fixed_grad = fixed.result
    return PitfallOutcome(
        key="nonleaf_grad",
        title="Reading .grad of an intermediate tensor (ŷ)",
        wrong_code=shown(wrong.fn, config),
        behaviour=wrong.behaviour(lambda: grad is not None and torch.equal(grad, fixed_grad)),
        outcome=_lines(*wrong.said(), f"y_hat.grad = {grad}"),
        why="By default backward() fills .grad only on leaf tensors that require grad, here w and b (X and y are "
        "leaves too, but they do not require grad). ŷ is a non-leaf, computed from w and b, so its gradient is "
        "used on the way back and dropped unless you call retain_grad() before backward().",
        fix_code=shown(fixed.fn, config),
        fixed_outcome=_lines(_leaf("y_hat", y_hat), f"y_hat.grad = {fixed_grad}"),
    )


def _forgot_zero_grad(config: RunConfig) -> PitfallOutcome:
    wrong = _Run(code.two_steps_without_zeroing, config)
    fixed = _Run(code.two_steps_zeroing_each, config)
    return PitfallOutcome(
        key="forgot_zero_grad",
        title="Forgetting to zero .grad between steps",
        wrong_code=shown(wrong.fn, config),
        behaviour=wrong.behaviour(lambda: wrong.got.printed == fixed.got.printed),
        outcome=_lines(*wrong.got.printed),
        why="backward() adds into .grad instead of overwriting it, so each step sees its own gradient plus every "
        "earlier one; with no update in between, the second one is exactly double.",
        fix_code=shown(fixed.fn, config),
        fixed_outcome=_lines(*fixed.got.printed),
    )


def _step_before_backward(config: RunConfig) -> PitfallOutcome:
    wrong = _Run(code.step_before_backward, config)
    fixed = _Run(code.backward_before_step, config)
    w = wrong.result
    unmoved = torch.equal(w.detach(), torch.tensor(config.w0, dtype=DTYPE, device=w.device))
    quiet = "no error or warning was raised" if unmoved and not wrong.said() else None
    return PitfallOutcome(
        key="step_before_backward",
        title="Calling opt.step() before loss.backward()",
        wrong_code=shown(wrong.fn, config),
        behaviour=wrong.behaviour(lambda: torch.equal(w.detach(), fixed.result.detach())),
        outcome=_lines(*wrong.got.printed, f"w = {w}", *wrong.said(), quiet),
        why="opt.zero_grad() sets every .grad to None (set_to_none=True is its default since PyTorch 2.0), and "
        "opt.step() skips a parameter whose .grad is None without a word. The gradient backward() computes "
        "afterwards is thrown away by the next zero_grad(), so the weights never move and the loss never changes.",
        fix_code=shown(fixed.fn, config),
        fixed_outcome=_lines(*fixed.got.printed, f"w = {fixed.result}"),
    )


def _broadcast_shape(config: RunConfig) -> PitfallOutcome:
    n = config.n_samples
    wrong = _Run(code.targets_as_a_column, config)
    fixed = _Run(code.targets_as_a_vector, config)
    for run in (wrong, fixed):
        if run.got.error:
            raise RuntimeError(run.got.error)
    bad_shape, bad_loss, bad_grad = wrong.result
    shape, loss, grad = fixed.result
    same_loss, same_grad = bad_loss.item() == loss.item(), torch.equal(bad_grad, grad)
    note = None
    if same_loss:
        note = (
            f"with N = {n} the broadcast result happens to equal the right loss and gradient"
            if same_grad
            else f"the loss equals the right one ({num(loss.item())}) by chance at these weights, but w.grad does not"
        )
    return PitfallOutcome(
        key="broadcast_shape",
        title="Targets of shape (N, 1) against predictions of shape (N,)",
        wrong_code=shown(wrong.fn, config),
        behaviour=wrong.behaviour(lambda: same_loss and same_grad),
        outcome=_lines(
            f"(y_hat - y).shape = {tuple(bad_shape)}",
            f"loss = {num(bad_loss.item())}, w.grad = {bad_grad}",
            _lines(*wrong.got.warnings) or "no error or warning was raised",
            note,
        ),
        why="Broadcasting turns (N,) minus (N, 1) into an (N, N) matrix comparing every prediction with "
        "every target, so the loss and its gradients average all N×N pairs, not just the N matching ones, "
        "without any error.",
        fix_code=shown(fixed.fn, config),
        fixed_outcome=_lines(f"(y_hat - y).shape = {tuple(shape)}", f"loss = {num(loss.item())}, w.grad = {grad}"),
    )


_RUNNERS: dict[str, Callable[[RunConfig], PitfallOutcome]] = {
    "inplace_outside_no_grad": _inplace_outside_no_grad,
    "to_after_requires_grad": _to_after_requires_grad,
    "out_of_place_update": _out_of_place_update,
    "backward_twice": _backward_twice,
    "nonleaf_grad": _nonleaf_grad,
    "forgot_zero_grad": _forgot_zero_grad,
    "step_before_backward": _step_before_backward,
    "broadcast_shape": _broadcast_shape,
}
PITFALLS: tuple[str, ...] = tuple(_RUNNERS)


def run_pitfall(key: str, config: RunConfig) -> PitfallOutcome:
    """Run one mistake and its fix for real; no warning escapes and grad mode is restored."""
    if key not in _RUNNERS:
        raise ValueError(f"pitfall {key!r} is unknown; choose one of {PITFALLS}")
    # warnings.catch_warnings swaps process-wide state, and Streamlit runs each session in its own thread:
    # one pitfall at a time, and only warnings raised on the pitfalls' own lines count as a pitfall's.
    # Autograd must be on even if the caller is under no_grad/inference_mode; both are restored on exit.
    with ONE_AT_A_TIME, silenced(_CODE), torch.inference_mode(False), torch.enable_grad():
        return _RUNNERS[key](config)


def run_all(config: RunConfig) -> list[PitfallOutcome]:
    """Every pitfall in display order, each run for real with this config."""
    return [run_pitfall(key, config) for key in PITFALLS]
