"""The network's Grad Lab core against plain PyTorch: the lifecycle's operations, the backward walk, the pitfalls
and the step-through's question (issue 21)."""

from __future__ import annotations

import inspect

import pytest
import torch
from torch import nn

from gradlab.lesson.net_step_prompts import net_loss_direction
from gradlab.probes.net_pitfall_outcomes import NET_PITFALLS, run_all_net, run_net_pitfall
from gradlab.probes.net_walk import walk_net
from gradlab.runs.net_lifecycle import NET_ACTIONS, NET_CODE, NetLifecycle
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

NET = RunConfig(model="net")


class PlainNet(nn.Module):  # the class, written out again: nothing from gradlab
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.act = nn.Tanh()
        self.out = nn.Linear(3, 1)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


def plain(config: RunConfig = NET):
    model = PlainNet()
    with torch.no_grad():
        model.hidden.weight.copy_(torch.tensor([[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]]))
        model.hidden.bias.copy_(torch.tensor([0.0, 0.1, -0.1]))
        model.out.weight.copy_(torch.tensor([[1.0, -1.0, 0.5]]))
        model.out.bias.copy_(torch.tensor([0.0]))
    X = torch.tensor(config.X, dtype=torch.float32)
    y = torch.tensor(config.y, dtype=torch.float32).view(-1, 1)
    return model, X, y, torch.optim.SGD(model.parameters(), lr=config.lr)


def grads(model):
    return {n: None if p.grad is None else tuple(p.grad.reshape(-1).tolist()) for n, p in model.named_parameters()}


def test_every_click_does_what_pytorch_does_on_the_same_net():
    lab = NetLifecycle(NET)
    model, X, y, opt = plain()
    loss = None

    def forward():
        nonlocal loss
        loss = nn.functional.mse_loss(model(X), y)

    plain_ops = {
        "forward": forward,
        "backward": lambda: loss.backward(),
        "backward_again": lambda: (forward(), loss.backward()),
        "model_zero": lambda: model.zero_grad(),
        "opt_zero": lambda: opt.zero_grad(),
        "opt_zero_false": lambda: opt.zero_grad(set_to_none=False),
        "step": lambda: opt.step(),
    }
    script = ["forward", "backward", "backward_again", "opt_zero_false", "backward_again", "step", "model_zero",
              "forward", "backward", "opt_zero", "step", "forward", "backward", "step"]  # fmt: skip
    for action in script:
        event = lab.run(action)
        plain_ops[action]()
        assert not event.raised, (action, event.message)
        assert event.grads == grads(model), action
        for (n, p), (_, q) in zip(lab.model.named_parameters(), model.named_parameters(), strict=True):
            assert torch.equal(p.detach(), q.detach()), (action, n)


def test_zero_grad_defaults_are_read_from_pytorch():
    lab = NetLifecycle(NET)
    lab.run("forward")
    lab.run("backward")
    assert all(g is not None for g in lab.run("opt_zero_false").grads.values())
    assert all(not any(g) for g in lab.run("opt_zero_false").grads.values())  # zeros, tensors kept
    none = inspect.signature(torch.optim.Optimizer.zero_grad).parameters["set_to_none"].default
    event = lab.run("opt_zero")
    assert all((g is None) == none for g in event.grads.values())
    assert f"defaults to {none}" in event.message


def test_backward_after_a_step_raises_pytorchs_inplace_error_and_twice_raises_freed_graph():
    lab = NetLifecycle(NET)
    assert lab.run("backward").raised_by == "Python"  # no loss yet: NameError, as a script stops
    lab.run("forward")
    lab.run("backward")
    twice = lab.run("backward")
    assert twice.raised_by == "PyTorch" and "second time" in twice.message
    model, X, y, opt = plain()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    loss = nn.functional.mse_loss(model(X), y)
    opt.step()
    with pytest.raises(RuntimeError) as err:
        loss.backward()
    lab.run("forward")
    lab.run("step")
    event = lab.run("backward")
    said = "modified by an inplace operation"
    assert said in str(err.value) and event.raised_by == "PyTorch" and said in event.message


def test_step_before_any_backward_skips_silently():
    event = NetLifecycle(NET).run("step")
    assert not event.ok and not event.raised
    model, _, _, opt = plain()
    before = [p.detach().clone() for p in model.parameters()]
    opt.step()
    assert all(torch.equal(a, p.detach()) for a, p in zip(before, model.parameters(), strict=True))


def test_every_action_has_code_and_a_label():
    assert set(NET_ACTIONS) == set(NET_CODE)


def test_the_walk_ends_in_one_accumulategrad_per_parameter_with_pytorchs_grad():
    walk = walk_net(NET)
    names = [s.node for s in walk.steps]
    assert names[0] == "MseLossBackward0" and "TanhBackward0" in names and names.count("AddmmBackward0") == 2
    acc = {s.param for s in walk.steps if s.node == "AccumulateGrad"}
    assert acc == {"hidden.weight", "hidden.bias", "out.weight", "out.bias"}
    model, X, y, _ = plain()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    assert walk.loss == loss.item()
    for s in walk.steps:
        if s.param is not None:
            assert s.grad_before is None
            assert s.grad_after == pytest.approx(grads(model)[s.param], abs=0)
    assert walk.accumulate_matches
    tanh = next(s for s in walk.steps if s.node == "TanhBackward0")
    h = torch.tanh(model.hidden(X)).detach()
    upstream = torch.tensor(tanh.upstream, dtype=torch.float64).view(4, 3)
    sent = torch.tensor(tanh.sent[0], dtype=torch.float64).view(4, 3)
    assert torch.allclose(sent, upstream * (1 - h.double() ** 2), rtol=1e-5, atol=1e-6)  # tanh' = 1 − tanh²


