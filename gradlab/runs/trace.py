"""The training trace of either model: per-epoch records as named arrays, the facts of an early stop, downsampling.

One epoch's record is one row of numbers (`Layout`): loss | every parameter | every parameter's `.grad` |
the hidden activation h (the network only) | ŷ. `Trace.from_rows` splits the rows into arrays named as
`named_parameters()` names the parameters: "w" and "b" for the card's linear model, "hidden.weight",
"hidden.bias", "out.weight" and "out.bias" for the network. numpy only: pages import this before torch loads.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from gradlab.settings.config import RunConfig

CONVERGED_LOSS = 0.01
# Per-epoch predictions are kept up to this many values (400 KB as float32). A 10,000-epoch run on 200 rows
# would hold 2 million (8 MB, nine tenths of its trace) in every cache entry; nothing shown needs them, and
# any epoch's ŷ can be recomputed from its recorded parameters.
PREDICTIONS_KEPT = 100_000
HIDDEN_CHUNK = 1024  # epochs of h converted to float64 at a time for the hidden statistics

RISE_SHARE = 1e-3  # a loss rise smaller than this share of the loss before it is not called a rise…
RISE_FLOOR = 1e-6  # …nor one smaller than this share of the starting loss (float32 noise near a minimum)
LINEAR_NAMES = ("w", "b")


class WrongModelError(TypeError):
    """A linear-only view of a trace (`trace.w`, …) asked of a network run: name the parameter instead."""


class Named(Mapping[str, np.ndarray]):
    """A read-only mapping from parameter name to array, in `named_parameters()` order; picklable (the caches pickle
    traces, which a `types.MappingProxyType` is not)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, np.ndarray]) -> None:
        self._items = dict(items)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"{name!r}: this run's parameters are {', '.join(self._items)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k!r}: {v.shape}" for k, v in self._items.items())
        return f"Named({{{shapes}}})"

    def __getstate__(self) -> dict[str, np.ndarray]:
        return self._items

    def __setstate__(self, state: dict[str, np.ndarray]) -> None:
        self._items = state


@dataclass(frozen=True)
class Stop:
    """The facts of an early stop (an epoch recorded inf or NaN); `gradlab.lesson.divergence` turns them into words."""

    epoch: int  # 1-based: the first epoch whose recorded numbers were not all finite
    nonfinite: tuple[str, ...]  # the recorded quantities that were inf/NaN there ("loss", "w", "w.grad", ...)
    loss: float  # that epoch's loss: inf, NaN, or a finite number when only other values overflowed


@dataclass(frozen=True)
class Layout:
    """Where each recorded quantity sits in one epoch's row: loss | params | .grads | h (network only) | ŷ."""

    shapes: dict[str, tuple[int, ...]]  # recorded name ("loss", "w", "w.grad", "h", "y_hat", …) → its shape
    slices: dict[str, slice]

    @classmethod
    def of(cls, param_shapes: Mapping[str, tuple[int, ...]], n_hidden: int | None, n_samples: int) -> Layout:
        """The row for these parameters (in order), h (n_samples, n_hidden) unless n_hidden is None, and ŷ."""
        shapes: dict[str, tuple[int, ...]] = {"loss": ()}
        shapes |= dict(param_shapes)
        shapes |= {f"{name}.grad": shape for name, shape in param_shapes.items()}
        if n_hidden is not None:
            shapes["h"] = (n_samples, n_hidden)
        shapes["y_hat"] = (n_samples,)
        slices, at = {}, 0
        for name, shape in shapes.items():
            size = int(np.prod(shape, dtype=int))
            slices[name] = slice(at, at + size)
            at += size
        return cls(shapes, slices)

    @classmethod
    def linear(cls, n_features: int, n_samples: int) -> Layout:
        """loss | w (F) | b | w.grad (F) | b.grad | ŷ (N): the card's linear model."""
        return cls.of({"w": (n_features,), "b": ()}, None, n_samples)

    @property
    def params(self) -> tuple[str, ...]:
        """The parameter names, in row order."""
        names = [n for n in self.shapes if n not in ("loss", "h", "y_hat") and not n.endswith(".grad")]
        return tuple(names)

    @property
    def width(self) -> int:
        return max(s.stop for s in self.slices.values())

    def block(self, rows: np.ndarray, name: str) -> np.ndarray:
        """(E, *shape) float64 copy of one recorded quantity."""
        return rows[:, self.slices[name]].reshape(len(rows), *self.shapes[name]).astype(np.float64)

    def nonfinite(self, row: np.ndarray) -> tuple[str, ...]:
        """The recorded quantities of one row that hold an inf or NaN, in row order."""
        return tuple(name for name, s in self.slices.items() if not np.isfinite(row[s]).all())


