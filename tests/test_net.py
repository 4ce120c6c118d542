"""The network (issue 21): its start, data, loss and traced training against plain PyTorch written here."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from gradlab.runs.net import Net, forward_parts, make_net, mse, net_code, net_data
from gradlab.runs.trace import Layout, hidden_stats
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

CARD = RunConfig()


def train_net(config: RunConfig, on_epoch=None):
    """`train` with the config's model set to the network, as the sidebar's Model choice sets it."""
    return train(config.with_(model="net"), on_epoch)


# The issue's starting values, typed here again: the module's constants are checked, not reused.
START = {
    "hidden.weight": [[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]],
    "hidden.bias": [0.0, 0.1, -0.1],
    "out.weight": [[1.0, -1.0, 0.5]],
    "out.bias": [0.0],
}
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")


def plain_tensors(config: RunConfig, device: str = "cpu", dtype: torch.dtype = torch.float32):
    """X (N, 2), y (N, 1) and the four start tensors as leaves, the way a learner writes them."""
    X = torch.tensor(config.X, dtype=dtype, device=device)
    y = torch.tensor(config.y, dtype=dtype, device=device).reshape(-1, 1)
    params = {k: torch.tensor(v, dtype=dtype, device=device, requires_grad=True) for k, v in START.items()}
    return X, y, params


def plain_forward(X: torch.Tensor, p: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    h = torch.tanh(X @ p["hidden.weight"].T + p["hidden.bias"])
    return h, h @ p["out.weight"].T + p["out.bias"]


def plain_loop(config: RunConfig, epochs: int):
    """Plain PyTorch training with manual updates and zero_(): per epoch loss, params, grads, h."""
    X, y, p = plain_tensors(config)
    rows = []
    for _ in range(epochs):
        h, y_hat = plain_forward(X, p)
        loss = ((y_hat - y) ** 2).mean()
        loss.backward()
        rows.append(
            (
                loss.item(),
                {k: v.detach().clone() for k, v in p.items()},
                {k: v.grad.clone() for k, v in p.items()},
                h.detach().clone(),
            )
        )
        with torch.no_grad():
            for v in p.values():
                v -= config.lr * v.grad
        for v in p.values():
            v.grad.zero_()
    return rows, p


def test_net_is_the_issues_module():
    net = make_net()
    assert isinstance(net, nn.Module)
    assert isinstance(net.hidden, nn.Linear) and (net.hidden.in_features, net.hidden.out_features) == (2, 3)
    assert isinstance(net.act, nn.Tanh)
    assert isinstance(net.out, nn.Linear) and (net.out.in_features, net.out.out_features) == (3, 1)
    assert [n for n, _ in net.named_parameters()] == list(START)
    for name, p in net.named_parameters():
        assert p.is_leaf and p.requires_grad and p.grad is None
        assert p.dtype == torch.float32
        assert torch.equal(p.detach(), torch.tensor(START[name]))


def test_making_a_net_draws_no_random_number():
    state = torch.get_rng_state()
    make_net()
    assert torch.equal(state, torch.get_rng_state())
    Net()  # the contrast: nn.Linear's own init draws from the global generator
    assert not torch.equal(state, torch.get_rng_state())


def test_float64_net_holds_the_same_values_exactly():
    net = make_net(dtype=torch.float64)
    for name, p in net.named_parameters():
        assert p.dtype == torch.float64 and p.is_leaf
        assert torch.equal(p.detach(), torch.tensor(START[name], dtype=torch.float64))


def test_seed_figures_of_the_first_pass():
    X, y = net_data(CARD, "cpu")
    net = make_net()
    loss = mse(net(X), y)
    loss.backward()
    # the issue's figures, within float32 tolerance
    assert loss.item() == pytest.approx(49.7688, abs=1e-3)
    assert float(net.out.bias.grad) == pytest.approx(-13.2678, abs=1e-3)
    # and plain PyTorch, written independently
    Xp, yp, p = plain_tensors(CARD)
    _, y_hat = plain_forward(Xp, p)
    plain = ((y_hat - yp) ** 2).mean()
    plain.backward()
    assert_close(loss.detach(), plain.detach())
    for name, q in net.named_parameters():
        assert q.grad is not None and q.grad.shape == q.shape
        assert_close(q.grad, p[name].grad)


def test_first_hidden_unit_carries_the_cards_w():
    X, _ = net_data(CARD, "cpu")
    z, h, _ = forward_parts(make_net(), X)
    assert_close(z[:, 0], torch.full((4,), -0.5))  # X @ (0.5, −0.5) = −0.5 on every card row
    assert not h.is_leaf and type(h.grad_fn).__name__ == "TanhBackward0"


def test_forward_parts_is_the_forward_pass_exactly():
    X, _ = net_data(CARD, "cpu")
    net = make_net()
    assert torch.equal(forward_parts(net, X)[2], net(X))


def test_data_has_targets_shaped_n_by_1():
    X, y = net_data(CARD, "cpu")
    assert X.shape == (4, 2) and y.shape == (4, 1)


@pytest.mark.parametrize("features", [1, 3])
def test_other_feature_counts_are_refused_with_a_clear_message(features: int):
    config = RunConfig(X=tuple((1.0,) * features for _ in range(3)), y=(1.0, 2.0, 3.0), w0=(0.0,) * features)
    with pytest.raises(ValueError, match=f"takes 2 features; this data has {features} feature"):
        net_data(config, "cpu")
    with pytest.raises(ValueError, match="takes 2 features"):
        train_net(config)


def test_the_code_a_learner_pastes_reproduces_the_first_loss():
    scope: dict[str, object] = {"torch": torch, "nn": nn, "device": "cpu"}
    exec(net_code(CARD), scope)
    model, X, y = scope["model"], scope["X"], scope["y"]
    loss = nn.functional.mse_loss(model(X), y)  # type: ignore[operator]
    X0, y0 = net_data(CARD, "cpu")
    assert_close(loss, mse(make_net()(X0), y0))


def test_layout_names_every_recorded_block():
    shapes = {n: tuple(p.shape) for n, p in make_net().named_parameters()}
    layout = Layout.of(shapes, 3, 4)
    assert layout.width == 1 + 13 + 13 + 12 + 4
    assert list(layout.slices)[:5] == ["loss", "hidden.weight", "hidden.bias", "out.weight", "out.bias"]


def test_hidden_stats_chunk_by_chunk_equal_the_whole():
    h = np.random.default_rng(0).uniform(-1, 1, (10, 7, 3)).astype(np.float32)
    stats = hidden_stats(h, chunk=3)
    sq, mean, top = stats.sq_mean, stats.abs_mean, stats.abs_max
    assert_close(sq, (h.astype(np.float64) ** 2).mean(axis=1))
    assert_close(mean, np.abs(h.astype(np.float64)).mean(axis=1))
    assert_close(top, np.abs(h.astype(np.float64)).max(axis=1))


def test_trace_matches_a_plain_pytorch_loop():
    config = CARD.with_(lr=0.01, epochs=40)
    trace = train_net(config)
    rows, final = plain_loop(config, 40)
    assert len(trace) == 40 and trace.stop is None
    assert_close(trace.loss, np.array([r[0] for r in rows]), rtol=1e-5, atol=1e-6)
    for name in START:
        assert trace.params[name].shape == (40, *np.shape(START[name]))
        assert_close(torch.tensor(trace.params[name]), torch.stack([r[1][name] for r in rows]).double())
        assert_close(torch.tensor(trace.grads[name]), torch.stack([r[2][name] for r in rows]).double())
        norms = torch.stack([r[2][name] for r in rows]).double().flatten(1).norm(dim=1)
        assert_close(torch.tensor(trace.grad_norms[name]), norms)
        assert_close(torch.tensor(trace.final_params[name]), final[name].detach().double())
    h = torch.stack([r[3] for r in rows]).double()  # (E, N, 3)
    assert_close(torch.tensor(trace.hidden.sq_mean), (h * h).mean(dim=1))
    assert_close(torch.tensor(trace.hidden.abs_max), h.abs().amax(dim=1))
    assert_close(torch.tensor(trace.hidden.abs_mean), h.abs().mean(dim=1))
    assert_close(torch.tensor(trace.hidden.tanh_slope_mean), (1 - h * h).mean(dim=1))
    assert trace.predictions.shape == (40, 4)


@pytest.mark.parametrize("zeroing", ["zero", "none", "never"])
@pytest.mark.parametrize("update", ["manual", "sgd"])
def test_every_zeroing_and_update_rule_matches_plain_pytorch(zeroing: str, update: str):
    config = CARD.with_(lr=0.005, epochs=6, zeroing=zeroing, update=update)
    trace = train_net(config)
    X, y, p = plain_tensors(config)
    opt = torch.optim.SGD(p.values(), lr=config.lr) if update == "sgd" else None
    for epoch in range(6):
        _, y_hat = plain_forward(X, p)
        ((y_hat - y) ** 2).mean().backward()
        for name in START:
            assert_close(torch.tensor(trace.grads[name][epoch]), p[name].grad.double())
        if opt:
            opt.step()
        else:
            with torch.no_grad():
                for v in p.values():
                    v -= config.lr * v.grad
        if zeroing != "never":
            for v in p.values():
                if zeroing == "zero":
                    v.grad.zero_()
                else:
                    v.grad = None


def test_a_run_that_overflows_stops_at_the_first_non_finite_epoch():
    config = CARD.with_(lr=1.0, epochs=200)
    trace = train_net(config)
    assert trace.stop is not None and trace.final_params is None
    X, y, p = plain_tensors(config)
    losses = []
    for _ in range(trace.stop.epoch):
        _, y_hat = plain_forward(X, p)
        loss = ((y_hat - y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            for v in p.values():
                v -= config.lr * v.grad
                v.grad.zero_()
    assert np.isfinite(losses[:-1]).all() and not np.isfinite(losses[-1])
    assert len(trace) == trace.stop.epoch - 1
    assert "loss" in trace.stop.nonfinite
    assert np.isfinite(trace.loss).all()


def test_on_epoch_reports_every_epoch():
    seen: list[tuple[int, int]] = []
    train_net(CARD.with_(epochs=3), on_epoch=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_the_learners_own_two_feature_data_trains():
    config = RunConfig(X=((0.0, 1.0), (1.0, 0.0), (2.0, 2.0)), y=(1.0, -1.0, 0.5), epochs=5)
    trace = train_net(config)
    rows, _ = plain_loop(config, 5)
    assert_close(trace.loss, np.array([r[0] for r in rows]), rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
@cuda
def test_the_net_on_cuda_starts_exactly_and_draws_nothing():
    cpu_state, gpu_state = torch.get_rng_state(), torch.cuda.get_rng_state()
    net = make_net("cuda")
    assert torch.equal(cpu_state, torch.get_rng_state()) and torch.equal(gpu_state, torch.cuda.get_rng_state())
    for name, p in net.named_parameters():
        assert p.is_cuda and p.is_leaf
        assert torch.equal(p.detach().cpu(), torch.tensor(START[name]))


@pytest.mark.cuda
@cuda
def test_training_on_cuda_matches_the_cpu():
    cpu, gpu = train_net(CARD.with_(epochs=50)), train_net(CARD.with_(epochs=50, device="cuda"))
    assert gpu.device.startswith("cuda") and gpu.device_note is None
    assert_close(gpu.loss, cpu.loss, rtol=1e-4, atol=1e-5)
    for name in START:
        assert_close(gpu.grads[name], cpu.grads[name], rtol=1e-4, atol=1e-4)
