"""Settings from a shared link: strict parsing of URL query parameters, with a note for each rejection.

The model travels as `model=net` (the card's linear model, the default, is left out). Own data travels too,
when it is small: `data=1_2_3~2_3_5` (rows x1_x2_y joined by ~) and `init=0.5_-0.5_0`
(w1_w2_b). These characters pass through a URL unescaped, so the link stays readable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from gradlab.fmt import shown
from gradlab.settings.config import DEVICES, EPOCHS_MAX, EPOCHS_MIN, MODELS, UPDATE_RULES, ZERO_MODES, RunConfig
from gradlab.settings.userdata import CARD_DATA, DECIMAL, Dataset, number_text, parse_dataset

LR_SLIDER_MIN, LR_SLIDER_MAX = 0.001, 1.0
# The Epochs control's stops: every common count one or two key presses from its neighbours.
EPOCH_STOPS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000)
MAX_LINK_ROWS = 20
MAX_LINK_CHARS = 2_000  # a `data` value longer than 20 rows of long numbers is refused before it is split
_BASE = RunConfig()
# The URL's settings and their defaults: the RunConfig's own, plus two views of the lesson (not of the run).
DEFAULTS: dict[str, object] = {
    "model": _BASE.model,
    "lr": _BASE.lr,
    "epochs": _BASE.epochs,
    "device": _BASE.device,
    "zeroing": _BASE.zeroing,
    "update": _BASE.update,
    "present": False,
    "predict": True,
}
SWITCHES = ("present", "predict")
DATA_KEYS = ("data", "init")
_INTEGER = re.compile(r"\+?[0-9]+")
_CELL, _ROW = "_", "~"


@dataclass(frozen=True)
class ParsedQuery:
    """The accepted values and one plain-language note per rejected parameter."""

    values: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    data: Dataset | None = None  # None: the card's data and initial weights


def lr_options(extra: float | None = None) -> list[float]:
    """Log-spaced learning rates 0.001 … 1.0 for the slider, plus an exact value from a link."""
    mantissas = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)
    opts = {round(m * 10**e, 6) for e in (-3, -2, -1) for m in mantissas} | {1.0}
    if extra is not None and LR_SLIDER_MIN <= extra <= LR_SLIDER_MAX:
        opts.add(extra)
    return sorted(opts)


def epoch_options(extra: int | None = None) -> list[int]:
    """The Epochs control's stops, plus an exact count from a link."""
    opts = set(EPOCH_STOPS)
    if extra is not None and EPOCHS_MIN <= extra <= EPOCHS_MAX:
        opts.add(extra)
    return sorted(opts)


def format_lr(lr: float) -> str:
    """0.01 → "0.01"; the shortest text that reads back as the same float."""
    short = f"{lr:g}"
    return short if float(short) == lr else repr(float(lr))


def _parse_lr(raw: str) -> float | str:
    if raw.strip().lower().lstrip("+-") in ("inf", "infinity"):
        return "is not a finite number"
    if not DECIMAL.fullmatch(raw.strip()):
        return "is not a number"
    value = float(raw)
    if not math.isfinite(value):
        return "is not a finite number"
    if not LR_SLIDER_MIN <= value <= LR_SLIDER_MAX:
        return f"is outside {LR_SLIDER_MIN:g}–{LR_SLIDER_MAX:g}"
    return value


def _parse_epochs(raw: str) -> int | str:
    if not _INTEGER.fullmatch(raw.strip()):
        return "is not a whole number" if not raw.strip().startswith("-") else "is negative"
    digits = raw.strip().lstrip("+").lstrip("0") or "0"
    if len(digits) > 9 or not EPOCHS_MIN <= int(digits) <= EPOCHS_MAX:
        return f"is outside {EPOCHS_MIN}–{EPOCHS_MAX:,}"
    return int(digits)


def _parse_choice(raw: str, allowed: Sequence[str]) -> str:
    value = raw.strip().lower()
    return value if value in allowed else "is not one of " + ", ".join(allowed)


def _parse_switch(raw: str) -> bool | str:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return "is not 1 or 0"


_PARSERS = {
    "model": lambda raw: _parse_choice(raw, tuple(MODELS)),
    "lr": _parse_lr,
    "epochs": _parse_epochs,
    "device": lambda raw: _parse_choice(raw, DEVICES),
    "zeroing": lambda raw: _parse_choice(raw, tuple(ZERO_MODES)),
    "update": lambda raw: _parse_choice(raw, tuple(UPDATE_RULES)),
    "present": _parse_switch,
    "predict": _parse_switch,
}


