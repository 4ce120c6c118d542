"""Settings from a shared link: strict parsing of URL query parameters, with a note for each rejection."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gradlab.config import DEVICES, EPOCHS_MAX, EPOCHS_MIN, UPDATE_RULES, ZERO_MODES, RunConfig

LR_SLIDER_MIN, LR_SLIDER_MAX = 0.001, 1.0
_BASE = RunConfig()
# The URL's settings and their defaults: the RunConfig's own, plus presentation mode (a view, not a run).
DEFAULTS: dict[str, object] = {
    "lr": _BASE.lr,
    "epochs": _BASE.epochs,
    "device": _BASE.device,
    "zeroing": _BASE.zeroing,
    "update": _BASE.update,
    "present": False,
}
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
_INTEGER = re.compile(r"\+?[0-9]+")
_MAX_SHOWN = 40


@dataclass(frozen=True)
class ParsedQuery:
    """The accepted values and one plain-language note per rejected parameter."""

    values: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def lr_options(extra: float | None = None) -> list[float]:
    """Log-spaced learning rates 0.001 … 1.0 for the slider, plus an exact value from a link."""
    mantissas = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)
    opts = {round(m * 10**e, 6) for e in (-3, -2, -1) for m in mantissas} | {1.0}
    if extra is not None and LR_SLIDER_MIN <= extra <= LR_SLIDER_MAX:
        opts.add(extra)
    return sorted(opts)


def format_lr(lr: float) -> str:
    """0.01 → "0.01"; the shortest text that reads back as the same float."""
    short = f"{lr:g}"
    return short if float(short) == lr else repr(float(lr))


def shown(raw: str) -> str:
    """A user-supplied value made safe to show inside a Markdown code span."""
    text = raw.replace("`", "'").replace("\n", " ")
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN] + "…"
    return f"`{text}`" if text else "an empty value"


def _parse_lr(raw: str) -> float | str:
    if not _DECIMAL.fullmatch(raw.strip()):
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


def _parse_present(raw: str) -> bool | str:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return "is not 1 or 0"


_PARSERS = {
    "lr": _parse_lr,
    "epochs": _parse_epochs,
    "device": lambda raw: _parse_choice(raw, DEVICES),
    "zeroing": lambda raw: _parse_choice(raw, tuple(ZERO_MODES)),
    "update": lambda raw: _parse_choice(raw, tuple(UPDATE_RULES)),
    "present": _parse_present,
}


def parse_query(raw: Mapping[str, str | Sequence[str]]) -> ParsedQuery:
    """Validate known parameters; anything malformed falls back to its default with a note."""
    parsed = ParsedQuery()
    for key, parser in _PARSERS.items():
        if key not in raw:
            continue
        given = raw[key]
        items = [given] if isinstance(given, str) else list(given)
        default = DEFAULTS[key]
        shown_default = format_lr(default) if key == "lr" else str(default).lower()  # type: ignore[arg-type]
        if len(set(items)) > 1:
            parsed.notes.append(
                f"The link gives **{key}** {len(items)} different values; using the default {shown_default}."
            )
            continue
        if not items:
            continue
        result = parser(items[0])
        rejected = isinstance(result, str) and (not isinstance(default, str) or result.startswith("is not one of"))
        if rejected:
            parsed.notes.append(f"The link's **{key}**={shown(items[0])} {result}; using the default {shown_default}.")
        else:
            parsed.values[key] = result
    return parsed


def to_query(values: Mapping[str, object]) -> dict[str, str]:
    """The URL parameters for these settings; defaults are left out to keep links short."""
    out: dict[str, str] = {}
    for key, default in DEFAULTS.items():
        value = values.get(key, default)
        if value == default:
            continue
        if key == "lr":
            out[key] = format_lr(float(value))  # type: ignore[arg-type]
        elif key == "present":
            out[key] = "1" if value else "0"
        else:
            out[key] = str(value)
    return out


def _valid(key: str, value: object) -> bool:
    if isinstance(value, bool) != (key == "present"):
        return False
    if key == "lr":
        return isinstance(value, float | int) and math.isfinite(value) and LR_SLIDER_MIN <= value <= LR_SLIDER_MAX
    if key == "epochs":
        return isinstance(value, int) and EPOCHS_MIN <= value <= EPOCHS_MAX
    if key == "present":
        return True
    allowed = {"device": DEVICES, "zeroing": tuple(ZERO_MODES), "update": tuple(UPDATE_RULES)}[key]
    return value in allowed


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
