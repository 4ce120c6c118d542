"""The network experiments' code as a learner would write it: real functions, shown on Grad Lab ⑧ with
`inspect.getsource` (as `gradlab.probes.pitfall_code` does for the linear pitfalls).

Each function takes a fresh `Net` (gradlab.runs.net), X (N, 2) and y (N, 1); tests/test_net_experiment_code.py
runs every one on plain PyTorch and checks that it gives exactly what the probes in
`gradlab.probes.net_experiments` and `gradlab.probes.net_backward` report, so the code on the page is what the
numbers under it come from. No type hints on purpose: the page shows them as a learner would write them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch
from torch import nn


def freeze_hidden(model, X, y, lr, steps):
    model.hidden.requires_grad_(False)  # hidden.weight and hidden.bias
    opt = torch.optim.SGD(model.parameters(), lr=lr)  # every parameter, frozen ones too
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return model


def detach_hidden(model, X, y):
    h = model.act(model.hidden(X)).detach()  # (N, 3): the values, cut from the graph
    loss = nn.functional.mse_loss(model.out(h), y)
    loss.backward()
    return model.hidden.weight.grad, model.out.weight.grad


def accumulate(model, X, y, lr, k, divide_by_k):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for X_part, y_part in zip(X.chunk(k), y.chunk(k), strict=True):  # k parts of N/k rows
        loss = nn.functional.mse_loss(model(X_part), y_part)
        if divide_by_k:
            loss = loss / k
        loss.backward()  # adds into .grad: no zero_grad() in between
    grads = [p.grad.clone() for p in model.parameters()]
    opt.step()  # one step for the k micro-batches
    return grads


def update_between_forward_and_backward(model, X, y, lr):
    loss = nn.functional.mse_loss(model(X), y)  # the graph saves out.weight
    with torch.no_grad():
        model.out.weight -= lr * torch.ones_like(model.out.weight)  # in place
    loss.backward()


def autograd_grad(model, X, y):
    loss = nn.functional.mse_loss(model(X), y)
    grads = torch.autograd.grad(loss, list(model.parameters()))  # a tuple, one per parameter
    return grads, [p.grad for p in model.parameters()]


def backward_with_gradient(model, X, y):
    y_hat = model(X)  # (N, 1): not a scalar, so backward() needs gradient=
    v = (2 / len(y) * (y_hat - y)).detach()  # (N, 1): d mse_loss(y_hat, y) / d y_hat
    y_hat.backward(gradient=v)
    return [p.grad for p in model.parameters()]


SHOWN: dict[str, Callable[..., object]] = {
    "freeze": freeze_hidden,
    "detach": detach_hidden,
    "accumulate": accumulate,
    "version": update_between_forward_and_backward,
    "autograd_grad": autograd_grad,
    "vjp": backward_with_gradient,
}


def source(key: str) -> str:
    """The source of experiment `key`'s function (KeyError for an unknown key), as the page shows it."""
    return inspect.getsource(SHOWN[key])
