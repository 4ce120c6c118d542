"""The sidebar settings in a real browser: keyboard, page switches, shared links and malformed links."""

from __future__ import annotations

import re

import pytest
from browser_helpers import (
    NUMBER,
    focused,
    last_loss,
    metric,
    open_page,
    query,
    settle,
    sidebar,
    slider,
    slider_thumb_text,
    wait_query,
)

from gradlab.fmt import num
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig

pytestmark = pytest.mark.e2e

DEFAULT_END_LOSS = num(train(RunConfig()).end_loss)  # the card's setup: lr 0.01, 5 epochs, as gradlab prints it
MAX_TABS = 40


def expect_sliders(page, expect, *, lr: str, epochs: int) -> None:
    """The sidebar sliders show this learning rate and epoch count, to assistive tech and on screen."""
    expect(slider(page, "Epochs")).to_have_attribute("aria-valuetext", f"{epochs:,}")
    expect(slider(page, "Learning rate")).to_have_attribute("aria-valuetext", lr)
    expect(slider_thumb_text(page, "Learning rate")).to_have_text(lr)
    expect(slider_thumb_text(page, "Epochs")).to_have_text(f"{epochs:,}")


def tab_until(page, role: str, name: str, seen: list[dict]) -> None:
    """Press Tab until the focused element has this role and name, recording every stop in `seen`."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        seen.append(now)
        if now and now["role"] == role and now["name"] == name:
            return
    pytest.fail(f"{role} {name!r} not reached with {MAX_TABS} Tab presses; focus went: {seen}")


def test_epochs_arrow_key_retrains(page, app_url, expect):
    open_page(page, app_url, "/Training_Trace")
    end_loss = last_loss(page)
    expect(end_loss).to_have_text(DEFAULT_END_LOSS)
    thumb = slider(page, "Epochs")
    expect(thumb).to_have_attribute("aria-valuetext", "5")

    thumb.focus()
    page.keyboard.press("ArrowRight")  # the next stop: 10

    wait_query(page, "epochs", "10")
    expect(thumb).to_have_attribute("aria-valuetext", "10")
    expect(end_loss).not_to_have_text(DEFAULT_END_LOSS)
    settle(page)
    shown = last_loss(page).inner_text().strip()
    assert NUMBER.match(shown), f"end loss is not a plain number: {shown!r}"
    assert float(shown) < float(DEFAULT_END_LOSS)
    assert page.get_by_test_id("stException").count() == 0


def test_sidebar_is_keyboard_operable(page, app_url, expect):
    open_page(page, app_url, "/Training_Trace")
    seen: list[dict] = []
    tab_until(page, "slider", "Epochs", seen)
    assert {"role": "slider", "name": "Learning rate", "sidebar": True} in seen, seen

    for key in ("ArrowRight", "ArrowRight", "ArrowLeft"):  # 5 → 10 → 20 → 10
        page.keyboard.press(key)
    wait_query(page, "epochs", "10")
    settle(page)
    expect(slider(page, "Epochs")).to_have_attribute("aria-valuetext", "10")
    expect(last_loss(page)).not_to_have_text(DEFAULT_END_LOSS)
    assert focused(page) == {"role": "slider", "name": "Epochs", "sidebar": True}, "focus lost after the rerun"

    rest: list[dict] = []
    tab_until(page, "button", "Reset settings", rest)
    reached = {(s["role"], s["name"]) for s in rest if s and s["sidebar"]}
    for control in [
        ("radio", "Device"),
        ("combobox", "Zeroing each step"),
        ("radio", "Update rule"),
        ("switch", "Predict first"),
        ("switch", "Presentation mode"),
    ]:
        assert control in reached, f"{control} not reachable with Tab; focus went: {rest}"

    page.keyboard.press("Enter")  # Reset settings, from the keyboard
    wait_query(page, "epochs", None)
    settle(page)
    expect(slider(page, "Epochs")).to_have_attribute("aria-valuetext", "5")
    expect(last_loss(page)).to_have_text(DEFAULT_END_LOSS)


def test_page_switch_keeps_settings(page, app_url, expect):
    open_page(page, app_url, "/Training_Trace?lr=0.02&epochs=7")
    expect_sliders(page, expect, lr="0.02", epochs=7)

    sidebar(page).get_by_role("link", name="Data Flow", exact=True).click()
    page.wait_for_url(re.compile(r"/Data_Flow(\?|$)"))
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text("Data Flow")
    settle(page)

    expect_sliders(page, expect, lr="0.02", epochs=7)
    wait_query(page, "epochs", "7")
    assert query(page) == {"lr": "0.02", "epochs": "7"}
    assert page.get_by_test_id("stException").count() == 0


def test_shared_link_opens_same_numbers(page, app_url, expect):
    trace = train(RunConfig(lr=0.02, epochs=5))

    open_page(page, app_url, "/Training_Trace?lr=0.02&epochs=5")

    expect_sliders(page, expect, lr="0.02", epochs=5)
    expect(last_loss(page)).to_have_text(num(trace.end_loss))
    expect(metric(page, "start loss")).to_have_text(num(trace.start_loss))
    assert num(trace.end_loss) != DEFAULT_END_LOSS
    # A short run's trace is a plain table: epoch, then loss.
    cells = page.get_by_test_id("stTable").first.locator("tbody tr").last.locator("td")
    expect(cells.nth(0)).to_have_text("5")
    expect(cells.nth(1)).to_have_text(num(trace.end_loss))
    assert query(page) == {"lr": "0.02", "epochs": "5"}, "a link is kept as given: a rewrite would add a history entry"


def test_malformed_link_falls_back_with_notes(page, app_url, expect):
    open_page(page, app_url, "/Training_Trace?lr=abc&epochs=-5")

    notes = page.get_by_test_id("stAlertContentWarning")
    expect(notes).to_have_count(2)
    texts = notes.all_inner_texts()
    assert any("lr" in t and "abc" in t for t in texts), texts
    assert any("epochs" in t and "-5" in t for t in texts), texts
    assert page.get_by_test_id("stException").count() == 0
    expect_sliders(page, expect, lr="0.01", epochs=5)
    expect(last_loss(page)).to_have_text(DEFAULT_END_LOSS)
    # Arriving rewrites nothing (a rewrite would be a history entry of its own); the next change cleans the link.
    assert query(page) == {"lr": "abc", "epochs": "-5"}
    slider(page, "Epochs").focus()
    page.keyboard.press("ArrowRight")
    wait_query(page, "epochs", "10")
    assert query(page) == {"epochs": "10"}
    expect(notes).to_have_count(0)


_SIDEBAR_CLIPPED_JS = """
() => [...document.querySelectorAll('[data-testid="stSidebar"] input[type="text"], '
  + '[data-testid="stSidebar"] label p, [data-testid="stSidebar"] [data-testid="stWidgetLabel"] p')]
  .filter((e) => e.getClientRects().length > 0 && e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1)
  .map((e) => `"${(e.value || e.innerText).trim()}": ${e.scrollWidth} px of text in ${e.clientWidth} px`)
"""


@pytest.mark.parametrize("zeroing", ["zero", "none", "never"])
def test_every_sidebar_choice_reads_in_full(page, app_url, expect, zeroing):
    """A select box cuts a long choice off: "never zero (gradients accumulate" hid its point (the select box's
    value is a text input, whose scrollWidth grows with its text)."""
    page.set_viewport_size({"width": 1400, "height": 900})
    open_page(page, app_url, f"/Training_Trace?zeroing={zeroing}&update=sgd")
    expect(sidebar(page).get_by_text("Zeroing each step")).to_be_visible()
    assert page.evaluate(_SIDEBAR_CLIPPED_JS) == []
