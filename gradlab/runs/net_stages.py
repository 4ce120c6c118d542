"""The network's five data-flow stages, each run as a real, separate PyTorch step on an `nn.Module`.

data → `model = Net()` with its parameters → forward through z = hidden(X), h = tanh(z), ŷ = out(h) → loss →
backward(), snapshotting after each step (`gradlab.runs.tensors.describe`). What `h.grad` says after backward(),
with PyTorch's warning, `retain_grad()` and `register_hook`, is `gradlab.probes.net_backward.non_leaf`.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradlab.runs.net import N_HIDDEN, forward_parts, make_net, mse, net_data
from gradlab.runs.net_code import net_stage_code
from gradlab.runs.stages import Stage
from gradlab.runs.tensors import TensorInfo, describe
from gradlab.settings.config import RunConfig, check_net_features, resolve_device

Floats = tuple[float, ...]


@dataclass(frozen=True)
class NetStageRun:
    """The five stages of the network's first forward/backward pass of `config`, and the numbers they showed.

    `params` and `grads` are keyed by `named_parameters()` names and flattened (row-major); `shapes` gives each
    parameter's shape, which its `.grad` shares. The seed figures of issue 21 (loss 49.7688, out.bias.grad
    −13.2678 on the card's data) are `loss` and `grads["out.bias"]` of this run.
    """

    config: RunConfig
    stages: tuple[Stage, ...]
    device: str
    device_note: str | None
    loss: float
    shapes: dict[str, tuple[int, ...]]
    params: dict[str, Floats]  # the start, flattened
    grads: dict[str, Floats]  # .grad after backward(), flattened
    z: tuple[Floats, ...]  # (N, 3) hidden pre-activations
    h: tuple[Floats, ...]  # (N, 3) tanh(z)
    predictions: Floats  # (N,) ŷ
    grad_shapes: dict[str, tuple[int, ...]]  # each .grad's own shape, read from the tensor (equal to `shapes`)

    def grad_at(self, name: str, index: tuple[int, ...]) -> float:
        """One entry of a parameter's `.grad` by its index in the parameter's shape (an IndexError names the shape)."""
        shape = self.shapes[name]
        if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape, strict=True)):
            raise IndexError(f"index {index} is outside {name}.grad, whose shape is {shape}")
        flat = 0
        for i, n in zip(index, shape, strict=True):
            flat = flat * n + i
        return self.grads[name][flat]


def _floats(t: object) -> Floats:
    return tuple(t.detach().double().cpu().reshape(-1).tolist())  # type: ignore[attr-defined]


def run_net_stages(config: RunConfig) -> NetStageRun:
    """Run the network's data → model → forward → loss → backward, snapshotting after each step.

    Whatever `config.model` says (the caller picks the stages by the model); a ValueError naming the field when
    the data does not have the 2 features the network takes.
    """
    check_net_features(config.n_features)
    device, note = resolve_device(config.device)
    code = net_stage_code(config)
    n = config.n_samples

    X, y = net_data(config, device)
    s1 = Stage(
        1, "data", "Data input", "Provide the input features X and the targets y, one target per row: y is (N, 1) "
        "like the network's output.",
        "raw numbers", f"X [{n}, 2], y [{n}, 1]", code["data"],
        (describe("X", X), describe("y", y)),
    )  # fmt: skip

    model = make_net(device)
    named = dict(model.named_parameters())
    s2 = Stage(
        2, "init", "Model initialisation",
        "model = Net() holds its weights and biases as parameters: leaf tensors with requires_grad=True, named by "
        "model.named_parameters(). Each .grad starts as None.",
        "2 features", ", ".join(f"{k} {list(p.shape)}" for k, p in named.items()), code["init"],
        tuple(describe(k, p) for k, p in named.items()),
    )  # fmt: skip

    z, h, y_hat = forward_parts(model, X)
    s3 = Stage(
        3, "forward", "Forward pass",
        "The layers run in order: z = hidden(X), h = tanh(z), ŷ = out(h). Each result is a non-leaf tensor whose "
        "grad_fn records how autograd will run backward through it.",
        f"X [{n}, 2]", f"z [{n}, {N_HIDDEN}], h [{n}, {N_HIDDEN}], y_hat [{n}, 1]", code["forward"],
        (describe("z", z), describe("h", h), describe("y_hat", y_hat)),
    )  # fmt: skip

    loss = mse(y_hat, y)
    s4 = Stage(
        4, "loss", "Loss calculation", "Mean squared error of the predictions against the targets.",
        f"y_hat [{n}, 1], y [{n}, 1]", "loss [] (scalar)", code["loss"],
        (describe("loss", loss),),
    )  # fmt: skip

    loss.backward()
    after: tuple[TensorInfo, ...] = (*(describe(k, p) for k, p in named.items()), describe("h", h))
    s5 = Stage(
        5, "backward", "Backward pass",
        "loss.backward() computes the gradient of the loss with respect to every parameter of the model and adds it "
        "into that parameter's .grad, shaped like the parameter. X and y do not require grad, so they get none. "
        "z, h and y_hat are not leaves: backward() passes their gradients on but does not keep them, so h.grad is "
        "None (h.retain_grad() before backward() keeps it).",
        "loss [] (scalar)", ", ".join(f"{k}.grad {list(p.shape)}" for k, p in named.items()), code["backward"],
        after,
    )  # fmt: skip

    grads = {}
    for k, p in named.items():
        assert p.grad is not None, k
        grads[k] = _floats(p.grad)
    h_rows = h.detach().double().cpu().tolist()
    z_rows = z.detach().double().cpu().tolist()
    return NetStageRun(
        config=config,
        stages=(s1, s2, s3, s4, s5),
        device=str(device),
        device_note=note,
        loss=float(loss.item()),
        shapes={k: tuple(p.shape) for k, p in named.items()},
        params={k: _floats(p) for k, p in named.items()},
        grads=grads,
        z=tuple(tuple(r) for r in z_rows),
        h=tuple(tuple(r) for r in h_rows),
        predictions=_floats(y_hat),
        grad_shapes={k: tuple(p.grad.shape) for k, p in named.items() if p.grad is not None},
    )