@dataclass(frozen=True, eq=False)
class Hidden:
    """Statistics of the network's hidden activation h = tanh(z) (N, 3) per epoch, each (E, 3), in float64."""

    sq_mean: np.ndarray  # mean over samples of h², per unit
    abs_mean: np.ndarray  # mean over samples of |h|
    abs_max: np.ndarray  # max over samples of |h|

    @property
    def tanh_slope_mean(self) -> np.ndarray:
        """(E, 3) the mean over samples of tanh's derivative 1 − h², per unit: the factor backward() multiplies by."""
        return 1.0 - self.sq_mean


def hidden_stats(h: np.ndarray, chunk: int = HIDDEN_CHUNK) -> Hidden:
    """From h (E, N, units): the mean over samples of h², of |h|, and the max of |h|, each (E, units), in float64.

    Computed `chunk` epochs at a time, so a long run on many rows never holds all of h in float64 at once.
    """
    sq = np.empty((len(h), h.shape[2]))
    mean, top = np.empty_like(sq), np.empty_like(sq)
    for at in range(0, len(h), chunk):
        part = h[at : at + chunk].astype(np.float64)
        sq[at : at + chunk] = (part * part).mean(axis=1)
        mean[at : at + chunk] = np.abs(part).mean(axis=1)
        top[at : at + chunk] = np.abs(part).max(axis=1, initial=0.0)
    return Hidden(sq, mean, top)


