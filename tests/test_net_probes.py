"""The network's probes for the pages: one sample's share of each `.grad`, the backward graph, the gradient check for
any trace, and the loss curvature at a point, each against plain PyTorch written here."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from gradlab.probes.graph import graph_at, graph_for_net, graph_nodes
from gradlab.probes.hooks import record, values
from gradlab.probes.net_curvature import curvature, curvature_at
from gradlab.probes.net_sample import trace_net_sample
from gradlab.probes.net_verify import NetGradCheck
from gradlab.probes.verify import GradCheck, check_any_epoch
from gradlab.runs.live import net_live
from gradlab.runs.net import mse
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

CARD = RunConfig()
NET = CARD.with_(model="net")
NAMES = ("hidden.weight", "hidden.bias", "out.weight", "out.bias")
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")


def plain_at(config: RunConfig, params: dict[str, np.ndarray], dtype: torch.dtype = torch.float32):
    """nn.Sequential holding `params` (float32 values, in `dtype`), X (N, 2), y (N, 1)."""
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).to(dtype)
    with torch.no_grad():
        for p, name in zip(model.parameters(), NAMES, strict=True):
            p.copy_(torch.tensor(params[name], dtype=torch.float32).to(dtype))
    X = torch.tensor(config.X).to(dtype)
    y = torch.tensor(config.y).to(dtype).reshape(-1, 1)
    return model, X, y


# --- one sample ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("epoch", "row"), [(1, 0), (3, 2), (8, 3)])
def test_a_samples_share_is_the_gradient_of_its_own_loss_term(epoch: int, row: int):
    trace = train(NET.with_(lr=0.02, epochs=8))
    s = trace_net_sample(trace, epoch, row)
    i = epoch - 1
    model, X, y = plain_at(NET, {n: trace.params[n][i] for n in NAMES})
    z = model[0](X[row])
    h = torch.tanh(z)
    y_hat = model[2](h)
    ((y_hat - y[row]) ** 2 / len(X)).sum().backward()
    for name, p in zip(NAMES, model.parameters(), strict=True):
        assert_close(
            torch.tensor(s.share[name], dtype=torch.float64), p.grad.reshape(-1).double(), rtol=1e-5, atol=1e-6
        )
        assert s.shapes[name] == tuple(p.shape)
    assert_close(torch.tensor(s.z, dtype=torch.float64), z.detach().double())
    assert_close(torch.tensor(s.h, dtype=torch.float64), h.detach().double())
    assert s.y_hat == pytest.approx(y_hat.item(), rel=1e-6) and s.x == tuple(NET.X[row])
    assert s.residual == pytest.approx(y_hat.item() - NET.y[row], rel=1e-5, abs=1e-6)


def test_the_shares_sum_to_dot_grad_and_the_chain_rule_by_hand_agrees():
    trace = train(NET.with_(lr=0.02, epochs=4))
    for epoch in (1, 4):
        s = trace_net_sample(trace, epoch, 1)
        scale = max(abs(v) for n in s.grads for v in s.grads[n])
        assert s.max_sum_diff <= 1e-5 * scale  # float32 rounding of the batch's backward()
        assert s.max_hand_diff <= 1e-5 * max(abs(v) for n in s.share for v in s.share[n])
        for name in NAMES:
            summed = np.sum(np.array(s.all_shares[name]), axis=0)
            assert_close(summed, np.array(s.sums[name]))
            assert_close(np.array(s.grads[name]), trace.grads[name][epoch - 1].reshape(-1))
        assert not s.accumulated


def test_never_zeroed_dot_grad_holds_more_than_this_epochs_shares():
    trace = train(NET.with_(lr=0.02, epochs=3, zeroing="never"))
    s = trace_net_sample(trace, 3, 0)
    assert s.accumulated and s.max_sum_diff > 1e-3  # .grad is the sum over three epochs; the shares are this one's


def test_the_sample_refuses_a_linear_trace_and_rows_outside_the_data():
    with pytest.raises(ValueError, match="linear model"):
        trace_net_sample(train(CARD.with_(epochs=2)), 1, 0)
    trace = train(NET.with_(epochs=2))
    with pytest.raises(ValueError, match="row: 4 is out of range; the data has rows 0 to 3"):
        trace_net_sample(trace, 1, 4)
    with pytest.raises(ValueError, match="epoch: 3 is out of range"):
        trace_net_sample(trace, 3, 0)


# --- the backward graph -----------------------------------------------------------------------------------
def test_the_graph_walks_every_node_of_the_networks_backward():
    graph = graph_for_net(NET)
    kinds = [n.label.split("\n")[0] for n in graph.nodes if n.kind != "leaf"]
    assert sorted(kinds) == sorted(
        ["MseLossBackward0", "AddmmBackward0", "AddmmBackward0", "TanhBackward0", "TBackward0", "TBackward0"]
        + ["AccumulateGrad"] * 4
    )
    leaves = {n.label.split(" ")[0] for n in graph.nodes if n.kind == "leaf"}
    assert leaves == set(NAMES)
    # what PyTorch's own graph of the same loss holds, node names by a walk written here
    model, X, y = plain_at(NET, {n: np.array(v) for n, v in zip(NAMES, _start(), strict=True)})
    loss = nn.functional.mse_loss(model(X), y)
    seen, stack = [], [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if any(fn is s for s in seen):
            continue
        seen.append(fn)
        stack += [f for f, _ in fn.next_functions if f is not None]
    assert sorted(kinds) == sorted(fn.name().rsplit("::", 1)[-1] for fn in seen)
    ids = {n.node_id for n in graph.nodes}
    assert all(a in ids and b in ids for a, b in graph.edges)


def _start() -> list[list]:
    return [[[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]], [0.0, 0.1, -0.1], [[1.0, -1.0, 0.5]], [0.0]]


def test_the_graph_at_an_epoch_uses_that_epochs_parameters():
    trace = train(NET.with_(lr=0.05, epochs=3))
    graph = graph_at(trace, 3)
    loss_label = next(n.label for n in graph.nodes if n.label.startswith("MseLossBackward0"))
    model, X, y = plain_at(NET, {n: trace.params[n][2] for n in NAMES})
    assert f"{nn.functional.mse_loss(model(X), y).item():.6g}" in loss_label
    assert graph_at(train(CARD.with_(epochs=2)), 2).nodes  # the linear model's graph still draws


# --- the gradient check for any trace -----------------------------------------------------------------------
def test_the_check_dispatches_on_the_model():
    linear, net = train(CARD.with_(epochs=3)), train(NET.with_(epochs=3))
    assert isinstance(check_any_epoch(linear, 3), GradCheck)
    got = check_any_epoch(net, 3)
    assert isinstance(got, NetGradCheck) and got.agrees
    assert {r.param for r in got.rows} == set(NAMES)


# --- curvature ------------------------------------------------------------------------------------------------
def test_the_curvature_is_the_largest_eigenvalue_of_the_hessian():
    trace = train(NET.with_(lr=0.05, epochs=20))
    for epoch in (1, 20):
        got = curvature_at(trace, epoch)
        params = {n: trace.params[n][epoch - 1] for n in NAMES}
        model, X, y = plain_at(NET, params, torch.float64)
        flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
        shapes = [p.shape for p in model.parameters()]

        def loss_of(theta: torch.Tensor, shapes=shapes, X=X, y=y) -> torch.Tensor:
            parts, at = [], 0
            for shape in shapes:
                size = int(np.prod(shape))
                parts.append(theta[at : at + size].view(shape))
                at += size
            W1, b1, W2, b2 = parts
            return (((torch.tanh(X @ W1.T + b1) @ W2.T + b2) - y) ** 2).mean()

        lam = torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss_of, flat))[-1].item()
        assert got.lam_max == pytest.approx(lam, rel=1e-9) and got.limit == pytest.approx(2 / lam)
        assert got.lam_max >= 2.0 and got.epoch == epoch
    assert curvature(NET).lam_max == pytest.approx(curvature_at(trace, 1).lam_max)


def test_the_curvature_changes_as_the_weights_move():
    """The fact the lesson states: for the network 2/λmax is local (for the linear model it would be constant)."""
    trace = train(NET.with_(lr=0.05, epochs=300))
    start, end = curvature_at(trace, 1), curvature_at(trace, 300)
    assert abs(end.limit - start.limit) > 0.1 * start.limit
    with pytest.raises(ValueError, match="linear model"):
        curvature_at(train(CARD.with_(epochs=2)), 1)


@pytest.mark.cuda
@cuda
def test_the_sample_and_graph_on_cuda_match_the_cpu():
    gpu, cpu = train(NET.with_(device="cuda", epochs=3)), train(NET.with_(epochs=3))
    a, b = trace_net_sample(gpu, 3, 1), trace_net_sample(cpu, 3, 1)
    assert a.device.startswith("cuda")
    for name in NAMES:
        assert_close(torch.tensor(a.share[name]), torch.tensor(b.share[name]), rtol=1e-4, atol=1e-5)
    assert graph_for_net(NET.with_(device="cuda")).nodes


def test_the_hooks_record_every_node_of_the_networks_backward_in_engine_order():
    run = net_live(NET)
    loss = mse(run.net(run.X), run.y)
    nodes = graph_nodes(loss)
    seen, handles = record(nodes)
    loss.backward()
    for handle in handles:
        handle.remove()
    assert len(seen) == len(nodes) == 10  # every node ran once
    assert seen[0].fn is loss.grad_fn  # the engine starts at the loss
    params = dict(run.net.named_parameters())
    accumulated = [s for s in seen if getattr(s.fn, "variable", None) is not None]
    assert len(accumulated) == 4
    for s in accumulated:
        name = next(n for n, p in params.items() if p is s.fn.variable)
        assert s.before is None and s.after == values(params[name].grad)  # .grad created by this backward()
