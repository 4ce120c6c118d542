"""Your own data: rows of text "x1, x2, y" into a validated dataset, or say exactly which cell is wrong.

Every number is read by one strict parser (`to_number`), the same one links use: a value is kept exactly as
typed or refused with a message that names its row and column. Work is bounded before parsing starts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gradlab.fmt import shown
from gradlab.settings.config import CARD_B, CARD_W, CARD_X, CARD_Y, MAX_ABS_VALUE, MAX_ROWS, RunConfig

COLUMNS = ("x1", "x2", "y")
MAX_TEXT_CHARS = 10_000  # 200 rows of three 14-character numbers fit; checked before any parsing
MAX_NUMBER_CHARS = 40
DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
_DECIMAL_COMMA = re.compile(r"[0-9],[0-9]")
_LIMIT = f"keep values within ±{MAX_ABS_VALUE:.0f}"


@dataclass(frozen=True)
class Dataset:
    """A validated dataset and initial weights, ready for `RunConfig`."""

    X: tuple[tuple[float, float], ...]
    y: tuple[float, ...]
    w0: tuple[float, float]
    b0: float

    def apply(self, config: RunConfig) -> RunConfig:
        """The config with this data and these initial weights (w0, b0 start the linear model only).

        A ValueError naming the field when the config's model cannot take the data (the network needs 2 features).
        """
        return config.with_(X=self.X, y=self.y, w0=self.w0, b0=self.b0)

    def rows(self) -> list[tuple[float, float, float]]:
        """(x1, x2, y) per sample."""
        return [(r[0], r[1], t) for r, t in zip(self.X, self.y, strict=True)]


CARD_DATA = Dataset(X=CARD_X, y=CARD_Y, w0=CARD_W, b0=CARD_B)


def number_text(value: float) -> str:
    """The shortest text that reads back as exactly `value` and can be typed back: 1000000, not 1e+06."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))  # the shortest round-trip form; |value| ≤ 1e6 never needs "e+"


def to_number(value: object, where: str) -> float:
    """A finite float within ±MAX_ABS_VALUE, or ValueError naming the cell and showing the value as typed."""
    if isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not a number")
    if isinstance(value, int | float):
        text = number_text(float(value)) if math.isfinite(value) else str(value)
    elif isinstance(value, str):
        text = value.strip()
    elif value is None:
        text = ""
    else:
        raise ValueError(f"{where}: {shown(str(value))} is not a number")
    if not text:
        raise ValueError(f"{where} is empty; enter a number")
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"{where}: {shown(text)} is too long for a number (over {MAX_NUMBER_CHARS} characters)")
    if not DECIMAL.fullmatch(text):
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ValueError(f"{where}: {shown(text)} is not a finite number; NaN and inf cannot be trained on")
        if _DECIMAL_COMMA.search(text):
            raise ValueError(f"{where}: {shown(text)} has a decimal comma; write a point: 1.5, not 1,5")
        raise ValueError(f"{where}: {shown(text)} is not a number")
    number = float(text)
    if math.isinf(number) or abs(number) > MAX_ABS_VALUE:
        raise ValueError(f"{where}: {shown(text)} is too large; {_LIMIT}")
    return number


def oversized(chars: int) -> str:
    """Why a text of `chars` characters is refused unread."""
    return (
        f"The text has {chars:,} characters; GradLab takes at most {MAX_TEXT_CHARS:,} (up to {MAX_ROWS} rows), "
        "so nothing was read from it"
    )


def _cells(line: str) -> list[str]:
    # One separator per line, the first found of tab, semicolon, comma, else spaces: "1,5<TAB>2<TAB>3" keeps
    # the cell "1,5" whole (and refuses it) instead of reading it as the two numbers 1 and 5.
    for sep in ("\t", ";", ","):
        if sep in line:
            return [c.strip() for c in line.split(sep)]
    return line.split()


def parse_rows(text: str) -> list[tuple[float, float, float]]:
    """Rows "x1, x2, y" (one per line; tabs, semicolons, commas or spaces between values; an optional header)."""
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(oversized(len(text)))
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and [c.lower() for c in _cells(lines[0])] == list(COLUMNS):
        lines = lines[1:]  # a header row, as a spreadsheet copies it
    if not lines:
        raise ValueError("The table is empty; add at least one row (x1, x2, y)")
    if len(lines) > MAX_ROWS:
        raise ValueError(f"The table has {len(lines):,} rows; GradLab takes at most {MAX_ROWS}")
    rows: list[tuple[float, float, float]] = []
    for i, line in enumerate(lines, start=1):
        cells = _cells(line)
        if len(cells) != len(COLUMNS):
            hint = "; a decimal comma? write a point: 1.5, not 1,5" if _DECIMAL_COMMA.search(line) else ""
            raise ValueError(f"Row {i} has {len(cells)} values ({shown(line)}); each row needs 3: x1, x2, y{hint}")
        x1, x2, t = (to_number(cell, f"Row {i}, column {c}") for cell, c in zip(cells, COLUMNS, strict=True))
        rows.append((x1, x2, t))
    return rows


def rows_text(data: Dataset) -> str:
    """The rows as editable text under a header line, one "x1, x2, y" per line, every value exact."""
    return "\n".join(", ".join(cells) for cells in [COLUMNS, *([number_text(v) for v in r] for r in data.rows())])


def parse_dataset(rows: Sequence[Sequence[object]], w0: Sequence[object], b0: object) -> Dataset:
    """Validate rows (x1, x2, y) and initial weights; raise ValueError with a clear message."""
    if len(rows) == 0:
        raise ValueError("The table is empty; add at least one row (x1, x2, y)")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"The table has {len(rows):,} rows; GradLab takes at most {MAX_ROWS}")
    X: list[tuple[float, float]] = []
    y: list[float] = []
    for i, row in enumerate(rows, start=1):
        if len(row) != len(COLUMNS):
            raise ValueError(f"Row {i} has {len(row)} values; each row needs 3: x1, x2, y")
        x1, x2, t = (to_number(v, f"Row {i}, column {c}") for v, c in zip(row, COLUMNS, strict=True))
        X.append((x1, x2))
        y.append(t)
    if len(w0) != 2:
        raise ValueError(f"Initial w needs 2 numbers, got {len(w0)}")
    w = (to_number(w0[0], "Initial w1"), to_number(w0[1], "Initial w2"))
    return Dataset(X=tuple(X), y=tuple(y), w0=w, b0=to_number(b0, "Initial b"))


def parse_text(text: str, weights: Mapping[str, str]) -> Dataset:
    """A dataset from the rows' text and the initial weights' texts ("w1", "w2", "b")."""
    return parse_dataset(parse_rows(text), [weights["w1"], weights["w2"]], weights["b"])
