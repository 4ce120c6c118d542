"""Committing an answer in a real browser (issue 19 §4): one click (or Enter) locks in a typed prediction, and a
click on a quiz option is not an answer until *Check*.

On main before this change, typing -6.5 into Data Flow's b.grad box and clicking *Lock in* only committed the
number: the button had been drawn disabled, so the click was lost and a second one was needed. And a quiz option
counted the moment it was clicked, so a mis-click was a permanent wrong first try.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import metric, open_page, settle

from gradlab.runs.stages import run_stages
from gradlab.settings.config import RunConfig
from tests.quizruns import fresh_quiz

pytestmark = pytest.mark.e2e

CARD = RunConfig()


def _choose(page, label: str) -> None:
    page.get_by_test_id("stMain").get_by_test_id("stRadioOption").filter(
        has=page.get_by_text(re.compile(rf"^(?:[A-H] · )?{re.escape(label)}$"))
    ).last.click()


def _to_the_b_grad_question(page, app_url: str) -> None:
    open_page(page, app_url, "/Data_Flow")
    lock = page.get_by_role("button", name="Lock in my prediction")
    _choose(page, "None")
    lock.click()
    settle(page)
    _choose(page, "both negative")
    lock.click()
    settle(page)


@pytest.mark.parametrize("how", ["click", "enter"])
def test_a_typed_prediction_locks_in_with_one_click_or_enter(page, app_url, expect, how):
    b_grad = run_stages(CARD).b_grad
    _to_the_b_grad_question(page, app_url)
    box = page.get_by_label("Your prediction")
    box.fill("-6.5")  # typed, not yet committed: no blur, no Enter
    if how == "click":
        page.get_by_role("button", name="Lock in my prediction").click()  # one click, nothing before it
    else:
        box.press("Enter")
    settle(page)
    verdict = page.get_by_test_id("stAlert").filter(has_text="You predicted:").last
    expect(verdict).to_contain_text("You predicted: -6.5")
    expect(verdict).to_contain_text(f"PyTorch: {b_grad:g}")
    expect(page.get_by_role("heading", name=re.compile("^5\\. Backward"))).to_be_visible()


def test_lock_in_with_nothing_picked_says_so_and_keeps_asking(page, app_url, expect):
    open_page(page, app_url, "/Data_Flow")
    page.get_by_role("button", name="Lock in my prediction").click()
    settle(page)
    expect(page.get_by_text("Pick an answer (or type a number) first", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^2\\. Model"))).to_have_count(0)


def test_a_quiz_option_clicked_by_mistake_is_not_a_first_try(page, app_url, expect):
    q = {q.qid: q for q in fresh_quiz(CARD)}["card"]
    wrong = next(o for o in q.options if o != q.right)
    open_page(page, app_url, "/Quiz")
    card = page.locator(".st-key-quiz-q-card")
    option = card.get_by_test_id("stRadioOption")
    option.filter(has=page.get_by_text(re.compile(rf"^(?:[A-H] · )?{re.escape(wrong)}$"))).click()  # a mis-click
    settle(page)
    expect(card.get_by_text("Not quite", exact=False)).to_have_count(0)
    option.filter(has=page.get_by_text(re.compile(rf"^(?:[A-H] · )?{re.escape(q.right)}$"))).click()
    card.get_by_role("button", name="Check", exact=True).click()
    settle(page)
    expect(card.get_by_text("Correct on the first try", exact=False)).to_be_visible()
    assert metric(page, "first try").inner_text().strip().startswith("1 /")
