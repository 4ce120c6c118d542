"""Echoing what a visitor typed or linked: visible, inert and short, so it cannot disguise the app's own words."""

from __future__ import annotations

import unicodedata

MAX_SHOWN = 40


def _escaped(ch: str) -> str:
    # Format characters (Cf: zero-width spaces, bidi overrides and isolates, BOM, ...) and control
    # characters would hide in, or reorder, the sentence around them; they are written out as code points.
    if ch in "\n\t":
        return " "
    if unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp"):
        return f"\\u{ord(ch):04x}"
    return ch


def visible(raw: str) -> str:
    """`raw` with every invisible or direction-changing character spelled out as its code point (\\u202e)."""
    return "".join(_escaped(ch) for ch in raw)


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
