"""Widget keys derived from content."""

from __future__ import annotations

import hashlib


def stable_key(prefix: str, *parts: object) -> str:
    """A widget key that changes whenever its content does (so stale answers never carry over)."""
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()[:10]
    return f"{prefix}_{digest}"
