"""The network as a first-class model of the core (issue 21, phase 2a): the setting, its validation, one Trace for
both models with named parameters, and the linear names kept for the linear model only."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from gradlab.runs.trace import Layout, Named, Trace, WrongModelError
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.stability import stable_limit
from gradlab.settings.userdata import CARD_DATA, Dataset

CARD = RunConfig()
NET = CARD.with_(model="net")
NET_NAMES = ("hidden.weight", "hidden.bias", "out.weight", "out.bias")


# --- the setting -------------------------------------------------------------------------------------------
def test_the_default_model_is_the_cards_linear_one():
    assert CARD.model == "linear" and not CARD.is_net and NET.is_net


@pytest.mark.parametrize(("features", "said"), [(1, "1 feature"), (3, "3 features")])
def test_the_network_refuses_data_without_two_features_naming_the_field(features: int, said: str):
    X = tuple((1.0,) * features for _ in range(3))
    linear = RunConfig(X=X, y=(1.0, 2.0, 3.0), w0=(0.0,) * features)  # the linear model takes any width
    with pytest.raises(ValueError, match=f"^model: the network's hidden layer takes 2 features; this data has {said}$"):
        linear.with_(model="net")


def test_an_unknown_model_is_refused():
    with pytest.raises(ValueError, match="model: 'cnn' is not allowed; choose one of"):
        RunConfig(model="cnn")  # type: ignore[arg-type]


def test_own_data_of_another_width_is_refused_for_the_network_with_the_same_message():
    wide = Dataset(X=((1.0, 2.0, 3.0),), y=(1.0,), w0=(0.0, 0.0, 0.0), b0=0.0)  # type: ignore[arg-type]
    assert wide.apply(CARD).n_features == 3
    with pytest.raises(ValueError, match="takes 2 features; this data has 3 features"):
        wide.apply(NET)
    assert CARD_DATA.apply(NET).model == "net"  # the card's (and any entered) data has 2 features


def test_the_stable_limit_is_the_linear_models_only():
    assert stable_limit(CARD) > 0
    with pytest.raises(ValueError, match="no constant curvature"):
        stable_limit(NET)


# --- one Trace -------------------------------------------------------------------------------------------
def test_both_models_make_the_same_kind_of_trace_with_named_parameters():
    linear, net = train(CARD.with_(epochs=4)), train(NET.with_(epochs=4))
    assert type(linear) is type(net) is Trace
    assert linear.names == ("w", "b") and net.names == NET_NAMES
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    shapes = [tuple(p.shape) for p in model.parameters()]  # what PyTorch gives for nn.Linear(2, 3), nn.Linear(3, 1)
    for name, shape in zip(NET_NAMES, shapes, strict=True):
        assert net.params[name].shape == net.grads[name].shape == (4, *shape)
        assert net.final_params is not None and net.final_params[name].shape == shape
    assert linear.params["w"].shape == (4, 2) and linear.params["b"].shape == (4,)
    assert linear.hidden is None and net.hidden is not None and net.hidden.sq_mean.shape == (4, 3)


def test_the_linear_names_read_the_named_arrays():
    trace = train(CARD.with_(epochs=3))
    assert trace.w is trace.params["w"] and trace.b is trace.params["b"]
    assert trace.w_grad is trace.grads["w"] and trace.b_grad is trace.grads["b"]
    assert trace.final_params is not None
    assert trace.final_w == tuple(trace.final_params["w"]) and trace.final_b == float(trace.final_params["b"])


@pytest.mark.parametrize("name", ["w", "b", "w_grad", "b_grad", "final_w", "final_b"])
def test_the_linear_names_fail_loudly_on_a_network_run(name: str):
    trace = train(NET.with_(epochs=2))
    with pytest.raises(WrongModelError, match=f"trace.{name}: this is a run of the network.*hidden.weight"):
        getattr(trace, name)


def test_grad_norms_per_parameter_and_together():
    trace = train(NET.with_(epochs=5))
    for name, norm in trace.grad_norms.items():
        assert_close(norm, np.linalg.norm(trace.grads[name].reshape(5, -1), axis=1))
    together = np.sqrt(sum(n**2 for n in trace.grad_norms.values()))
    assert_close(trace.grad_norm, together)


@pytest.mark.parametrize("config", [CARD.with_(epochs=3), NET.with_(epochs=3)], ids=["linear", "net"])
def test_a_trace_pickles_as_the_caches_store_it(config: RunConfig):
    trace = train(config)
    back = pickle.loads(pickle.dumps(trace))
    assert back.names == trace.names and back.config == trace.config
    for name in trace.names:
        assert np.array_equal(back.params[name], trace.params[name])
        assert np.array_equal(back.grads[name], trace.grads[name])
    assert isinstance(back.params, Named)


def test_named_arrays_are_read_only_and_say_which_names_exist():
    named = Named({"w": np.zeros(2)})
    with pytest.raises(TypeError):
        named["b"] = np.zeros(1)  # type: ignore[index]
    with pytest.raises(KeyError, match="this run's parameters are w"):
        named["hidden.weight"]


def test_the_linear_record_layout_is_the_one_the_step_through_reads():
    layout = Layout.linear(2, 4)
    assert list(layout.slices) == ["loss", "w", "b", "w.grad", "b.grad", "y_hat"]
    assert layout.width == 3 + 2 * 2 + 4 and layout.params == ("w", "b")
    row = np.zeros(layout.width)
    row[layout.slices["b.grad"]] = np.nan
    assert layout.nonfinite(row) == ("b.grad",)


@pytest.mark.parametrize("zeroing", ["zero", "none", "never"])
def test_the_linear_trace_is_what_a_plain_loop_records(zeroing: str):
    """The unified loop keeps the linear model's numbers exactly: a plain PyTorch loop written here."""
    config = CARD.with_(epochs=6, lr=0.02, zeroing=zeroing)
    trace = train(config)
    X, y = torch.tensor(config.X), torch.tensor(config.y)
    w = torch.tensor(config.w0, requires_grad=True)
    b = torch.tensor(config.b0, requires_grad=True)
    for e in range(6):
        y_hat = X @ w + b
        loss = ((y_hat - y) ** 2).mean()
        loss.backward()
        assert trace.loss[e] == loss.item() and trace.w[e].tolist() == w.tolist() and trace.b[e] == b.item()
        assert trace.w_grad[e].tolist() == w.grad.tolist() and trace.b_grad[e] == b.grad.item()
        assert trace.predictions[e].tolist() == y_hat.tolist()
        with torch.no_grad():
            w -= config.lr * w.grad
            b -= config.lr * b.grad
        if zeroing == "zero":
            w.grad.zero_()
            b.grad.zero_()
        elif zeroing == "none":
            w.grad = b.grad = None
    assert trace.final_w == tuple(w.tolist()) and trace.final_b == b.item()


@pytest.mark.parametrize("epochs", [1, 5])
def test_the_loss_after_the_last_update_is_one_more_forward_pass_of_plain_pytorch(epochs: int):
    from torch import nn

    from gradlab.lesson.observations import loss_after
    from gradlab.runs.net import make_net, mse, net_data

    cfg = NET.with_(epochs=epochs)
    net = make_net("cpu")  # plain PyTorch from here: the loop, SGD, zero_grad every step
    X, y = net_data(cfg, "cpu")
    opt = torch.optim.SGD(net.parameters(), lr=cfg.lr)
    for _ in range(epochs):
        opt.zero_grad()
        nn.functional.mse_loss(net(X), y).backward()
        opt.step()
    with torch.no_grad():
        expected = float(mse(net(X), y))
    assert loss_after(train(cfg)) == pytest.approx(expected, rel=1e-5)


def test_a_stopped_network_run_has_no_loss_after_its_last_update():
    from gradlab.lesson.observations import loss_after

    trace = train(NET.with_(lr=5.0, epochs=200))
    assert trace.final_params is None and loss_after(trace) is None
