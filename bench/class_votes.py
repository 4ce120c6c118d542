"""The class pattern (issue 22): a projector and a class of phones voting, over Streamlit's own WebSocket.

The teacher's session opens Data Flow in presentation mode and presses *Start class votes*; its live count is a
fragment that reruns every 0.5 s, and this "browser" ticks it as Chromium would. Each phone opens the join link,
ticks its page's poll fragment every 2 s (as a phone's browser does), votes once at a random moment within the
first 10 s, and changes its vote once or twice. Measured: from a vote's click to the end of the first projector
refresh that began after the vote's own rerun had finished (so the count it drew includes the vote); each vote's
own rerun; each phone's poll; the server's CPU. Then *Show votes* must show exactly the phones' last votes.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import re
import time
from dataclasses import dataclass, field

from bench.common import log, median, p95
from bench.student import RerunFailed, Student

TEACHER_LINK = "/Data_Flow?present=1"
JOIN_S = 5.0  # phones arrive over the first seconds
VOTE_S = 10.0  # every phone has voted by then (from the moment voting opened)
CHANGES = (1, 2)  # then each changes its vote once or twice ...
CHANGE_GAP_S = (1.0, 3.0)  # ... after this long
TAIL_S = 2.0  # the projector keeps refreshing a little after the last vote
OPTION = re.compile(r"^([A-H]) · ")
COUNTS = re.compile(r"([A-H]) \([^)]*\) (\d+)")
LINK = re.compile(r"QR code of the join link \S*Join\?room=([0-9A-Z]{7})")


@dataclass
class ClassRun:
    """What one class did: every vote (sent, done), every projector refresh (sent, done, count), phone polls."""

    phones: int
    votes: list[tuple[float, float]] = field(default_factory=list)
    refreshes: list[tuple[float, float, int]] = field(default_factory=list)
    polls: list[float] = field(default_factory=list)
    last_vote: dict[int, str] = field(default_factory=dict)  # phone → the letter of its last counted vote
    refused: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    shown: dict[str, int] = field(default_factory=dict)  # letter → votes, as *Show votes* drew them
    counted: int = 0  # the projector's last count
    seconds: float = 0.0  # how long the class ran
    lag: list[float] = field(default_factory=list)  # how late this process's event loop ran (s): the clients' side
    poll_s: float = 2.0  # a phone's poll interval, as the page asked for it
    refresh_s: float = 0.5  # the projector's refresh interval, as the page asked for it

    def to_projector(self) -> list[float]:
        """For each vote: click → end of the first projector refresh sent after the vote's rerun had finished."""
        starts = [r[0] for r in self.refreshes]
        out = []
        for sent, done in self.votes:
            i = bisect.bisect_left(starts, done)
            if i < len(self.refreshes):
                out.append(self.refreshes[i][1] - sent)
        return out

    @property
    def reruns(self) -> int:
        """Reruns the server ran for this class: votes, phone polls, projector refreshes (page opens aside)."""
        return len(self.votes) + len(self.refused) + len(self.polls) + len(self.refreshes)

    @property
    def asked_per_s(self) -> float:
        """Reruns per second this class asks for at its own pace: every phone's polls on time, the projector's
        refreshes on time, and the votes it cast. On a server that keeps up, that is what it runs."""
        polls = self.phones / self.poll_s
        return polls + 1 / self.refresh_s + (len(self.votes) + len(self.refused)) / self.seconds

    @property
    def tally_right(self) -> bool:
        want: dict[str, int] = {}
        for letter in self.last_vote.values():
            want[letter] = want.get(letter, 0) + 1
        return {k: v for k, v in self.shown.items() if v} == want and self.counted == len(self.last_vote)

    def summary(self) -> str:
        appear = self.to_projector()
        return (
            f"{self.phones} phones, {len(self.votes)} votes: vote → projector p50 {median(appear) * 1000:.0f} / p95 "
            f"{p95(appear) * 1000:.0f} ms; vote rerun p95 {p95([d - s for s, d in self.votes]) * 1000:.0f} ms; "
            f"{len(self.polls)} phone polls p95 {p95(self.polls) * 1000:.0f} ms; {len(self.refreshes)} projector "
            f"refreshes; clients' loop lag p95 {p95(self.lag) * 1000:.0f} ms; "
            f"tally {'right' if self.tally_right else 'WRONG'} ({self.shown} vs {len(self.last_vote)} "
            f"phones); {len(self.refused)} refused, {len(self.failures)} failed, {len(self.exceptions)} exceptions"
        )


async def start_teacher(url: str) -> tuple[Student, str]:
    """The projector's session with a room asking Data Flow's first question; its room code."""
    t = Student(url)
    await t.connect()
    await t.open(TEACHER_LINK)
    await t.click("Start class votes")
    found = next((m for text in t.texts if (m := LINK.search(text))), None)
    if found is None or not t.timers:
        raise RuntimeError(f"no room started: {t.exceptions or t.texts[-3:]}")
    return t, found.group(1)


