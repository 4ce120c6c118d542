"""Training Trace and Quiz with `model=net` in a real browser (issue 21): at 1400×900, and on a projector at
1280×720 with `present=1`. No exception box, no sideways scroll, the network's key elements visible; on the
projector, nothing cut off and chart text large and dark (the checks of test_projector.py)."""

from __future__ import annotations

import pytest
from browser_helpers import open_page, settle, wait_charts_drawn
from projector_checks import all_problems, clipped

pytestmark = pytest.mark.e2e

BODY_PX = 24  # as test_projector.py: presentation chart text may not be much smaller than body text
SIZES = {
    "normal": ({"width": 1400, "height": 900}, ""),
    "present": ({"width": 1280, "height": 720}, "&present=1"),
}
CHECK = "Compare autograd with float64 autograd, finite differences and gradcheck"
SCAN = "Find a learning rate that saturates the hidden units"


@pytest.fixture(params=list(SIZES))
def sized(request, new_context, page_errors):
    viewport, extra = SIZES[request.param]
    page = new_context(viewport=viewport).new_page()
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    return page, extra, request.param == "present"


def healthy(page, expect, page_errors, title: str) -> None:
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text(title)
    boxes = page.get_by_test_id("stException")
    assert boxes.count() == 0, boxes.first.inner_text()[:500]
    assert page_errors == [], page_errors
    sideways = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return [document.documentElement.scrollWidth - innerWidth, m.scrollWidth - m.clientWidth]; }"
    )
    assert max(sideways) <= 1, f"the page scrolls sideways by {sideways} px"


def switch_on(page, label: str) -> None:
    page.get_by_test_id("stMain").get_by_text(label).first.click()
    settle(page, 60_000)


def test_training_trace_with_the_network(sized, expect, page_errors, app_url, screenshot_dir):
    page, extra, present = sized
    open_page(page, app_url, f"/Training_Trace?model=net{extra}")
    healthy(page, expect, page_errors, "Training Trace")
    wait_charts_drawn(page, min_count=3)  # the loss, each parameter's ‖.grad‖, the hidden units' 1 − h²
    main = page.get_by_test_id("stMain")
    for text in ("start loss", "loss after 5 updates", "What the numbers say", "Epoch by epoch"):
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    expect(main.get_by_text("2/λmax", exact=False).first).to_be_visible()
    for title in ("Gradient norm", "Mean of 1 − h²"):  # a projector's title may wrap over lines
        assert main.locator(".vega-embed svg").filter(has_text=title).count() == 1, title
    switch_on(page, CHECK)
    expect(main.get_by_text("hidden.weight.grad[2, 1]").first).to_be_visible()
    switch_on(page, SCAN)
    expect(main.get_by_text("saturates (from epoch", exact=False).first).to_be_visible()
    healthy(page, expect, page_errors, "Training Trace")
    assert (all_problems(page, BODY_PX) if present else clipped(page)) == []
    page.screenshot(path=str(screenshot_dir / f"net_training_trace_{'present' if present else 'normal'}.png"))


def test_quiz_with_the_network(sized, expect, page_errors, app_url, screenshot_dir):
    page, extra, present = sized
    open_page(page, app_url, f"/Quiz?model=net{extra}")
    healthy(page, expect, page_errors, "Quiz")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("which names does model.named_parameters() give?", exact=False).first).to_be_visible()
    expect(main.get_by_text("what is model.out.bias after one update", exact=False).first).to_be_visible()
    if present:
        expect(main.get_by_role("button", name="Reveal the answer").first).to_be_visible()
        assert all_problems(page, BODY_PX) == []
    else:
        assert clipped(page) == []
    page.screenshot(path=str(screenshot_dir / f"net_quiz_{'present' if present else 'normal'}.png"))
