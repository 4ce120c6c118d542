"""Rooms in Redis, shared by every replica that uses the same server and prefix (GRADLAB_REDIS_URL).

Reads and writes that check before they change run as one Lua script (see `lua`); keys expire after
`limits.idle_s` without a write. Every Redis or socket error becomes StoreUnavailable, so a page never sees
a raw redis exception; the client's timeouts (see `connect`) keep an outage from hanging a page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import redis

from gradlab.rooms import codec, lua
from gradlab.rooms.bounds import Limits
from gradlab.rooms.errors import BallotMoved, RateLimited, RoomFull, RoomNotFound, ServerFull, StoreUnavailable
from gradlab.rooms.question import Value
from gradlab.rooms.steps import Header, Snapshot

P = ParamSpec("P")
R = TypeVar("R")


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Run `method`, turning any Redis or socket failure into StoreUnavailable (the cause kept for logs)."""

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (redis.RedisError, OSError) as err:
            raise StoreUnavailable() from err

    return run


class RedisBackend:
    """Rooms under `prefix` in the Redis that `client` talks to (a `redis.Redis` with decode_responses=True)."""

    def __init__(self, client: redis.Redis, limits: Limits | None = None, prefix: str = "gradlab") -> None:
        self.limits = limits or Limits()
        self.client = client
        self.prefix = prefix
        self._idle_ms = str(max(1, round(self.limits.idle_s * 1000)))
        self._create = client.register_script(lua.CREATE)
        self._update = client.register_script(lua.UPDATE)
        self._vote = client.register_script(lua.VOTE)
        self._load = client.register_script(lua.LOAD)

    def keys(self, code: str) -> list[str]:
        """The room hash, round 1's and round 2's votes, the rate hash, and the set of open rooms."""
        room = f"{self.prefix}:room:{code}"
        return [room, f"{room}:v1", f"{room}:v2", f"{room}:rate", f"{self.prefix}:rooms"]

    @_guarded
    def ping(self) -> bool:
        """True if the server answers (StoreUnavailable otherwise)."""
        return bool(self.client.ping())

    @_guarded
    def create(self, code: str, header: Header) -> bool:
        pairs = [x for item in codec.fields(header).items() for x in item] + ["version", str(header.version)]
        status, _ = self._run(self._create, code, [code, self._idle_ms, str(self.limits.max_rooms), *pairs])
        if status == "full":
            raise ServerFull(self.limits.max_rooms)
        return status == "ok"

    @_guarded
    def header(self, code: str) -> Header | None:
        found: dict[str, str] = self.client.hgetall(self.keys(code)[0])  # type: ignore[assignment]
        return codec.header(found) if found else None

    @_guarded
    def snapshot(self, code: str, voter: str | None) -> Snapshot | None:
        reply: list[Any] = self._load(keys=self.keys(code)[:3], args=[voter or ""])
        if not reply:
            return None
        flat, n1, n2, mine, b1, b2 = reply
        h = codec.header(dict(zip(flat[::2], flat[1::2], strict=True)))
        ballots = {1: [codec.decode(h.question, v) for v in b1], 2: [codec.decode(h.question, v) for v in b2]}
        mine_value = None if mine is None else codec.decode(h.question, mine)
        return Snapshot(h, (int(n1), int(n2)), ballots, mine_value)

    @_guarded
    def version(self, code: str) -> int | None:
        found = self.client.hget(self.keys(code)[0], "version")
        return None if found is None else int(found)

    @_guarded
    def update(self, code: str, expect: Header, new: Header) -> bool:
        clear = "1" if new.asked != expect.asked else "0"
        pairs = [x for item in codec.fields(new).items() if item[0] != "token" for x in item]
        args = [code, self._idle_ms, str(expect.asked), expect.phase, str(expect.round), clear, *pairs]
        status, _ = self._run(self._update, code, args)
        if status == "gone":
            raise RoomNotFound()
        return status == "ok"

    @_guarded
    def put_vote(self, code: str, voter: str, asked: int, round_: int, value: Value) -> int:
        lim = self.limits
        args = [code, self._idle_ms, voter, str(asked), str(round_), codec.encode(value), str(lim.max_voters),
                str(lim.rate_votes), str(max(1, round(lim.rate_window_s * 1000)))]  # fmt: skip
        status, number = self._run(self._vote, code, args)
        if status == "gone":
            raise RoomNotFound()
        if status == "moved":
            raise BallotMoved()
        if status == "rate":
            raise RateLimited(number / 1000, lim.rate_votes, lim.rate_window_s)
        if status == "full":
            raise RoomFull(lim.max_voters)
        return number

    @_guarded
    def delete(self, code: str) -> None:
        keys = self.keys(code)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(*keys[:4])
            pipe.zrem(keys[4], code)
            pipe.execute()

    def _run(self, script: Any, code: str, args: list[str]) -> tuple[str, int]:
        status, number = script(keys=self.keys(code), args=args)
        return str(status), int(number)