def _one(raw: Mapping[str, str | Sequence[str]], key: str, notes: list[str], default: str) -> str | None:
    """The single value the link gives for `key`, or None (absent, or several different values: noted)."""
    if key not in raw:
        return None
    given = raw[key]
    items = [given] if isinstance(given, str) else list(given)
    if len(set(items)) > 1:
        notes.append(f"The link gives **{key}** {len(items)} different values; using the default {default}.")
        return None
    return items[0] if items else None


def _parse_data(data: str | None, init: str | None) -> Dataset | str:
    """The dataset a link carries (None parts: the card's), or why it cannot be used."""
    rows: list[Sequence[object]] = list(CARD_DATA.rows())
    weights: list[object] = [*CARD_DATA.w0, CARD_DATA.b0]
    for key, text in (("data", data), ("init", init)):
        if text is not None and len(text) > MAX_LINK_CHARS:
            return f"**{key}** is {len(text):,} characters long; a link carries at most {MAX_LINK_ROWS} rows"
    if data is not None:
        lines = data.split(_ROW)
        if len(lines) > MAX_LINK_ROWS:
            return f"**data** has {len(lines):,} rows; a link carries at most {MAX_LINK_ROWS}"
        rows = [line.split(_CELL) for line in lines]
    if init is not None:
        weights = list(init.split(_CELL))
        if len(weights) != 3:
            return f"**init**={shown(init)} needs 3 values, w1{_CELL}w2{_CELL}b"
    try:
        return parse_dataset(rows, weights[:2], weights[2])
    except ValueError as err:
        return f"**{'init' if str(err).startswith('Initial') else 'data'}**: {err}"


def parse_query(raw: Mapping[str, str | Sequence[str]]) -> ParsedQuery:
    """Validate known parameters; anything malformed falls back to its default with a note."""
    parsed = ParsedQuery()
    for key, parser in _PARSERS.items():
        default = DEFAULTS[key]
        shown_default = format_lr(_BASE.lr) if key == "lr" else str(default).lower()
        given = _one(raw, key, parsed.notes, shown_default)
        if given is None:
            continue
        result = parser(given)
        rejected = isinstance(result, str) and (not isinstance(default, str) or result.startswith("is not one of"))
        if rejected:
            parsed.notes.append(f"The link's **{key}**={shown(given)} {result}; using the default {shown_default}.")
        else:
            parsed.values[key] = result
    data, init = (_one(raw, key, parsed.notes, "the card's data") for key in DATA_KEYS)
    if data is not None or init is not None:
        dataset = _parse_data(data, init)
        if isinstance(dataset, str):
            parsed.notes.append(f"The link's data can't be used ({dataset}); using the card's data.")
        elif dataset != CARD_DATA:
            return replace(parsed, data=dataset)
    return parsed


def travels(data: Dataset) -> bool:
    """Whether this dataset fits in a link."""
    return len(data.y) <= MAX_LINK_ROWS


def to_query(values: Mapping[str, object], data: Dataset | None = None) -> dict[str, str]:
    """The URL parameters for these settings and data; defaults (and the card's data) are left out."""
    out: dict[str, str] = {}
    for key, default in DEFAULTS.items():
        value = values.get(key, default)
        if value == default:
            continue
        if key == "lr":
            out[key] = format_lr(float(value))  # type: ignore[arg-type]
        elif key in SWITCHES:
            out[key] = "1" if value else "0"
        else:
            out[key] = str(value)
    if data is not None and travels(data):
        if (data.X, data.y) != (CARD_DATA.X, CARD_DATA.y):
            out["data"] = _ROW.join(_CELL.join(number_text(v) for v in row) for row in data.rows())
        if (data.w0, data.b0) != (CARD_DATA.w0, CARD_DATA.b0):
            out["init"] = _CELL.join(number_text(v) for v in (*data.w0, data.b0))
    return out


def _valid(key: str, value: object) -> bool:
    if isinstance(value, bool) != (key in SWITCHES):
        return False
    if key == "lr":
        return isinstance(value, float | int) and math.isfinite(value) and LR_SLIDER_MIN <= value <= LR_SLIDER_MAX
    if key == "epochs":
        return isinstance(value, int) and EPOCHS_MIN <= value <= EPOCHS_MAX
    if key in SWITCHES:
        return True
    allowed = {"model": tuple(MODELS), "device": DEVICES, "zeroing": tuple(ZERO_MODES), "update": tuple(UPDATE_RULES)}
    return value in allowed[key]


def sanitize(values: Mapping[str, object]) -> tuple[dict[str, object], list[str]]:
    """Settings with every invalid value replaced by its default, and a note for each replacement."""
    clean: dict[str, object] = {}
    notes: list[str] = []
    for key, default in DEFAULTS.items():
        value = values.get(key, default)
        if _valid(key, value):
            clean[key] = value
        else:
            clean[key] = default
            notes.append(f"The setting **{key}** had an invalid value {shown(repr(value))}; it is back to {default!r}.")
    return clean, notes
