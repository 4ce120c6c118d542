"""Every page loads in a real browser without an exception, draws its charts, and is photographed."""

from __future__ import annotations

import pytest
from browser_helpers import open_page, wait_charts_drawn

pytestmark = pytest.mark.e2e

PRESENT_VIEWPORT = {"width": 1920, "height": 1080}

# (path, screenshot name, title, charts to check)
PAGES = [
    pytest.param("/", "home", "GradLab: PyTorch's .grad, live", (), id="home"),
    pytest.param("/Data_Flow?predict=0", "data_flow", "Data Flow", ("graphviz",), id="data-flow"),
    pytest.param("/Training_Trace", "training_trace", "Training Trace", ("vega",), id="training-trace"),
    pytest.param("/Prediction_Trace", "prediction_trace", "Prediction Trace", (), id="prediction-trace"),
    pytest.param("/Grad_Lab", "grad_lab", "Grad Lab", ("lab-tabs",), id="grad-lab"),
    pytest.param("/Quiz", "quiz", "Quiz", (), id="quiz"),
]


def assert_healthy(page, expect, page_errors, title):
    """The page shows its title, no Python exception and no uncaught JavaScript error."""
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text(title)
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, f"exception on the page: {exceptions.first.inner_text()[:500]}"
    assert page_errors == [], f"uncaught JavaScript errors: {page_errors}"


def assert_graphviz_drawn(page, expect):
    """At least one visible graphviz chart is an svg with a real size and some nodes."""
    svg = page.get_by_test_id("stGraphVizChart").locator("svg").first
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] > 100
    assert svg.locator("g.node").count() >= 3
    # The same graph in words for screen readers: in the page, but not drawn.
    words = page.locator(".gl-sr-only").filter(has_text="Backward graph, from the loss to the leaves")
    expect(words).to_have_count(1)
    assert "MeanBackward0" in words.inner_text() and "AccumulateGrad" in words.inner_text()
    hidden = words.bounding_box()
    assert hidden is not None and hidden["width"] <= 1 and hidden["height"] <= 1


@pytest.mark.parametrize(("path", "name", "title", "charts"), PAGES)
def test_page_loads_and_draws(
    page, page_errors, page_requests, expect, screenshot_dir, app_url, path, name, title, charts
):
    open_page(page, app_url, path)
    assert_healthy(page, expect, page_errors, title)
    if "vega" in charts:
        wait_charts_drawn(page, min_count=3)  # loss, parameters, gradients (+ the landscape)
    if "graphviz" in charts:
        assert_graphviz_drawn(page, expect)
    page.screenshot(path=str(screenshot_dir / f"{name}.png"))
    # Nothing leaves the app's own server: no CDN, no font service, no favicon service.
    outside = [u for u in page_requests if not u.startswith((app_url, "data:", "blob:", "about:"))]
    assert outside == [], f"requests beyond the app: {outside[:5]}"

    if "lab-tabs" in charts:
        page.get_by_role("tab", name="② Step-through training").click()
        page.get_by_role("button", name="Step one epoch").click()  # the charts show what has run
        wait_charts_drawn(page, min_count=2)
        page.get_by_role("tab", name="④ Autograd graph").click()
        assert_graphviz_drawn(page, expect)
        assert page_errors == [], f"uncaught JavaScript errors: {page_errors}"

    page.set_viewport_size(PRESENT_VIEWPORT)
    sep = "&" if "?" in path else "?"
    open_page(page, app_url, f"{path}{sep}present=1")
    assert_healthy(page, expect, page_errors, title)
    expect(page.get_by_test_id("stSidebar").get_by_role("switch", name="Presentation mode")).to_be_checked()
    if "vega" in charts:
        wait_charts_drawn(page, min_count=3)
    page.screenshot(path=str(screenshot_dir / f"{name}-present.png"))
