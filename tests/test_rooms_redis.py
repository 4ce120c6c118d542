"""Class votes on Redis: replicas share rooms, keys expire when idle, and an outage is StoreUnavailable, not a hang.

Each test talks to Debian's redis-server started by the harness (skipped when missing; under CI=true that
fails instead). The outage tests start and stop servers of their own.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
import redis

from gradlab.rooms.bounds import Limits
from gradlab.rooms.connect import ENV, open_store, redis_client
from gradlab.rooms.errors import RoomNotFound, ServerFull, StoreUnavailable
from gradlab.rooms.memory import MemoryBackend
from gradlab.rooms.redis_backend import RedisBackend
from gradlab.rooms.store import RoomStore
from harness.redis import RedisServer, missing_redis, redis_server
from tests.prereq import require
from tests.rooms_support import CHOICE, CHOICE_ANSWER, Stores, voters


@pytest.fixture
def stores(redis_server: RedisServer) -> Iterator[Stores]:
    made = Stores("redis", redis_server.url)
    yield made
    made.close()


@pytest.fixture
def own_server() -> Iterator[RedisServer]:
    """A redis-server for this test alone, which the test may stop."""
    require(missing_redis())
    server = RedisServer()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_two_replicas_share_a_room_teacher_on_one_students_on_both(stores: Stores) -> None:
    replica_a, replica_b = stores(), stores()
    t = replica_a.start(CHOICE, {"lr": "0.1"})
    people = voters(6)
    for i, p in enumerate(people):
        (replica_a if i % 2 else replica_b).vote(t.code, p, i % 4, asked=1, round=1)
    assert replica_b.state(t.code).votes == (6,) and replica_b.version(t.code) == replica_a.version(t.code)
    replica_b.show(t.code, t.token)  # the teacher's next request lands on the other replica
    assert replica_a.state(t.code).tallies[0].counts == (2, 2, 1, 1)
    assert replica_a.state(t.code, people[1]).my_vote == replica_b.state(t.code, people[1]).my_vote == 1
    replica_a.reveal(t.code, t.token, CHOICE_ANSWER)
    assert replica_b.state(t.code).reveal == CHOICE_ANSWER
    replica_b.end(t.code, t.token)
    with pytest.raises(RoomNotFound):
        replica_a.state(t.code)


def test_the_room_bound_is_one_for_all_replicas(stores: Stores) -> None:
    replica_a, replica_b = stores(Limits(max_rooms=2)), stores(Limits(max_rooms=2))
    replica_a.start()
    replica_b.start()
    for replica in (replica_a, replica_b):
        with pytest.raises(ServerFull):
            replica.start()


def test_every_key_of_a_room_expires_when_idle_and_activity_refreshes_it(stores: Stores) -> None:
    store = stores(Limits(idle_s=600))
    backend = store.backend
    assert isinstance(backend, RedisBackend)
    t = store.start(CHOICE)
    store.vote(t.code, voters(1)[0], 0, asked=1, round=1)
    client = backend.client
    keys = [k for k in backend.keys(t.code) if client.exists(k)]
    assert len(keys) == 4  # room, round 1's votes, the rate hash, the open rooms (round 2 has no votes yet)
    for key in keys:
        assert 0 < client.pttl(key) <= 600_000
        client.pexpire(key, 5_000)  # as if ten minutes had passed
    store.vote(t.code, voters(1)[0], 1, asked=1, round=1)
    assert all(client.pttl(k) > 5_000 for k in keys)
    assert client.zscore(backend.keys(t.code)[4], t.code) is not None


def test_a_room_on_redis_expires_by_the_servers_clock(stores: Stores) -> None:
    store = stores(Limits(idle_s=0.3))
    t = store.start(CHOICE)
    stores.wait(0.5)
    with pytest.raises(RoomNotFound):
        store.state(t.code)
    assert not any(store.backend.client.exists(k) for k in store.backend.keys(t.code)[:4])  # type: ignore[attr-defined]


def test_malformed_data_under_a_rooms_key_is_store_unavailable(stores: Stores) -> None:
    store = stores()
    t = store.start(CHOICE)
    backend = store.backend
    assert isinstance(backend, RedisBackend)
    backend.client.hset(backend.keys(t.code)[0], "question", "{not json")
    with pytest.raises(StoreUnavailable, match="malformed"):
        store.state(t.code)
    backend.client.delete(backend.keys(t.code)[0])
    backend.client.set(backend.keys(t.code)[0], "a string, not a hash")
    with pytest.raises(StoreUnavailable):
        store.state(t.code)


def test_redis_stopped_mid_vote_is_store_unavailable_and_a_new_server_is_used_again(own_server: RedisServer) -> None:
    store = open_store({ENV: own_server.url})
    t = store.start(CHOICE)
    a, b = voters(2)
    store.vote(t.code, a, 0, asked=1, round=1)
    own_server.stop()
    calls = [
        lambda: store.vote(t.code, b, 1, asked=1, round=1),
        lambda: store.state(t.code),
        lambda: store.version(t.code),
        lambda: store.show(t.code, t.token),
        lambda: store.start(CHOICE),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable, match="unavailable") as err:
            call()
        assert isinstance(err.value.__cause__, redis.RedisError)  # the cause is kept for the log
    with redis_server(own_server.port) as again:  # a new, empty server where the old one was
        assert again.port == own_server.port
        with pytest.raises(RoomNotFound):  # the room was not persisted ...
            store.state(t.code)
        t2 = store.start(CHOICE)  # ... but the same store works again without being rebuilt
        store.vote(t2.code, b, 1, asked=1, round=1)
        assert store.state(t2.code).votes == (1,)


def test_a_redis_that_hangs_times_out_as_store_unavailable_and_answers_again_when_it_resumes(
    own_server: RedisServer,
) -> None:
    store = open_store({ENV: own_server.url})
    t = store.start(CHOICE)
    os.killpg(own_server.proc.pid, signal.SIGSTOP)  # connections stay open, nothing answers
    try:
        with pytest.raises(StoreUnavailable) as err:
            store.vote(t.code, voters(1)[0], 1, asked=1, round=1)
        assert isinstance(err.value.__cause__, redis.TimeoutError)
    finally:
        os.killpg(own_server.proc.pid, signal.SIGCONT)
    assert store.state(t.code).phase == "voting"


def test_an_unreachable_redis_is_reported_on_use_not_on_open() -> None:
    require(missing_redis())
    nobody = RedisServer()  # take a free port, then leave it empty
    nobody.stop()
    store = open_store({ENV: f"redis://127.0.0.1:{nobody.port}/0"})
    with pytest.raises(StoreUnavailable):
        store.start(CHOICE)


def test_open_store_picks_the_store_from_the_environment(redis_server: RedisServer) -> None:
    for env in ({}, {ENV: ""}, {ENV: "   "}):
        assert isinstance(open_store(env).backend, MemoryBackend)
    store = open_store({ENV: redis_server.url}, prefix="test-open")
    assert isinstance(store.backend, RedisBackend) and store.backend.ping()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:6379", "must start with redis://"),
        ("127.0.0.1:6379", "must start with redis://"),
        ("redis://", "names no host"),
        ("redis://127.0.0.1:99999/0", "not a URL like"),
        ("redis://127.0.0.1:6379/zero", "database number"),
        ("redis://127.0.0.1:6379/0?socket_timeout=60", "'socket_timeout' is not supported"),
        ("redis://127.0.0.1:6379/0?db=x", "cannot read"),
        ("unix://", "no socket path"),
    ],
)
def test_a_bad_redis_url_is_a_clear_error_that_never_shows_the_password(url: str, why: str) -> None:
    url = url.replace("redis://", "redis://:s3cret@", 1) if url.startswith("redis://1") else url
    with pytest.raises(ValueError, match=why) as err:
        open_store({ENV: url})
    assert ENV in str(err.value) and "s3cret" not in str(err.value)


def test_the_client_gives_up_fast(redis_server: RedisServer) -> None:
    """Short timeouts and one immediate retry, never after a timeout (redis-py's default: ten, with backoff)."""
    client = redis_client(redis_server.url)
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] <= 1 and kwargs["socket_connect_timeout"] <= 1
    retry = client.get_retry()
    assert retry is not None and retry.get_retries() == 1
    assert retry._supported_errors == (redis.ConnectionError,)
    assert isinstance(RoomStore(RedisBackend(client)).limits, Limits)
