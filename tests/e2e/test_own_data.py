"""Your own data, in a real browser: every value typed or pasted is kept exactly or refused naming its cell."""

from __future__ import annotations

import pytest
from browser_helpers import metric, open_page, query, settle, sidebar, wait_query

from gradlab.fmt import num
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

pytestmark = pytest.mark.e2e

CARD_QUERY: dict[str, str] = {}


def data_tab(page):
    page.get_by_role("tab", name="⑦ Your data").click()
    return page.get_by_role("tabpanel", name="⑦ Your data")


def rows_box(panel):
    return panel.get_by_role("textbox", name="Rows: x1, x2, y")


def type_rows(page, panel, text: str) -> None:
    """Empty the rows box and type `text` key by key, as a learner would."""
    box = rows_box(panel)
    box.fill("")
    box.press_sequentially(text)


def paste_rows(page, panel, text: str) -> None:
    """Empty the rows box and paste `text` from the clipboard with Ctrl+V."""
    page.evaluate("(t) => navigator.clipboard.writeText(t)", text)
    box = rows_box(panel)
    box.fill("")
    box.focus()
    page.keyboard.press("Control+V")


def apply(page, panel) -> None:
    panel.get_by_role("button", name="Apply my data").click()
    settle(page)


@pytest.fixture
def clip_page(new_context, page_errors):
    """A page whose context may use the clipboard (for real Ctrl+V pastes)."""
    pg = new_context(permissions=["clipboard-read", "clipboard-write"]).new_page()
    pg.on("pageerror", lambda err: page_errors.append(str(err)))
    return pg


TYPED, PASTED = pytest.param(type_rows, id="typed"), pytest.param(paste_rows, id="pasted")


@pytest.mark.parametrize(
    ("enter", "text", "stored"),
    [
        pytest.param(type_rows, "1e6, 2, 3", "1000000_2_3", id="typed-1e6-kept"),
        pytest.param(paste_rows, "1e6, 2, 3", "1000000_2_3", id="pasted-1e6-kept"),
        pytest.param(paste_rows, "1\t2\t3\n4\t5\t6", "1_2_3~4_5_6", id="pasted-tab-block-into-emptied-box"),
        pytest.param(type_rows, "0.1; -2.5; 1e-3\n4 5 6", "0.1_-2.5_0.001~4_5_6", id="typed-semicolons-spaces"),
    ],
)
def test_values_are_stored_exactly(clip_page, app_url, expect, enter, text, stored):
    page = open_page(clip_page, app_url, "/Grad_Lab")
    panel = data_tab(page)
    enter(page, panel, text)
    apply(page, panel)
    wait_query(page, "data", stored)
    expect(panel.get_by_test_id("stAlertContentSuccess")).to_contain_text("is in use on every page")
    # Shown again in a form that can be typed back: 1000000, never 1e+06.
    shown = rows_box(panel).input_value().splitlines()[1:]
    assert [line.replace(", ", "_") for line in shown] == stored.split("~")


@pytest.mark.parametrize("enter", [TYPED, PASTED])
@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("1e30, 2, 3", "Row 1, column x1: 1e30 is too large; keep values within ±1000000", id="1e30"),
        pytest.param("1, -1e30, 3", "Row 1, column x2: -1e30 is too large", id="minus-1e30"),
        pytest.param("1, 2, 1000001", "Row 1, column y: 1000001 is too large", id="as-typed"),
        pytest.param("1,5, 2, 3", "a decimal comma? write a point: 1.5, not 1,5", id="decimal-comma"),
        pytest.param("1; 2,5; 3", "Row 1, column x2: 2,5 has a decimal comma", id="decimal-comma-cell"),
        pytest.param("nan, 2, 3", "Row 1, column x1: nan is not a finite number", id="nan"),
        pytest.param("1, inf, 3", "Row 1, column x2: inf is not a finite number", id="inf"),
    ],
)
def test_bad_values_are_refused_naming_the_cell(clip_page, app_url, expect, enter, text, message):
    page = open_page(clip_page, app_url, "/Grad_Lab")
    panel = data_tab(page)
    enter(page, panel, text)
    panel.get_by_role("textbox", name="initial w1").click()  # leave the box: the preview reads it
    settle(page)
    expect(panel.get_by_test_id("stAlertContentWarning")).to_contain_text(message)
    apply(page, panel)
    expect(panel.get_by_test_id("stAlertContentError")).to_contain_text(message)
    expect(panel.get_by_test_id("stAlertContentError")).to_contain_text("The last good data is still in use")
    assert query(page) == CARD_QUERY
    sidebar(page).get_by_role("link", name="Training Trace", exact=True).click()
    settle(page)
    expect(metric(page, "start loss")).to_have_text("47.25")


def test_new_initial_weights_drive_the_training_trace(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab")
    panel = data_tab(page)
    w1 = panel.get_by_role("textbox", name="initial w1")
    w1.fill("0")
    w1.press("Enter")
    settle(page)
    apply(page, panel)
    expect(panel.get_by_test_id("stAlertContentSuccess")).to_contain_text("is in use on every page")
    assert query(page) == {"init": "0_-0.5_0"}

    sidebar(page).get_by_role("link", name="Training Trace").click()
    settle(page)
    expected = train(RunConfig(w0=(0.0, -0.5)))
    expect(metric(page, "start loss")).to_have_text(num(expected.start_loss))
    expect(page.get_by_text("your own data")).to_be_visible()

    sidebar(page).get_by_role("button", name="Reset settings").click()
    settle(page)
    expect(metric(page, "start loss")).to_have_text("47.25")
    assert query(page) == CARD_QUERY


def test_emptied_rows_are_explained_and_the_card_data_stays(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab")
    panel = data_tab(page)
    rows_box(panel).fill("")
    apply(page, panel)
    expect(panel.get_by_test_id("stAlertContentError")).to_contain_text("The table is empty")
    sidebar(page).get_by_role("link", name="Training Trace").click()
    settle(page)
    expect(metric(page, "start loss")).to_have_text("47.25")


def test_an_oversized_paste_is_refused_and_the_entry_restarts(clip_page, app_url, expect):
    page = open_page(clip_page, app_url, "/Grad_Lab")
    panel = data_tab(page)
    paste_rows(page, panel, "1, 2, 3\n" * 20_000)
    panel.get_by_role("textbox", name="initial w1").click()
    settle(page)
    error = panel.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("The text has 160,000 characters; GradLab takes at most 10,000")
    expect(error).to_contain_text("nothing was read from it")
    assert rows_box(panel).input_value() == "x1, x2, y\n1, 2, 3\n2, 3, 5\n3, 4, 7\n4, 5, 9"
    assert query(page) == CARD_QUERY
