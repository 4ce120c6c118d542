"""Home, Data Flow and Prediction Trace with the network (`model=net`) in Chromium: at 1400×900, and projected at
1280×720 with present=1: no exception box, nothing cut off or scrolling sideways, the key elements visible."""

from __future__ import annotations

import pytest
from browser_helpers import open_page, settle
from projector_checks import clipped

from gradlab.fmt import num
from gradlab.runs.net_stages import run_net_stages
from gradlab.settings.config import RunConfig

pytestmark = pytest.mark.e2e

NORMAL = {"width": 1400, "height": 900}
PROJECTOR = {"width": 1280, "height": 720}
RUN = run_net_stages(RunConfig(model="net"))

# (path, title, headings that must be visible, text that must be on the page)
PAGES = [
    pytest.param(
        "/?model=net",
        "GradLab: PyTorch's .grad, live",
        ("The worked example, live: the network",),
        (num(RUN.loss),),
        id="home",
    ),
    pytest.param(
        "/Data_Flow?model=net&predict=0",
        "Data Flow",
        ("5. Backward pass", "Each parameter's .grad, shaped like its parameter", "h.grad: a hidden activation"),
        (num(RUN.loss), num(RUN.grads["out.bias"][0]), "TanhBackward0", "is being accessed"),
        id="data-flow",
    ),
    pytest.param(
        "/Prediction_Trace?model=net&predict=0",
        "Prediction Trace",
        ("2. Hidden layer", "3. Activation", "7. Every sample's share adds up to .grad"),
        (num(RUN.grads["out.bias"][0]),),
        id="prediction-trace",
    ),
]


def _healthy(page, expect, page_errors, title: str) -> None:
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text(title)
    boxes = page.get_by_test_id("stException")
    assert boxes.count() == 0, f"exception on the page: {boxes.first.inner_text()[:500]}"
    assert page_errors == [], f"uncaught JavaScript errors: {page_errors}"


def _shows(page, expect, headings: tuple[str, ...], texts: tuple[str, ...]) -> None:
    main = page.get_by_test_id("stMain")
    for h in headings:
        heading = main.locator("h2").filter(has_text=h).first
        heading.scroll_into_view_if_needed()
        expect(heading).to_be_visible()
    body = main.inner_text()
    for t in texts:
        assert t in body, f"{t!r} is not on the page"


@pytest.mark.parametrize(("path", "title", "headings", "texts"), PAGES)
def test_net_page_at_both_sizes(
    new_context, page_errors, expect, screenshot_dir, app_url, path, title, headings, texts
):
    for size, query, name in ((NORMAL, "", "normal"), (PROJECTOR, "&present=1", "present")):
        page = new_context(viewport=size).new_page()
        page.on("pageerror", lambda err: page_errors.append(str(err)))
        open_page(page, app_url, path + query)
        _healthy(page, expect, page_errors, title)
        _shows(page, expect, headings, texts)
        assert clipped(page) == []
        slug = path.strip("/").split("?")[0].lower() or "home"
        page.screenshot(path=str(screenshot_dir / f"net-{slug}-{name}.png"))
        page.close()


def test_net_data_flow_draws_the_networks_graph(page, expect, app_url):
    open_page(page, app_url, "/Data_Flow?model=net&predict=0")
    svg = page.get_by_test_id("stGraphVizChart").locator("svg").first
    svg.scroll_into_view_if_needed()
    expect(svg).to_be_visible()
    words = page.locator(".gl-sr-only").filter(has_text="Backward graph").inner_text()
    assert "TanhBackward0" in words and "AccumulateGrad" in words


def test_net_data_flow_asks_before_it_shows_backward(page, expect, app_url):
    open_page(page, app_url, "/Data_Flow?model=net")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Right after loss.backward(), what is h.grad?").first).to_be_visible()
    assert main.locator("h2").filter(has_text="3. Forward pass").count() == 0
    assert num(RUN.grads["out.bias"][0]) not in main.inner_text()
    main.get_by_text("A · None").click()
    main.get_by_role("button", name="Lock in my prediction").click()
    settle(page)
    expect(main.locator("h2").filter(has_text="4. Loss calculation")).to_be_visible()
    assert main.locator("h2").filter(has_text="5. Backward pass").count() == 0
    assert clipped(page) == []
