"""Chromium through Playwright's async API: launch, settle, and read one probed value from the page."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from playwright.async_api import Browser, Page, async_playwright

from bench.common import SETTLED, SKELETON
from gradlab.lesson.sentences import BEFORE_ITS_UPDATE
from harness import launch

SETTLE_TIMEOUT_MS = 90_000


@dataclass(frozen=True)
class Probe:
    """Where a page shows the value that a rerun changes: the first `container` whose text holds `label`,
    then its `value` child (or the container itself)."""

    container: str
    label: str
    value: str | None = None

    def arg(self) -> dict[str, str | None]:
        return {"container": self.container, "label": self.label, "value": self.value}


# The Training Trace metric the round trip waits on: its value changes with Epochs.
END_LOSS = Probe("[data-testid=stMetric]", BEFORE_ITS_UPDATE, "[data-testid=stMetricValue]")
HOME_LIVE = Probe("[data-testid=stMetric]", "w.grad", "[data-testid=stMetricValue]")  # the live numbers
BARE_VALUE = Probe("[data-testid=stMain] [data-testid=stMarkdownContainer]", "value:")

# `probe(p)` → the probed text or null; shared by the settle check and the round-trip watcher.
_PROBE_JS = """
const probe = (p) => {
  for (const el of document.querySelectorAll(p.container)) {
    if (!el.textContent.includes(p.label)) continue;
    const v = p.value ? el.querySelector(p.value) : el;
    return v ? v.textContent : null;
  }
  return null;
};
const settled = () => {
  const app = document.querySelector(%r);
  return !!app && !document.querySelector(%r);
};
""" % (SETTLED, SKELETON)  # noqa: UP031 - JS braces make f-strings unreadable here

SETTLE_JS = "(p) => {" + _PROBE_JS + "return settled() && probe(p) !== null;}"

# Arms a watcher: t0 at the keydown (capture phase), t1 at the first animation frame after the
# DOM shows the script back at notRunning, no skeleton, and a probed value different from `before`.
# Also kept, to see where the time goes: when the script state first reads "running" (tRun) and last
# turns back to notRunning (tIdle), and the main-thread long tasks (> 50 ms) in between (longMs).
ARM_JS = (
    "(p) => {"
    + _PROBE_JS
    + """
const before = probe(p);
const state = () => document.querySelector("[data-testid=stApp]")?.getAttribute("data-test-script-state");
const rt = (window.__rt = {t0: null, t1: null, tRun: null, tIdle: null, longMs: 0, before, after: null});
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (rt.t0 !== null && rt.t1 === null && e.startTime >= rt.t0) rt.longMs += e.duration;
  }
}).observe({type: "longtask"});
document.addEventListener("keydown", () => { if (rt.t0 === null) rt.t0 = performance.now(); },
                          {capture: true, once: true});
const obs = new MutationObserver(() => {
  if (rt.t0 === null) return;
  const st = state();
  if (st === "running" && rt.tRun === null) rt.tRun = performance.now();
  if (st === "notRunning" && rt.tRun !== null) rt.tIdle = performance.now();
  if (!settled()) return;
  const now = probe(p);
  if (now === null || now === before) return;
  obs.disconnect();
  rt.after = now;
  requestAnimationFrame(() => { rt.t1 = performance.now(); });
});
obs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
return before;
}"""
)


@dataclass(frozen=True)
class RoundTrip:
    """One keypress, in seconds from the keydown: total to the repaint, and the parts of it."""

    total: float
    to_running: float  # keydown → script state "running" (client → websocket → server starts the rerun)
    running: float  # "running" → back to notRunning (the script run, its deltas drawn as they arrive)
    after_idle: float  # notRunning → repainted value
    long_tasks: float  # main-thread long tasks in the browser during the whole round trip
    before: str
    after: str


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """The system Chromium (never a downloaded one), closed on exit."""
    async with async_playwright() as pw:
        browser = await launch(pw.chromium)
        try:
            yield browser
        finally:
            await browser.close()


async def settle(page: Page, probe: Probe, timeout_ms: int = SETTLE_TIMEOUT_MS, polling: str | int = "raf") -> None:
    """Wait until the script is notRunning, no skeleton is left, and the probed element is on screen."""
    await page.wait_for_function(SETTLE_JS, arg=probe.arg(), timeout=timeout_ms, polling=polling)


# Added to every new page: the script-state transitions, in ms since navigation start (performance.now()).
STATES_JS = """
window.__states = [];
new MutationObserver(() => {
  const s = document.querySelector("[data-testid=stApp]")?.getAttribute("data-test-script-state");
  const log = window.__states;
  if (s && (log.length === 0 || log[log.length - 1][0] !== s)) log.push([s, performance.now()]);
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-test-script-state"]});
"""


@dataclass
class Opened:
    """A page opened in its own context and settled."""

    page: Page
    took: float  # seconds from goto to settled
    failed: bool  # an exception element is shown
    first_running: float  # seconds from navigation start to the first "running" script state
    last_idle: float  # seconds from navigation start to the last "notRunning"
    settled: float  # seconds from navigation start to settled


async def open_settled(
    browser: Browser, url: str, probe: Probe, polling: str | int = "raf", timeout_ms: int = SETTLE_TIMEOUT_MS
) -> Opened:
    """A new context and page at `url`, waited on until settled."""
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    await ctx.add_init_script(STATES_JS)
    page = await ctx.new_page()
    t0 = time.perf_counter()
    await page.goto(url, timeout=timeout_ms)
    await settle(page, probe, timeout_ms=timeout_ms, polling=polling)
    took = time.perf_counter() - t0
    now = await page.evaluate("() => performance.now()")
    states = await page.evaluate("() => window.__states")
    running = [t for s, t in states if s == "running"]
    idle = [t for s, t in states if s == "notRunning"]
    failed = await page.locator("[data-testid=stException]").count() > 0
    return Opened(
        page=page,
        took=took,
        failed=failed,
        first_running=(running[0] if running else float("nan")) / 1000,
        last_idle=(idle[-1] if idle else float("nan")) / 1000,
        settled=now / 1000,
    )


async def round_trip(
    page: Page, slider_name: str, probe: Probe, key: str = "ArrowRight", timeout_ms: int = 30_000
) -> RoundTrip:
    """Press `key` on the named slider; time from keydown to the repainted, settled value."""
    thumb = page.get_by_role("slider", name=slider_name)  # accessible name: "Epochs Epochs"
    await thumb.focus()
    await page.evaluate(ARM_JS, probe.arg())
    await page.keyboard.press(key)
    await page.wait_for_function("() => window.__rt.t1 !== null", timeout=timeout_ms)
    rt = await page.evaluate("() => window.__rt")
    t0, t1 = rt["t0"], rt["t1"]
    t_run = rt["tRun"] if rt["tRun"] is not None else t0
    t_idle = rt["tIdle"] if rt["tIdle"] is not None else t_run
    return RoundTrip(
        total=(t1 - t0) / 1000,
        to_running=(t_run - t0) / 1000,
        running=(t_idle - t_run) / 1000,
        after_idle=(t1 - t_idle) / 1000,
        long_tasks=rt["longMs"] / 1000,
        before=rt["before"],
        after=rt["after"],
    )
