"""The browser console stays free of the app's own warnings and errors, on every page and every Grad Lab tab."""

from __future__ import annotations

import re

import pytest
from browser_helpers import open_page, settle, wait_charts_drawn

pytestmark = pytest.mark.e2e

PAGES = ["/", "/Data_Flow", "/Prediction_Trace", "/Training_Trace", "/Grad_Lab", "/Quiz"]
LAB_TABS = [
    "① .grad lifecycle", "② Step-through training", "③ Loss landscape", "④ Autograd graph",
    "⑤ Gradient check", "⑥ Pitfalls", "⑦ Your data", "⑧ Inside nn.Module",
]  # fmt: skip

# Streamlit's own messages, not the app's: on a page's URL its frontend first probes /<Page>/_stcore/health and
# /<Page>/_stcore/host-config (404) before using the server root, and its graphviz renderer notes it runs
# without a web worker.
STREAMLIT_OWN = [
    re.compile(r"^Failed to load resource: the server responded with a status of 404 \(Not Found\) @ .*/[A-Za-z_]+"
               r"/_stcore/(health|host-config)$"),
    re.compile(r'^No script tag of type "javascript/worker" was found and "useWorker" is true\. Not using web '
               r"worker\. @ .*/static/js/GraphVizChart\.[\w-]+\.js$"),
]  # fmt: skip


@pytest.fixture
def console(page) -> list[str]:
    """Every warning or error the page's console shows, with where it came from."""
    seen: list[str] = []
    page.on(
        "console",
        lambda m: m.type in ("warning", "error") and seen.append(f"{m.text} @ {m.location.get('url', '')}"),
    )
    page.on("pageerror", lambda err: seen.append(f"uncaught: {err}"))
    return seen


def app_messages(seen: list[str]) -> list[str]:
    return [m for m in seen if not any(p.match(m) for p in STREAMLIT_OWN)]


@pytest.mark.parametrize("path", PAGES)
def test_no_console_warnings_on_any_page(page, app_url, console, path):
    open_page(page, app_url, path)
    if path == "/Training_Trace":
        wait_charts_drawn(page, min_count=3)
        page.get_by_text("Log scale for the loss").click()  # the log chart, too
        settle(page)
        wait_charts_drawn(page, min_count=3)
    if path == "/Grad_Lab":
        for tab in LAB_TABS:
            page.get_by_role("tab", name=tab).click()
            settle(page)
        page.get_by_role("tab", name="② Step-through training").click()
        settle(page)
        page.get_by_role("button", name="Step one epoch").click()  # its charts show what has run
        settle(page)
        wait_charts_drawn(page, min_count=2)
    page.wait_for_timeout(500)  # late chart warnings
    assert app_messages(console) == [], app_messages(console)


def test_log_chart_with_every_loss_zero_draws_without_warnings(page, app_url, console, expect):
    open_page(page, app_url, "/Training_Trace?data=1_1_0.5&init=0.25_0.25_0")
    page.get_by_text("Log scale for the loss").click()
    settle(page)
    wait_charts_drawn(page, min_count=3)
    loss_chart = page.get_by_test_id("stMain").locator(".vega-embed").first
    expect(loss_chart).to_contain_text("loss (MSE) — linear: a log scale cannot show a loss of 0")
    page.wait_for_timeout(500)
    assert app_messages(console) == [], app_messages(console)