def test_the_pitfalls_are_what_pytorch_does():
    out = {p.key: p for p in run_all_net(NET)}
    assert tuple(out) == NET_PITFALLS
    act = out["net_activation_grad"]
    assert act.behaviour == "warning" and "h.grad = None" in act.outcome and "retain_grad" in act.fix_code
    to = out["net_tensor_to"]
    assert to.behaviour == "warning" and "ToCopyBackward0" in to.outcome
    assert "hidden.weight.is_leaf = True" in to.fixed_outcome and "is None" not in to.fixed_outcome
    # forgetting to zero: PyTorch's own sum, step by step
    model, X, y, opt = plain()
    nn.functional.mse_loss(model(X), y).backward()
    first = model.out.bias.grad.clone()
    opt.step()
    nn.functional.mse_loss(model(X), y).backward()
    assert out["net_forgot_zero"].behaviour == "silent" and str(model.out.bias.grad) in out["net_forgot_zero"].outcome
    assert not torch.equal(model.out.bias.grad, first)
    # a frozen layer with momentum and zero_grad(set_to_none=False) still moves; left out of the optimizer it does not
    model, X, y, _ = plain()
    opt = torch.optim.SGD(model.parameters(), lr=NET.lr, momentum=0.9)
    for step in range(5):
        if step == 2:
            model.hidden.requires_grad_(False)
            at = model.hidden.weight.detach().clone()
        opt.zero_grad(set_to_none=False)
        nn.functional.mse_loss(model(X), y).backward()
        opt.step()
    assert not torch.equal(at, model.hidden.weight.detach())
    frozen = out["net_frozen_in_optimizer"]
    assert frozen.behaviour == "silent" and frozen.fixed_outcome.endswith("= 0")


def test_a_pitfall_refuses_an_unknown_key():
    with pytest.raises(ValueError, match="unknown"):
        run_net_pitfall("nope", NET)


def test_the_step_question_is_answered_by_the_run():
    trace = train(NET.with_(epochs=5))
    p = net_loss_direction(trace, 2)
    assert p.answer == ("down" if trace.loss[1] < trace.loss[0] else "up")
    assert p.judge(p.answer).correct and not p.judge("up" if p.answer == "down" else "down").correct
    with pytest.raises(ValueError):
        net_loss_direction(trace, 1)


def test_the_networks_graph_has_valid_dot_ids():
    import re

    from gradlab.probes.graph import graph_for_net

    graph = graph_for_net(NET)
    ident = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # an unquoted DOT id; "leaf_out.bias" would not parse
    assert all(ident.match(n.node_id) for n in graph.nodes), [n.node_id for n in graph.nodes]
    assert all(ident.match(a) and ident.match(b) for a, b in graph.edges)
    names = {line.split(" ")[0].strip() for line in graph_dot_lines(graph)}
    assert {"leaf_hidden_weight", "leaf_out_bias"} <= names


def graph_dot_lines(graph):
    from gradlab.views.graph_dot import graph_dot

    return [line.strip() for line in graph_dot(graph).splitlines() if "[label=" in line]


def test_the_words_of_the_pitfalls_and_the_lab_hold_in_this_pytorch():
    from gradlab.probes.net_pitfalls import frozen_in_optimizer, to_leafness
    from gradlab.runs.live import net_live
    from gradlab.runs.net import START

    # ① "model.zero_grad() and optimizer.zero_grad() (both default to set_to_none=True)"
    for fn in (torch.nn.Module.zero_grad, torch.optim.Optimizer.zero_grad):
        assert inspect.signature(fn).parameters["set_to_none"].default is True
    # ⑥ frozen: "With .grad None, SGD skips a parameter"; with zeros and momentum it moves
    cases = {(c.optimizer, c.scenario): c for c in frozen_in_optimizer(NET)}
    assert not cases[("SGD(momentum=0.9)", "frozen_later_set_to_none")].moved
    assert cases[("SGD(momentum=0.9)", "frozen_later_zero")].moved
    # ⑥ .to(): "backward() fills the .grad of the original leaf that the name w no longer points at"
    to = to_leafness(NET)
    assert to.tensor_copied and not to.tensor_is_leaf and not to.original_grad_is_none
    assert all(to.module_is_leaf.values()) and not any(to.module_grad_is_none.values())
    # ⑦ "The initial w and b set the linear model's start only; the network always starts from its fixed values"
    run = net_live(NET.with_(w0=(3.0, 4.0), b0=5.0))
    for name, p in run.net.named_parameters():
        assert torch.equal(p.detach(), torch.tensor(START[name]))


def test_the_slice_is_real_forward_passes_at_the_epochs_parameters():
    import numpy as np

    from gradlab.probes.net_slice import net_slice

    trace = train(NET.with_(epochs=3))
    s = net_slice(trace, 2, grid=5)
    assert s.labels == ("out.weight[0, 0]", "out.bias[0]") and s.held == 11
    model, X, y, _ = plain()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.as_tensor(trace.params[name][1], dtype=torch.float32).view_as(p))
        for k in (0, 7, 24):
            model.out.weight[0, 0] = float(s.a[k])
            model.out.bias[0] = float(s.b[k])
            assert s.loss[k] == float(nn.functional.mse_loss(model(X), y))
    assert s.at == (trace.params["out.weight"][1][0, 0], trace.params["out.bias"][1][0])
    assert np.isclose(s.a[12], s.at[0]) and np.isclose(s.b[12], s.at[1])  # the centre of the grid
    assert s.grad == (trace.grads["out.weight"][1][0, 0], trace.grads["out.bias"][1][0])
