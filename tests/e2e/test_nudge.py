"""Nudge a weight in a real browser: choose b and a Δ, read PyTorch's numbers; projected, nothing is cut off."""

from __future__ import annotations

import pytest
from browser_helpers import open_page, settle, wait_charts_drawn

from gradlab.fmt import num, signed
from gradlab.probes.nudge import DEFAULT_DELTA, DELTAS, nudge
from gradlab.settings.config import RunConfig

pytestmark = pytest.mark.e2e

SECTION = ".st-key-nudge_section"
INK_RGB = "rgb(17, 24, 39)"  # #111827

# Elements inside the section wider than the room they are given (clipped, or scrolling sideways); a 1 px box is
# a visually hidden label for screen readers, not drawn.
_OVERFLOW_JS = """
(sel) => [...document.querySelectorAll(sel + ' *')]
  .filter((e) => e.offsetParent !== null && e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1
    && getComputedStyle(e).overflowX !== 'visible')
  .map((e) => (e.getAttribute('data-testid') || e.tagName) + ': ' + (e.innerText || '').slice(0, 60))
"""

# Font size and colour of the chart's axis and legend text, as the browser drew it.
_CHART_TEXT_JS = """
(sel) => [...document.querySelectorAll(sel + ' .vega-embed svg g.role-axis-label text, '
    + sel + ' .vega-embed svg g.role-legend-label text')]
  .map((t) => ({ text: t.textContent, size: parseFloat(getComputedStyle(t).fontSize), fill: getComputedStyle(t).fill }))
"""


def value(page, label: str):
    """The value of the section's st.metric labelled `label`."""
    label_el = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    box = page.locator(SECTION).get_by_test_id("stMetric").filter(has=label_el)
    return box.get_by_test_id("stMetricValue")


def test_nudge_b_and_read_the_real_loss_beside_the_estimate(page, app_url, expect, page_errors, screenshot_dir):
    open_page(page, app_url, "/Data_Flow?predict=0")
    section = page.locator(SECTION)
    section.scroll_into_view_if_needed()
    expect(value(page, "real new loss")).to_have_text("17.25")
    expect(value(page, "estimate: loss + .grad·Δ")).to_have_text("9.75")
    expect(value(page, "miss: real − estimate")).to_have_text("+7.5")
    wait_charts_drawn(page, 1)

    section.get_by_role("radio", name="b", exact=True).click()
    settle(page)
    thumb = section.get_by_role("slider")
    thumb.focus()
    page.keyboard.press("ArrowLeft")  # one option down from the default Δ
    settle(page)
    delta = DELTAS[DELTAS.index(DEFAULT_DELTA) - 1]
    n = nudge(RunConfig(), (0.5, -0.5), 0.0, "b", delta)
    expect(value(page, "real new loss")).to_have_text(num(n.new_loss))
    expect(value(page, "estimate: loss + .grad·Δ")).to_have_text(num(n.estimate))
    expect(value(page, "miss: real − estimate")).to_have_text(signed(n.error))
    expect(section.get_by_text(f"changes the loss from 47.25 to {num(n.new_loss)}")).to_be_visible()
    wait_charts_drawn(page, 1)
    texts = page.evaluate(_CHART_TEXT_JS, SECTION)
    assert any(t["text"] == "real loss after the nudge" for t in texts)
    for t in texts:
        assert t["size"] >= 17 and t["fill"] == INK_RGB, t
    assert page_errors == []
    for name, target in (("nudge", SECTION), ("nudge_chart", f"{SECTION} .vega-embed")):
        page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", target)
        page.screenshot(path=str(screenshot_dir / f"{name}.png"))


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=["1920x1080", "1280x720"])
def test_projected_nudge_is_large_and_nothing_is_cut_off(new_context, app_url, expect, screenshot_dir, size):
    width, height = size
    page = new_context(viewport={"width": width, "height": height}).new_page()
    open_page(page, app_url, "/Data_Flow?present=1&predict=0")
    section = page.locator(SECTION)
    section.scroll_into_view_if_needed()
    real = value(page, "real new loss")
    expect(real).to_have_text("17.25")
    wait_charts_drawn(page, 1)
    assert float(real.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")) >= 40
    assert page.evaluate(_OVERFLOW_JS, SECTION) == []
    for t in page.evaluate(_CHART_TEXT_JS, SECTION):
        assert t["size"] >= 24 and t["fill"] == INK_RGB, t
    page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", SECTION)
    page.screenshot(path=str(screenshot_dir / f"nudge_present_{width}x{height}.png"))
