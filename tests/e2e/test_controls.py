"""Controls a learner can hit, in a real browser: fast key presses, few moves to common values, Back, links."""

from __future__ import annotations

import pytest
from browser_helpers import last_loss, metric, open_page, query, settle, sidebar, slider, wait_query

from gradlab.fmt import num
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.links import EPOCH_STOPS, format_lr, lr_options

pytestmark = pytest.mark.e2e

PRESSES = 20
PRESS_GAP_MS = 125  # about 8 presses per second

# Every value the named sidebar slider shows, in order, sampled on each animation frame.
_RECORD_JS = """
([label]) => {
  const thumb = () => [...document.querySelectorAll('[data-testid="stSidebar"] input[type="range"]')]
    .find((e) => e.getAttribute('aria-label') === label);
  window.__glSeen = [];
  const tick = () => {
    const t = thumb();
    const v = t ? t.getAttribute('aria-valuetext') : null;
    if (v !== null && v !== window.__glSeen[window.__glSeen.length - 1]) window.__glSeen.push(v);
    window.__glFrame = requestAnimationFrame(tick);
  };
  tick();
}
"""


def press(page, key: str, times: int) -> None:
    for _ in range(times):
        page.keyboard.press(key)
        page.wait_for_timeout(PRESS_GAP_MS)


@pytest.mark.parametrize(
    ("label", "path", "stops"),
    [
        pytest.param("Epochs", "/Training_Trace?epochs=1", [f"{n:,}" for n in EPOCH_STOPS], id="epochs"),
        pytest.param("Learning rate", "/Training_Trace", [format_lr(v) for v in lr_options()], id="learning-rate"),
    ],
)
def test_fast_key_presses_are_all_kept(page, app_url, expect, label, path, stops):
    open_page(page, app_url, path)
    thumb = slider(page, label)
    start = stops.index(thumb.get_attribute("aria-valuetext"))
    expected = stops[min(start + PRESSES, len(stops) - 1)]  # where 20 slow presses end
    thumb.focus()
    page.evaluate(_RECORD_JS, [label])

    press(page, "ArrowRight", PRESSES)
    settle(page)

    expect(thumb).to_have_attribute("aria-valuetext", expected)
    seen = page.evaluate("window.__glSeen")
    # Every stop on the way, in order: a press overwritten by a rerun would show as a step back.
    assert seen == stops[start : stops.index(expected) + 1], seen
    key = "epochs" if label == "Epochs" else "lr"
    assert query(page)[key] == expected.replace(",", "")


def test_common_epoch_counts_are_a_few_presses_away(page, app_url, expect):
    open_page(page, app_url, "/Training_Trace")
    thumb = slider(page, "Epochs")
    thumb.focus()
    for presses, epochs in enumerate((10, 20, 50, 100), start=1):
        page.keyboard.press("ArrowRight")
        wait_query(page, "epochs", str(epochs))
        expect(thumb).to_have_attribute("aria-valuetext", str(epochs))
        assert presses <= 4
    settle(page)
    expect(last_loss(page)).to_have_text(num(train(RunConfig(epochs=100)).end_loss))


def test_back_restores_the_previous_settings(page, app_url, expect):
    page.goto("about:blank")
    open_page(page, app_url, "/Training_Trace?lr=0.02&epochs=7")
    sidebar(page).get_by_role("link", name="Data Flow", exact=True).click()
    page.wait_for_url("**/Data_Flow?lr=0.02&epochs=7")
    settle(page)
    slider(page, "Epochs").focus()
    page.keyboard.press("ArrowRight")  # 7 → 10
    wait_query(page, "epochs", "10")
    settle(page)

    page.go_back()  # undoes the change, on the same page
    wait_query(page, "epochs", "7")
    settle(page)
    expect(slider(page, "Epochs")).to_have_attribute("aria-valuetext", "7")
    assert page.url.endswith("/Data_Flow?lr=0.02&epochs=7")

    page.go_back()  # the page before, with its settings
    page.wait_for_url("**/Training_Trace?lr=0.02&epochs=7")
    settle(page)
    expect(slider(page, "Epochs")).to_have_attribute("aria-valuetext", "7")
    expect(last_loss(page)).to_have_text(num(train(RunConfig(lr=0.02, epochs=7)).end_loss))

    page.go_forward()
    page.go_forward()  # redo
    wait_query(page, "epochs", "10")
    settle(page)
    expect(slider(page, "Epochs")).to_have_attribute("aria-valuetext", "10")


@pytest.mark.parametrize(
    "link",
    [
        pytest.param("/Grad_Lab?epochs=9000&lr=0.002&zeroing=never&update=sgd", id="settings"),
        pytest.param("/Training_Trace?lr=0.0200&epochs=007", id="spelled-differently"),
        pytest.param("/Training_Trace?lr=abc", id="malformed"),
    ],
)
def test_back_from_a_deep_link_leaves_in_one_press(page, app_url, link):
    page.goto("about:blank")
    open_page(page, app_url, link)
    assert page.evaluate("history.length") == 2
    page.go_back()
    page.wait_for_url("about:blank")


def apply_rows(page, rows: str, w1: str | None = None) -> None:
    """Type rows into Grad Lab's data entry (and optionally initial w1), then Apply."""
    page.get_by_role("tab", name="⑦ Your data").click()
    panel = page.get_by_role("tabpanel", name="⑦ Your data")
    panel.get_by_role("textbox", name="Rows: x1, x2, y").fill(rows)
    if w1 is not None:
        panel.get_by_role("textbox", name="initial w1").fill(w1)
    panel.get_by_role("button", name="Apply my data").click()
    settle(page)


def test_a_link_with_data_reopens_the_same_data_in_a_fresh_context(new_context, app_url, expect):
    a = open_page(new_context().new_page(), app_url, "/Grad_Lab")
    apply_rows(a, "1, 0, 2\n0, 1, 3\n0.5, 0.25, -1", w1="0")
    wait_query(a, "data", "1_0_2~0_1_3~0.5_0.25_-1")
    assert query(a)["init"] == "0_-0.5_0"
    link = a.url

    expected = train(RunConfig(X=((1.0, 0.0), (0.0, 1.0), (0.5, 0.25)), y=(2.0, 3.0, -1.0), w0=(0.0, -0.5)))
    for fresh in (new_context().new_page(), a):  # a copied link elsewhere, and a reload here
        if fresh is a:
            a.reload()
            settle(a)
        else:
            fresh.goto(link)
            settle(fresh)
        sidebar(fresh).get_by_role("link", name="Training Trace", exact=True).click()
        fresh.wait_for_url("**/Training_Trace?*data=*")
        settle(fresh)
        expect(metric(fresh, "start loss")).to_have_text(num(expected.start_loss))
        expect(fresh.get_by_text("your own data")).to_be_visible()


def test_data_too_big_for_a_link_says_so(page, app_url, expect):
    open_page(page, app_url, "/Grad_Lab")
    apply_rows(page, "\n".join(f"{i}, 1, {2 * i}" for i in range(21)))
    panel = page.get_by_role("tabpanel", name="⑦ Your data")
    expect(panel.get_by_text("This data is too big for a link: 21 rows > 20").first).to_be_visible()
    assert "data" not in query(page)
