"""The one frozen run configuration, its bounds and its validation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

if TYPE_CHECKING:
    import torch

ZeroMode = Literal["zero", "none", "never"]
UpdateRule = Literal["manual", "sgd"]
ModelKind = Literal["linear", "net"]

CARD_X: tuple[tuple[float, float], ...] = ((1.0, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, 5.0))
CARD_Y: tuple[float, ...] = (3.0, 5.0, 7.0, 9.0)
CARD_W: tuple[float, float] = (0.5, -0.5)
CARD_B: float = 0.0

LR_MIN, LR_MAX = 0.0, 10.0
EPOCHS_MIN, EPOCHS_MAX = 1, 10_000
MAX_ROWS = 200
MAX_ABS_VALUE = 1e6
DEVICES = ("cpu", "cuda")
ZERO_MODES: dict[str, str] = {
    "zero": "grad.zero_() each step",
    "none": "grad = None (set_to_none) each step",
    "never": "never zero (gradients accumulate)",
}
UPDATE_RULES: dict[str, str] = {
    "manual": "manual: with torch.no_grad(): p -= lr * p.grad",
    "sgd": "torch.optim.SGD(params, lr=lr)",
}
MODELS: dict[str, str] = {
    "linear": "linear ŷ = Xw + b",
    "net": "network (nn.Module)",
}
# The network's hidden layer is nn.Linear(2, 3): it takes exactly this many features (gradlab.runs.net.Net).
NET_FEATURES = 2
CUDA_UNAVAILABLE = "CUDA is not available on this machine; running on CPU."


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run: same config, same numbers.

    `model` picks the card's linear model ŷ = Xw + b ("linear") or the small network ("net", which needs
    NET_FEATURES features). `w0` and `b0` are the linear model's start; the network always starts from its
    fixed constants (gradlab.runs.net.START).
    """

    lr: float = 0.01
    epochs: int = 5
    device: str = "cpu"
    w0: tuple[float, ...] = CARD_W
    b0: float = CARD_B
    X: tuple[tuple[float, ...], ...] = CARD_X
    y: tuple[float, ...] = CARD_Y
    zeroing: ZeroMode = "zero"
    update: UpdateRule = "manual"
    model: ModelKind = "linear"

    def __post_init__(self) -> None:
        _check_number("lr", self.lr, LR_MIN, LR_MAX, low_open=True)
        _check_int("epochs", self.epochs, EPOCHS_MIN, EPOCHS_MAX)
        if self.device not in DEVICES:
            raise ValueError(f"device: {self.device!r} is not allowed; choose one of {DEVICES}")
        if self.zeroing not in ZERO_MODES:
            raise ValueError(f"zeroing: {self.zeroing!r} is not allowed; choose one of {tuple(ZERO_MODES)}")
        if self.update not in UPDATE_RULES:
            raise ValueError(f"update: {self.update!r} is not allowed; choose one of {tuple(UPDATE_RULES)}")
        if self.model not in MODELS:
            raise ValueError(f"model: {self.model!r} is not allowed; choose one of {tuple(MODELS)}")
        _check_data(self.X, self.y)
        n_features = len(self.X[0])
        if self.model == "net":
            check_net_features(n_features)
        if not _is_seq(self.w0) or len(self.w0) != n_features:
            raise ValueError(f"w0: {self.w0!r} must hold {n_features} numbers, one per feature")
        for i, v in enumerate(self.w0):
            _check_number(f"w0[{i}]", v, -MAX_ABS_VALUE, MAX_ABS_VALUE)
        _check_number("b0", self.b0, -MAX_ABS_VALUE, MAX_ABS_VALUE)
        # Normalise to floats in tuples: equal configs hash equal (the cache keys on them).
        object.__setattr__(self, "lr", float(self.lr))
        object.__setattr__(self, "b0", float(self.b0))
        object.__setattr__(self, "w0", tuple(float(v) for v in self.w0))
        object.__setattr__(self, "X", tuple(tuple(float(v) for v in row) for row in self.X))
        object.__setattr__(self, "y", tuple(float(v) for v in self.y))

    @property
    def n_samples(self) -> int:
        return len(self.X)

    @property
    def n_features(self) -> int:
        return len(self.X[0])

    @property
    def is_net(self) -> bool:
        """True when the run trains the network (`gradlab.runs.net.Net`), not the card's linear model."""
        return self.model == "net"

    @property
    def param_names(self) -> tuple[str, ...]:
        """w1 … wF, then b: the names the lesson gives the linear model's parameters, in the order of [w, b]."""
        return (*(f"w{j + 1}" for j in range(self.n_features)), "b")

    @property
    def is_card_setup(self) -> bool:
        """True when data and initial weights are the seed card's."""
        return (self.X, self.y, self.w0, self.b0) == (CARD_X, CARD_Y, CARD_W, CARD_B)

    def with_(self, **changes: Any) -> RunConfig:
        """A validated copy with some fields changed."""
        return replace(self, **changes)


