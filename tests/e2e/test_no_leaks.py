"""Issue 19 (helper B) in a real browser: no answer on screen before its question, in both modes; experiments that
say they are experiments, with one click back; *Next* that walks Grad Lab's tabs; the two end-of-run losses named.

Every expected number is computed here from gradlab or torch, never pinned from a screenshot.
"""

from __future__ import annotations

import pytest
from browser_helpers import lettered_option, metric, open_page, settle, slider, slider_thumb_text

from gradlab.fmt import num, vec
from gradlab.lesson.divergence import warn
from gradlab.lesson.observations import loss_after
from gradlab.lesson.sentences import loss_after_updates, loss_at_epoch, trace_step
from gradlab.runs.stages import run_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from ui.lab import TABS

pytestmark = pytest.mark.e2e

CARD = RunConfig()
RUN = run_stages(CARD)
W_GRAD, B_GRAD = vec(RUN.w_grad), num(RUN.b_grad)
FAST = warn(train(CARD.with_(lr=0.05)))  # lr 0.05 is above the stable limit: the pages warn
assert FAST is not None and warn(train(CARD)) is None


def main_text(page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def goto(page, label: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=label, exact=True).click()
    settle(page)


def lock(page, choice: str | None = None, number: float | None = None) -> None:
    """Answer the open prediction and commit it."""
    main = page.get_by_test_id("stMain")
    if number is not None:
        box = page.get_by_label("Your prediction")
        box.fill(f"{number:g}")
        box.press("Enter")  # Enter in the form's number box submits it: the prediction is locked in
        settle(page)
        return
    main.get_by_test_id("stRadioOption").filter(has=page.get_by_text(lettered_option(choice))).last.click()
    main.get_by_role("button", name="Lock in my prediction").click()  # the pick travels with the form
    settle(page)


# --- §1: no answer before its question --------------------------------------------------------------


def test_home_keeps_data_flows_answers_until_they_are_predicted(page, app_url, expect):
    open_page(page, app_url, "/")
    expect(metric(page, "w.grad")).to_have_text("?")
    expect(metric(page, "b.grad")).to_have_text("?")
    expect(metric(page, "loss")).to_have_text(num(RUN.loss))
    text = main_text(page)
    assert W_GRAD not in text and "w1.grad ×" not in text and f"# {B_GRAD}" not in text
    goto(page, "Data Flow")
    lock(page, "None")
    lock(page, "both negative")
    lock(page, number=RUN.b_grad)
    goto(page, "Home")
    expect(metric(page, "w.grad")).to_have_text(W_GRAD)
    expect(metric(page, "b.grad")).to_have_text(B_GRAD)
    expect(page.get_by_text("A slope, not a step", exact=False)).to_be_visible()


def test_the_room_does_not_see_them_on_a_projected_home(page, app_url, expect):
    open_page(page, app_url, "/?present=1")
    expect(metric(page, "w.grad")).to_have_text("?")
    expect(metric(page, "b.grad")).to_have_text("?")
    assert W_GRAD not in main_text(page)


def test_the_teachers_own_scores_are_not_projected(page, app_url, expect):
    open_page(page, app_url, "/?present=1")
    for label in ("pages visited", "predictions right", "quiz, first try"):
        expect(metric(page, label)).not_to_be_visible()
    toggle = page.get_by_test_id("stMain").get_by_text("Your own progress (not shown to the room)")
    toggle.click()  # one click away
    settle(page)
    expect(metric(page, "predictions right")).to_be_visible()


def test_data_flows_intro_does_not_say_what_its_first_question_asks(page, app_url, expect):
    open_page(page, app_url, "/Data_Flow")
    intro = page.get_by_test_id("stMain").get_by_text("One forward and backward pass in five stages", exact=False)
    expect(intro).to_be_visible()
    assert "None" not in intro.inner_text()
    expect(page.get_by_text("Before any backward(), what is w.grad?", exact=False).first).to_be_visible()


def test_prediction_trace_does_not_ask_the_value_after_a_sign_of_zero(page, app_url, expect):
    open_page(page, app_url, "/Prediction_Trace")
    lock(page, "zero")  # wrong (the share is negative), and already a value: 0
    expect(page.get_by_label("Your prediction")).to_have_count(0)
    expect(page.get_by_role("heading", name=trace_step(4))).to_be_visible()
    expect(page.get_by_role("heading", name="Layer 4", exact=False)).to_have_count(0)


def test_training_trace_names_the_loss_before_and_after_the_last_update(page, app_url, expect):
    trace = train(CARD)
    open_page(page, app_url, "/Training_Trace")
    expect(metric(page, loss_at_epoch(5))).to_have_text(num(trace.end_loss))
    expect(metric(page, loss_after_updates(5))).to_have_text(num(loss_after(trace)))
    assert num(trace.end_loss) != num(loss_after(trace))


# --- §2: experiments, and Next through the lab ---------------------------------------------------------


def banner(page):
    return page.locator(".st-key-gl-experiment")


def test_an_experiment_is_visible_on_every_page_and_one_click_undoes_it(page, app_url, expect):
    open_page(page, app_url, "/Data_Flow?predict=0")
    expect(banner(page)).to_have_count(0)
    page.get_by_role("button", name="Set lr = 0.05").click()
    settle(page)
    expect(banner(page)).to_contain_text("Experiment from Data Flow: lr = 0.05 (the lesson's default is 0.01).")
    for label in ("Prediction Trace", "Training Trace", "Grad Lab", "Quiz", "Home"):
        goto(page, label)
        expect(banner(page)).to_contain_text("Experiment from Data Flow: lr = 0.05", timeout=5_000)
        if label == "Prediction Trace":  # the page that opened with a divergence box, unexplained
            expect(page.get_by_text(FAST.headline, exact=False).first).to_be_visible()
    banner(page).get_by_role("button", name="Back to lr 0.01").click()
    settle(page)
    expect(banner(page)).to_have_count(0)
    expect(slider_thumb_text(page, "Learning rate")).to_have_text("0.01")
    goto(page, "Prediction Trace")  # the experiment's divergence box went with it
    expect(page.get_by_text(FAST.headline, exact=False)).to_have_count(0)
    expect(banner(page)).to_have_count(0)


def test_changing_the_setting_by_hand_ends_the_experiment(page, app_url, expect):
    open_page(page, app_url, "/Data_Flow?predict=0")
    page.get_by_role("button", name="Set lr = 0.05").click()
    settle(page)
    expect(banner(page)).to_be_visible()
    slider(page, "Learning rate").focus()
    page.keyboard.press("ArrowRight")  # the learner's own value now
    settle(page)
    expect(banner(page)).to_have_count(0)
    goto(page, "Training Trace")
    expect(banner(page)).to_have_count(0)


def test_grad_labs_next_walks_every_tab_then_the_quiz(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab?predict=0")
    labels = list(TABS.values())
    for following in labels[1:]:
        page.get_by_role("button", name=f"Next: {following}").click()
        settle(page)
        tab = page.get_by_role("tab", name=following)
        expect(tab).to_have_attribute("aria-selected", "true")
        expect(tab).to_be_focused()  # the new tab's label, in view: its content starts right under it
        box = tab.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]
    expect(page.get_by_role("button", name="Next:", exact=False)).to_have_count(0)
    page.get_by_role("link", name="Next: Quiz", exact=False).click()
    settle(page)
    expect(page.get_by_role("heading", name="Quiz", exact=True)).to_be_visible()
