"""Helpers for the browser tests: waiting for Streamlit to settle and reading widgets the way a user sees them.

Plain functions on Playwright objects; playwright itself is only imported by conftest, so a missing package
turns into a skip (or a CI failure) there instead of an import error here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

SETTLE_TIMEOUT_MS = 30_000
STABLE_MS = 300
NUMBER = re.compile(r"^-?\d+(\.\d+)?(e[+-]?\d+)?$")

# True once the app has stayed idle (connected, script not running, no skeleton) for STABLE_MS without a break.
_SETTLED_JS = """
([stableMs]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const conn = app && app.getAttribute('data-test-connection-state');
  const idle = app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
    && (conn === null || conn === 'CONNECTED')
    && document.querySelector('[data-testid="stSkeleton"]') === null;
  const now = performance.now();
  if (!idle) { window.__glIdleSince = null; return false; }
  if (window.__glIdleSince == null) window.__glIdleSince = now;
  return now - window.__glIdleSince >= stableMs;
}
"""

# Every drawn chart: each Vega embed holds an svg or canvas with a real size.
_VEGA_DRAWN_JS = """
([minCount]) => {
  const embeds = [...document.querySelectorAll('[data-testid="stMain"] .vega-embed')]
    .filter((e) => e.offsetParent !== null);
  if (embeds.length < minCount) return false;
  return embeds.every((e) => {
    const g = e.querySelector('svg, canvas');
    if (!g) return false;
    const r = g.getBoundingClientRect();
    return r.width > 50 && r.height > 50;
  });
}
"""

# What has keyboard focus, described as role + accessible-ish name + whether it sits in the sidebar.
_FOCUSED_JS = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const implicit = { range: 'slider', checkbox: 'checkbox', radio: 'radio', A: 'link', BUTTON: 'button' };
  const group = e.closest('[role="radiogroup"]');
  const name = e.getAttribute('aria-label')
    || (group && group.getAttribute('aria-label'))
    || (e.innerText || '').trim().split('\\n').pop();
  return {
    role: e.getAttribute('role') || implicit[e.tagName === 'INPUT' ? e.type : e.tagName] || e.tagName.toLowerCase(),
    name: name || '',
    sidebar: e.closest('[data-testid="stSidebar"]') !== null,
  };
}
"""


def settle(page: Page, timeout: float = SETTLE_TIMEOUT_MS) -> None:
    """Wait until the script has finished, no skeleton is left, and it stays that way for a moment."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.evaluate("window.__glIdleSince = null")
    page.wait_for_function(_SETTLED_JS, arg=[STABLE_MS], timeout=timeout, polling=50)


def open_page(page: Page, base_url: str, path: str) -> Page:
    """Load `path` (with any query string) in `page` and wait for the app to settle."""
    page.goto(base_url + path, wait_until="domcontentloaded")
    settle(page)
    return page


def wait_charts_drawn(page: Page, min_count: int = 1, timeout: float = 15_000) -> None:
    """Wait until at least `min_count` visible Vega charts are drawn with a nonzero size."""
    page.wait_for_function(_VEGA_DRAWN_JS, arg=[min_count], timeout=timeout, polling=100)


def query(page: Page) -> dict[str, str]:
    """The page's URL query parameters (single values)."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def wait_query(page: Page, key: str, value: str | None, timeout: float = 10_000) -> None:
    """Wait until URL parameter `key` equals `value` (None: absent)."""
    page.wait_for_function(
        "([k, v]) => new URLSearchParams(location.search).get(k) === v", arg=[key, value], timeout=timeout
    )


def sidebar(page: Page) -> Locator:
    """The sidebar."""
    return page.get_by_test_id("stSidebar")


def slider_widget(page: Page, label: str) -> Locator:
    """The sidebar slider widget whose visible label is `label`."""
    label_el = page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
    return sidebar(page).get_by_test_id("stSlider").filter(has=label_el)


def slider(page: Page, label: str) -> Locator:
    """The keyboard-focusable thumb (role=slider) inside the sidebar slider labelled `label`.

    Found through the widget's visible label: Streamlit 1.67 names the thumb twice ("Epochs Epochs").
    """
    return slider_widget(page, label).get_by_role("slider")


def metric(page: Page, label: str) -> Locator:
    """The value element of the st.metric labelled `label`."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.get_by_test_id("stMetricValue")


def last_loss(page: Page) -> Locator:
    """The value of the Training Trace's loss at its last epoch, before that epoch's update (`loss_at_epoch(E)`)."""
    from gradlab.lesson.sentences import BEFORE_ITS_UPDATE

    label = page.get_by_test_id("stMetricLabel").get_by_text(BEFORE_ITS_UPDATE)
    return page.get_by_test_id("stMetric").filter(has=label).get_by_test_id("stMetricValue")


def metric_text(page: Page, label: str) -> str:
    """The shown text of the st.metric labelled `label`."""
    return metric(page, label).inner_text().strip()


def font_size_px(locator: Locator) -> float:
    """The computed font size of an element, in CSS pixels."""
    return float(locator.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)"))


def focused(page: Page) -> dict[str, object] | None:
    """Role, name and placement of the element that has keyboard focus."""
    return page.evaluate(_FOCUSED_JS)


def table_rows(table: Locator) -> dict[str, list[str]]:
    """An st.table as {row header: [cell texts]}."""
    rows = table.locator("tbody tr").evaluate_all(
        "(trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.innerText.trim()))"
    )
    return {r[0]: r[1:] for r in rows if r}


def slider_thumb_text(page: Page, label: str) -> Locator:
    """The value printed on the thumb of the sidebar slider labelled `label`."""
    return slider_widget(page, label).get_by_test_id("stSliderThumbValue")


def lettered_option(label: str) -> re.Pattern[str]:
    """An option as a radio shows it, with its letter: "A · None" for "None" (ui.predictions.lettered)."""
    return re.compile(rf"^[A-Z] · {re.escape(label)}$")
