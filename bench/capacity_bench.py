"""Capacity: how many students one server holds, each following the classroom script over Streamlit's WebSocket.

No browsers: each student is a `bench.student.Student`. The server runs pinned to core 0 (`taskset -c 0`)
and the students run in this process on core 1, so the figures are one core's worth of server. Every level
of load starts a fresh server, GradLab and the bare one-slider app alternately.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from bench.class_votes import ClassRun, class_level, warm_class
from bench.classroom import LINK, NET_LINK, Tally, run_student
from bench.common import Row, Server, bare_server, compared, gradlab_server, log, mb_cell, median, ms, p95, ratio
from bench.student import Student

LEVELS = (10, 30, 60, 100)
QUICK_LEVELS = (10, 60)
GOALS_S = {60: 1.0, 100: 2.0}  # p95 action → end of run, on one core
CLASS_PHONES, QUICK_CLASS_PHONES = 100, 30
CLASS_GOAL_S = 1.0  # p95 from a vote to the projector, on one core
BARE_FLAGS = ("--runner.postScriptGC=false",)
WARM_PAGES = ("Data Flow", "Prediction Trace", "Grad Lab", "Quiz", "Home")


@dataclass
class Level:
    """One app under one level of load."""

    students: int
    tally: Tally
    cpu_s: float  # server CPU over the level
    peak_mb: float  # server RSS, sampled every 0.5 s
    lag_p95: float  # how late the students' own event loop ran (s): their core must not be the bottleneck
    wall_s: float  # from the first arrival to the last student leaving

    @property
    def core_share(self) -> float:
        """The share of one core the server(s) used: below demand means other work held the core."""
        return self.cpu_s / self.wall_s

    @property
    def reruns(self) -> int:
        return len(self.tally.latencies)

    @property
    def cpu_per_rerun(self) -> float:
        return self.cpu_s / self.reruns if self.reruns else float("nan")


SERVER_NICE, STUDENTS_NICE = -10, -5  # as root: other work on a shared machine must not take the server's core


@contextlib.contextmanager
def _students_on(core: int) -> Iterator[None]:
    """Run this process (the students) on one core while the server has the other, at a raised priority."""
    before_cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    before_nice = os.getpriority(os.PRIO_PROCESS, 0)
    if before_cores is not None and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {core})
    if os.geteuid() == 0:
        os.setpriority(os.PRIO_PROCESS, 0, STUDENTS_NICE)
    try:
        yield
    finally:
        if before_cores is not None:
            os.sched_setaffinity(0, before_cores)
        if os.geteuid() == 0:
            os.setpriority(os.PRIO_PROCESS, 0, before_nice)


def server_prefix(pin: bool = True) -> tuple[str, ...]:
    """`taskset -c 0` (with a second core left for the students) and, as root, a raised priority.

    Other agents share this machine's two cores; without the priority the server got a quarter of its
    core under their load (both cores 100% busy), and latencies measured that contention, not GradLab.
    """
    prefix: tuple[str, ...] = ()
    if pin and shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        prefix += ("taskset", "-c", "0")
    if os.geteuid() == 0 and shutil.which("nice"):
        prefix += ("nice", "-n", str(SERVER_NICE))
    return prefix


async def warm(url: str, bare: bool) -> None:
    """One untimed session through every page: imports and first-use setup are not per-student costs."""
    for link in ("/",) if bare else (LINK, NET_LINK):  # both models: half the class runs the network
        s = Student(url)
        await s.connect()
        try:
            await s.open(link)
            for page in () if bare else WARM_PAGES:
                await s.goto(page)
        finally:
            await s.close()


async def _sample(servers: Sequence[Server], stop: asyncio.Event, peak: list[float], lag: list[float]) -> None:
    while not stop.is_set():
        t0 = time.monotonic()
        peak[0] = max(peak[0], sum(s.rss_mb() for s in servers))
        await asyncio.sleep(0.1)
        lag.append(max(0.0, time.monotonic() - t0 - 0.1))


async def run_level(url: str, servers: Sequence[Server], n: int, seconds: float, ramp: float, bare: bool) -> Level:
    """`n` students arriving over `ramp` s at `url`, each following the script until `seconds` after the start.

    CPU and memory are summed over `servers` (the replicas behind a proxy, or the one server at `url`).
    """
    for _ in servers:  # behind a proxy a warm-up lands on any replica: one per replica, roughly
        await warm(url, bare)
    tally, peak, lag, stop = Tally(), [0.0], [], asyncio.Event()
    sampler = asyncio.create_task(_sample(servers, stop, peak, lag))
    cpu0, t0 = sum(s.cpu_s() for s in servers), time.monotonic()
    deadline = t0 + seconds
    await asyncio.gather(
        *(run_student(url, 1000 + i, ramp * i / n, deadline, tally, bare) for i in range(n))
    )  # the same seeds and arrival times for both apps
    cpu, wall = sum(s.cpu_s() for s in servers) - cpu0, time.monotonic() - t0
    stop.set()
    await sampler
    lag_p95 = p95(lag) if lag else float("nan")
    return Level(n, tally, cpu, peak[0], lag_p95, wall)


def _describe(name: str, lv: Level, took: float) -> None:
    kinds = ", ".join(
        f"{k} {len(v)}× p50 {statistics.median(v) * 1000:.0f}/p95 {p95(v) * 1000:.0f} ms"
        for k, v in sorted(lv.tally.by_kind.items())
    )
    log(
        f"capacity {name} {lv.students} students, {took:.0f} s: {lv.reruns} reruns, server CPU {lv.cpu_s:.1f} s "
        f"({lv.cpu_s / took:.0%} of a core), peak RSS {lv.peak_mb:.0f} MB, students' loop lag p95 "
        f"{lv.lag_p95 * 1000:.0f} ms, largest message {lv.tally.largest / 1000:.0f} KB; {kinds}"
    )
    for what, items in (("failed", lv.tally.failures), ("exceptions shown", lv.tally.exceptions)):
        if items:
            log(f"capacity {name}: {len(items)} {what}, e.g. {items[:2]}")


def measure_level(
    start: Callable[..., AbstractContextManager[Server]], n: int, seconds: float, ramp: float, bare: bool, **kw: Any
) -> Level:
    """A fresh server (pinned), one level of load, stopped again."""
    with start(prefix=server_prefix(), **kw) as s, _students_on(1):
        t0 = time.monotonic()
        lv = asyncio.run(run_level(s.url, [s], n, seconds, ramp, bare))
        _describe("bare" if bare else "GradLab", lv, time.monotonic() - t0)
        return lv


def level_rows(num: str, n: int, gl: Level, bare: Level, what: str = "") -> list[Row]:
    """p50, p95, CPU per rerun and peak memory for one level, GradLab beside the bare app."""
    name = f"capacity{what} ({n} students, {gl.reruns:,} / {bare.reruns:,} reruns)"
    goal = GOALS_S.get(n)
    gl95 = p95(gl.tally.latencies)
    target = "—" if goal is None else f"< {goal:.0f} s (GradLab)" + (" ✓" if gl95 < goal else " ✗")
    failed = len(gl.tally.failures) + len(gl.tally.exceptions)
    rows = [
        compared(f"{num}a", f"{name}: p50 action → end of its run", median(gl.tally.latencies),
                 median(bare.tally.latencies), ms),
        Row(f"{num}b", f"{name}: p95 action → end of its run", ms(gl95), ms(p95(bare.tally.latencies)),
            ratio(gl95, p95(bare.tally.latencies)), target),
        compared(f"{num}c", f"{name}: server CPU per rerun", gl.cpu_per_rerun, bare.cpu_per_rerun, ms),
        compared(f"{num}d", f"{name}: server peak RSS", gl.peak_mb, bare.peak_mb, mb_cell),
        compared(f"{num}e", f"{name}: server busy (share of one core)", gl.core_share, bare.core_share, _pct),
    ]  # fmt: skip
    if failed:
        rows.append(Row(f"{num}f", f"{name}: failed students + exceptions shown", str(failed),
                        str(len(bare.tally.failures) + len(bare.tally.exceptions)), "—", "0"))  # fmt: skip
    return rows


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{x:.0%}"


def students_per_core(lv: Level, pace: Level, busy: float = 0.7) -> float:
    """Students one core holds at `busy` utilisation, from `lv`'s CPU per rerun and `pace`'s reruns per student.

    `pace` is the bare app under the same script: its students wait least, so they ask for reruns at the
    script's own pace. Unlike latencies, these are CPU times, which other work on a shared machine barely
    changes.
    """
    per_student = pace.reruns / pace.students / pace.wall_s  # reruns per second per student
    return busy / (lv.cpu_per_rerun * per_student)


def core_available(seconds: float = 3.0) -> float:
    """The share of core 0 that a busy loop gets at the server's priority: what any server could get here."""
    code = (
        "import time\nt0, c0 = time.monotonic(), time.process_time()\n"
        f"while time.monotonic() - t0 < {seconds}: pass\n"
        "print((time.process_time() - c0) / (time.monotonic() - t0))"
    )
    out = subprocess.run([*server_prefix(), sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def capacity(ctx: dict[str, float], quick: bool) -> list[Row]:
    """10, 30, 60 and 100 students on one core (quick: 10 and 60, briefly), GradLab beside the bare app."""
    levels, seconds, ramp = (QUICK_LEVELS, 10.0, 3.0) if quick else (LEVELS, 60.0, 10.0)
    rows: list[Row] = []
    free = [core_available()]
    for i, n in enumerate(levels, start=1):
        gl = measure_level(gradlab_server, n, seconds, ramp, bare=False)
        # The bare app runs with GradLab's runner settings (.streamlit/config.toml), so that the ratio is the
        # app's own cost, not Streamlit's full collection after every run, which GradLab turns off.
        bare = measure_level(bare_server, n, seconds, ramp, bare=True, flags=BARE_FLAGS)
        rows += level_rows(f"8.{i}", n, gl, bare)
        ctx[f"capacity_p95_{n}"] = p95(gl.tally.latencies)
        last = (gl, bare)
        free.append(core_available())
    log(f"capacity: a busy loop got {', '.join(f'{f:.0%}' for f in free)} of core 0 before, between and after")
    what = "capacity: share of core 0 a busy loop gets at the server's priority (the rest is others' work)"
    rows.insert(0, Row("8.0", what, f"{min(free):.0%}–{max(free):.0%}", "—", "—", "100% on a dedicated core"))
    gl, bare = last
    what = f"capacity: students one core holds at 70% busy (CPU per rerun at {gl.students} students × script pace)"
    rows.append(
        compared("8.9", what, students_per_core(gl, bare), students_per_core(bare, bare), lambda x: f"{x:,.0f}")
    )
    return rows + class_votes_in_process(ctx, quick)


def class_votes_in_process(ctx: dict[str, float], quick: bool) -> list[Row]:
    """The class pattern on one pinned core with the in-process store: a projector and 100 phones voting."""
    phones = QUICK_CLASS_PHONES if quick else CLASS_PHONES
    free = [core_available()]
    with gradlab_server(prefix=server_prefix()) as s, _students_on(1):
        asyncio.run(warm_class(s.url))
        cpu0, t0 = s.cpu_s(), time.monotonic()
        run = asyncio.run(class_level(s.url, phones))
        cpu, wall, rss = s.cpu_s() - cpu0, time.monotonic() - t0, s.rss_mb()
    free.append(core_available())
    ctx["class_p95"] = p95(run.to_projector())
    name = f"class votes ({phones} phones + projector, in-process store, one core)"
    what = "class votes: share of core 0 a busy loop gets at the server's priority, before and after"
    core = Row("8.10.0", what, " · ".join(f"{f:.0%}" for f in free), "—", "—", "100% on a dedicated core")
    return [core, *class_rows("8.10", name, run, cpu, wall, rss)]


def class_rows(num: str, name: str, run: ClassRun, cpu_s: float, wall_s: float, rss_mb: float) -> list[Row]:
    """The class pattern's figures. The projector refreshes every 0.5 s: that is the floor a vote waits for."""
    appear = run.to_projector()
    own = [done - sent for sent, done in run.votes]
    goal = f"≤ {CLASS_GOAL_S:.0f} s" + (" ✓" if p95(appear) <= CLASS_GOAL_S else " ✗")
    refresh = "refresh every 500 ms"
    failed = len(run.failures) + len(run.exceptions)
    return [
        Row(f"{num}a", f"{name}: p95 vote → on the projector ({len(appear)} votes)", ms(p95(appear)), refresh, "—",
            goal),
        Row(f"{num}b", f"{name}: p50 vote → on the projector", ms(median(appear)), refresh, "—", "—"),
        Row(f"{num}c", f"{name}: p95 vote → the phone redrawn with it", ms(p95(own)), "—", "—", "—"),
        Row(f"{num}d", f"{name}: p95 a phone's poll (every 2 s, {len(run.polls):,} polls)", ms(p95(run.polls)),
            "—", "—", "—"),
        Row(f"{num}e", f"{name}: server busy (share of one core) · CPU per rerun · RSS", f"{cpu_s / wall_s:.0%} · "
            f"{cpu_s / max(1, run.reruns) * 1000:.1f} ms · {rss_mb:.0f} MB", "—", "—", "—"),
        Row(f"{num}h", f"{name}: p95 lag of the clients' own event loop (they must not be the bottleneck)",
            ms(p95(run.lag)), "—", "—", "—"),
        Row(f"{num}g", f"{name}: a core's share the class asks for (CPU per rerun × {run.asked_per_s:.0f} reruns/s "
            "at its pace)", f"{cpu_s / max(1, run.reruns) * run.asked_per_s:.0%}", "—", "—", "< 70%"),
        Row(f"{num}f", f"{name}: *Show votes* equals the phones' last votes; failed or refused",
            f"{'✓' if run.tally_right else '✗'} {len(run.last_vote)} · {failed} failed, {len(run.refused)} refused",
            "—", "—", "✓ · 0"),
    ]  # fmt: skip
