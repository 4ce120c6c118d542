"""Number formatting for people: non-finite values are labelled, never printed raw."""

from __future__ import annotations

import math
from collections.abc import Iterable


def num(x: float | None, digits: int = 6) -> str:
    """A float with `digits` significant digits; inf/NaN get a plain-language label."""
    if x is None:
        return "None"
    if math.isnan(x):
        return "NaN (not a number)"
    if math.isinf(x):
        return "overflow (+inf)" if x > 0 else "overflow (−inf)"
    text = f"{x:.{digits}g}"
    return "0" if text in ("-0", "0") else text


def vec(values: Iterable[float] | None, digits: int = 6) -> str:
    """A list of floats as "[a, b]", or "None"."""
    if values is None:
        return "None"
    return "[" + ", ".join(num(v, digits) for v in values) + "]"


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
