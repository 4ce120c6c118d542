"""A learner's work is never lost: across a lab tab switch, a page switch, a reload and a second browser tab.

What the app keeps, and where (README, *Progress*): pages visited, committed predictions (pages and lab) and quiz
answers live in this browser's progress cookie, which every tab of the browser shares and merges into, so one tab
never erases another's work, and a first try, once made, stays the first try. Typed data that was not applied
yet, the open lab tab and the step-through live in the browser session (kept across tab and page switches); applied
data travels in the link. Where the browser keeps no cookie, the page says so.

Replicas behind nginx: tests/e2e/test_replicas.py (the cookie is the browser's, so any replica restores it).
"""

from __future__ import annotations

import pytest
from browser_helpers import lettered_option, metric, open_page, settle, sidebar

from gradlab.settings.config import RunConfig
from tests.quizruns import fresh_quiz

pytestmark = pytest.mark.e2e

CARD = RunConfig()
QUIZ = fresh_quiz(CARD)
Q1 = QUIZ[0]
WRONG = next(o for o in Q1.options if o != Q1.right)
TOTAL = len(QUIZ)
DATA_TAB, PITFALLS_TAB, GRAPH_TAB = "⑦ Your data", "⑥ Pitfalls", "④ Autograd graph"
ROWS = "1, 2, 3\n4, 5, 6\n-1, 0.5, 2"
TITLES = {"Home": "GradLab: PyTorch's .grad, live"}


def goto(page, label: str) -> None:
    """Switch pages with the sidebar's link (one Streamlit session) and wait for the page's title."""
    sidebar(page).get_by_role("link", name=label, exact=True).click()
    title = TITLES.get(label, label)
    page.wait_for_function(
        "(t) => document.querySelector('[data-testid=stMain] h1')?.innerText.trim() === t",
        arg=title,
    )
    settle(page)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    settle(page)


def selected_tab(page) -> str:
    return page.locator('.st-key-gl-lab-tabs [role="tab"][aria-selected="true"]').inner_text().strip()


def answer(page, qid: str, text: str) -> None:
    """Pick an option of quiz question `qid` and commit it (with its *Check* button where the quiz has one)."""
    card = page.locator(f".st-key-quiz-q-{qid}")
    card.get_by_test_id("stRadioOption").filter(has=page.get_by_text(lettered_option(text))).click()
    settle(page)
    check = card.get_by_role("button", name="Check", exact=False)
    if check.count() and check.first.is_enabled():
        check.first.click()
        settle(page)


def scores(page) -> tuple[str, str]:
    return metric(page, "first try").inner_text().strip(), metric(page, "now").inner_text().strip()


def lock_data_flow_first(page) -> None:
    """Data Flow's first prediction (what w.grad is before any backward()): "None", locked in."""
    main = page.get_by_test_id("stMain")
    main.get_by_test_id("stRadioOption").filter(has=page.get_by_text(lettered_option("None"))).first.click()
    settle(page)
    page.get_by_role("button", name="Lock in my prediction").first.click()
    settle(page)


def verdicts(page):
    return page.get_by_test_id("stAlert").filter(has_text="You predicted:")


# --- typed data, the open lab tab -------------------------------------------------------------------------------


