"""The pitfalls' code: each common mistake and its fix, as a real function that is both run and shown; and the
lab's backward() after an update (`gradlab.probes.stale_graph`), run on X with and without requires_grad.

`gradlab.probes.pitfalls` calls these functions on fresh tensors and shows their source (`inspect.getsource`, as
Streamlit's own `hello` demo shows its demos), so the code on the page is the code that ran, line for line. The
forward pass and loss are spelled as the card spells them (`gradlab.runs.code`; tests/test_code.py checks it).

The functions carry no type hints on purpose: the page shows them as a learner would write them. Only what PyTorch
says on the lines of this file counts as a pitfall's own warning (`gradlab.probes.capture`).
"""

from __future__ import annotations

import torch


def update_in_place_while_recording(X, y, w, b, lr):
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    w -= lr * w.grad
    return w


def update_in_place_under_no_grad(X, y, w, b, lr):
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    return w, b


def move_after_requires_grad(X, y, b, w0, device):
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True).to(device, torch.float32)
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    return w, w.grad


def create_on_the_device(X, y, b, w0, device):
    w = torch.tensor(w0, requires_grad=True, device=device, dtype=torch.float32)
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    return w, w.grad


def update_out_of_place(X, y, w, b, lr):
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    w = w - lr * w.grad
    b = b - lr * b.grad
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    print(f"step 1: w.is_leaf = {w.is_leaf}, w.grad = {w.grad}")


def update_in_place_then_zero(X, y, w, b, lr):
    for step in range(2):
        y_hat = X @ w + b
        loss = ((y_hat - y) ** 2).mean()
        loss.backward()
        print(f"step {step}: w.is_leaf = {w.is_leaf}, w.grad = {w.grad}")
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()


def backward_twice(X, y, w, b):
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    loss.backward()
    return w.grad


def backward_on_a_fresh_graph(X, y, w, b):
    for step in range(2):
        y_hat = X @ w + b  # each step: a fresh forward pass builds a fresh graph
        loss = ((y_hat - y) ** 2).mean()
        loss.backward()
        print(f"step {step}: w.grad = {w.grad}, b.grad = {b.grad}")
        w.grad.zero_()
        b.grad.zero_()


def read_a_nonleaf_grad(X, y, w, b):
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    return y_hat, y_hat.grad


def retain_a_nonleaf_grad(X, y, w, b):
    y_hat = X @ w + b
    y_hat.retain_grad()
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    return y_hat, y_hat.grad


def two_steps_without_zeroing(X, y, w, b):
    for step in range(2):
        y_hat = X @ w + b
        loss = ((y_hat - y) ** 2).mean()
        loss.backward()
        print(f"step {step}: w.grad = {w.grad}")


def two_steps_zeroing_each(X, y, w, b):
    for step in range(2):
        y_hat = X @ w + b
        loss = ((y_hat - y) ** 2).mean()
        loss.backward()
        print(f"step {step}: w.grad = {w.grad}")
        w.grad.zero_()  # optimizer.zero_grad() sets .grad to None instead
        b.grad.zero_()


def step_before_backward(X, y, w, b, lr):
    opt = torch.optim.SGD([w, b], lr=lr)
    for step in range(3):
        opt.zero_grad()
        y_hat = X @ w + b
        loss = ((y_hat - y) ** 2).mean()
        opt.step()
        loss.backward()
        print(f"step {step}: loss = {loss.item():.4f}")
    return w


def backward_before_step(X, y, w, b, lr):
    opt = torch.optim.SGD([w, b], lr=lr)
    for step in range(3):
        opt.zero_grad()
        y_hat = X @ w + b
        loss = ((y_hat - y) ** 2).mean()
        loss.backward()
        opt.step()
        print(f"step {step}: loss = {loss.item():.4f}")
    return w


def targets_as_a_column(X, y, w, b):
    y = y.view(-1, 1)  # shape (N, 1)
    y_hat = X @ w + b  # shape (N,)
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    return (y_hat - y).shape, loss, w.grad


def targets_as_a_vector(X, y, w, b):
    y = y.view(-1)  # shape (N,)
    y_hat = X @ w + b  # shape (N,)
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    return (y_hat - y).shape, loss, w.grad


def update_then_backward(X, y, w, b, lr):
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()  # w.grad and b.grad for the update
    y_hat = X @ w + b  # forward + loss: the graph is recorded
    loss = ((y_hat - y) ** 2).mean()
    with torch.no_grad():  # the update, in place
        w -= lr * w.grad
        b -= lr * b.grad
    loss.backward()  # backward() through the graph recorded before the update
    return w.grad
