"""The network's five stages and its code lines, against plain PyTorch written here; linear-only helpers refuse the
network's settings loudly."""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from gradlab.runs import net_code
from gradlab.runs.live import live
from gradlab.runs.net import forward_parts, make_net, mse, net_data
from gradlab.runs.net_stages import run_net_stages
from gradlab.runs.stages import run_stages
from gradlab.settings.config import RunConfig

CARD = RunConfig()
NET = CARD.with_(model="net")
START = {  # the start, typed again
    "hidden.weight": [[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]],
    "hidden.bias": [0.0, 0.1, -0.1],
    "out.weight": [[1.0, -1.0, 0.5]],
    "out.bias": [0.0],
}
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")


def plain(config: RunConfig, device: str = "cpu") -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """nn.Sequential with the start, X (N, 2), y (N, 1): the network as a learner writes it."""
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).to(device)
    with torch.no_grad():
        for p, v in zip(model.parameters(), START.values(), strict=True):
            p.copy_(torch.tensor(v))
    X = torch.tensor(config.X, device=device)
    y = torch.tensor(config.y, device=device).reshape(-1, 1)
    return model, X, y


def test_the_seed_figures_come_from_the_stages():
    run = run_net_stages(NET)
    assert run.loss == pytest.approx(49.7688, abs=1e-3)  # the figures, within float32 tolerance
    assert run.grads["out.bias"][0] == pytest.approx(-13.2678, abs=1e-3)
    model, X, y = plain(NET)
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    assert run.loss == loss.item()
    for name, p in zip(START, model.parameters(), strict=True):
        assert run.shapes[name] == tuple(p.shape)
        assert_close(torch.tensor(run.grads[name]), p.grad.reshape(-1))


def test_each_stage_snapshots_what_pytorch_says():
    run = run_net_stages(NET)
    data, init, fwd, loss, back = run.stages
    assert [t.name for t in data.tensors] == ["X", "y"] and data.tensors[1].shape == (4, 1)
    assert [t.name for t in init.tensors] == list(START)
    for t in init.tensors:
        assert t.is_leaf and t.requires_grad and t.grad is None and t.shape == tuple(torch.tensor(START[t.name]).shape)
    assert {t.name: t.grad_fn for t in fwd.tensors} == {
        "z": "AddmmBackward0",
        "h": "TanhBackward0",
        "y_hat": "AddmmBackward0",
    }
    assert all(not t.is_leaf and t.requires_grad and t.grad is None for t in fwd.tensors)
    assert loss.tensors[0].grad_fn == "MseLossBackward0" and loss.tensors[0].shape == ()
    after = {t.name: t for t in back.tensors}
    for name in START:
        assert after[name].grad is not None and after[name].shape == run.shapes[name]
        assert after[name].grad_values == pytest.approx(run.grads[name])
    assert after["h"].grad is None and not after["h"].is_leaf and "retain_grad" in after["h"].note


def test_z_h_and_predictions_are_the_forward_pass():
    run = run_net_stages(NET)
    model, X, _ = plain(NET)
    z = model[0](X)
    h = model[1](z)
    assert_close(torch.tensor(run.z, dtype=torch.float64), z.detach().double())
    assert_close(torch.tensor(run.h, dtype=torch.float64), h.detach().double())
    assert_close(torch.tensor(run.predictions, dtype=torch.float64), model(X).detach().double().reshape(-1))


def test_grad_at_indexes_like_pytorch_and_names_the_shape_when_out_of_range():
    run = run_net_stages(NET)
    model, X, y = plain(NET)
    ((model(X) - y) ** 2).mean().backward()
    assert run.grad_at("hidden.weight", (2, 1)) == model[0].weight.grad[2, 1].item()
    assert run.grad_at("out.weight", (0, 2)) == model[2].weight.grad[0, 2].item()
    with pytest.raises(IndexError, match=r"outside hidden.weight.grad, whose shape is \(3, 2\)"):
        run.grad_at("hidden.weight", (3, 0))


