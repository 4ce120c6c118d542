"""Your own data: turn edited table rows into a validated dataset, or say exactly what is wrong."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gradlab.config import CARD_B, CARD_W, CARD_X, CARD_Y, MAX_ABS_VALUE, MAX_ROWS, RunConfig
from gradlab.links import shown

COLUMNS = ("x1", "x2", "y")


@dataclass(frozen=True)
class Dataset:
    """A validated dataset and initial weights, ready for `RunConfig`."""

    X: tuple[tuple[float, float], ...]
    y: tuple[float, ...]
    w0: tuple[float, float]
    b0: float

    def apply(self, config: RunConfig) -> RunConfig:
        """The config with this data and these initial weights."""
        return config.with_(X=self.X, y=self.y, w0=self.w0, b0=self.b0)

    def rows(self) -> list[dict[str, float]]:
        """Rows for a table editor."""
        return [{"x1": r[0], "x2": r[1], "y": t} for r, t in zip(self.X, self.y, strict=True)]


CARD_DATA = Dataset(X=CARD_X, y=CARD_Y, w0=CARD_W, b0=CARD_B)  # type: ignore[arg-type]


def to_number(value: object, where: str) -> float:
    """A finite float within ±MAX_ABS_VALUE, or ValueError naming the cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{where} is empty; enter a number")
    if isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not a number")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {shown(str(value))} is not a number") from None  # a code span: shown as typed
    if not math.isfinite(number):
        raise ValueError(f"{where}: {number} is not a finite number; NaN and inf cannot be trained on")
    if abs(number) > MAX_ABS_VALUE:
        raise ValueError(f"{where}: {number:g} is too large; keep values within ±{MAX_ABS_VALUE:g}")
    return number


def parse_dataset(rows: Sequence[Mapping[str, object]], w0: Sequence[object], b0: object) -> Dataset:
    """Validate edited rows (x1, x2, y) and initial weights; raise ValueError with a clear message."""
    if len(rows) == 0:
        raise ValueError("The table is empty; add at least one row (x1, x2, y)")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"The table has {len(rows):,} rows; GradLab takes at most {MAX_ROWS}")
    X: list[tuple[float, float]] = []
    y: list[float] = []
    for i, row in enumerate(rows, start=1):
        missing = [c for c in COLUMNS if c not in row]
        if missing:
            raise ValueError(f"Row {i} has no column {', '.join(missing)}")
        x1, x2, t = (to_number(row[c], f"Row {i}, column {c}") for c in COLUMNS)
        X.append((x1, x2))
        y.append(t)
    if len(w0) != 2:
        raise ValueError(f"Initial w needs 2 numbers, got {len(w0)}")
    w = (to_number(w0[0], "Initial w1"), to_number(w0[1], "Initial w2"))
    return Dataset(X=tuple(X), y=tuple(y), w0=w, b0=to_number(b0, "Initial b"))