@dataclass(frozen=True, eq=False)
class Trace:
    """Epoch-by-epoch record of a run of either model. All arrays are float64 copies of the float32 values.

    `params` and `grads` are keyed by the parameter names `named_parameters()` gives, each (E, *param.shape):
    the values the epoch's forward pass used, and `.grad` right after its backward(). For the linear model
    `w`, `b`, `w_grad`, `b_grad`, `final_w` and `final_b` read them by their names; for the network those raise
    `WrongModelError` (a page that forgets the network fails loudly).
    """

    config: RunConfig
    device: str
    device_note: str | None
    epoch: np.ndarray  # (E,) 1-based
    loss: np.ndarray  # (E,)
    params: Named  # name → (E, *shape)
    grads: Named  # name → (E, *shape)
    grad_norm: np.ndarray  # (E,) ‖every .grad together‖₂
    predictions: np.ndarray  # (E, N) float32 exactly as computed; (0, N) when E·N > PREDICTIONS_KEPT
    stop: Stop | None  # None when every epoch ran
    final_params: Named | None  # name → param.shape after the last update; None if the run was stopped
    hidden: Hidden | None = None  # the network's h statistics; None for the linear model

    @classmethod
    def from_rows(
        cls,
        *,
        config: RunConfig,
        layout: Layout,
        rows: np.ndarray,
        device: str,
        device_note: str | None,
        stop: Stop | None,
        final: Mapping[str, np.ndarray] | None,
    ) -> Trace:
        """Split the recorded (E, width) rows into named float64 arrays (copies: `rows` itself is not kept)."""
        e = len(rows)
        names = layout.params
        grads = {n: layout.block(rows, f"{n}.grad") for n in names}
        total = np.zeros(e)
        for g in grads.values():
            total += (g.reshape(e, -1) ** 2).sum(axis=1)
        hidden = None
        if "h" in layout.slices:
            hidden = hidden_stats(rows[:, layout.slices["h"]].reshape(e, *layout.shapes["h"]))
        predictions = rows[:, layout.slices["y_hat"]]
        if predictions.size > PREDICTIONS_KEPT:
            predictions = predictions[:0]
        return cls(
            config=config,
            device=device,
            device_note=device_note,
            epoch=np.arange(1, e + 1),
            loss=rows[:, 0].astype(np.float64),
            params=Named({n: layout.block(rows, n) for n in names}),
            grads=Named(grads),
            grad_norm=np.sqrt(total),
            predictions=predictions.astype(np.float32),
            stop=stop,
            final_params=None if final is None else Named({n: np.asarray(final[n], dtype=np.float64) for n in names}),
            hidden=hidden,
        )

    def __len__(self) -> int:
        return len(self.epoch)

    @property
    def model(self) -> str:
        """The config's model: "linear" or "net"."""
        return self.config.model

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names, as `named_parameters()` gives them."""
        return tuple(self.params)

    @property
    def grad_norms(self) -> dict[str, np.ndarray]:
        """name → (E,) ‖p.grad‖₂ per epoch, for every parameter."""
        e = len(self)
        return {n: np.sqrt((g.reshape(e, -1) ** 2).sum(axis=1)) for n, g in self.grads.items()}

    @property
    def diverged(self) -> bool:
        return self.stop is not None

    # --- the linear model's names (the existing pages read these) -------------------------------------------
    def _linear(self, what: str) -> None:
        if self.config.model != "linear":
            raise WrongModelError(
                f"trace.{what}: this is a run of the network; read its parameters by name from trace.params / "
                f"trace.grads / trace.final_params ({', '.join(self.params)})"
            )

    @property
    def w(self) -> np.ndarray:
        """(E, F) the weights each epoch's forward pass used (linear model only)."""
        self._linear("w")
        return self.params["w"]

    @property
    def b(self) -> np.ndarray:
        """(E,) the bias each epoch's forward pass used (linear model only)."""
        self._linear("b")
        return self.params["b"]

    @property
    def w_grad(self) -> np.ndarray:
        """(E, F) w.grad right after each backward() (linear model only)."""
        self._linear("w_grad")
        return self.grads["w"]

    @property
    def b_grad(self) -> np.ndarray:
        """(E,) b.grad right after each backward() (linear model only)."""
        self._linear("b_grad")
        return self.grads["b"]

    @property
    def final_w(self) -> tuple[float, ...] | None:
        """w after the last update; None if the run was stopped (linear model only)."""
        self._linear("final_w")
        return None if self.final_params is None else tuple(self.final_params["w"].tolist())

    @property
    def final_b(self) -> float | None:
        """b after the last update; None if the run was stopped (linear model only)."""
        self._linear("final_b")
        return None if self.final_params is None else float(self.final_params["b"])

    # --- the loss ------------------------------------------------------------------------------------------
    def rises(self) -> np.ndarray:
        """(E,) bool: the loss rose from the epoch before by more than rounding noise (never at epoch 1)."""
        up = np.zeros(len(self), dtype=bool)
        if len(self) > 1:
            prev, now = self.loss[:-1], self.loss[1:]
            up[1:] = now - prev > np.maximum(RISE_SHARE * prev, RISE_FLOOR * self.start_loss)
        return up

    @property
    def first_rise(self) -> int | None:
        """The first epoch (1-based) whose loss rose, or None."""
        hit = np.flatnonzero(self.rises())
        return int(hit[0]) + 1 if len(hit) else None

    def index(self, epoch: int) -> int:
        """The 0-based row of a 1-based epoch; a ValueError names the range this run has."""
        if not 1 <= epoch <= len(self):
            raise ValueError(f"epoch: {epoch} is out of range; this run has epochs 1 to {len(self)}")
        return epoch - 1

    @property
    def start_loss(self) -> float:
        return float(self.loss[0])

    @property
    def end_loss(self) -> float:
        return float(self.loss[-1])

    def epochs_to(self, threshold: float = CONVERGED_LOSS) -> int | None:
        """First epoch whose loss is below the threshold, or None."""
        hit = np.nonzero(self.loss < threshold)[0]
        return int(hit[0]) + 1 if len(hit) else None


def downsample(n: int, series: list[np.ndarray], max_points: int = 2000, head: int = 100) -> np.ndarray:
    """Row indices to plot: the first `head`, the last, and each bucket's min and max per series."""
    if n <= max_points:
        return np.arange(n)
    keep = [np.arange(min(head, n)), np.array([n - 1])]
    rest = np.arange(head, n - 1)
    per_bucket = 2 * max(len(series), 1)
    buckets = max((max_points - head - 1) // per_bucket, 1)
    for chunk in np.array_split(rest, buckets):
        if len(chunk) == 0:
            continue
        for s in series:
            vals = s[chunk]
            keep.append(chunk[[int(np.nanargmin(vals)), int(np.nanargmax(vals))]])
    return np.unique(np.concatenate(keep))
