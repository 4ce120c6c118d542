"""Grad Lab on a projector (1280×720, `present=1`): what a click shows is on one screen with the control that asked
for it (issue 19 §5). Each check scrolls the control to just below Streamlit's header, as a teacher would once,
and then every box it names must lie inside the window at once."""

from __future__ import annotations

import pytest
from browser_helpers import open_page, settle, wait_charts_drawn

from gradlab.probes.chain import walk_backward
from gradlab.settings.config import RunConfig
from gradlab.views.chain_dot import CURRENT

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1280, "height": 720}
LAB = "/Grad_Lab?present=1"
WALK = ".st-key-lab_chain_open"
GRAPH = ".st-key-lab_chain_graph"

# Scroll the main area so that the element's top sits just below the header; return the header's bottom edge.
_TO_TOP_JS = """
(e) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const head = document.querySelector('[data-testid="stHeader"]');
  const top = head ? head.getBoundingClientRect().bottom : 0;
  main.scrollTop += e.getBoundingClientRect().top - top - 4;
  return top;
}
"""


def projected(new_context, app_url: str, tab: str):
    page = new_context(viewport=PROJECTOR).new_page()
    open_page(page, app_url, LAB)
    page.get_by_role("tab", name=tab).click()
    settle(page)
    return page


def outside(page, header: float, named: dict[str, object]) -> list[str]:
    """The named boxes that do not lie wholly inside the window below the header."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    out = []
    for name, locator in named.items():
        box = locator.bounding_box()
        if box is None:
            out.append(f"{name}: not drawn")
        elif (
            box["y"] < header - 1
            or box["y"] + box["height"] > height + 1
            or box["x"] < 0
            or box["x"] + box["width"] > width + 1
        ):
            out.append(f"{name}: y {box['y']:.0f}–{box['y'] + box['height']:.0f}, x {box['x']:.0f}–"
                       f"{box['x'] + box['width']:.0f} (window below the header: y {header:.0f}–{height})")  # fmt: skip
    return out


def test_each_step_of_the_walk_shows_the_button_the_node_and_its_arithmetic_on_one_screen(new_context, app_url):
    steps = walk_backward(RunConfig()).steps
    page = projected(new_context, app_url, "④ Autograd graph")
    section = page.locator(WALK)
    nxt = section.get_by_role("button", name="Next node")
    for pos, step in enumerate(steps, start=1):
        nxt.click()
        settle(page)
        header = nxt.evaluate(_TO_TOP_JS)
        page.wait_for_timeout(200)
        named = {"Next node": nxt, "the node's arithmetic": section.get_by_test_id("stTable").first}
        current = page.locator(f"{GRAPH} svg g.node:has(polygon[fill='{CURRENT}'])")
        assert current.count() == (2 if step.kind == "again" else 1), f"step {pos}: the current node is not drawn"
        named |= {f"current node {i + 1}": current.nth(i) for i in range(current.count())}
        problems = outside(page, header, named)
        assert problems == [], f"step {pos} ({step.short_name}): " + "; ".join(problems)


def test_the_landscape_slider_and_its_chart_fit_one_screen(new_context, app_url):
    page = projected(new_context, app_url, "③ Loss landscape")
    wait_charts_drawn(page)
    slider = page.get_by_test_id("stMain").get_by_test_id("stSlider")
    header = slider.evaluate(_TO_TOP_JS)
    page.wait_for_timeout(200)
    problems = outside(page, header, {"epoch slider": slider, "landscape": page.locator(".vega-embed").first})
    assert problems == [], "; ".join(problems)
