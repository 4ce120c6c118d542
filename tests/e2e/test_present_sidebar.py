"""A projector at 1280×720 (`present=1`): the open sidebar fits the screen and lies over the page; radio buttons
and switches scale with their labels.

The sidebar is the teacher's panel: opened in class, every setting and *Reset settings* must be on screen without
scrolling it (it was 1,391 px tall), and opening it must not squeeze the projected page to two thirds of its width
(the lesson reflowed under the room's eyes). In the page, a radio button or switch drawn at 16 px beside 24 px
text was hard to see from the back of the room, so the room could not tell which option was picked.
"""

from __future__ import annotations

import pytest
from browser_helpers import open_page, settle

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1280, "height": 720}

_LAYOUT_JS = """
() => {
  const content = document.querySelector('[data-testid="stSidebarContent"]');
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  const reset = [...document.querySelectorAll('[data-testid="stSidebar"] button')]
    .find((b) => b.innerText.trim() === 'Reset settings');
  const r = reset.getBoundingClientRect();
  return { sidebarHeight: content.scrollHeight, mainLeft: main.left, mainWidth: main.width, resetBottom: r.bottom };
}
"""

# (control's box height and width, the label's font size) for the first radio option and the first switch.
_CONTROL_JS = """
([kind]) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const [control, label] = kind === 'radio'
    ? (() => { const o = main.querySelector('[data-testid="stRadioOption"]');
               return [o.querySelector(':scope > div > div:first-child'), o.querySelector('p')]; })()
    : (() => { const c = main.querySelector('[data-testid="stCheckbox"] label');
               return [c.querySelector(':scope > div:first-of-type'), c.querySelector('p')]; })();
  const r = control.getBoundingClientRect();
  return { height: r.height, width: r.width, font: parseFloat(getComputedStyle(label).fontSize) };
}
"""


@pytest.fixture
def projected(new_context):
    return new_context(viewport=PROJECTOR).new_page()


@pytest.mark.parametrize("path", ["/Data_Flow", "/Grad_Lab"])
def test_the_open_sidebar_fits_the_projector_and_lies_over_the_page(projected, app_url, path):
    open_page(projected, app_url, f"{path}?present=1")
    closed = projected.evaluate(_LAYOUT_JS)
    projected.get_by_test_id("stExpandSidebarButton").click()
    projected.get_by_test_id("stSidebarContent").get_by_role("button", name="Reset settings").wait_for()
    projected.wait_for_timeout(600)  # the sidebar slides in
    opened = projected.evaluate(_LAYOUT_JS)
    assert opened["sidebarHeight"] <= PROJECTOR["height"], f"the open sidebar is {opened['sidebarHeight']} px tall"
    assert opened["resetBottom"] <= PROJECTOR["height"], "Reset settings is below the screen"
    assert (opened["mainLeft"], opened["mainWidth"]) == (closed["mainLeft"], closed["mainWidth"]), (
        f"opening the sidebar squeezed the page: {closed} → {opened}"
    )
    # Folding it again gives the page back, and the sidebar still works: a setting changes the page.
    projected.get_by_test_id("stSidebarCollapseButton").get_by_role("button").click()
    settle(projected)
    assert projected.evaluate(_LAYOUT_JS)["mainWidth"] == closed["mainWidth"]


def test_radio_buttons_scale_with_their_labels(projected, app_url):
    open_page(projected, app_url, "/Quiz?present=1")
    got = projected.evaluate(_CONTROL_JS, ["radio"])
    assert got["font"] >= 22, got  # presentation type
    assert got["height"] >= 0.95 * got["font"], f"a {got['height']:.0f} px radio button beside {got['font']} px text"


def test_switches_scale_with_their_labels(projected, app_url):
    open_page(projected, app_url, "/Training_Trace?present=1")
    got = projected.evaluate(_CONTROL_JS, ["switch"])
    assert got["font"] >= 20, got
    assert got["width"] >= 1.8 * got["font"], f"a {got['width']:.0f} px switch beside {got['font']} px text"


def test_the_sidebar_is_unchanged_outside_presentation_mode(new_context, app_url):
    """At a desk the sidebar stays beside the page, as Streamlit draws it (the page makes room for it)."""
    page = open_page(new_context().new_page(), app_url, "/Data_Flow")
    got = page.evaluate(_LAYOUT_JS)
    assert got["mainLeft"] >= page.get_by_test_id("stSidebar").bounding_box()["width"] - 1
