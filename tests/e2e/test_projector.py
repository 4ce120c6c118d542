"""Presentation mode on a projector: every page and Grad Lab tab at 1280×720 and 1920×1080 with `present=1`.

Nothing a teacher shows may be cut off or need a sideways scroll (tables, code, chart titles, the tab bar,
metrics, buttons, page links), chart and graph text must be large and dark, and a click in the lab shows its
`.grad` result without scrolling. Every *Reveal* is pressed and every expander opened first, so the whole page
is checked, not only what sits above the first vote.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_helpers import font_size_px, open_page, settle, wait_charts_drawn
from projector_checks import all_problems

pytestmark = pytest.mark.e2e

SIZES = {"1280x720": {"width": 1280, "height": 720}, "1920x1080": {"width": 1920, "height": 1080}}
PAGES = ["/", "/Data_Flow", "/Prediction_Trace", "/Training_Trace", "/Quiz"]
LAB_TABS = [
    "① .grad lifecycle", "② Step-through training", "③ Loss landscape", "④ Autograd graph",
    "⑤ Gradient check", "⑥ Pitfalls", "⑦ Your data", "⑧ Inside nn.Module",
]  # fmt: skip
BODY_PX = 24  # presentation body text is 1.6rem (≈ 26 px); chart and graph text may not be much smaller
# Switches that show more of a page: each one's content is checked too.
MORE = {"/Training_Trace": ["Compare autograd with the analytic gradient", "Show the loss landscape at this epoch"]}
LAB = "/Grad_Lab?present=1"


@pytest.fixture(scope="module", params=list(SIZES))
def projected(request, browser) -> Iterator:
    """One browser page per size, reused by every check at that size."""
    ctx = browser.new_context(viewport=SIZES[request.param])
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    yield page
    ctx.close()


def press_all(page, name: str) -> None:
    """Press every button called `name` in the main area (each press reruns the page), until none is left."""
    buttons = page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True)
    for _ in range(40):
        if buttons.count() == 0:
            return
        buttons.first.click()
        settle(page)
    raise AssertionError(f"'{name}' buttons kept appearing")


def open_expanders(page) -> None:
    """Open every closed expander in the main area."""
    closed = page.get_by_test_id("stMain").locator("[data-testid=stExpander] details:not([open]) > summary")
    for _ in range(20):
        if closed.count() == 0:
            return
        closed.first.click()
        settle(page)


def show_everything(page) -> None:
    """Reveal every answer and open every expander, so nothing is left unchecked behind a click."""
    press_all(page, "Reveal")
    press_all(page, "Reveal the answer")
    open_expanders(page)
    if page.locator(".vega-embed").count():
        wait_charts_drawn(page)


def assert_fits(page, where: str) -> None:
    problems = all_problems(page, BODY_PX)
    assert problems == [], f"{where} at {page.viewport_size}: " + "; ".join(problems)


def main_scrolled(page) -> int:
    return page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop")


def assert_in_view(page, labels: tuple[str, ...]) -> None:
    """Each metric's value lies inside the window, and nothing was scrolled to get it there."""
    assert main_scrolled(page) == 0, "the page had to scroll"
    height = page.viewport_size["height"]
    for label in labels:
        value = (
            page.get_by_test_id("stMetric")
            .filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
            .get_by_test_id("stMetricValue")
        )
        box = value.bounding_box()
        assert box is not None, f"no {label} metric"
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"{label} at y={box['y']:.0f}, window {height}"


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_the_projector(projected, app_url, path):
    open_page(projected, app_url, path + "?present=1")
    show_everything(projected)
    for switch in MORE.get(path, []):
        projected.get_by_test_id("stMain").get_by_text(switch).click()
        settle(projected)
    if path in MORE:
        wait_charts_drawn(projected, min_count=4)
    assert_fits(projected, path)


@pytest.mark.parametrize("tab", LAB_TABS)
def test_lab_tab_fits_the_projector(projected, app_url, tab):
    if "/Grad_Lab" not in projected.url:
        open_page(projected, app_url, LAB)
    projected.get_by_role("tab", name=tab).click()
    settle(projected)
    show_everything(projected)
    assert_fits(projected, f"Grad Lab {tab}")


