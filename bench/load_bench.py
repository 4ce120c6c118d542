"""Concurrent load: N browser contexts in one Chromium, all driven at once from one asyncio loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from playwright.async_api import Browser

from bench.browser import BARE_VALUE, END_LOSS, Probe, chromium, open_settled
from bench.common import Row, Server, bare_server, compared, gradlab_server, log, mb_cell, median, ms, p95

LRS = ("0.001", "0.002", "0.003", "0.005", "0.007", "0.01", "0.015", "0.02", "0.025", "0.03")
OVERALL_TIMEOUT_S = 200  # the whole wave; a session not settled by then counts as failed
SESSION_TIMEOUT_MS = OVERALL_TIMEOUT_S * 1000


@dataclass
class Load:
    ok: int
    times: list[float]
    mb_per_session: float
    cpu_per_session: float


async def _one(browser: Browser, url: str, probe: Probe) -> float:
    """Seconds from goto to settled; raises if the page shows an exception or never settles."""
    opened = await open_settled(browser, url, probe, polling=100, timeout_ms=SESSION_TIMEOUT_MS)
    if opened.failed:
        raise RuntimeError(f"exception element on {url}")
    return opened.took


async def _load(browser: Browser, s: Server, urls: list[str], probe: Probe, warm: str, warm_probe: Probe) -> Load:
    # One untimed session on the same page first: imports and first-use setup are not per-session costs.
    opened = await open_settled(browser, s.url + warm, warm_probe)
    await opened.page.context.close()
    await asyncio.sleep(1.0)
    before, cpu0 = s.rss_mb(), s.cpu_s()
    tasks = [asyncio.ensure_future(_one(browser, s.url + u, probe)) for u in urls]
    done, pending = await asyncio.wait(tasks, timeout=OVERALL_TIMEOUT_S)
    for t in pending:  # still unsettled at the deadline: counted as failures
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    cpu = s.cpu_s() - cpu0
    await asyncio.sleep(1.0)
    after = s.rss_mb()  # every context is still open: each session is still alive on the server
    errors = [t.exception() for t in done if t.exception() is not None]
    if pending:
        log(f"load: {len(pending)} sessions not settled after {OVERALL_TIMEOUT_S} s")
    for e in errors[:3]:
        log(f"load: {type(e).__name__}: {str(e)[:200]}")
    times = [t.result() for t in done if t.exception() is None]
    n = len(urls)
    return Load(ok=len(times), times=times, mb_per_session=(after - before) / n, cpu_per_session=cpu / n)


def load(ctx: dict[str, float], quick: bool) -> list[Row]:
    """N concurrent sessions on /Training_Trace with different lr and epochs; the bare app under the same load."""
    n = 8 if quick else 20
    gl_urls = [f"/Training_Trace?lr={LRS[i % len(LRS)]}&epochs={50 + 97 * i}" for i in range(n)]
    bare_urls = [f"/?v={50 + 97 * i}" for i in range(n)]

    async def run(g: Server, b: Server) -> tuple[Load, Load]:
        async with chromium() as browser:
            gl = await _load(browser, g, gl_urls, END_LOSS, "/Training_Trace", END_LOSS)
        async with chromium() as browser:  # a fresh browser: no leftovers from the GradLab contexts
            bare = await _load(browser, b, bare_urls, BARE_VALUE, "/", BARE_VALUE)
        return gl, bare

    with gradlab_server() as g, bare_server() as b:
        gl, bare = asyncio.run(run(g, b))
    log(f"load GradLab s: {sorted(round(t, 2) for t in gl.times)}")
    log(f"load bare s:    {sorted(round(t, 2) for t in bare.times)}")
    name = f"load ({n} concurrent sessions)"
    return [
        Row("7a", f"{name}: settled without an exception", f"{gl.ok}/{n}", f"{bare.ok}/{n}", "—", f"{n}/{n}"),
        compared("7b", f"{name}: p50 goto → settled", median(gl.times), median(bare.times), ms),
        compared("7c", f"{name}: p95 goto → settled", p95(gl.times), p95(bare.times), ms),
        compared("7d", f"{name}: server RSS delta / {n}", gl.mb_per_session, bare.mb_per_session, mb_cell),
        compared("7e", f"{name}: server CPU time / {n}", gl.cpu_per_session, bare.cpu_per_session, ms),
    ]
