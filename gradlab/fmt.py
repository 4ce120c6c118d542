"""Formatting for people: numbers (non-finite values labelled, never printed raw) and echoed visitor text."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

# The app's one number policy: every number a person reads goes through `num` (or the helpers below, which call it).
# - DIGITS significant digits (PRECISE_DIGITS where float32 is compared with float64: a float32 holds about 7.2),
#   trailing zeros dropped: 47.25, 0.480247, -13.
# - Plain decimals from SCI_BELOW up to SCI_FROM, scientific notation outside, decided by the size of the number
#   alone, never by the digits asked for: 1820 stays "1820" at 3 digits (not "1.82e+03"), 9.8114e-05 is
#   scientific at any number of digits. The exponent is written as Python and PyTorch print it: e-05, e+06.
DIGITS = 6
PRECISE_DIGITS = 9
SCI_BELOW = 1e-4
SCI_FROM = 1e6


def num(x: float | None, digits: int = DIGITS, *, nonfinite: str | None = None) -> str:
    """A float with `digits` significant digits under the app's number policy (above); inf/NaN get a
    plain-language label, or `nonfinite` when given (a table cell's "n/a"): never printed raw.

    Raises ValueError for `digits` < 1.
    """
    if digits < 1:
        raise ValueError(f"digits: {digits} must be at least 1")
    if x is None:
        return "None"
    x = float(x)
    if not math.isfinite(x) and nonfinite is not None:
        return nonfinite
    if math.isnan(x):
        return "NaN (not a number)"
    if math.isinf(x):
        return "overflow (+inf)" if x > 0 else "overflow (−inf)"
    if x == 0:
        return "0"
    return _written(x, digits, scientific=not _plain(x, digits))


def _power(x: float, digits: int) -> int:
    """The decimal exponent of x once rounded to `digits` significant digits (999999.7 at 6 digits: 6)."""
    return int(f"{x:.{digits - 1}e}".split("e")[1])


def _plain(x: float, digits: int) -> bool:
    """Whether the policy writes x as a plain decimal (zero and non-finite values count as plain)."""
    return x == 0 or not math.isfinite(x) or SCI_BELOW <= 10.0 ** _power(x, digits) < SCI_FROM


def _written(x: float, digits: int, *, scientific: bool) -> str:
    if x == 0:
        return "0"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")  # rounded to `digits` first
    power = int(exponent)
    if scientific:
        return _trim(mantissa) + f"e{power:+03d}"
    text = _trim(f"{float(f'{mantissa}e{power}'):.{max(digits - 1 - power, 0)}f}")
    return "0" if text in ("-0", "0") else text


def together(values: Iterable[float], digits: int = DIGITS) -> list[str]:
    """Numbers that are read side by side (compared in one sentence), in one notation: all scientific when any
    of them needs it under the policy, so 9.8114e-05 is compared with 1e-04, not with 0.0001."""
    xs = [float(v) for v in values]
    if all(_plain(x, digits) for x in xs) or not all(math.isfinite(x) for x in xs):
        return [num(x, digits) for x in xs]
    return [_written(x, digits, scientific=True) for x in xs]


def _trim(text: str) -> str:
    """Trailing zeros of a decimal fraction dropped: "1.500" → "1.5", "2.000" → "2"."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(share: float, digits: int = 2) -> str:
    """A share as a percentage: whole percents from 0.5 % up, else `digits` significant digits (never "0%")."""
    return f"{share:.0%}" if abs(share) >= 0.005 else f"{num(share * 100, digits)}%"


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
