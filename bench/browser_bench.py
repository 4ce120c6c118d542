"""Real-browser measures: slider round trip, cold start, memory per session, the largest run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from playwright.async_api import Browser, Page

from bench.browser import (
    BARE_VALUE,
    END_LOSS,
    HOME_LIVE,
    Probe,
    RoundTrip,
    chromium,
    open_settled,
    round_trip,
)
from bench.common import (
    Row,
    Server,
    bare_server,
    bare_torch_server,
    compared,
    gradlab_server,
    log,
    mb_cell,
    median,
    ms,
    ratio,
    secs,
)

TRACE = "/Training_Trace"


# --- 3. roundtrip ------------------------------------------------------------------------------------------


@dataclass
class _Side:
    """One app under the round-trip measure: its server, open page, slider, probe and results."""

    server: Server
    path: str
    slider: str
    probe: Probe
    page: Page | None = None
    trips: list[RoundTrip] = field(default_factory=list)
    cpu: float = 0.0  # server CPU seconds over the timed presses


async def _round_trips(browser: Browser, sides: list[_Side], n: int, warmup: int) -> None:
    """Both pages open side by side; presses alternate between them so that drift hits both alike."""
    try:
        for side in sides:
            side.page = (await open_settled(browser, side.server.url + side.path, side.probe)).page
        for i in range(warmup + n):
            for side in sides:
                assert side.page is not None
                c0 = side.server.cpu_s()
                # Right, then back: GradLab's Epochs stops (5 ↔ 10) and the bare slider (5 ↔ 6) stay in place.
                key = "ArrowRight" if i % 2 == 0 else "ArrowLeft"
                trip = await round_trip(side.page, side.slider, side.probe, key)
                if i >= warmup:
                    side.trips.append(trip)
                    side.cpu += side.server.cpu_s() - c0
                await asyncio.sleep(0.15)  # let the last frame and websocket traffic drain
    finally:
        for side in sides:
            if side.page is not None:
                await side.page.context.close()


def _parts(name: str, side: _Side) -> None:
    def med(attr: str) -> float:
        return median([getattr(t, attr) for t in side.trips]) * 1000

    cpu = side.cpu / max(1, len(side.trips)) * 1000
    log(
        f"roundtrip {name}: {[round(t.total * 1000) for t in side.trips]} ms; medians: keydown→running "
        f"{med('to_running'):.0f}, running→notRunning {med('running'):.0f}, notRunning→painted "
        f"{med('after_idle'):.0f}; browser long tasks {med('long_tasks'):.0f} ms; server CPU {cpu:.0f} ms/trip"
    )


def roundtrip(ctx: dict[str, float], quick: bool) -> list[Row]:
    """Keydown on a focused slider thumb → script notRunning and the shown value repainted."""
    n, warmup = (5, 1) if quick else (12, 2)

    async def run(sides: list[_Side]) -> None:
        async with chromium() as browser:
            await _round_trips(browser, sides, n, warmup)

    with gradlab_server() as g, bare_server() as b:
        gl_side = _Side(g, TRACE, "Epochs", END_LOSS)
        net_side = _Side(g, TRACE + "?model=net", "Epochs", END_LOSS)  # the network (issue 21), same server
        bare_side = _Side(b, "/", "Value", BARE_VALUE)
        asyncio.run(run([gl_side, net_side, bare_side]))
    _parts("GradLab", gl_side)
    _parts("GradLab, network", net_side)
    _parts("bare", bare_side)
    gl, net = [t.total for t in gl_side.trips], [t.total for t in net_side.trips]
    bare = [t.total for t in bare_side.trips]
    ctx["roundtrip_s"] = median(gl)
    what = f"roundtrip: Epochs arrow key → settled, repainted (median of {n}, alternating with the baseline)"
    return [
        compared("3", what, median(gl), median(bare), ms, 2.0),
        compared("3n", what.replace("roundtrip:", "roundtrip, model=net:"), median(net), median(bare), ms, 2.0),
    ]


# --- 4. coldstart ------------------------------------------------------------------------------------------


@dataclass
class _Cold:
    """One cold start, in seconds from spawning `streamlit run`."""

    healthy: float  # /_stcore/health answers
    running: float  # the browser shows the first script run started
    idle: float  # that run finished (imports and the whole script)
    settled: float  # the page is settled: the figure reported


async def _cold_once(browser: Browser, start: Callable[[], AbstractContextManager[Server]], probe: Probe) -> _Cold:
    with start() as s:  # the clock starts in Server.__init__, right before Popen; start() returns once healthy
        healthy = time.perf_counter() - s.started
        opened = await open_settled(browser, s.url + "/", probe)
        settled = time.perf_counter() - s.started
        await opened.page.context.close()
        nav = settled - opened.settled  # navigation start, on the same clock
        return _Cold(healthy, nav + opened.first_running, nav + opened.last_idle, settled)


def coldstart(ctx: dict[str, float], quick: bool) -> list[Row]:
    """`streamlit run` → home page settled with its live numbers, a fresh server each time.

    GradLab, the bare app and the bare app plus torch are interleaved. The second baseline is the floor for
    any page that shows a live autograd number: PyTorch's import alone is ~0.8–1 s here.
    """
    n = 1 if quick else 5
    apps = {"GradLab": (gradlab_server, HOME_LIVE), "bare": (bare_server, BARE_VALUE)}
    apps["bare + torch"] = (bare_torch_server, BARE_VALUE)

    async def run() -> dict[str, list[_Cold]]:
        parts: dict[str, list[_Cold]] = {name: [] for name in apps}
        async with chromium() as browser:
            for _ in range(n):
                for name, (start, probe) in apps.items():
                    parts[name].append(await _cold_once(browser, start, probe))
        return parts

    parts = asyncio.run(run())
    for name, runs in parts.items():
        steps = [f"{c.healthy:.2f}/{c.running:.2f}/{c.idle:.2f}/{c.settled:.2f}" for c in runs]
        log(f"coldstart {name} s after Popen, healthy/first run starts/ends/settled: {', '.join(steps)}")
    gl, bare, floor = (median([c.settled for c in parts[name]]) for name in apps)
    ctx["coldstart_s"] = gl
    what = f"coldstart: `streamlit run` → home page settled, live numbers shown (median of {n})"
    return [
        compared("4a", what + ", vs a bare app", gl, bare, secs, 1.6),
        compared("4b", what + ", vs a bare app that imports torch and runs one backward()", gl, floor, secs),
    ]


# --- 5. memory ---------------------------------------------------------------------------------------------


async def _rss_per_session(browser: Browser, s: Server, urls: list[str], probe: Probe) -> tuple[float, float]:
    """(MB per extra session, RSS after in MB): one warm session first, then len(urls) more, all kept open."""
    pages = []
    try:
        pages.append((await open_settled(browser, urls[0], probe)).page)
        await asyncio.sleep(1.0)
        before = s.rss_mb()
        for url in urls[1:]:
            pages.append((await open_settled(browser, url, probe)).page)
        await asyncio.sleep(1.0)
        after = s.rss_mb()
        return (after - before) / (len(urls) - 1), after
    finally:
        for p in pages:
            await p.context.close()


def memory(ctx: dict[str, float], quick: bool) -> list[Row]:
    """Server RSS growth per extra open session on /Training_Trace (different epochs each) vs the bare app."""
    n = 4 if quick else 10
    gl_urls = [f"{TRACE}?epochs={5 + 37 * i}" for i in range(n + 1)]
    bare_urls = [f"/?v={5 + 37 * i}" for i in range(n + 1)]

    async def run(g: Server, b: Server) -> tuple[tuple[float, float], tuple[float, float]]:
        async with chromium() as browser:
            gl = await _rss_per_session(browser, g, [g.url + u for u in gl_urls], END_LOSS)
            bare = await _rss_per_session(browser, b, [b.url + u for u in bare_urls], BARE_VALUE)
            return gl, bare

    with gradlab_server() as g, bare_server() as b:
        (gl, gl_total), (bare, bare_total) = asyncio.run(run(g, b))
    log(f"memory: GradLab server RSS {gl_total:.0f} MB after {n + 1} sessions; bare {bare_total:.0f} MB")
    return [
        Row(
            "5",
            f"memory: server RSS per extra session ({n} sessions)",
            mb_cell(gl),
            mb_cell(bare),
            ratio(gl, bare),
            "≤ 5 MB (GradLab)" + (" ✓" if gl <= 5 else " ✗"),
        )
    ]


# --- 6. largest --------------------------------------------------------------------------------------------


def largest(ctx: dict[str, float], quick: bool) -> list[Row]:
    """10,000 epochs on /Training_Trace in a fresh browser context (a cache miss) → settled page."""
    lrs = ["0.01", "0.009", "0.008"][: 1 if quick else 3]  # a new lr each time: never a cached trace

    async def run(g: Server) -> list[float]:
        async with chromium() as browser:
            warm = await open_settled(browser, g.url + "/", HOME_LIVE)  # imports done, not timed
            await warm.page.context.close()
            times = []
            for lr in lrs:
                c0 = g.cpu_s()
                o = await open_settled(browser, f"{g.url}{TRACE}?epochs=10000&lr={lr}", END_LOSS)
                log(
                    f"largest lr={lr}: {o.took:.2f} s goto → settled; since navigation start: script runs "
                    f"{o.first_running:.2f}–{o.last_idle:.2f} s, settled {o.settled:.2f} s; "
                    f"server CPU {g.cpu_s() - c0:.2f} s" + ("; AN EXCEPTION IS SHOWN" if o.failed else "")
                )
                times.append(o.took)
                await o.page.context.close()
            return times

    with gradlab_server() as g:
        times = asyncio.run(run(g))
    log(f"largest s: {[round(t, 2) for t in times]}")
    took = median(times)
    train_s, cold_s = ctx.get("train_s", float("nan")), ctx.get("coldstart_s", float("nan"))
    what = f"largest: /Training_Trace?epochs=10000 → settled (median of {len(times)})"
    return [
        compared("6a", f"{what} vs `train()` alone (measure 1)", took, train_s, secs),
        compared("6b", f"{what} vs cold start (measure 4a)", took, cold_s, secs),
    ]