def test_lifecycle_result_in_view_after_each_click(projected, app_url):
    open_page(projected, app_url, LAB)
    projected.get_by_role("tab", name=LAB_TABS[0]).click()
    settle(projected)
    label = projected.get_by_role("button", name="backward()", exact=True).locator("p")
    assert font_size_px(label) >= 20  # presentation type, not the 16 px default
    for action in ("forward + loss", "backward()", "forward + backward() again", "grad.zero_()"):
        projected.get_by_role("button", name=action, exact=True).click()
        settle(projected)
        reveal = projected.get_by_test_id("stMain").get_by_role("button", name="Reveal", exact=True)
        assert projected.get_by_text("Ask the room").first.is_visible()
        box = reveal.bounding_box()
        assert box is not None and box["y"] + box["height"] <= projected.viewport_size["height"], "Reveal off-screen"
        reveal.click()
        settle(projected)
        assert_in_view(projected, ("w.grad", "b.grad"))
    assert_fits(projected, "Grad Lab ① after four clicks")


def test_stepper_grads_in_view_after_a_step(projected, app_url):
    open_page(projected, app_url, LAB)
    projected.get_by_role("tab", name=LAB_TABS[1]).click()
    settle(projected)
    for _ in range(2):
        projected.get_by_role("button", name="Step one epoch").click()
        settle(projected)
        assert_in_view(projected, ("w.grad now", "b.grad now"))
    assert_fits(projected, "Grad Lab ② after two epochs")


# --- issue 19 §5 (helper B): what a teacher moves and what it changes, on one screen; key numbers emphasised ---


def header_bottom(page) -> float:
    box = page.get_by_test_id("stHeader").bounding_box()
    return 0.0 if box is None else box["y"] + box["height"]


def assert_on_one_screen(page, parts: dict[str, object]) -> None:
    """Scroll the main area so that the first of `parts` sits under the header; then each lies inside the window."""
    for part in parts.values():
        part.scroll_into_view_if_needed()
    boxes = {name: part.bounding_box() for name, part in parts.items()}
    assert all(boxes.values()), boxes
    top = min(b["y"] for b in boxes.values())
    page.evaluate("(dy) => document.querySelector('[data-testid=stMain]').scrollBy(0, dy)", top - header_bottom(page))
    page.wait_for_timeout(100)
    visible = (header_bottom(page), page.viewport_size["height"])
    for name, part in parts.items():
        box = part.bounding_box()
        assert box["y"] >= visible[0] - 1 and box["y"] + box["height"] <= visible[1] + 1, (
            f"{name} at y={box['y']:.0f}–{box['y'] + box['height']:.0f}, the window shows {visible[0]:.0f}–{visible[1]}"
        )


def test_the_nudge_slider_and_its_chart_are_on_screen_together(projected, app_url):
    open_page(projected, app_url, "/Data_Flow?present=1&predict=0")
    section = projected.locator(".st-key-nudge_section")
    wait_charts_drawn(projected)
    assert_on_one_screen(
        projected,
        {"the Δ slider": section.get_by_test_id("stSlider"), "its chart": section.locator(".vega-embed").first},
    )


@pytest.mark.parametrize("query", ["", "&lr=0.05"], ids=["card", "diverging"])
def test_training_traces_numbers_and_loss_chart_are_on_screen_together(projected, app_url, query):
    open_page(projected, app_url, "/Training_Trace?present=1" + query)
    wait_charts_drawn(projected, min_count=3)
    values = projected.get_by_test_id("stMain").get_by_test_id("stMetric")
    assert values.count() >= 4
    assert_on_one_screen(
        projected,
        {
            "the first headline number": values.first,
            "the last headline number": values.last,
            "the loss chart": projected.get_by_test_id("stMain").locator(".vega-embed").first,
        },
    )


@pytest.mark.parametrize("path", ["/", "/Training_Trace"])
def test_key_numbers_are_clearly_larger_than_body_text(projected, app_url, path):
    open_page(projected, app_url, path + "?present=1&predict=0")
    body = font_size_px(projected.get_by_test_id("stMain").locator("[data-testid=stMarkdownContainer] p").first)
    values = projected.get_by_test_id("stMain").get_by_test_id("stMetricValue")
    assert values.count() >= 3
    for i in range(values.count()):
        if values.nth(i).is_visible():
            size = font_size_px(values.nth(i).locator("p").first)
            assert size >= 1.35 * body, f"metric value at {size:.1f} px beside {body:.1f} px body text"
