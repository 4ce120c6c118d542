"""What backward() reaches in the network, each run for real: `torch.autograd.grad`, `backward(gradient=v)`, the
version counter, and the non-leaf activation h with `retain_grad()` and `register_hook`.

Each probe returns frozen facts (numbers, which `.grad` is None, PyTorch's own messages); no words of ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from gradlab.probes.capture import capture
from gradlab.probes.net_common import Grads, autograd_on, fresh, grads_of, max_diffs
from gradlab.runs.net import forward_parts, mse
from gradlab.settings.config import RunConfig

_HERE = Path(__file__).resolve()  # only warnings raised on this module's lines are the probes' own

Floats = tuple[float, ...]


def _floats(t: torch.Tensor) -> Floats:
    return tuple(t.detach().double().cpu().reshape(-1).tolist())


@dataclass(frozen=True)
class AutogradGrad:
    """`torch.autograd.grad(loss, model.parameters())` beside `loss.backward()` on a fresh model."""

    returned: dict[str, Floats]  # what autograd.grad returned, by parameter name
    grads_after: Grads  # every parameter's .grad afterwards: all None
    backward_grads: Grads  # .grad after loss.backward() on a fresh model
    diff: dict[str, float | None]  # max |returned − backward()'s .grad|


@autograd_on(_HERE)
def autograd_grad(config: RunConfig) -> AutogradGrad:
    """`torch.autograd.grad` returns the gradients and leaves every `.grad` as it was (None)."""
    run = fresh(config)
    names, params = zip(*run.net.named_parameters(), strict=True)
    got = torch.autograd.grad(mse(run.net(run.X), run.y), params)
    returned = {n: _floats(g) for n, g in zip(names, got, strict=True)}
    after = grads_of(run.net)

    run = fresh(config)
    mse(run.net(run.X), run.y).backward()
    backward = grads_of(run.net)
    return AutogradGrad(returned, after, backward, max_diffs(dict(returned), backward))


@dataclass(frozen=True)
class VectorJacobian:
    """`y_hat.backward(gradient=v)` on ŷ (N, 1) beside `loss.backward()` for a loss whose gradient w.r.t. ŷ is v."""

    v: Floats  # (N,) the vector: 2/N·(ŷ − y) unless given
    mse_v: bool  # v is MSE's own gradient with respect to ŷ, 2/N·(ŷ − y)
    y_hat_shape: tuple[int, ...]
    no_gradient_error: str | None  # PyTorch's RuntimeError for y_hat.backward() without gradient=
    vjp_grads: Grads  # .grad after y_hat.backward(gradient=v)
    loss_grads: Grads  # .grad after loss.backward(): MSE when v is its gradient, else (ŷ·v).sum()
    diff: dict[str, float | None]  # max |vjp − loss| per parameter


@autograd_on(_HERE)
def vector_jacobian(config: RunConfig, v: Floats | None = None) -> VectorJacobian:
    """`backward(gradient=v)` on the non-scalar ŷ is the vector-Jacobian product vᵀ·∂ŷ/∂θ for every parameter.

    With v = 2/N·(ŷ − y) (the default) that is exactly `mse_loss(ŷ, y).backward()`; for any other v (N numbers)
    it is `(ŷ * v).sum().backward()`, the loss whose gradient with respect to ŷ is v.
    """
    run = fresh(config)
    n = config.n_samples
    y_hat = run.net(run.X)  # (N, 1)
    with capture(_HERE) as got:
        y_hat.backward()
    mse_v = v is None
    if v is None:
        vec = (2.0 / n * (y_hat - run.y)).detach()  # (N, 1)
    elif len(v) != n:
        raise ValueError(f"v: {len(v)} numbers for ŷ of shape ({n}, 1); give one per row")
    else:
        vec = torch.tensor(v, dtype=y_hat.dtype, device=y_hat.device).view(n, 1)
    y_hat.backward(gradient=vec)
    vjp = grads_of(run.net)

    run = fresh(config)
    y_hat = run.net(run.X)
    loss = mse(y_hat, run.y) if mse_v else (y_hat * vec).sum()
    loss.backward()
    direct = grads_of(run.net)
    return VectorJacobian(
        v=_floats(vec),
        mse_v=mse_v,
        y_hat_shape=tuple(y_hat.shape),
        no_gradient_error=got.error,
        vjp_grads=vjp,
        loss_grads=direct,
        diff=max_diffs(vjp, direct),
    )


@dataclass(frozen=True)
class VersionCounter:
    """`out.weight` updated in place between the forward pass and backward()."""

    version_after_forward: int  # out.weight._version when the forward pass saved it
    version_at_backward: int  # after the in-place update
    error: str | None  # PyTorch's RuntimeError from backward(), "RuntimeError: …"
    grads_after_error: Grads  # every .grad after the failed backward()
    fixed_grads: Grads  # the fix: backward() first, then the update; .grad as backward() left it


@autograd_on(_HERE)
def version_counter(config: RunConfig) -> VersionCounter:
    """An in-place update of `out.weight` after the forward pass: backward() needs the saved weight and refuses.

    `hidden(X)`'s output h needs its gradient, so `out`'s backward multiplies by out.weight, which the forward
    pass saved; the update bumps its version counter and backward() checks it. (The linear model's
    graph saves X, not w: that is why its update between forward and backward() passes silently.)
    """
    run = fresh(config)
    w = run.net.out.weight
    loss = mse(run.net(run.X), run.y)
    saved = w._version
    with torch.no_grad():
        w -= config.lr * torch.ones_like(w)
    bumped = w._version
    with capture(_HERE) as got:
        loss.backward()
    failed = grads_of(run.net)

    run = fresh(config)
    w = run.net.out.weight
    mse(run.net(run.X), run.y).backward()
    fixed = grads_of(run.net)
    with torch.no_grad():
        w -= config.lr * torch.ones_like(w)
    return VersionCounter(saved, bumped, got.error, failed, fixed)


@dataclass(frozen=True)
class NonLeaf:
    """The hidden activation h = tanh(hidden(X)) (N, 3): its `.grad` without and with `retain_grad()`, and a hook."""

    is_leaf: bool
    requires_grad: bool
    grad_fn: str  # "TanhBackward0"
    grad_without_retain: Floats | None  # h.grad after backward(): None
    warning: str | None  # PyTorch's UserWarning for reading it, "UserWarning: …"
    retained: Floats | None  # h.grad (N·3 values) after h.retain_grad() and backward()
    hooked: Floats | None  # what h.register_hook's function received during backward()
    hook_matches_retained: bool  # the hook saw exactly the gradient h.grad holds
    param_grads: Grads  # the parameters' .grad: the same with or without retain_grad()
    param_grads_retained: Grads
    param_grad_diff: dict[str, float | None]


@autograd_on(_HERE)
def non_leaf(config: RunConfig) -> NonLeaf:
    """Reading `h.grad` of the non-leaf activation, then `h.retain_grad()` and `h.register_hook(...)`."""
    run = fresh(config)
    _, h, y_hat = forward_parts(run.net, run.X)
    mse(y_hat, run.y).backward()
    with capture(_HERE) as got:
        plain = h.grad  # PyTorch warns on this line: h is not a leaf and does not retain its grad
    params_plain = grads_of(run.net)

    run = fresh(config)
    _, h2, y_hat = forward_parts(run.net, run.X)
    h2.retain_grad()
    seen: list[torch.Tensor] = []
    handle = h2.register_hook(lambda g: seen.append(g.detach().clone()))  # returns None: the gradient is unchanged
    mse(y_hat, run.y).backward()
    handle.remove()
    retained = None if h2.grad is None else _floats(h2.grad)
    hooked = _floats(seen[0]) if seen else None
    params_retained = grads_of(run.net)
    return NonLeaf(
        is_leaf=h.is_leaf,
        requires_grad=h.requires_grad,
        grad_fn=type(h.grad_fn).__name__,
        grad_without_retain=None if plain is None else _floats(plain),
        warning=got.warnings[0] if got.warnings else None,
        retained=retained,
        hooked=hooked,
        hook_matches_retained=len(seen) == 1 and h2.grad is not None and torch.equal(seen[0], h2.grad),
        param_grads=params_plain,
        param_grads_retained=params_retained,
        param_grad_diff=max_diffs(params_retained, params_plain),
    )
