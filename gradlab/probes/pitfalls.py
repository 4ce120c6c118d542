"""Common `.grad` mistakes, each run for real on ŷ = X@w + b, with the outcome PyTorch really gives."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import torch

from gradlab.probes.capture import Captured, capture, silenced
from gradlab.runs.live import live
from gradlab.runs.model import DTYPE, fmt_list, forward, mse
from gradlab.settings.config import RunConfig

LOSS = "loss = ((X @ w + b - y) ** 2).mean()\nloss.backward()\n"
YHAT_LOSS = "loss = ((y_hat - y) ** 2).mean()\nloss.backward()\n"
_Tensors = tuple[torch.device, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class PitfallOutcome:
    """One mistake, what PyTorch really did with it, and the fix with its real result."""

    key: str
    title: str
    wrong_code: str
    outcome_kind: str  # "error" | "warning" | "none_grad" | "wrong_value"
    outcome: str
    why: str
    fix_code: str
    fixed_outcome: str


_ONE_AT_A_TIME = threading.Lock()
_HERE = Path(__file__).resolve()  # the pitfalls' own lines: only their warnings count


def _capture() -> AbstractContextManager[Captured]:
    return capture(_HERE)


def _setup(config: RunConfig) -> _Tensors:
    """Device, X (N, F), y (N,) and fresh leaf parameters w (F,), b (0-d)."""
    run = live(config)  # the pitfalls update by hand; an optimizer, if configured, goes unused
    return run.device, run.X, run.y, run.w, run.b


def _leaf(name: str, t: torch.Tensor) -> str:
    grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    return f"{name}.is_leaf = {t.is_leaf}, {name}.grad_fn = {grad_fn}"


def _lines(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _inplace_outside_no_grad(config: RunConfig) -> PitfallOutcome:
    lr = config.lr
    _, X, y, w, b = _setup(config)
    with _capture() as got:
        mse(forward(X, w, b), y).backward()
        w -= lr * w.grad
    outcome = got.error or f"no error was raised: w = {w}"
    _, X, y, w, b = _setup(config)
    mse(forward(X, w, b), y).backward()
    with torch.no_grad():
        w -= lr * w.grad
    return PitfallOutcome(
        key="inplace_outside_no_grad",
        title="Updating a weight in place outside torch.no_grad()",
        wrong_code=f"{LOSS}w -= {lr!r} * w.grad",
        outcome_kind="error" if got.error else "wrong_value",
        outcome=outcome,
        why="While gradients are being recorded, PyTorch refuses an in-place change to a leaf that requires grad. "
        "The update is not part of the model, so it belongs under torch.no_grad().",
        fix_code=f"{LOSS}with torch.no_grad():\n    w -= {lr!r} * w.grad",
        fixed_outcome=_lines(f"w = {w}", _leaf("w", w)),
    )


def _to_after_requires_grad(config: RunConfig) -> PitfallOutcome:
    device, X, y, _, b = _setup(config)
    grad = None
    with _capture() as got:
        w = torch.tensor(config.w0, dtype=torch.float64, requires_grad=True).to(device, DTYPE)
        mse(forward(X, w, b), y).backward()
        grad = w.grad
    outcome = _lines(_leaf("w", w), f"w.grad = {grad}", *got.warnings, got.error)
    _, X, y, w, b = _setup(config)  # make_params: requires_grad=True, created on the device
    mse(forward(X, w, b), y).backward()
    w0 = fmt_list(config.w0)
    return PitfallOutcome(
        key="to_after_requires_grad",
        title="Calling .to(device) after requires_grad=True",
        wrong_code=f"w = torch.tensor({w0}, dtype=torch.float64, requires_grad=True).to(device, torch.float32)\n"
        f"{LOSS}w.is_leaf, w.grad",
        outcome_kind="none_grad" if grad is None else "wrong_value",
        outcome=outcome,
        why="A .to() that really copies (to a GPU, or to another dtype as here) returns a new non-leaf tensor: "
        'backward() fills the hidden original\'s .grad and w.grad stays None. On a CPU, .to("cpu") alone '
        "returns the same tensor, so this demo changes the dtype to force the copy a device move makes.",
        fix_code=f"w = torch.tensor({w0}, requires_grad=True, device=device, dtype=torch.float32)\n"
        f"{LOSS}w.is_leaf, w.grad",
        fixed_outcome=_lines(_leaf("w", w), f"w.grad = {w.grad}"),
    )


def _out_of_place_update(config: RunConfig) -> PitfallOutcome:
    lr = config.lr
    _, X, y, w, b = _setup(config)
    grad = None
    with _capture() as got:
        mse(forward(X, w, b), y).backward()
        w = w - lr * w.grad
        mse(forward(X, w, b), y).backward()
        grad = w.grad
    outcome = _lines(_leaf("w", w), f"w.grad = {grad}", *got.warnings, got.error)
    _, X, y, w, b = _setup(config)
    mse(forward(X, w, b), y).backward()
    with torch.no_grad():
        w -= lr * w.grad
    w.grad.zero_()
    mse(forward(X, w, b), y).backward()
    return PitfallOutcome(
        key="out_of_place_update",
        title="Updating with w = w - lr * w.grad",
        wrong_code=f"{LOSS}w = w - {lr!r} * w.grad\n{LOSS}w.is_leaf, w.grad",
        outcome_kind="none_grad" if grad is None else "wrong_value",
        outcome=outcome,
        why="w - lr * w.grad builds a new tensor from the old w, so the name w now points at a non-leaf; "
        "the next backward() sends the gradient to the old leaf and the new w.grad stays None.",
        fix_code=f"{LOSS}with torch.no_grad():\n    w -= {lr!r} * w.grad\nw.grad.zero_()\n{LOSS}w.is_leaf, w.grad",
        fixed_outcome=_lines(_leaf("w", w), f"w.grad = {w.grad}"),
    )


def _backward_twice(config: RunConfig) -> PitfallOutcome:
    _, X, y, w, b = _setup(config)
    with _capture() as got:
        loss = mse(forward(X, w, b), y)
        loss.backward()
        loss.backward()
    outcome = got.error or f"no error was raised: w.grad = {w.grad}"
    _, X, y, w, b = _setup(config)
    mse(forward(X, w, b), y).backward()
    w.grad.zero_()
    mse(forward(X, w, b), y).backward()  # a fresh forward pass builds a fresh graph
    return PitfallOutcome(
        key="backward_twice",
        title="Calling backward() twice on one graph",
        wrong_code=f"{LOSS}loss.backward()",
        outcome_kind="error" if got.error else "wrong_value",
        outcome=outcome,
        why="backward() frees the values the graph saved for the chain rule once it has used them. Each step "
        "needs a fresh forward pass (retain_graph=True keeps the old graph, rarely what a loop wants).",
        fix_code=f"{LOSS}w.grad.zero_()\n# a fresh forward pass builds a fresh graph\n{LOSS}w.grad",
        fixed_outcome=f"w.grad = {w.grad}",
    )


def _nonleaf_grad(config: RunConfig) -> PitfallOutcome:
    _, X, y, w, b = _setup(config)
    grad = None
    with _capture() as got:
        y_hat = forward(X, w, b)
        mse(y_hat, y).backward()
        grad = y_hat.grad
    _, X, y, w, b = _setup(config)
    y_hat = forward(X, w, b)
    y_hat.retain_grad()
    mse(y_hat, y).backward()
    body = f"y_hat = X @ w + b\n{YHAT_LOSS}y_hat.grad"
    return PitfallOutcome(
        key="nonleaf_grad",
        title="Reading .grad of an intermediate tensor (ŷ)",
        wrong_code=body,
        outcome_kind="warning" if got.warnings else "none_grad",
        outcome=_lines(*got.warnings, got.error, f"y_hat.grad = {grad}"),
        why="By default backward() fills .grad only on leaf tensors that require grad, here w and b (X and y are "
        "leaves too, but they do not require grad). ŷ is a non-leaf, computed from w and b, so its gradient is "
        "used on the way back and dropped unless you call retain_grad() before backward().",
        fix_code=body.replace("loss = ", "y_hat.retain_grad()\nloss = ", 1),
        fixed_outcome=_lines(_leaf("y_hat", y_hat), f"y_hat.grad = {y_hat.grad}"),
    )


def _grads_per_step(config: RunConfig, *, zero: bool) -> str:
    """w.grad after each of two backward() calls on fresh forward passes, with or without zeroing."""
    _, X, y, w, b = _setup(config)
    seen = []
    for step in range(2):
        mse(forward(X, w, b), y).backward()
        seen.append(f"step {step}: w.grad = {w.grad}")
        if zero:
            w.grad.zero_()
            b.grad.zero_()
    return _lines(*seen)


def _forgot_zero_grad(config: RunConfig) -> PitfallOutcome:
    loop = "for step in range(2):\n    " + LOSS.replace("\n", "\n    ") + "print(w.grad)"
    return PitfallOutcome(
        key="forgot_zero_grad",
        title="Forgetting to zero .grad between steps",
        wrong_code=loop,
        outcome_kind="wrong_value",
        outcome=_grads_per_step(config, zero=False),
        why="backward() adds into .grad instead of overwriting it, so each step sees its own gradient plus every "
        "earlier one; with no update in between, the second one is exactly double.",
        fix_code=f"{loop}\n    w.grad.zero_()  # optimizer.zero_grad() sets .grad to None instead\n    b.grad.zero_()",
        fixed_outcome=_grads_per_step(config, zero=True),
    )


def _sgd_losses(config: RunConfig, *, step_first: bool) -> tuple[list[str], torch.Tensor]:
    """What `print(step, loss.item())` prints in three SGD steps, with opt.step() before or after backward()."""
    _, X, y, w, b = _setup(config)
    opt = torch.optim.SGD([w, b], lr=config.lr)
    printed = []
    for step in range(3):
        opt.zero_grad()
        loss = mse(forward(X, w, b), y)
        if step_first:
            opt.step()
            loss.backward()
        else:
            loss.backward()
            opt.step()
        printed.append(f"{step} {loss.item()}")
    return printed, w


def _step_before_backward(config: RunConfig) -> PitfallOutcome:
    lr = config.lr
    with _capture() as got:
        wrong, w_wrong = _sgd_losses(config, step_first=True)
    right, w_right = _sgd_losses(config, step_first=False)
    head = f"opt = torch.optim.SGD([w, b], lr={lr!r})\nfor step in range(3):\n    opt.zero_grad()\n"
    loss = "    loss = ((X @ w + b - y) ** 2).mean()\n"
    tail = "    print(step, loss.item())"
    unmoved = torch.equal(w_wrong.detach(), torch.tensor(config.w0, dtype=DTYPE, device=w_wrong.device))
    return PitfallOutcome(
        key="step_before_backward",
        title="Calling opt.step() before loss.backward()",
        wrong_code=f"{head}{loss}    opt.step()\n    loss.backward()\n{tail}",
        outcome_kind="wrong_value",
        outcome=_lines(
            *wrong,
            f"w = {w_wrong}",
            *got.warnings,
            got.error,
            "no error or warning was raised" if unmoved and not (got.warnings or got.error) else None,
        ),
        why="opt.zero_grad() sets every .grad to None (set_to_none=True is its default since PyTorch 2.0), and "
        "opt.step() skips a parameter whose .grad is None without a word. The gradient backward() computes "
        "afterwards is thrown away by the next zero_grad(), so the weights never move and the loss never changes.",
        fix_code=f"{head}{loss}    loss.backward()\n    opt.step()\n{tail}",
        fixed_outcome=_lines(*right, f"w = {w_right}"),
    )


def _broadcast_run(config: RunConfig, *, column: bool) -> tuple[float, torch.Tensor, tuple[int, ...], list[str]]:
    """Loss, w.grad, (y_hat - y).shape and warnings, for y of shape (N, 1) or (N,)."""
    _, X, y, w, b = _setup(config)
    with _capture() as got:
        y = y.view(-1, 1) if column else y  # (N, 1) or (N,)
        y_hat = forward(X, w, b)  # (N,)
        loss = mse(y_hat, y)
        loss.backward()
    if got.error:
        raise RuntimeError(got.error)
    return loss.item(), w.grad, tuple((y_hat - y).shape), got.warnings


def _broadcast_shape(config: RunConfig) -> PitfallOutcome:
    n = config.n_samples
    bad_loss, bad_grad, bad_shape, bad_warnings = _broadcast_run(config, column=True)
    loss, grad, shape, _ = _broadcast_run(config, column=False)
    note = None
    if bad_loss == loss:
        note = (
            f"with N = {n} the broadcast result happens to equal the right loss and gradient"
            if torch.equal(bad_grad, grad)
            else f"the loss equals the right one ({loss:g}) by chance at these weights, but w.grad does not"
        )
    column = "[" + ", ".join(f"[{v!r}]" for v in config.y) + "]"
    body = f"y_hat = X @ w + b  # shape ({n},)\n{YHAT_LOSS}loss, w.grad"
    return PitfallOutcome(
        key="broadcast_shape",
        title="Targets of shape (N, 1) against predictions of shape (N,)",
        wrong_code=f"y = torch.tensor({column})  # shape ({n}, 1)\n{body}",
        outcome_kind="wrong_value",
        outcome=_lines(
            f"(y_hat - y).shape = {bad_shape}",
            f"loss = {bad_loss:g}, w.grad = {bad_grad}",
            _lines(*bad_warnings) or "no error or warning was raised",
            note,
        ),
        why="Broadcasting turns (N,) minus (N, 1) into an (N, N) matrix comparing every prediction with "
        "every target, so the loss and its gradients average all N×N pairs, not just the N matching ones, "
        "without any error.",
        fix_code=f"y = torch.tensor({fmt_list(config.y)})  # shape ({n},), or y = y.view(-1)\n{body}",
        fixed_outcome=_lines(f"(y_hat - y).shape = {shape}", f"loss = {loss:g}, w.grad = {grad}"),
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
    # one pitfall at a time, and only warnings raised on this module's lines count as the pitfall's own.
    # Autograd must be on even if the caller is under no_grad/inference_mode; both are restored on exit.
    with _ONE_AT_A_TIME, silenced(_HERE), torch.inference_mode(False), torch.enable_grad():
        return _RUNNERS[key](config)


def run_all(config: RunConfig) -> list[PitfallOutcome]:
    """Every pitfall in display order, each run for real with this config."""
    return [run_pitfall(key, config) for key in PITFALLS]
