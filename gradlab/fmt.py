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
