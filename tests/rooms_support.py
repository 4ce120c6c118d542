"""Shared by the class-vote tests: questions, a clock to age the in-process store, and stores of either kind."""

from __future__ import annotations

import time
import uuid

from gradlab.rooms.bounds import Limits
from gradlab.rooms.codes import new_voter_id
from gradlab.rooms.connect import redis_client
from gradlab.rooms.memory import MemoryBackend
from gradlab.rooms.question import Question, Reveal
from gradlab.rooms.redis_backend import RedisBackend
from gradlab.rooms.store import RoomStore

KINDS = ("memory", "redis")
CHOICE = Question("zero-grad", "choice", "What does w.grad hold after a second backward()?", ("A", "B", "C", "D"))
NUMBER = Question("lr-step", "number", "What will w be after one step?", low=-10, high=10)
CHOICE_ANSWER = Reveal("B: the sum of both gradients", "backward() adds into .grad; it never overwrites.", option=1)
NUMBER_ANSWER = Reveal("w = 0.25", "w − lr·w.grad = 0.5 − 0.1·2.5", value=0.25)


class Clock:
    """A monotonic clock that moves only when told (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Stores:
    """Makes stores of one kind for one test: in process (on `clock`) or on the shared test Redis (own prefix).

    `wait(s)` lets `s` seconds pass for the stores: the in-process clock moves; for Redis, real time passes
    (its expiry and rate windows run on the server's clock).
    """

    def __init__(self, kind: str, redis_url: str | None) -> None:
        self.kind = kind
        self.redis_url = redis_url
        self.clock = Clock()
        self.prefix = f"test-{uuid.uuid4().hex[:12]}"
        self.clients: list = []

    def __call__(self, limits: Limits | None = None) -> RoomStore:
        """A new store: in process, its own; on Redis, the test's (two calls = two replicas sharing rooms)."""
        if self.kind == "memory":
            return RoomStore(MemoryBackend(limits, self.clock))
        assert self.redis_url is not None
        client = redis_client(self.redis_url)
        self.clients.append(client)
        return RoomStore(RedisBackend(client, limits, self.prefix))

    def wait(self, seconds: float) -> None:
        if self.kind == "memory":
            self.clock.advance(seconds)
        else:
            time.sleep(seconds)

    def close(self) -> None:
        for client in self.clients:
            client.close()


def voters(n: int) -> list[str]:
    return [new_voter_id() for _ in range(n)]
