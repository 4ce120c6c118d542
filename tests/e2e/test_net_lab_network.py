"""Grad Lab ⑧ Inside nn.Module in Chromium, with `model=net`: at 1400×900 a learner locks in a prediction and
sees PyTorch's outcome; at 1280×720 with `present=1` every *Reveal* is pressed and every expander opened, and
nothing is cut off, scrolls sideways or is too small or faint to read. No exception box at either size."""

from __future__ import annotations

import pytest
from browser_helpers import open_page, settle
from projector_checks import all_problems

from gradlab.lesson.net_experiment_prompts import FREEZE_OPTIONS
from ui.lab import TABS
from ui.lab.network import EXPERIMENTS

pytestmark = pytest.mark.e2e

TAB = TABS["network"]
BODY_PX = 24  # presentation body text (as tests/e2e/test_projector.py)
_SIDEWAYS_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return [main.scrollWidth - main.clientWidth, document.documentElement.scrollWidth - window.innerWidth];
}
"""


def opened(new_context, app_url: str, size: dict[str, int], query: str):
    page = new_context(viewport=size).new_page()
    page.set_default_timeout(30_000)
    open_page(page, app_url, f"/Grad_Lab?{query}")
    page.get_by_role("tab", name=TAB).click()
    settle(page)
    return page


def open_expanders(page) -> None:
    closed = page.get_by_test_id("stMain").locator("[data-testid=stExpander] details:not([open]) > summary")
    for _ in range(len(EXPERIMENTS) + 1):
        if closed.count() == 0:
            return
        closed.first.click()
        settle(page)


def press_all(page, name: str) -> None:
    buttons = page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True)
    for _ in range(20):
        if buttons.count() == 0:
            return
        buttons.first.click()
        settle(page)
    raise AssertionError(f"'{name}' buttons kept appearing")


def no_sideways_scroll(page) -> None:
    main, doc = page.evaluate(_SIDEWAYS_JS)
    assert main <= 1 and doc <= 1, f"sideways scroll: main {main} px, page {doc} px"


def test_a_learner_predicts_then_sees_the_frozen_layer_at_1400x900(new_context, app_url):
    page = opened(new_context, app_url, {"width": 1400, "height": 900}, "model=net")
    main = page.get_by_test_id("stMain")
    assert page.get_by_test_id("stException").count() == 0
    for title in EXPERIMENTS.values():
        assert main.locator("summary").get_by_text(title, exact=True).is_visible(), title
    box = main.get_by_test_id("stExpander").filter(has_text=EXPERIMENTS["freeze"])
    box.locator("summary").click()
    settle(page)
    assert box.get_by_test_id("stTable").count() == 0  # the outcome waits for the prediction
    box.get_by_text(FREEZE_OPTIONS["None_still"]).click()
    box.get_by_role("button", name="Lock in my prediction").click()
    settle(page)
    table = box.get_by_test_id("stTable")
    table.scroll_into_view_if_needed()
    assert table.is_visible() and "requires_grad" in table.inner_text()
    assert box.get_by_text("You predicted:").is_visible()
    open_expanders(page)
    no_sideways_scroll(page)
    assert page.get_by_test_id("stException").count() == 0


def test_on_a_projector_every_reveal_and_expander_reads_whole(new_context, app_url):
    page = opened(new_context, app_url, {"width": 1280, "height": 720}, "model=net&present=1")
    assert page.get_by_test_id("stException").count() == 0
    open_expanders(page)
    press_all(page, "Reveal")
    open_expanders(page)
    tables = page.get_by_test_id("stMain").get_by_test_id("stTable")
    assert tables.count() >= len(EXPERIMENTS)  # every outcome revealed (accumulation: both cases)
    no_sideways_scroll(page)
    assert all_problems(page, BODY_PX) == []
    assert page.get_by_test_id("stException").count() == 0
