"""Presentation mode makes the main-area text clearly larger, from a link and from the sidebar toggle.

What a projector needs of every page (nothing cut off, large dark text, results in view) is in test_projector.py.
"""

from __future__ import annotations

import pytest
from browser_helpers import font_size_px, open_page, settle, sidebar, wait_query

pytestmark = pytest.mark.e2e

MIN_RATIO = 1.2
FIRST_PARAGRAPH = '[data-testid="stMain"] [data-testid="stMarkdownContainer"] p'


def intro_font_px(page) -> float:
    """Font size of the first main-area paragraph (the page intro)."""
    return font_size_px(page.locator(FIRST_PARAGRAPH).first)


def test_present_link_enlarges_text(page, app_url, expect):
    open_page(page, app_url, "/")
    normal = intro_font_px(page)
    open_page(page, app_url, "/?present=1")
    expect(sidebar(page).get_by_role("switch", name="Presentation mode")).to_be_checked()
    big = intro_font_px(page)
    assert big >= MIN_RATIO * normal, f"present=1 text {big}px vs normal {normal}px"


def test_present_toggle_enlarges_text(page, app_url, expect):
    open_page(page, app_url, "/")
    normal = intro_font_px(page)
    toggle = sidebar(page).get_by_test_id("stCheckbox").filter(has_text="Presentation mode")

    toggle.locator("label").click()
    wait_query(page, "present", "1")
    settle(page)
    expect(toggle.get_by_role("switch")).to_be_checked()
    big = intro_font_px(page)
    assert big >= MIN_RATIO * normal, f"toggled text {big}px vs normal {normal}px"

    toggle.locator("label").click()
    wait_query(page, "present", None)
    settle(page)
    assert intro_font_px(page) == pytest.approx(normal)
