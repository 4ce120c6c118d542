"""The card's model as plain tensor code: data, leaf parameters, forward pass and MSE loss."""

from __future__ import annotations

import torch

from gradlab.settings.config import RunConfig

DTYPE = torch.float32


def make_data(config: RunConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """X (N, F) and y (N,) as float32 tensors on the device; they need no gradient."""
    X = torch.tensor(config.X, dtype=DTYPE, device=device)
    y = torch.tensor(config.y, dtype=DTYPE, device=device)
    return X, y


def make_params(config: RunConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Leaf parameters w (F,) and b (0-d), created directly on the device.

    Creating them with `requires_grad=True` *on* the device keeps them leaves; a `.to(device)` afterwards that
    really copies (to another device) would return a non-leaf whose `.grad` stays None.
    """
    w = torch.tensor(config.w0, dtype=DTYPE, device=device, requires_grad=True)
    b = torch.tensor(config.b0, dtype=DTYPE, device=device, requires_grad=True)
    return w, b


def forward(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """ŷ = Xw + b, shape (N,)."""
    return X @ w + b


def mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error, a 0-d tensor."""
    return ((y_hat - y) ** 2).mean()


def loss_at(config: RunConfig, w: tuple[float, ...], b: float) -> float:
    """The float32 loss of the config's data at (w, b), on the CPU: one forward pass, no graph."""
    cpu = torch.device("cpu")
    X, y = make_data(config, cpu)
    with torch.no_grad():
        return float(mse(forward(X, torch.tensor(w, dtype=DTYPE), torch.tensor(b, dtype=DTYPE)), y))


def fmt_list(values: tuple[float, ...] | list[float]) -> str:
    """A Python list literal that round-trips the floats exactly."""
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def code_lines(config: RunConfig) -> dict[str, str]:
    """The exact PyTorch line behind each stage, with this config's values."""
    rows = "[" + ", ".join(fmt_list(list(r)) for r in config.X) + "]"
    return {
        "data": f"X = torch.tensor({rows}, device=device)\ny = torch.tensor({fmt_list(config.y)}, device=device)",
        "init": (
            f"w = torch.tensor({fmt_list(config.w0)}, requires_grad=True, device=device)\n"
            f"b = torch.tensor({config.b0!r}, requires_grad=True, device=device)"
        ),
        "forward": "y_hat = X @ w + b",
        "loss": "loss = ((y_hat - y) ** 2).mean()",
        "backward": "loss.backward()",
        "grad": "w.grad, b.grad",
    }


def step_script(config: RunConfig, device: str) -> str:
    """The five stages as one runnable script: data → init → forward → loss → backward(), printing .grad."""
    lines = code_lines(config)
    body = "\n".join(lines[k] for k in ("data", "init", "forward", "loss", "backward"))
    return f'import torch\n\ndevice = "{device}"\n{body}\nprint(w.grad, b.grad)\n'