async def _projector(t: Student, stop: asyncio.Event, run: ClassRun) -> None:
    fragment, interval = next(iter(t.timers.items()))
    run.refresh_s = interval
    while not stop.is_set():
        await asyncio.sleep(interval)
        sent = time.perf_counter()
        await t.tick(fragment)
        shown = t.metrics.get("Votes so far", "")
        if shown.isdigit():
            run.counted = int(shown)
            run.refreshes.append((sent, time.perf_counter(), run.counted))


async def _phone(url: str, code: str, i: int, opened: float, stop: asyncio.Event, run: ClassRun) -> None:
    rng = random.Random(7000 + i)
    arrive = rng.uniform(0, JOIN_S)
    await asyncio.sleep(max(0.0, opened + arrive - time.perf_counter()))
    s = Student(url)
    lock = asyncio.Lock()  # one rerun at a time per phone, as one browser tab sends them
    try:
        await s.connect()
        async with lock:
            await s.open(f"/Join?room={code}")
        poller = asyncio.create_task(_poll(s, lock, stop, run))
        first = rng.uniform(arrive + 0.2, VOTE_S)
        await asyncio.sleep(max(0.0, opened + first - time.perf_counter()))
        for n in range(1 + rng.choice(CHANGES)):
            if n:
                await asyncio.sleep(rng.uniform(*CHANGE_GAP_S))
            async with lock:
                options = [w for w in s.every if w.kind == "button" and OPTION.match(w.label)]
                if not options:
                    break
                pick = rng.choice(options)
                sent = time.perf_counter()
                await s.click(pick)
                done = time.perf_counter()
            # The newest line: a fragment's rerun adds its elements to what the page already had.
            mine = next((text for text in reversed(s.texts) if text.startswith("Your vote: **")), "")
            letter = OPTION.match(pick.label).group(1)  # type: ignore[union-attr]
            if mine.startswith(f"Your vote: **{letter}**"):
                run.votes.append((sent, done))
                run.last_vote[i] = letter
            else:
                run.refused.append(next((x for x in reversed(s.texts) if "vote" in x.lower()), "?")[:80])
        await stop.wait()
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
    except (RerunFailed, OSError) as err:
        run.failures.append(f"{type(err).__name__}: {err}"[:200])
    finally:
        run.exceptions += s.exceptions
        await s.close()


async def _poll(s: Student, lock: asyncio.Lock, stop: asyncio.Event, run: ClassRun) -> None:
    while not stop.is_set():
        timers = dict(s.timers)
        if not timers:
            await asyncio.sleep(0.5)
            continue
        fragment, interval = next(iter(timers.items()))
        run.poll_s = interval
        await asyncio.sleep(interval)
        async with lock:
            run.polls.append(await s.tick(fragment))


async def _lag(stop: asyncio.Event, run: ClassRun) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        await asyncio.sleep(0.1)
        run.lag.append(max(0.0, time.perf_counter() - t0 - 0.1))


async def class_level(url: str, phones: int) -> ClassRun:
    """A projector and `phones` phones through one class vote at `url`; *Show votes* at the end."""
    run = ClassRun(phones)
    teacher, code = await start_teacher(url)
    stop = asyncio.Event()
    try:
        opened = time.perf_counter()
        projector = asyncio.create_task(_projector(teacher, stop, run))
        lag = asyncio.create_task(_lag(stop, run))
        tasks = [asyncio.create_task(_phone(url, code, i, opened, stop, run)) for i in range(phones)]
        longest = VOTE_S + max(CHANGES) * CHANGE_GAP_S[1] + TAIL_S
        run.seconds = longest
        await asyncio.sleep(max(0.0, opened + longest - time.perf_counter()))
        stop.set()
        await asyncio.gather(*tasks)
        await projector
        await lag
        await teacher.click("Show votes")
        described = " ".join(t for t in teacher.charts)
        run.shown = {letter: int(n) for letter, n in COUNTS.findall(described)}
        run.exceptions += teacher.exceptions
    finally:
        await teacher.close()
    log(f"class votes: {run.summary()}")
    return run


async def warm_class(url: str) -> None:
    """One untimed class vote (start, a phone's vote, show): imports and first use are not a class's cost."""
    teacher, code = await start_teacher(url)
    phone = Student(url)
    try:
        await phone.connect()
        await phone.open(f"/Join?room={code}")
        await phone.click(next(w for w in phone.every if OPTION.match(w.label)))
        await teacher.click("Show votes")
        await teacher.click("End class votes")
    finally:
        await phone.close()
        await teacher.close()
