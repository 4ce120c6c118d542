"""Presentation mode makes the main-area text clearly larger, from a link and from the sidebar toggle."""

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


# A label is cut off when its text box is wider than the space it is given (the "…" case).
_CUT_LABELS_JS = """
() => [...document.querySelectorAll(
    '[data-testid="stMain"] button [data-testid="stMarkdownContainer"], '
    + '[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"]')]
  .filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map((e) => e.innerText)
"""


def test_projected_lab_buttons_show_their_whole_label(new_context, app_url, expect):
    page = new_context(viewport={"width": 1280, "height": 720}).new_page()
    open_page(page, app_url, "/Grad_Lab?present=1")
    step = page.get_by_role("button", name="update under no_grad")
    expect(step).to_be_visible()
    assert page.evaluate(_CUT_LABELS_JS) == []
    assert font_size_px(step.locator("p")) >= 20  # presentation type, not the 16 px default


def test_projected_metric_labels_show_their_whole_text(new_context, app_url, expect):
    page = new_context(viewport={"width": 1280, "height": 720}).new_page()
    open_page(page, app_url, "/Training_Trace?present=1")
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="epochs to loss <")).to_be_visible()
    assert page.evaluate(_CUT_LABELS_JS) == []
