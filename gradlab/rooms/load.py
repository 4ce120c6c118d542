"""Many votes at once, for a load test (bench/) or a demo: a class of voters voting, then changing their minds.

Not a benchmark itself: it casts the votes and reports what happened; the caller times what it wants.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from gradlab.rooms.codes import new_voter_id
from gradlab.rooms.errors import RoomError
from gradlab.rooms.question import Question, Value
from gradlab.rooms.store import RoomStore


def random_vote(question: Question, rng: random.Random) -> Value:
    """A valid vote on `question`: a random option, or a random number within [low, high]."""
    if question.kind == "choice":
        return rng.randrange(len(question.options))
    assert question.low is not None and question.high is not None
    return rng.uniform(question.low, question.high)


@dataclass(frozen=True)
class Cast:
    """What `cast_votes` did: the voter ids, votes counted, and refusals by error class name."""

    voters: tuple[str, ...]
    counted: int
    refused: dict[str, int]


def cast_votes(store: RoomStore, code: str, voters: int, changes: int = 1, threads: int = 8, seed: int = 0) -> Cast:
    """`voters` new voters each vote on the room's current ballot, then change their vote `changes` times.

    Votes go out from `threads` threads (a class voting at once); `seed` fixes the values. The room must be
    voting; refusals (rate limit, full room, a ballot that moved on) are counted, not raised.
    """
    state = store.state(code)
    if state.question is None:
        raise ValueError("the room has no question to vote on")
    question, ballot = state.question, {"asked": state.asked, "round": state.round}
    ids = tuple(new_voter_id() for _ in range(voters))
    refused: Counter[str] = Counter()
    lock = threading.Lock()  # += on a Counter is not atomic across threads

    def one_voter(i: int) -> int:
        rng = random.Random(seed * 1_000_003 + i)
        counted = 0
        for _ in range(1 + changes):
            try:
                store.vote(code, ids[i], random_vote(question, rng), **ballot)
                counted += 1
            except RoomError as err:  # StoreUnavailable included: a load test counts it
                with lock:
                    refused[type(err).__name__] += 1
        return counted

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        counted = sum(pool.map(one_voter, range(voters)))
    return Cast(ids, counted, dict(refused))
