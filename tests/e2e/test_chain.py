"""Walk backward() node by node in a real browser: the graph marks each node, the leaves' .grad fill, then double."""

from __future__ import annotations

import pytest
from browser_helpers import open_page, settle

from gradlab.probes.chain import walk_backward
from gradlab.settings.config import RunConfig

pytestmark = pytest.mark.e2e

SECTION = ".st-key-lab_chain_open"
GRAPH = ".st-key-lab_chain_graph"

# The graph box drawn as current (orange), and the rendered size of the graph's text in CSS pixels.
_CURRENT_JS = """
(sel) => [...document.querySelectorAll(sel + ' svg g.node')]
  .filter((g) => (g.querySelector('polygon, path') || {}).getAttribute?.('fill') === '#fdba74')
  .map((g) => g.querySelector('text').textContent)
"""
_TEXT_PX_JS = """
(sel) => [...document.querySelectorAll(sel + ' svg text')]
  .map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)
"""
# Elements in the section wider than their room (a 1 px box is a screen-reader label, not drawn).
_OVERFLOW_JS = """
(sel) => [...document.querySelectorAll(sel + ' *')]
  .filter((e) => e.offsetParent !== null && e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1
    && getComputedStyle(e).overflowX !== 'visible')
  .map((e) => (e.getAttribute('data-testid') || e.tagName) + ': ' + (e.innerText || '').slice(0, 60))
"""


def open_walk(page, app_url, path: str):
    open_page(page, app_url, path)
    page.get_by_role("tab", name="④ Autograd graph").click()
    section = page.locator(SECTION)
    section.get_by_role("button", name="Next node").wait_for()
    settle(page)
    return section


def grad_now(section, leaf: str):
    label = section.page.get_by_test_id("stMetricLabel").get_by_text(f"{leaf}.grad now", exact=True)
    return section.get_by_test_id("stMetric").filter(has=label).get_by_test_id("stMetricValue")


def test_walk_every_node_then_backward_again(page, app_url, expect, page_errors, screenshot_dir):
    walk = walk_backward(RunConfig())
    section = open_walk(page, app_url, "/Grad_Lab")
    expect(grad_now(section, "w")).to_have_text("None")
    for pos, step in enumerate(walk.steps, start=1):
        section.get_by_role("button", name="Next node").click()
        expect(section.get_by_text(f"Step {pos} of {len(walk.steps)}")).to_be_visible()
        settle(page)
        marked = page.evaluate(_CURRENT_JS, GRAPH)
        if step.kind == "again":
            assert marked == ["AccumulateGrad", "AccumulateGrad"]
        else:
            assert marked == [step.short_name]
        if step.kind == "accumulate" and step.flows[0].target == "b":
            expect(grad_now(section, "b")).to_have_text("-13")
        if pos == 3:
            page.screenshot(path=str(screenshot_dir / "chain_step3.png"))
    expect(grad_now(section, "w")).to_have_text("[-75, -101]")
    expect(grad_now(section, "b")).to_have_text("-26")
    expect(section.get_by_role("button", name="Next node")).to_be_disabled()
    assert min(page.evaluate(_TEXT_PX_JS, GRAPH)) >= 16  # body size, not Streamlit's 10 px graph text
    assert page_errors == []
    page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", SECTION)
    page.screenshot(path=str(screenshot_dir / "chain.png"))


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=["1920x1080", "1280x720"])
def test_projected_walk_shows_each_click_result_and_nothing_is_cut_off(
    new_context, app_url, expect, screenshot_dir, size
):
    width, height = size
    page = new_context(viewport={"width": width, "height": height}).new_page()
    section = open_walk(page, app_url, "/Grad_Lab?present=1")
    for _ in range(5):
        section.get_by_role("button", name="Next node").click()
        settle(page)
    headline = section.get_by_text("Step 5 of 8")
    expect(headline).to_be_in_viewport()
    expect(grad_now(section, "b")).to_be_in_viewport()
    assert float(grad_now(section, "b").evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")) >= 28
    assert page.evaluate(_OVERFLOW_JS, SECTION) == []
    assert min(page.evaluate(_TEXT_PX_JS, GRAPH)) >= 24
    page.screenshot(path=str(screenshot_dir / f"chain_present_{width}x{height}.png"))
    page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", GRAPH)
    page.screenshot(path=str(screenshot_dir / f"chain_present_graph_{width}x{height}.png"))