def check_net_features(n_features: int) -> None:
    """A ValueError naming the field `model` unless the data has the NET_FEATURES features the network takes."""
    if n_features != NET_FEATURES:
        unit = "feature" if n_features == 1 else "features"
        raise ValueError(
            f"model: the network's hidden layer takes {NET_FEATURES} features; this data has {n_features} {unit}"
        )


def _is_real(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_number(name: str, value: object, low: float, high: float, *, low_open: bool = False) -> None:
    lo = "(" if low_open else "["
    allowed = f"a finite number in {lo}{low:g}, {high:g}]"
    if not _is_real(value) or not math.isfinite(value):
        raise ValueError(f"{name}: {value!r} is not allowed; it must be {allowed}")
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        raise ValueError(f"{name}: {value!r} is out of range; it must be {allowed}")


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name}: {value!r} is not allowed; it must be an integer from {low} to {high:,}")


def _is_seq(value: object) -> TypeGuard[Sequence[object]]:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _check_data(X: object, y: object) -> None:
    if not _is_seq(X) or not _is_seq(y):
        raise ValueError("X, y: the dataset must be a sequence of rows and a sequence of targets")
    if not 1 <= len(X) <= MAX_ROWS:
        raise ValueError(f"X: {len(X)} rows is not allowed; the dataset needs 1 to {MAX_ROWS} rows")
    if len(y) != len(X):
        raise ValueError(f"y: {len(y)} targets for {len(X)} rows; each row needs exactly one target")
    width = len(X[0]) if _is_seq(X[0]) else -1
    if width < 1:
        raise ValueError("X: each row must be a sequence of at least one feature")
    for r, row in enumerate(X):
        if not _is_seq(row) or len(row) != width:
            raise ValueError(f"X[{r}]: {row!r} must have {width} features like the first row")
        for c, v in enumerate(row):
            _check_number(f"X[{r}][{c}]", v, -MAX_ABS_VALUE, MAX_ABS_VALUE)
    for r, v in enumerate(y):
        _check_number(f"y[{r}]", v, -MAX_ABS_VALUE, MAX_ABS_VALUE)


# torch is imported inside the functions that need it: settings, bounds and validation load without it, so
# the sidebar and page skeleton reach the browser before PyTorch's import (~0.8–1 s) on a cold server.


def cuda_available() -> bool:
    """Whether a CUDA device can be used; never raises."""
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:
        return False


def device_note(requested: str) -> str | None:
    """Why the run will not be on the requested device, or None. Asking for the CPU never loads torch."""
    if requested == "cuda" and not cuda_available():
        return CUDA_UNAVAILABLE
    return None


def resolve_device(requested: str) -> tuple[torch.device, str | None]:
    """The device to run on, and why it differs from the request (or None)."""
    import torch

    note = device_note(requested)
    return torch.device("cpu" if note else requested), note
