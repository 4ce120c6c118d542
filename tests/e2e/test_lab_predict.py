"""Grad Lab with *Predict first* on, in a real browser (issue 19 §1): a pitfall's outcome waits for the prediction
(the room's *Reveal* when projected), and the step-through's landscape does not show where the step landed while
"up or down?" is asked."""

from __future__ import annotations

import pytest
from browser_helpers import lettered_option, open_page, settle, wait_charts_drawn

from gradlab.lesson.pitfall_prompts import BEHAVIOUR_WORDS
from gradlab.probes.pitfalls import run_pitfall
from gradlab.settings.config import RunConfig

pytestmark = pytest.mark.e2e

TWICE = run_pitfall("backward_twice", RunConfig())
SAID = "Trying to backward through the graph a second time"  # PyTorch's words, shown only after the prediction
# The landscape's update arrow: a rule and a triangle in the arrow's red.
_RED_MARKS_JS = """
() => [...document.querySelectorAll('[data-testid="stMain"] .vega-embed svg [stroke="#ff4b4b"], '
  + '[data-testid="stMain"] .vega-embed svg [fill="#ff4b4b"]')].length
"""


def open_pitfall(page, app_url: str, query: str = ""):
    open_page(page, app_url, "/Grad_Lab" + query)
    page.get_by_role("tab", name="⑥ Pitfalls").click()
    settle(page)
    box = page.get_by_test_id("stExpander").filter(has=page.get_by_text(TWICE.title, exact=True))
    box.locator("summary").click()
    settle(page)
    return box


def test_a_pitfall_asks_first_and_then_shows_pytorchs_outcome_beside_the_guess(page, app_url, expect):
    box = open_pitfall(page, app_url)
    expect(box.get_by_text("def backward_twice")).to_be_visible()  # the mistake is the question
    assert page.get_by_text(SAID).count() == 0  # nowhere on the page yet
    lock = box.get_by_role("button", name="Lock in my prediction")
    lock.click()  # Lock in is never disabled: with nothing picked it says what is missing, and reveals nothing
    settle(page)
    expect(box.get_by_text("Pick an answer")).to_be_visible()
    assert page.get_by_text(SAID).count() == 0
    box.get_by_text(lettered_option(BEHAVIOUR_WORDS["silent"])).click()  # one click in the form: no rerun yet
    box.get_by_role("button", name="Lock in my prediction").click()
    settle(page)
    expect(box.get_by_text(SAID)).to_be_visible()
    verdict = box.get_by_test_id("stAlertContentWarning")
    expect(verdict).to_contain_text(f"You predicted: {BEHAVIOUR_WORDS['silent']}")
    expect(verdict).to_contain_text(f"PyTorch: {BEHAVIOUR_WORDS['error']}")


def test_a_projected_pitfall_asks_the_room_and_waits_for_reveal(new_context, app_url, expect):
    page = new_context(viewport={"width": 1280, "height": 720}).new_page()
    box = open_pitfall(page, app_url, "?present=1")
    expect(box.get_by_text("Ask the room")).to_be_visible()
    for label in BEHAVIOUR_WORDS.values():
        expect(box.get_by_text(label)).to_be_visible()
    assert page.get_by_text(SAID).count() == 0
    box.get_by_role("button", name="Reveal").click()
    settle(page)
    expect(box.get_by_text(SAID)).to_be_visible()


def test_the_step_through_landscape_keeps_the_landing_point_until_the_guess_is_final(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab")
    page.get_by_role("tab", name="② Step-through training").click()
    settle(page)
    page.get_by_role("button", name="Step one epoch").click()  # epoch 1; epoch 2's direction is asked now
    settle(page)
    wait_charts_drawn(page, min_count=2)  # the loss so far and the landscape
    expect(page.get_by_text("Epoch 2: will the loss go up or down")).to_be_visible()
    assert page.evaluate(_RED_MARKS_JS) == 0, "the update arrow shows where the step landed"
    page.get_by_role("radiogroup", name="Predict first: Epoch 2").get_by_text(lettered_option("down")).click()
    settle(page)
    assert page.evaluate(_RED_MARKS_JS) == 0  # the pick can still change
    page.get_by_role("button", name="Next sub-step").click()
    settle(page)
    wait_charts_drawn(page, min_count=2)
    assert page.evaluate(_RED_MARKS_JS) >= 2  # once the guess is final: the rule and its head
