"""Take a network run home: a standalone `nn.Module` script that reproduces `train(config)` number for number.

The script writes out the class, the data, the fixed start and the loop of `gradlab.runs.train` for the network:
the same float32 operations in the same order (hidden → tanh → out → mse_loss → backward → update → zeroing),
so on the same PyTorch build and kind of device every number it prints matches the trace exactly.
"""

from __future__ import annotations

from string import Template

from gradlab.runs.net_code import NET_CLASS, NET_FORWARD, NET_LOSS, literal, start_code
from gradlab.settings.config import UPDATE_RULES, ZERO_MODES, RunConfig

_UPDATE_DOCS = {k: v.removeprefix(f"{k}: ") for k, v in UPDATE_RULES.items()}

_SCRIPT = Template('''\
"""Gradient descent on a small network written as an nn.Module, exported by GradLab.

This script needs only PyTorch and reproduces one GradLab run: the same float32 data,
the same fixed starting values, the same operations in the same order each epoch, the
same update rule and the same gradient zeroing. Run with the same PyTorch build on the
same kind of device, every number it prints matches the app exactly.

GradLab config (the data and the start are written out in the code below):
  model=net, lr=$lr, epochs=$epochs, device=$device
  zeroing=$zeroing: $zero_doc
  update=$update: $update_doc

Output, one line per epoch, where each parameter is the value that epoch's forward
pass used and every number is a Python float repr (float32 values: they parse back
exactly):
  epoch <n> loss <loss> | <name> <values> grad <values> | ... (one part per parameter)
then "final <name> <values>" for each parameter and, only if a number overflowed
float32 (inf or NaN) and the run was stopped there, as GradLab stops it,
"diverged at epoch <n>: <reason>".
"""

import torch
from torch import nn

lr = $lr
epochs = $epochs

# The device set in GradLab; fall back to the CPU rather than crash.
device = $device
if device == "cuda" and not torch.cuda.is_available():
    print("note: CUDA is not available on this machine; running on CPU.")
    device = "cpu"


$net_class


# model.to(device) keeps the parameters leaves (a tensor's own .to() would not). The
# random values nn.Linear starts with are overwritten by GradLab's fixed start.
$model
$start

# The data, float32 like GradLab: N samples of 2 features, targets shaped (N, 1).
X = torch.tensor(
    $X,
    dtype=torch.float32,
    device=device,
)  # (N, 2)
y = torch.tensor(
    $y,
    dtype=torch.float32,
    device=device,
)  # (N, 1)
$optimizer
for epoch in range(1, epochs + 1):
$forward
$loss
    # backward() *adds* each parameter's gradient into its .grad, shaped like it.
    loss.backward()

    # Record before the update changes the parameters. str() of a float round-trips.
    named = list(model.named_parameters())
    parts = [f"{name} {p.tolist()} grad {p.grad.tolist()}" for name, p in named]
    print(f"epoch {epoch} loss {loss.item()} | " + " | ".join(parts))
    # GradLab's one stop rule: an epoch that records an inf or NaN (float32 overflowed).
    recorded = [loss, h, y_hat, *(p for _, p in named), *(p.grad for _, p in named)]
    finite = all(bool(torch.isfinite(t).all()) for t in recorded)

$update_code

$zeroing_code

    # GradLab checks after the step, and its trace leaves this epoch out.
    if not finite:
        break

for name, p in model.named_parameters():
    print(f"final {name} {p.tolist()}")
if not finite:
    print(f"diverged at epoch {epoch}: a value became inf/NaN (overflowed float32)")
''')

_UPDATE = {
    "manual": "# no_grad(): the update must not join the graph; in place, they stay leaves.\n"
    "with torch.no_grad():\n    for p in model.parameters():\n        p -= lr * p.grad",
    "sgd": "# Plain SGD (no momentum): for each parameter p, p -= lr * p.grad.\nopt.step()",
}


def _zeroing(config: RunConfig) -> str:
    """How a step clears .grad, as `gradlab.runs.grads.zero_grads` does it (the same values, with nn.Module's API)."""
    if config.zeroing == "never":
        return "# no zeroing: the next backward() adds to .grad"
    none = config.zeroing == "none"
    if config.update == "sgd":
        return f"opt.zero_grad(set_to_none={none})  # {'drop each .grad' if none else 'zero_() each .grad in place'}"
    if none:
        return "model.zero_grad()  # set_to_none=True by default: drop each .grad"
    return "model.zero_grad(set_to_none=False)  # zero_() each .grad, keeping the tensors"


def _indent(code: str, spaces: int = 4) -> str:
    return "\n".join(" " * spaces + line if line else line for line in code.splitlines())


def _rows(values: tuple, indent: int) -> str:
    """A list literal with one row per line, as ruff format lays out a long one."""
    pad = " " * (indent + 4)
    return "[\n" + "".join(f"{pad}{literal(v)},\n" for v in values) + " " * indent + "]"


def net_script(config: RunConfig) -> str:
    """A standalone PyTorch script that reproduces `train(config)` of the network number for number."""
    if config.model != "net":
        raise ValueError("config: a run of the linear model; its script is gradlab.views.export.to_script")
    return _SCRIPT.substitute(
        lr=repr(config.lr),
        epochs=repr(config.epochs),
        device=f'"{config.device}"',
        zeroing=f'"{config.zeroing}"',
        zero_doc=ZERO_MODES[config.zeroing],
        update=f'"{config.update}"',
        update_doc=_UPDATE_DOCS[config.update],
        net_class=NET_CLASS.rstrip("\n"),
        model="model = Net().to(device)",
        start=start_code(),
        X=_rows(config.X, 4),
        y=_rows(tuple((v,) for v in config.y), 4),
        optimizer="\n# The optimizer updates these very parameters in place.\n"
        "opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
        if config.update == "sgd"
        else "",
        forward=_indent(NET_FORWARD),
        loss=_indent(NET_LOSS),
        update_code=_indent(_UPDATE[config.update]),
        zeroing_code=_indent(_zeroing(config)),
    )
