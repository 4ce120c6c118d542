"""How GradLab's pictures look: the text colour and the font sizes every chart and drawing shares.

Chart and graph text matches the page: body size, 17 px, and 26 px in presentation mode, where body text is
1.6rem (ui/present.css); titles a step larger. ui/base.css and ui/present.css draw graphviz text at the same
two sizes, and tests/test_lesson_parts.py checks that they agree with these.
"""

from __future__ import annotations

INK = "#111827"  # body text: the theme's textColor (.streamlit/config.toml), full contrast on white
FONT = '"Source Sans", sans-serif'  # the app's own font
_BODY_PX = {False: 17, True: 26}
_TITLE_PX = {False: 20, True: 30}


def body_px(present: bool) -> int:
    """Text size in px: the page's body size, larger for a projector (presentation mode)."""
    return _BODY_PX[present]


def title_px(present: bool) -> int:
    """A chart title's size in px."""
    return _TITLE_PX[present]
