"""The network's start and its PyTorch lines as text: one source for the stages, the pages and the exported script.

Plain text and constants, no torch (a page can show the code before PyTorch loads). `gradlab.runs.net` builds the
`Net` these lines describe from the same constants; tests/test_net_code.py runs every line on real tensors and
compares it with what the runs do.
"""

from __future__ import annotations

from collections.abc import Sequence

from gradlab.settings.config import NET_FEATURES, RunConfig

N_INPUTS, N_HIDDEN = NET_FEATURES, 3
HIDDEN_WEIGHT: tuple[tuple[float, ...], ...] = ((0.5, -0.5), (0.3, -0.2), (-0.4, 0.3))  # (3, 2)
HIDDEN_BIAS: tuple[float, ...] = (0.0, 0.1, -0.1)  # (3,)
OUT_WEIGHT: tuple[tuple[float, ...], ...] = ((1.0, -1.0, 0.5),)  # (1, 3)
OUT_BIAS: tuple[float, ...] = (0.0,)  # (1,)
START: dict[str, tuple] = {
    "hidden.weight": HIDDEN_WEIGHT,
    "hidden.bias": HIDDEN_BIAS,
    "out.weight": OUT_WEIGHT,
    "out.bias": OUT_BIAS,
}
PARAM_NAMES: tuple[str, ...] = tuple(START)  # the order named_parameters() gives them
PARAM_SHAPES: dict[str, tuple[int, ...]] = {
    "hidden.weight": (N_HIDDEN, N_INPUTS),
    "hidden.bias": (N_HIDDEN,),
    "out.weight": (1, N_HIDDEN),
    "out.bias": (1,),
}

NET_CLASS = (
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.hidden = nn.Linear(2, 3)\n"
    "        self.act = nn.Tanh()\n"
    "        self.out = nn.Linear(3, 1)\n"
    "\n"
    "    def forward(self, x):\n"
    "        return self.out(self.act(self.hidden(x)))\n"
)
NET_DATA = "X = torch.tensor({X}, device=device)  # (N, 2)\ny = torch.tensor({y}, device=device)  # (N, 1)"
NET_MODEL = "model = Net().to(device)"
NET_PARAMS = "for name, p in model.named_parameters():\n    print(name, p.shape, p.requires_grad, p.is_leaf, p.grad)"
NET_FORWARD = (
    "z = model.hidden(X)  # (N, 3)\n"
    "h = model.act(z)  # (N, 3), tanh\n"
    "y_hat = model.out(h)  # (N, 1): the same as model(X)"
)
NET_LOSS = "loss = nn.functional.mse_loss(y_hat, y)"
NET_BACKWARD = "loss.backward()"
NET_READ_GRAD = "for name, p in model.named_parameters():\n    print(name, p.grad)"
H_GRAD = "h.grad  # None: h is not a leaf (PyTorch warns)"
H_RETAIN = "h.retain_grad()  # before backward(): keep the non-leaf's .grad"
H_HOOK = "h.register_hook(lambda grad: print(grad))  # called with h's gradient during backward()"


def literal(value: object) -> str:
    """A (nested) list literal of the floats, exactly: ((0.5, -0.5),) → "[[0.5, -0.5]]"."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return repr(float(value))  # type: ignore[arg-type]


def start_code() -> str:
    """The starting values copied into the model under `torch.no_grad()`, one parameter a line."""
    lines = [f"    model.{name}.copy_(torch.tensor({literal(v)}))" for name, v in START.items()]
    return "with torch.no_grad():\n" + "\n".join(lines)


def data_code(config: RunConfig) -> str:
    """X (N, 2) and y (N, 1) as tensor lines with this config's values, exactly."""
    return NET_DATA.format(X=literal(config.X), y=literal([(v,) for v in config.y]))


def net_stage_code(config: RunConfig) -> dict[str, str]:
    """The PyTorch lines behind each of the network's five stages, with this config's data."""
    return {
        "data": data_code(config),
        "init": f"{NET_MODEL}\n{start_code()}\n{NET_PARAMS}",
        "forward": NET_FORWARD,
        "loss": NET_LOSS,
        "backward": NET_BACKWARD,
        "grad": NET_READ_GRAD,
    }


def net_step_script(config: RunConfig, device: str) -> str:
    """The five stages as one runnable script: the class, data, model, forward, loss, backward(), printing .grad."""
    code = net_stage_code(config)
    body = "\n".join(code[k] for k in ("data", "init", "forward", "loss", "backward", "grad"))
    return f'import torch\nfrom torch import nn\n\n\n{NET_CLASS}\n\ndevice = "{device}"\n{body}\n'