def test_typed_rows_survive_a_lab_tab_switch_and_a_page_switch(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab")
    open_tab(page, DATA_TAB)
    panel = page.get_by_role("tabpanel", name=DATA_TAB)
    expect(panel.get_by_text("4 rows; initial w", exact=False)).to_be_visible()
    expect(panel.get_by_text("not applied yet", exact=False)).to_have_count(0)  # nothing typed: nothing to say
    box = panel.get_by_role("textbox", name="Rows: x1, x2, y")
    box.fill(ROWS)
    box.press("Control+Enter")
    settle(page)
    expect(panel.get_by_text("3 rows; initial w", exact=False)).to_be_visible()

    open_tab(page, PITFALLS_TAB)
    open_tab(page, DATA_TAB)
    panel = page.get_by_role("tabpanel", name=DATA_TAB)
    expect(panel.get_by_role("textbox", name="Rows: x1, x2, y")).to_have_value(ROWS)
    expect(panel.get_by_text("3 rows; initial w", exact=False)).to_be_visible()
    # Nothing was applied, and the tab says so: the card's data is still in use.
    expect(panel.get_by_text("not applied yet", exact=False).first).to_be_visible()

    goto(page, "Training Trace")
    goto(page, "Grad Lab")
    assert selected_tab(page) == DATA_TAB
    panel = page.get_by_role("tabpanel", name=DATA_TAB)
    expect(panel.get_by_role("textbox", name="Rows: x1, x2, y")).to_have_value(ROWS)

    panel.get_by_role("button", name="Apply my data").click()
    settle(page)
    expect(panel.get_by_text("Your data (3 rows) is in use", exact=False)).to_be_visible()
    expect(panel.get_by_text("not applied yet", exact=False)).to_have_count(0)


def test_the_lab_reopens_on_the_tab_that_was_open(page, app_url):
    open_page(page, app_url, "/Grad_Lab")
    open_tab(page, GRAPH_TAB)
    goto(page, "Quiz")
    goto(page, "Grad Lab")
    assert selected_tab(page) == GRAPH_TAB
    page.go_back()  # Back to the quiz and Forward again: still the same tab
    settle(page)
    page.go_forward()
    settle(page)
    assert selected_tab(page) == GRAPH_TAB


def test_the_step_through_is_where_it_was_after_a_page_switch(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab?predict=0")
    open_tab(page, "② Step-through training")
    for _ in range(2):
        page.get_by_role("button", name="Step one epoch").click()
        settle(page)
    shown = page.locator(".st-key-gl-step-now").text_content()
    goto(page, "Data Flow")
    goto(page, "Grad Lab")
    assert selected_tab(page) == "② Step-through training"
    expect(page.locator(".st-key-gl-step-now")).to_have_text(shown)


# --- progress in the cookie: two tabs, reloads -------------------------------------------------------------------


def test_two_tabs_never_erase_each_others_progress(new_context, app_url, expect):
    """Issue 19 §4, as reported: a quiz answer in tab 2 survives tab 1's page switch, and its first try stays."""
    ctx = new_context()
    one = open_page(ctx.new_page(), app_url, "/Training_Trace")
    two = open_page(ctx.new_page(), app_url, "/Quiz")
    answer(two, Q1.qid, WRONG)
    assert scores(two) == (f"0 / {TOTAL}", f"0 / {TOTAL}")
    goto(one, "Data Flow")
    lock_data_flow_first(one)  # tab 1's own work, made after tab 2's

    two.reload()
    settle(two)
    assert scores(two) == (f"0 / {TOTAL}", f"0 / {TOTAL}")
    expect(two.locator(f".st-key-quiz-q-{Q1.qid}").get_by_text("Not quite", exact=False)).to_be_visible()
    answer(two, Q1.qid, Q1.right)  # a retry: right now, and the first try stays wrong
    assert scores(two) == (f"0 / {TOTAL}", f"1 / {TOTAL}")

    one.reload()
    settle(one)
    expect(verdicts(one)).to_have_count(1)  # tab 1's prediction is kept as well
    goto(one, "Quiz")
    assert scores(one) == (f"0 / {TOTAL}", f"1 / {TOTAL}")


def test_a_first_try_made_in_another_tab_counts_in_a_tab_still_open(new_context, app_url, expect):
    ctx = new_context()
    one = open_page(ctx.new_page(), app_url, "/Quiz")  # open before the other tab answers
    two = open_page(ctx.new_page(), app_url, "/Quiz")
    answer(two, Q1.qid, WRONG)
    answer(one, Q1.qid, Q1.right)  # tab 1 never saw the wrong first try; it must not become a right one
    expect(metric(one, "first try")).to_have_text(f"0 / {TOTAL}")
    expect(metric(one, "now")).to_have_text(f"1 / {TOTAL}")
    for page in (one, two):
        page.reload()
        settle(page)
        assert scores(page) == (f"0 / {TOTAL}", f"1 / {TOTAL}")


def test_reset_in_one_tab_is_not_undone_by_another(new_context, app_url):
    ctx = new_context()
    one = open_page(ctx.new_page(), app_url, "/Quiz")
    answer(one, Q1.qid, WRONG)
    two = open_page(ctx.new_page(), app_url, "/Quiz")
    assert scores(two) == (f"0 / {TOTAL}", f"0 / {TOTAL}")
    assert two.locator(f".st-key-quiz-q-{Q1.qid}").get_by_text("Not quite", exact=False).count() == 1
    one.get_by_role("button", name="Reset the quiz").click()
    settle(one)
    goto(two, "Home")  # tab 2 still holds the answer in its session, and writes
    goto(two, "Quiz")
    for page in (one, two):
        page.reload()
        settle(page)
        assert page.locator(f".st-key-quiz-q-{Q1.qid}").get_by_text("Not quite", exact=False).count() == 0
    answer(one, Q1.qid, Q1.right)  # after a reset, a first try counts again
    assert scores(one) == (f"1 / {TOTAL}", f"1 / {TOTAL}")


def test_predictions_and_pages_survive_a_reload_and_reach_a_second_tab(new_context, app_url, expect):
    ctx = new_context()
    page = open_page(ctx.new_page(), app_url, "/Data_Flow")
    lock_data_flow_first(page)
    expect(verdicts(page)).to_have_count(1)
    goto(page, "Training Trace")
    page.reload()
    settle(page)
    goto(page, "Data Flow")
    expect(verdicts(page)).to_have_count(1)
    other = open_page(ctx.new_page(), app_url, "/")
    expect(metric(other, "pages visited")).to_have_text("2 / 5")  # Data Flow and Training Trace
    expect(metric(other, "predictions right")).to_have_text("1 / 1")


def test_a_lab_prediction_survives_a_reload(page, app_url, expect):
    """A lab click reruns only its panel (a fragment); its prediction is kept all the same."""
    open_page(page, app_url, "/Grad_Lab")
    main = page.get_by_test_id("stMain")
    main.get_by_test_id("stRadioOption").filter(has=page.get_by_text(lettered_option("unchanged"))).last.click()
    settle(page)
    page.get_by_role("button", name="forward + loss", exact=True).click()
    settle(page)
    expect(verdicts(page)).to_have_count(1)
    page.reload()
    settle(page)
    goto(page, "Home")
    expect(metric(page, "predictions right")).to_have_text("1 / 1")


# A browser that refuses cookies, two ways: Chromium's own switch for a page's cookies (DevTools protocol), and a page
# where document.cookie keeps nothing and navigator.cookieEnabled is false (an init script).
_NO_COOKIE_SCRIPT = (
    "Object.defineProperty(Document.prototype, 'cookie', { get: () => '', set: () => {}, configurable: true });"
    "Object.defineProperty(Navigator.prototype, 'cookieEnabled', { get: () => false, configurable: true });"
)


@pytest.mark.parametrize("how", ["chromium-setting", "script"])
def test_a_browser_that_keeps_no_cookie_is_told_so(new_context, app_url, expect, how):
    ctx = new_context()
    page = ctx.new_page()
    if how == "script":
        ctx.add_init_script(_NO_COOKIE_SCRIPT)
    else:
        ctx.new_cdp_session(page).send("Emulation.setDocumentCookieDisabled", {"disabled": True})
    open_page(page, app_url, "/Quiz")
    assert page.evaluate("navigator.cookieEnabled") is False
    answer(page, Q1.qid, WRONG)
    note = page.get_by_test_id("stMain").get_by_text("does not keep cookies", exact=False)
    expect(note).to_be_visible()
    goto(page, "Data Flow")  # every page says so, without waiting for a write to fail again
    expect(page.get_by_test_id("stMain").get_by_text("does not keep cookies", exact=False)).to_be_visible()


def test_a_browser_that_keeps_cookies_shows_no_such_note(page, app_url, expect):
    open_page(page, app_url, "/Quiz")
    answer(page, Q1.qid, WRONG)
    goto(page, "Data Flow")
    expect(page.get_by_text("does not keep cookies", exact=False)).to_have_count(0)
