"""The network's pitfalls as code: each mistake and its fix, a real function that is both run and shown.

`gradlab.probes.net_pitfall_outcomes` calls these on a fresh `Net` and its data and shows their source, so the
code on the page is the code that ran. No type hints on purpose: the page shows them as a learner writes them.
Only what PyTorch says on the lines of this file counts as a pitfall's own warning.
"""

from __future__ import annotations

import torch
from torch import nn


def read_activation_grad(model, X, y):
    h = model.act(model.hidden(X))  # the hidden activation: not a leaf
    loss = nn.functional.mse_loss(model.out(h), y)
    loss.backward()
    return h, h.grad


def retain_activation_grad(model, X, y):
    h = model.act(model.hidden(X))
    h.retain_grad()  # before backward()
    loss = nn.functional.mse_loss(model.out(h), y)
    loss.backward()
    return h, h.grad


def tensor_to_after_requires_grad(X, y, target):
    w = torch.tensor([[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]], requires_grad=True).to(target)
    y_hat = torch.tanh(X.to(target) @ w.T).sum(dim=1, keepdim=True)
    loss = nn.functional.mse_loss(y_hat, y.to(target))
    loss.backward()
    return w, w.grad


def module_to(model, X, y, target):
    model.to(target)  # moves each parameter's data: they stay leaves
    loss = nn.functional.mse_loss(model(X.to(target)), y.to(target))
    loss.backward()
    return model


def two_steps_without_zeroing(model, X, y, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for step in range(2):
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()  # nothing zeroed .grad: this adds to it
        if step == 0:
            optimizer.step()
    return model.out.bias.grad


def two_steps_zeroing_each(model, X, y, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for step in range(2):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        if step == 0:
            optimizer.step()
    return model.out.bias.grad


def frozen_layer_still_in_optimizer(model, X, y, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for step in range(5):
        if step == 2:
            model.hidden.requires_grad_(False)  # freeze the hidden layer
            frozen_at = model.hidden.weight.detach().clone()
        optimizer.zero_grad(set_to_none=False)  # keeps .grad as zeros
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
    return frozen_at, model.hidden.weight.detach()


def frozen_layer_left_out(model, X, y, lr):
    model.hidden.requires_grad_(False)  # freeze first
    frozen_at = model.hidden.weight.detach().clone()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=lr, momentum=0.9)
    for _ in range(5):
        optimizer.zero_grad(set_to_none=False)
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
    return frozen_at, model.hidden.weight.detach()
