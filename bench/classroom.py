"""The classroom script: what a student does after "open the link and try lr 0.05", as concrete steps.

One seeded generator draws every choice, so GradLab and the bare baseline follow the same script with the
same timing: GradLab runs each step as written; the bare app answers each step with one slider move (and
each Play tick with one more), so both servers get the same number of reruns at the same moments.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench.student import Student

LINK = "/Training_Trace?lr=0.05"  # the link the teacher projects
NET_LINK = LINK + "&model=net"  # half the class opens the network's version of it (issue 21)
BARE_LINK = "/?v=5"
EPOCHS = (5, 10, 20, 20, 50, 50, 100, 200, 500, 1000, 2000)  # what a class types; mostly short runs
LRS = ("0.001", "0.005", "0.01", "0.02", "0.03", "0.05", "0.05", "0.05", "0.1")  # "try 0.05", and a few more
THINK_S = (2.0, 6.0)  # one action every few seconds, uniformly jittered
PLAY_S = (6.0, 15.0)  # how long a student watches Play before pausing
PLAY_TICK_S = 0.8  # the bare app's stand-in for GradLab's Play interval
LAB_BUTTONS = ("forward + loss", "backward()", "forward + backward() again", "grad.zero_()")
# Predict first is on: before each lab click a student picks what .grad will be, and on Data Flow and
# Prediction Trace commits a prediction before the page reveals the next stage.
LAB_GUESS = "Predict first: what will w.grad be after the operation you click next?"
LOCK = "Lock in my prediction"
QUIZ_QUESTION = re.compile(r"\d+\. ")
STEP_TAB = "② Step-through training"
QUIZ_ANSWERS = 3

Step = tuple[str, object]


def _settings(rng: random.Random, epochs: int) -> Iterator[Step]:
    """Move the sidebar as the teacher asks: an Epochs stop, labelled as shown, and a learning rate."""
    yield ("set", ("Epochs", f"{epochs:,}"))
    yield ("set", ("Learning rate", rng.choice(LRS)))


def script(rng: random.Random, net: bool = False) -> Iterator[Step]:
    """One student's steps, endless (the caller's clock ends it): (kind, argument). With `net` the student opens
    the network's link, so every page it visits runs the network; a step whose widget the network's page lacks
    is skipped, as a student would."""
    yield ("open", NET_LINK if net else LINK)
    epochs = 5
    while True:
        epochs = rng.choice(EPOCHS)
        yield from _settings(rng, epochs)
        yield ("goto", "Prediction Trace")
        yield ("predict", rng.random())
        yield ("goto", "Grad Lab")
        for label in LAB_BUTTONS:
            yield ("guess", rng.random())
            yield ("click", label)
        yield ("tab", STEP_TAB)
        # Play stops by itself after the run's last epoch.
        yield ("play", min(epochs, round(rng.uniform(*PLAY_S) / PLAY_TICK_S)))
        yield ("goto", "Quiz")
        for _ in range(QUIZ_ANSWERS):
            yield ("answer", (rng.random(), rng.random()))
        yield ("goto", "Training Trace")
        epochs = rng.choice(EPOCHS)
        yield from _settings(rng, epochs)
        yield ("goto", "Data Flow")
        yield ("predict", rng.random())
        yield ("goto", "Home")
        yield ("goto", "Training Trace")


@dataclass
class Tally:
    """What one level of load produced, summed over its students."""

    latencies: list[float] = field(default_factory=list)  # s, action (or Play tick) → end of its run
    largest: int = 0  # bytes: the largest message any student received
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.append(seconds)
        self.by_kind.setdefault(kind, []).append(seconds)


class _Over(Exception):
    """The level's clock ran out."""