def test_the_stage_code_is_what_the_stages_run():
    code = net_code.net_stage_code(NET)
    space: dict[str, object] = {"torch": torch, "nn": nn, "device": "cpu"}
    exec(net_code.NET_CLASS, space)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for key in ("data", "init", "forward", "loss", "backward", "grad"):
            exec(code[key], space)
    X, y = net_data(NET, "cpu")
    assert torch.equal(space["X"], X) and torch.equal(space["y"], y)
    net = make_net()
    z, h, y_hat = forward_parts(net, X)
    assert torch.equal(space["z"], z) and torch.equal(space["h"], h) and torch.equal(space["y_hat"], y_hat)
    assert torch.equal(space["loss"], mse(y_hat, y))
    mse(y_hat, y).backward()
    model = space["model"]
    for (name, p), (name2, q) in zip(model.named_parameters(), net.named_parameters(), strict=True):  # type: ignore[attr-defined]
        assert name == name2 and torch.equal(p.grad, q.grad)
    assert "hidden.weight torch.Size([3, 2]) True True None" in printed.getvalue()  # NET_PARAMS, before backward


def test_the_step_script_runs_alone_and_prints_the_stages_grads():
    script = net_code.net_step_script(NET, "cpu")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(script, "<net step>", "exec"), {"__name__": "__main__"})
    lines = [line for line in printed.getvalue().splitlines() if line.startswith(("hidden.", "out."))]
    assert [line.split()[0] for line in lines[-4:]] == list(START)
    assert f"{run_net_stages(NET).grads['out.bias'][0]:.4f}" in lines[-1]


def test_the_code_lines_h_retain_and_hook_do_what_they_say():
    X, y = net_data(NET, "cpu")
    space: dict[str, object] = {"torch": torch, "nn": nn, "model": make_net(), "X": X, "y": y}
    exec(net_code.NET_FORWARD, space)
    exec(net_code.H_RETAIN, space)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(net_code.H_HOOK, space)
        exec(net_code.NET_LOSS + "\n" + net_code.NET_BACKWARD, space)
    assert space["h"].grad is not None and printed.getvalue().startswith("tensor(")  # type: ignore[attr-defined]
    space2: dict[str, object] = {"torch": torch, "nn": nn, "model": make_net(), "X": X, "y": y}
    exec(net_code.NET_FORWARD + "\n" + net_code.NET_LOSS + "\n" + net_code.NET_BACKWARD, space2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert eval(net_code.H_GRAD.split("#")[0], space2) is None
    assert any(issubclass(w.category, UserWarning) for w in caught)  # "PyTorch warns"


def test_linear_only_runners_refuse_the_network_loudly():
    with pytest.raises(ValueError, match="run_net_stages"):
        run_stages(NET)
    with pytest.raises(ValueError, match="net_live"):
        live(NET)


def test_the_stages_run_for_any_two_feature_data_and_refuse_other_widths():
    own = NET.with_(X=((0.0, 1.0), (2.0, -1.0)), y=(1.0, 0.5))
    run = run_net_stages(own)
    model, X, y = plain(own)
    loss = ((model(X) - y) ** 2).mean()
    assert run.loss == loss.item() and run.stages[0].output_shape == "X [2, 2], y [2, 1]"
    wide = CARD.with_(X=((1.0, 2.0, 3.0),), y=(1.0,), w0=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="takes 2 features; this data has 3 features"):
        run_net_stages(wide)


@pytest.mark.cuda
@cuda
def test_the_stages_on_cuda_match_the_cpu():
    gpu, cpu = run_net_stages(NET.with_(device="cuda")), run_net_stages(NET)
    assert gpu.device.startswith("cuda") and gpu.device_note is None
    assert gpu.loss == pytest.approx(cpu.loss, rel=1e-5)
    for name in START:
        assert_close(torch.tensor(gpu.grads[name]), torch.tensor(cpu.grads[name]), rtol=1e-5, atol=1e-5)
    assert all(t.device.startswith("cuda") for s in gpu.stages for t in s.tensors)
