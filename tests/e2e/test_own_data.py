"""Your own data, in a real browser: valid edits drive every page, bad ones are explained and not applied."""

from __future__ import annotations

import pytest
from browser_helpers import metric, open_page, settle, sidebar

from gradlab.config import RunConfig
from gradlab.fmt import num
from gradlab.train import train

pytestmark = pytest.mark.e2e


def data_tab(page):
    page.get_by_role("tab", name="⑦ Your data").click()
    return page.get_by_role("tabpanel", name="⑦ Your data")


def set_number(panel, label: str, value: str) -> None:
    box = panel.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")


def test_new_initial_weights_drive_the_training_trace(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab")
    panel = data_tab(page)
    set_number(panel, "initial w1", "0")
    settle(page)
    panel.get_by_role("button", name="Apply my data").click()
    settle(page)
    expect(panel.get_by_test_id("stAlertContentSuccess")).to_contain_text("is in use on every page")

    sidebar(page).get_by_role("link", name="Training Trace").click()
    settle(page)
    expected = train(RunConfig(w0=(0.0, -0.5)))
    expect(metric(page, "start loss")).to_have_text(num(expected.start_loss))
    expect(page.get_by_text("your own data")).to_be_visible()

    sidebar(page).get_by_role("button", name="Reset settings").click()
    settle(page)
    expect(metric(page, "start loss")).to_have_text("47.25")


def test_deleting_every_row_is_explained_and_the_card_data_stays(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab")
    panel = data_tab(page)
    grid = panel.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    # Select all rows with the row-marker checkbox in the header, then delete them.
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 12, box["y"] + 17)
    page.keyboard.press("Delete")
    settle(page)
    panel.get_by_role("button", name="Apply my data").click()
    settle(page)
    expect(panel.get_by_test_id("stAlertContentError")).to_contain_text("The table is empty")
    sidebar(page).get_by_role("link", name="Training Trace").click()
    settle(page)
    expect(metric(page, "start loss")).to_have_text("47.25")