async def run_student(base_url: str, seed: int, start_in: float, deadline: float, tally: Tally, bare: bool) -> None:
    """Connect after `start_in` s, follow the script until `deadline` (time.monotonic()), then leave."""
    rng = random.Random(seed)  # the script and the pauses: the same for both apps
    values = random.Random(-seed)  # the bare app's slider values, drawn apart so that the script stays the same
    await asyncio.sleep(start_in)
    s = Student(base_url)
    try:
        await s.connect()
        for kind, arg in script(rng, net=seed % 2 == 1):  # odd seeds: the network, so half the class
            await (_bare_step(s, kind, arg, values, deadline, tally) if bare else _step(s, kind, arg, deadline, tally))
            await _think(rng, deadline)
    except _Over:
        pass
    except Exception as err:  # a failed student is counted, never fatal to the level
        tally.failures.append(f"{type(err).__name__}: {err}"[:200])
    finally:
        tally.exceptions += s.exceptions
        tally.largest = max(tally.largest, s.largest)
        await s.close()


async def _think(rng: random.Random, deadline: float) -> None:
    pause = rng.uniform(*THINK_S)
    if time.monotonic() + pause >= deadline:
        raise _Over
    await asyncio.sleep(pause)


async def _step(s: Student, kind: str, arg: object, deadline: float, tally: Tally) -> None:
    if kind == "open":
        tally.add(kind, await s.open(str(arg)))
    elif kind == "set":
        label, value = arg  # type: ignore[misc]
        tally.add(kind, await s.set(label, value))
    elif kind == "goto":
        tally.add(kind, await s.goto(str(arg)))
    elif kind == "click":
        w = s.widgets.get(str(arg))
        if w is not None and not w.disabled:
            tally.add(kind, await s.click(str(arg)))
    elif kind == "tab":
        tally.add(kind, await s.open_tab(str(arg)))
    elif kind == "answer":  # pick an option of a quiz question, then its Check (one rerun: the form's)
        pick, option = arg  # type: ignore[misc]
        questions = [w for w in s.every if w.kind == "radio" and w.form and QUIZ_QUESTION.match(w.label)]
        if questions:
            w = questions[int(pick * len(questions))]
            check = s.submit_of(w)
            if check is not None:
                s.fill(w, w.options[int(option * len(w.options))])
                tally.add(kind, await s.click(check))
    elif kind == "guess":
        w = s.widgets.get(LAB_GUESS)
        if w is not None and w.options:
            tally.add(kind, await s.set(LAB_GUESS, w.options[int(float(arg) * len(w.options))]))  # type: ignore[arg-type]
    elif kind == "predict":  # the page's open prediction, then Lock in: one rerun, the form's
        asks = [label for label, w in s.widgets.items() if w.kind == "radio" and label.endswith("?")]
        asks = [label for label in asks if not QUIZ_QUESTION.match(label) and label != LAB_GUESS]
        if asks and s.widgets[asks[0]].options and LOCK in s.widgets:
            options = s.widgets[asks[0]].options
            s.fill(asks[0], options[int(float(arg) * len(options))])  # type: ignore[arg-type]
            tally.add(kind, await s.click(LOCK))
    elif kind == "play":
        await _play(s, int(arg), deadline, tally)  # type: ignore[call-overload]


async def _play(s: Student, ticks: int, deadline: float, tally: Tally) -> None:
    """Press Play, let the fragment's timer tick (one rerun per tick), then Pause if it still plays."""
    play = s.widgets.get("▶ Play")
    if play is None or play.disabled:
        return
    tally.add("play", await s.click("▶ Play"))
    for _ in range(ticks):
        if not s.timers or time.monotonic() >= deadline:
            break
        fragment, interval = next(iter(s.timers.items()))
        await asyncio.sleep(interval)
        tally.add("tick", await s.tick(fragment))
    if s.timers and "⏸ Pause" in s.widgets:
        tally.add("play", await s.click("⏸ Pause"))


async def _bare_step(s: Student, kind: str, arg: object, rng: random.Random, deadline: float, tally: Tally) -> None:
    """The same step against the bare app: one slider move per rerun GradLab would run."""
    if kind == "open":
        tally.add(kind, await s.open(BARE_LINK))
        return
    if kind == "play":  # the press, the ticks, the pause
        tally.add("play", await s.set("Value", rng.randint(0, 10_000)))
        for _ in range(int(arg)):  # type: ignore[call-overload]
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(PLAY_TICK_S)
            tally.add("tick", await s.set("Value", rng.randint(0, 10_000)))
        return
    tally.add(kind, await s.set("Value", rng.randint(0, 10_000)))  # one rerun, as GradLab's step runs one
