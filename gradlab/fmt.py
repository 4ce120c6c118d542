"""Formatting for people: numbers (non-finite values labelled, never printed raw) and echoed visitor text."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable


def num(x: float | None, digits: int = 6, *, nonfinite: str | None = None) -> str:
    """A float with `digits` significant digits; inf/NaN get a plain-language label, or `nonfinite` when given
    (a table cell's "n/a"): never printed raw."""
    if x is None:
        return "None"
    if not math.isfinite(x) and nonfinite is not None:
        return nonfinite
    if math.isnan(x):
        return "NaN (not a number)"
    if math.isinf(x):
        return "overflow (+inf)" if x > 0 else "overflow (−inf)"
    text = f"{x:.{digits}g}"
    return "0" if text in ("-0", "0") else text


def vec(values: Iterable[float] | None, digits: int = 6, *, nonfinite: str | None = None) -> str:
    """A list of floats as "[a, b]", or "None"."""
    if values is None:
        return "None"
    return "[" + ", ".join(num(float(v), digits, nonfinite=nonfinite) for v in values) + "]"


def prose(x: float) -> str:
    """A number for prose, with a real minus sign: −0.5, not -0.5."""
    text = num(x)
    return "−" + text[1:] if text.startswith("-") else text


def signed(x: float) -> str:
    """A number with an explicit sign and a real minus: +1, −0.01, 0."""
    text = num(abs(x))
    return text if text == "0" else ("−" if x < 0 else "+") + text


def factor(x: float, digits: int = 6) -> str:
    """A number as a factor in a written product: negatives in parentheses, "2·(-0.5)" not "2·-0.5"."""
    text = num(x, digits)
    return f"({text})" if text.startswith("-") else text


def signed_sum(values: Iterable[float], digits: int = 6) -> str:
    """Terms of a sum written with their signs: "0.5 - 1 + 0" rather than "0.5 + -1 + 0"."""
    out = ""
    for i, v in enumerate(values):
        text = num(v, digits)
        if i == 0:
            out = text
        elif text.startswith("-"):
            out += f" - {text[1:]}"
        else:
            out += f" + {text}"
    return out


# Echoing what a visitor typed or linked: visible, inert and short, so it cannot disguise the app's own words.
MAX_SHOWN = 40


def _escaped(ch: str) -> str:
    # Format characters (Cf: zero-width spaces, bidi overrides and isolates, BOM, ...) and control
    # characters would hide in, or reorder, the sentence around them; they are written out as code points.
    if ch in "\n\t":
        return " "
    if unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp"):
        return f"\\u{ord(ch):04x}"
    return ch


def shown(raw: str) -> str:
    """A user-supplied value made safe to show inside a Markdown code span, cut after MAX_SHOWN characters."""
    parts: list[str] = []
    length = 0
    for ch in raw:
        part = _escaped(ch).replace("`", "'")
        if length + len(part) > MAX_SHOWN:
            parts.append("…")  # never cut an escape in half
            break
        parts.append(part)
        length += len(part)
    text = "".join(parts)
    return f"`{text}`" if text else "an empty value"
