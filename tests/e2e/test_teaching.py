"""Teaching in a real browser: the quiz keeps answers and scores first tries; each page asks before it reveals.

Every expected number is computed here from gradlab or torch, never pinned from a screenshot.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import lettered_option, metric, open_page, settle

from gradlab.fmt import num, vec
from gradlab.lesson.sentences import trace_step
from gradlab.probes.sample import trace_sample
from gradlab.runs.stages import run_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from tests.quizruns import fresh_quiz

pytestmark = pytest.mark.e2e

CARD = RunConfig()


def option(page, qid: str, answer: str):
    """The radio option `answer` of quiz question `qid` (its card is the container keyed quiz-q-<qid>), shown
    with its letter: "B · answer"."""
    return (
        page.locator(f".st-key-quiz-q-{qid}")
        .get_by_test_id("stRadioOption")
        .filter(has=page.get_by_text(re.compile(rf"^[A-H] · {re.escape(answer)}$")))
    )


def pick(page, qid: str, answer: str) -> None:
    """Pick `answer` and press the question's *Check* (only then does it count)."""
    option(page, qid, answer).click()
    page.locator(f".st-key-quiz-q-{qid}").get_by_role("button", name="Check", exact=True).click()
    settle(page)


def checked(page, qid: str, answers: tuple[str, ...]) -> str | None:
    """The option of question `qid` that is selected, or None."""
    on = [a for a in answers if option(page, qid, a).locator("input").is_checked()]
    return on[0] if on else None


def goto(page, label: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=label, exact=True).click()
    settle(page)


def scores(page) -> tuple[str, str]:
    return metric(page, "first try").inner_text().strip(), metric(page, "now").inner_text().strip()


def test_quiz_keeps_answers_across_pages_scores_first_tries_and_resets(page, app_url, expect):
    quiz = {q.qid: q for q in fresh_quiz(CARD)}
    total = len(quiz)
    card, b_grad, none_before = quiz["card"], quiz["data_b_grad"], quiz["none_before"]
    open_page(page, app_url, "/Quiz")
    wrong = next(o for o in card.options if o != card.right)
    pick(page, "card", wrong)
    expect(page.get_by_text("Not quite", exact=False).first).to_be_visible()
    pick(page, "card", card.right)  # wrong, then right: 0 for this question on first try
    pick(page, "data_b_grad", b_grad.right)
    pick(page, "none_before", none_before.right)
    assert scores(page) == (f"2 / {total}", f"3 / {total}")

    goto(page, "Data Flow")
    goto(page, "Grad Lab")
    goto(page, "Quiz")
    assert scores(page) == (f"2 / {total}", f"3 / {total}")
    for q in (card, b_grad, none_before):
        assert checked(page, q.qid, q.options) == q.right

    page.reload()
    settle(page)
    assert scores(page) == (f"2 / {total}", f"3 / {total}")  # a reload keeps the session's answers

    page.get_by_role("button", name="Reset the quiz").click()
    settle(page)
    assert scores(page) == (f"0 / {total}", f"0 / {total}")
    assert checked(page, "card", card.options) is None and checked(page, "data_b_grad", b_grad.options) is None
    pick(page, "data_b_grad", b_grad.right)  # the same option again counts again
    assert scores(page)[0] == f"1 / {total}"


def test_quiz_radio_groups_have_plain_names(page, app_url):
    open_page(page, app_url, "/Quiz")
    names = (
        page.get_by_test_id("stMain")
        .get_by_role("radiogroup")
        .evaluate_all("(gs) => gs.map((g) => g.getAttribute('aria-label') || '')")
    )
    assert len(names) == len(fresh_quiz(CARD))
    for name in names:
        assert name and not any(mark in name for mark in ("**", "`", ":red-badge", ":blue-badge")), name


def test_presentation_mode_hides_the_answer_until_reveal(page, app_url, expect):
    q = {q.qid: q for q in fresh_quiz(CARD)}["data_b_grad"]
    open_page(page, app_url, "/Quiz?present=1")
    pick(page, q.qid, next(o for o in q.options if o != q.right))
    box = page.locator(f".st-key-quiz-q-{q.qid}")
    expect(box.get_by_text("Not quite")).to_have_count(0)
    expect(box.get_by_text(f"Answer: {q.right}.")).to_have_count(0)
    box.get_by_role("button", name="Reveal the answer").click()
    settle(page)
    expect(box.get_by_text(f"Answer: {q.right}.", exact=False)).to_be_visible()


def lock(page, choice: str | None = None, number: float | None = None) -> None:
    """Answer the open prediction on the page and commit it."""
    if number is not None:
        page.get_by_label("Your prediction").fill(f"{number:g}")
    else:
        main = page.get_by_test_id("stMain")
        main.get_by_test_id("stRadioOption").filter(
            has=page.get_by_text(re.compile(rf"^[A-H] · {re.escape(choice)}$"))
        ).last.click()
    page.get_by_role("button", name="Lock in my prediction").click()  # one click commits what the form holds
    settle(page)


