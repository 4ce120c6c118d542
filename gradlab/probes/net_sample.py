"""One sample through the network's real layers at one epoch, and its share of each parameter's `.grad`.

The batch loss is the mean over N samples, so each parameter's `.grad` is the sum over samples of each sample's
share: the gradient of (ŷᵣ − yᵣ)²/N. Each share is taken by autograd (`torch.autograd.grad` of that one term),
and again by hand from the chain rule in float64 on the float32 values of the forward pass:
g = 2/N·(ŷ − y) → out.bias: g, out.weight: g·h, hidden.bias: g·out.weight·(1 − h²), hidden.weight: that ⊗ x.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gradlab.fmt import factor, num
from gradlab.probes.net_common import autograd_on
from gradlab.runs.live import net_live
from gradlab.runs.net import forward_parts, mse
from gradlab.runs.trace import Trace

Floats = tuple[float, ...]
_HERE = Path(__file__).resolve()


def _floats(t: torch.Tensor) -> Floats:
    return tuple(t.detach().double().cpu().reshape(-1).tolist())


@dataclass(frozen=True)
class NetSample:
    """One sample's path: x → z = hidden(x) → h = tanh(z) → ŷ = out(h) → its loss term → its share of every `.grad`.

    Per-parameter values are keyed by `named_parameters()` names and flattened (row-major); `shapes` gives each
    parameter's shape.
    """

    epoch: int
    row: int  # 0-based
    n_samples: int
    device: str
    x: Floats  # (2,)
    y: float
    shapes: dict[str, tuple[int, ...]]
    params: dict[str, Floats]  # the parameters this epoch's forward pass used
    z: Floats  # (3,) hidden pre-activation
    h: Floats  # (3,) tanh(z)
    y_hat: float
    residual: float  # ŷ − y
    sq_error: float  # (ŷ − y)²
    loss_share: float  # (ŷ − y)² / N: this sample's part of the loss
    batch_loss: float
    share: dict[str, Floats]  # autograd of this sample's loss share, per parameter
    by_hand: dict[str, Floats]  # the chain rule, float64 on the float32 forward values
    all_shares: dict[str, tuple[Floats, ...]]  # every sample's share (N rows), per parameter
    sums: dict[str, Floats]  # Σ over samples of the shares
    grads: dict[str, Floats]  # the .grad the trace recorded for this epoch
    accumulated: bool  # .grad holds earlier epochs too (zeroing "never", after epoch 1)

    @property
    def max_sum_diff(self) -> float:
        """The largest |Σ shares − .grad| over every entry (float32 rounding when .grad is zeroed each epoch)."""
        return max(abs(s - g) for n in self.sums for s, g in zip(self.sums[n], self.grads[n], strict=True))

    @property
    def max_hand_diff(self) -> float:
        """The largest |autograd share − chain rule by hand| over every entry of this sample's share."""
        return max(abs(a - b) for n in self.share for a, b in zip(self.share[n], self.by_hand[n], strict=True))


def trace_net_sample(trace: Trace, epoch: int, row: int) -> NetSample:
    """Rebuild epoch `epoch` (1-based) of a network trace at its parameters and follow sample `row` (0-based).

    A ValueError for a linear trace (its sample is `gradlab.probes.sample.trace_sample`), an epoch outside the
    run, or a row outside the data.
    """
    if trace.config.model != "net":
        raise ValueError("trace: a run of the linear model; follow its samples with gradlab.probes.sample")
    i = trace.index(epoch)
    n = trace.config.n_samples
    if not 0 <= row < n:
        raise ValueError(f"row: {row} is out of range; the data has rows 0 to {n - 1}")
    return _sample(trace, epoch, i, row)


@autograd_on(_HERE)
def _sample(trace: Trace, epoch: int, i: int, row: int) -> NetSample:
    config = trace.config
    n = config.n_samples
    run = net_live(config)
    named = dict(run.net.named_parameters())
    with torch.no_grad():
        for name, p in named.items():
            p.copy_(torch.as_tensor(trace.params[name][i], dtype=p.dtype).view(p.shape))
    params = list(named.values())

    z, h, y_hat = forward_parts(run.net, run.X)  # (N, 3), (N, 3), (N, 1)
    batch_loss = mse(y_hat, run.y)
    terms = ((y_hat - run.y) ** 2 / n).view(-1)  # (N,): each sample's share of the loss
    shares: dict[str, list[Floats]] = {name: [] for name in named}
    for r in range(n):
        got = torch.autograd.grad(terms[r], params, retain_graph=True)
        for name, grad in zip(named, got, strict=True):
            shares[name].append(_floats(grad))

    x64 = run.X[row].detach().double().cpu()
    h64, w_out = h[row].detach().double().cpu(), named["out.weight"].detach().double().cpu().view(-1)
    g = 2.0 / n * (float(y_hat[row].detach()) - float(run.y[row]))
    gz = g * w_out * (1 - h64 * h64)  # (3,) the gradient reaching z through tanh
    by_hand = {
        "hidden.weight": tuple(torch.outer(gz, x64).reshape(-1).tolist()),
        "hidden.bias": tuple(gz.tolist()),
        "out.weight": tuple((g * h64).tolist()),
        "out.bias": (g,),
    }
    sums = {name: tuple(np.sum(np.array(rows), axis=0).tolist()) for name, rows in shares.items()}
    residual = float(y_hat[row].detach()) - float(run.y[row])
    return NetSample(
        epoch=epoch,
        row=row,
        n_samples=n,
        device=str(run.device),
        x=_floats(run.X[row]),
        y=float(run.y[row]),
        shapes={name: tuple(p.shape) for name, p in named.items()},
        params={name: _floats(p) for name, p in named.items()},
        z=_floats(z[row]),
        h=_floats(h[row]),
        y_hat=float(y_hat[row].detach()),
        residual=residual,
        sq_error=residual**2,
        loss_share=float(terms[row].detach()),
        batch_loss=float(batch_loss.detach()),
        share={name: rows[row] for name, rows in shares.items()},
        by_hand=by_hand,
        all_shares={name: tuple(rows) for name, rows in shares.items()},
        sums=sums,
        grads={name: tuple(trace.grads[name][i].reshape(-1).tolist()) for name in named},
        accumulated=config.zeroing == "never" and epoch > 1,
    )


