"""Rooms in this process: the default store for one server (and Community Cloud). One lock, bounded."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from gradlab.rooms.bounds import Limits
from gradlab.rooms.errors import BallotMoved, RateLimited, RoomFull, RoomNotFound, ServerFull
from gradlab.rooms.question import Value
from gradlab.rooms.steps import Header, Snapshot


@dataclass
class _Room:
    header: Header
    expires: float
    votes: dict[int, dict[str, Value]] = field(default_factory=lambda: {1: {}, 2: {}})
    # voter → times of their recent votes; emptied with the votes, so it never outgrows two rounds' voters
    recent: dict[str, deque[float]] = field(default_factory=dict)


class MemoryBackend:
    """Rooms in a dict under one lock; `clock` (seconds, monotonic) is injectable so tests can age rooms.

    Bounds: `limits.max_rooms` rooms, `limits.max_voters` per round, `limits.rate_votes` per voter per
    `limits.rate_window_s`; a room idle (no teacher step, no vote) for `limits.idle_s` is gone.
    """

    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._lock = threading.Lock()
        self._rooms: dict[str, _Room] = {}

    def create(self, code: str, header: Header) -> bool:
        with self._lock:
            now = self._clock()
            for old in [c for c, r in self._rooms.items() if r.expires <= now]:
                del self._rooms[old]
            if code in self._rooms:
                return False
            if len(self._rooms) >= self.limits.max_rooms:
                raise ServerFull(self.limits.max_rooms)
            self._rooms[code] = _Room(header, now + self.limits.idle_s)
            return True

    def header(self, code: str) -> Header | None:
        with self._lock:
            room = self._live(code)
            return None if room is None else room.header

    def snapshot(self, code: str, voter: str | None) -> Snapshot | None:
        with self._lock:
            room = self._live(code)
            if room is None:
                return None
            h = room.header
            mine = None if voter is None else room.votes[h.round].get(voter)
            counts = (len(room.votes[1]), len(room.votes[2]))
            return Snapshot(h, counts, {r: list(v.values()) for r, v in room.votes.items()}, mine)

    def version(self, code: str) -> int | None:
        with self._lock:
            room = self._live(code)
            return None if room is None else room.header.version

    def update(self, code: str, expect: Header, new: Header) -> bool:
        with self._lock:
            room = self._live(code)
            if room is None:
                raise RoomNotFound()
            if not room.header.same_ballot(expect):
                return False
            if new.asked != room.header.asked:
                room.votes, room.recent = {1: {}, 2: {}}, {}
            room.header = replace(new, version=room.header.version + 1)
            room.expires = self._clock() + self.limits.idle_s
            return True

    def put_vote(self, code: str, voter: str, asked: int, round_: int, value: Value) -> int:
        with self._lock:
            room = self._live(code)
            if room is None:
                raise RoomNotFound()
            h = room.header
            if (h.phase, h.asked, h.round) != ("voting", asked, round_):
                raise BallotMoved()
            now = self._clock()
            recent = room.recent.setdefault(voter, deque())
            while recent and recent[0] <= now - self.limits.rate_window_s:
                recent.popleft()
            if len(recent) >= self.limits.rate_votes:
                wait = recent[0] + self.limits.rate_window_s - now
                raise RateLimited(wait, self.limits.rate_votes, self.limits.rate_window_s)
            ballot = room.votes[round_]
            if voter not in ballot and len(ballot) >= self.limits.max_voters:
                raise RoomFull(self.limits.max_voters)
            ballot[voter] = value
            recent.append(now)
            room.header = replace(h, version=h.version + 1)
            room.expires = now + self.limits.idle_s
            return room.header.version

    def delete(self, code: str) -> None:
        with self._lock:
            self._rooms.pop(code, None)

    def _live(self, code: str) -> _Room | None:
        """The room if it has not expired (an expired one is dropped here). Call with the lock held."""
        room = self._rooms.get(code)
        if room is not None and room.expires <= self._clock():
            del self._rooms[code]
            return None
        return room
