"""The card's five data-flow stages, each run as a real, separate PyTorch step."""

from __future__ import annotations

from dataclasses import dataclass

from gradlab.runs.code import stage_code
from gradlab.runs.model import forward, make_data, make_params, mse
from gradlab.runs.tensors import TensorInfo, describe
from gradlab.settings.config import RunConfig, resolve_device


@dataclass(frozen=True)
class Stage:
    """One stage of the data flow, with snapshots taken right after it ran."""

    number: int
    key: str
    title: str
    description: str
    input_shape: str
    output_shape: str
    code: str
    tensors: tuple[TensorInfo, ...]


@dataclass(frozen=True)
class StageRun:
    """The five stages of one forward/backward pass of `config`, and the device used."""

    config: RunConfig
    stages: tuple[Stage, ...]
    device: str
    device_note: str | None
    loss: float
    w_grad: tuple[float, ...]
    b_grad: float
    predictions: tuple[float, ...]


def run_stages(config: RunConfig) -> StageRun:
    """Run the linear model's data → init → forward → loss → backward, snapshotting after each step.

    A ValueError for a config of the network, whose stages are `gradlab.runs.net_stages.run_net_stages`.
    """
    if config.model != "linear":
        raise ValueError("config: a run of the network; its stages are gradlab.runs.net_stages.run_net_stages")
    device, note = resolve_device(config.device)
    code = stage_code(config)
    n, f = config.n_samples, config.n_features

    X, y = make_data(config, device)
    s1 = Stage(
        1, "data", "Data input", "Provide the input features X and the targets y.",
        "raw numbers", f"X [{n}, {f}], y [{n}]", code["data"],
        (describe("X", X), describe("y", y)),
    )  # fmt: skip

    w, b = make_params(config, device)
    s2 = Stage(
        2, "init", "Model initialisation",
        "Create the weights and bias as leaf tensors with requires_grad=True; .grad starts as None.",
        f"{f} features", f"w [{f}], b [] (0-d)", code["init"],
        (describe("w", w), describe("b", b)),
    )  # fmt: skip

    y_hat = forward(X, w, b)
    y_hat.retain_grad()  # keep the non-leaf's gradient so it can be shown
    forward_code = code["forward"] + "\ny_hat.retain_grad()  # a non-leaf keeps .grad only when asked"
    s3 = Stage(
        3, "forward", "Forward pass",
        "Compute predictions ŷ = Xw + b; autograd records how, in grad_fn.",
        f"X [{n}, {f}]", f"y_hat [{n}]", forward_code,
        (describe("y_hat", y_hat),),
    )  # fmt: skip

    loss = mse(y_hat, y)
    s4 = Stage(
        4, "loss", "Loss calculation", "Mean squared error of predictions against targets.",
        f"y_hat [{n}], y [{n}]", "loss [] (scalar)", code["loss"],
        (describe("loss", loss),),
    )  # fmt: skip

    loss.backward()
    s5 = Stage(
        5, "backward", "Backward pass",
        "loss.backward() computes the gradient of the loss and adds it into .grad of every leaf that requires grad "
        "and that the loss depends on: here w and b, not X or y (they do not require grad). "
        "The non-leaf y_hat keeps its gradient too, because stage 3 called retain_grad().",
        "loss [] (scalar)", f"w.grad [{f}], b.grad []", code["backward"],
        (describe("w", w), describe("b", b), describe("y_hat", y_hat)),
    )  # fmt: skip

    assert w.grad is not None and b.grad is not None
    return StageRun(
        config=config,
        stages=(s1, s2, s3, s4, s5),
        device=str(device),
        device_note=note,
        loss=float(loss.item()),
        w_grad=tuple(w.grad.cpu().tolist()),
        b_grad=float(b.grad.item()),
        predictions=tuple(y_hat.detach().cpu().tolist()),
    )
