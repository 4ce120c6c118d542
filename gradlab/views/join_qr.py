"""The join link as a QR code for the projector: an inline SVG drawn by `segno` (a full QR code, never Micro QR).

Phone cameras read a standard QR code; Micro QR, which segno picks for very short text, they mostly do not.
The SVG is an image with the link as its accessible name (segno escapes the title).
"""

from __future__ import annotations

import segno

from gradlab.views.style import INK

BORDER = 4  # modules of quiet zone: the standard's minimum, which phone cameras rely on


def qr_svg(url: str, px: int = 240) -> str:
    """An `<svg>` of `url`'s QR code about `px` pixels wide (whole modules, never smaller than 2 px each)."""
    code = segno.make(url, micro=False, error="m")
    width, _ = code.symbol_size(scale=1, border=BORDER)
    return code.svg_inline(
        scale=max(2, px // width),
        border=BORDER,
        dark=INK,
        light="#ffffff",
        title=f"QR code of the join link {url}",
        svgclass="gl-qr",
    )