# --- the sample's path as text and tables (Prediction Trace with model=net) -------------------------------------


def entry_names(s: NetSample) -> list[tuple[str, int]]:
    """Every `.grad` entry as (label, flat index) per parameter, in `named_parameters()` order:
    ("hidden.weight[0, 1]", 1), …, ("out.bias[0]", 0)."""
    out: list[tuple[str, int]] = []
    for name, shape in s.shapes.items():
        size = len(s.params[name])
        for flat in range(size):
            index, rest = [], flat
            for n in reversed(shape):
                index.append(rest % n)
                rest //= n
            out.append((f"{name}[{', '.join(map(str, reversed(index)))}]", flat))
    return out


def _name(label: str) -> str:
    return label.split("[", 1)[0]


def hidden_text(s: NetSample) -> str:
    """The hidden pre-activation z = hidden(x), one unit a line: z[j] = W[j, 0]·x[0] + W[j, 1]·x[1] + b[j]."""
    w, b = s.params["hidden.weight"], s.params["hidden.bias"]
    n_in = len(s.x)
    lines = []
    for j, zj in enumerate(s.z):
        names = " + ".join(f"W[{j}, {i}]·x[{i}]" for i in range(n_in))
        products = " + ".join(f"{factor(w[j * n_in + i])}·{factor(s.x[i])}" for i in range(n_in))
        terms = [w[j * n_in + i] * s.x[i] for i in range(n_in)] + [b[j]]
        # A sum that is 0 in the decimals shown but not in float32 (0.3 - 0.4 + 0.1): say why, so it reads as rounding.
        tiny = zj != 0 and abs(zj) <= 1e-6 * max(abs(t) for t in terms)
        why = " (0 in these decimals; float32 stores them only approximately)" if tiny else ""
        lines.append(f"z[{j}] = {names} + b[{j}] = {products} + {factor(b[j])} = {num(zj)}{why}")
    return "\n".join(lines)


def tanh_text(s: NetSample) -> str:
    """h = tanh(z), one unit a line, with tanh's slope 1 − h² (what backward() multiplies by at that unit)."""
    return "\n".join(
        f"h[{j}] = tanh({num(zj)}) = {num(hj)}    slope 1 − h[{j}]² = {num(1 - hj * hj)}"
        for j, (zj, hj) in enumerate(zip(s.z, s.h, strict=True))
    )


def output_text(s: NetSample) -> str:
    """The output ŷ = out(h) = out.weight · h + out.bias, with this sample's numbers."""
    w, b = s.params["out.weight"], s.params["out.bias"][0]
    names = " + ".join(f"out.weight[0, {j}]·h[{j}]" for j in range(len(s.h)))
    products = " + ".join(f"{factor(wj)}·{factor(hj)}" for wj, hj in zip(w, s.h, strict=True))
    pad = " " * len("y_hat ")
    return f"y_hat = {names} + out.bias\n{pad}= {products} + {factor(b)}\n{pad}= {num(s.y_hat)}"


def loss_term_text(s: NetSample) -> str:
    """The residual, its square and this sample's share of the mean squared error."""
    n = s.n_samples
    return (
        f"y_hat - y        = {num(s.y_hat)} - {factor(s.y)} = {num(s.residual)}\n"
        f"(y_hat - y)²     = {factor(s.residual)}² = {num(s.sq_error)}\n"
        f"share of loss    = (y_hat - y)² / N = {num(s.sq_error)} / {n} = {num(s.loss_share)}\n"
        f"whole batch loss = mean over all {n} samples = {num(s.batch_loss)}"
    )


def share_table(s: NetSample) -> tuple[list[str], list[list[str]]]:
    """This sample's share of every `.grad` entry: by the chain rule by hand (float64) and by autograd."""
    header = ["entry", "by hand (chain rule)", "autograd"]
    rows = [
        [label, num(s.by_hand[_name(label)][flat]), num(s.share[_name(label)][flat])] for label, flat in entry_names(s)
    ]
    return header, rows


def net_sum_table(s: NetSample, max_columns: int = 6) -> tuple[list[str], list[list[str]]]:
    """Every sample's share of every `.grad` entry, their sum, and the `.grad` the run recorded, one entry a row.

    With more than `max_columns` samples, the others are summed into one column beside this sample's, so the table
    keeps its width whatever the data's size.
    """
    every = s.n_samples <= max_columns
    if every:
        header = ["entry", *[f"row {r + 1}" for r in range(s.n_samples)], "Σ shares", ".grad"]
    else:
        header = ["entry", f"row {s.row + 1} (this sample)", f"the other {s.n_samples - 1} rows", "Σ shares", ".grad"]
    rows = []
    for label, flat in entry_names(s):
        name = _name(label)
        values = [per_row[flat] for per_row in s.all_shares[name]]
        if every:
            shares = [num(v) for v in values]
        else:
            others = float(np.sum([v for r, v in enumerate(values) if r != s.row]))
            shares = [num(values[s.row]), num(others)]
        rows.append([label, *shares, num(s.sums[name][flat]), num(s.grads[name][flat])])
    return header, rows