def choose(page, label: str) -> None:
    """Pick the main area's radio option labelled `label`."""
    page.get_by_test_id("stMain").get_by_test_id("stRadioOption").filter(
        has=page.get_by_text(lettered_option(label))
    ).last.click()


def verdict(page):
    """The newest "You predicted … PyTorch …" message."""
    return page.get_by_test_id("stAlert").filter(has_text="You predicted:").last


def test_data_flow_right_then_wrong_predictions_each_show_pytorchs_value(page, app_url, expect, new_context):
    run = run_stages(CARD)
    open_page(page, app_url, "/Data_Flow")
    expect(page.get_by_role("heading", name="2. Model initialisation")).to_have_count(0)
    lock(page, "None")  # right
    expect(verdict(page)).to_contain_text("PyTorch: None")
    expect(page.get_by_role("heading", name="2. Model initialisation")).to_be_visible()
    lock(page, "both positive")  # wrong: both entries of w.grad are negative
    expect(verdict(page)).to_contain_text("PyTorch: both negative")
    expect(verdict(page)).to_contain_text(vec(run.w_grad))
    lock(page, number=run.b_grad)
    expect(verdict(page)).to_contain_text(f"PyTorch: {num(run.b_grad)}")
    expect(page.get_by_role("heading", name="5. Backward pass")).to_be_visible()

    page.reload()  # a new Streamlit session: the browser's cookie brings the predictions back
    settle(page)
    expect(page.get_by_role("heading", name="5. Backward pass")).to_be_visible()
    expect(page.get_by_test_id("stAlert").filter(has_text="You predicted:")).to_have_count(3)
    other = open_page(new_context().new_page(), app_url, "/Data_Flow")  # another browser shares nothing
    expect(other.get_by_role("heading", name="2. Model initialisation")).to_have_count(0)


def test_prediction_trace_sign_then_value(page, app_url, expect):
    s = trace_sample(train(CARD), epoch=1, row=0)
    open_page(page, app_url, "/Prediction_Trace")
    lock(page, "positive")  # wrong: this sample pulls w1 down
    expect(verdict(page)).to_contain_text("PyTorch: negative.")
    expect(verdict(page)).not_to_contain_text(num(s.contrib_w[0]))  # the value is the next question
    lock(page, number=s.contrib_w[0])  # right
    expect(verdict(page)).to_contain_text(f"PyTorch: {num(s.contrib_w[0])}")
    expect(page.get_by_role("heading", name=trace_step(4))).to_be_visible()


def test_grad_lab_lifecycle_predictions_before_each_click(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab")
    forward = page.get_by_role("button", name="forward + loss", exact=True)
    expect(forward).to_be_disabled()
    choose(page, "unchanged")
    settle(page)
    forward.click()
    settle(page)
    expect(verdict(page)).to_contain_text("PyTorch: unchanged: still None")  # None before and after
    choose(page, "this loss's gradient (newly created)")
    settle(page)
    page.get_by_role("button", name="backward()", exact=True).click()
    settle(page)
    expect(verdict(page)).to_contain_text("PyTorch: this loss's gradient (newly created)")
    expect(metric(page, "w.grad")).to_have_text(vec(run_stages(CARD).w_grad))
    choose(page, "this loss's gradient (newly created)")  # wrong
    settle(page)
    page.get_by_role("button", name="forward + backward() again", exact=True).click()
    settle(page)
    expect(verdict(page)).to_contain_text("PyTorch: the old .grad plus this loss's gradient")
    expect(metric(page, "w.grad")).to_have_text(vec([2 * g for g in run_stages(CARD).w_grad]))


def test_step_through_up_or_down(page, app_url, expect):
    trace = train(CARD.with_(lr=0.05))
    open_page(page, app_url, "/Grad_Lab?lr=0.05")
    page.get_by_role("tab", name="② Step-through training").click()
    settle(page)
    page.get_by_role("button", name="Step one epoch").click()
    settle(page)
    step = page.get_by_role("button", name="Step one epoch")
    expect(step).to_be_disabled()  # epoch 2 waits for a prediction
    choose(page, "down")  # wrong: at lr 0.05 it rises
    settle(page)
    step.click()
    settle(page)
    expect(verdict(page)).to_contain_text("PyTorch: up. lr = 0.05 is above this data's stable limit")
    expect(verdict(page)).to_contain_text(f"{num(trace.loss[0])} → {num(trace.loss[1])}")
    choose(page, "up")  # right: it rises again
    settle(page)
    page.get_by_role("button", name="Step one epoch").click()
    settle(page)
    expect(verdict(page)).to_contain_text(f"{num(trace.loss[1])} → {num(trace.loss[2])}")
    goto(page, "Home")
    expect(metric(page, "predictions right")).to_have_text("1 / 2")
