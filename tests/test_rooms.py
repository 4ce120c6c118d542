"""Class votes (issue 22): one contract, run on the in-process store and on a real Redis server.

Every test here runs twice, ids "memory" and "redis"; the Redis runs use Debian's redis-server, started by
the harness (skipped with the reason when it is missing; under CI=true that fails instead).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from gradlab.rooms.bounds import Limits
from gradlab.rooms.codes import display_code
from gradlab.rooms.errors import (
    BadCode,
    BadQuestion,
    BallotMoved,
    NotTeacher,
    RateLimited,
    RoomFull,
    RoomNotFound,
    ServerFull,
    VoteRejected,
    WrongPhase,
)
from gradlab.rooms.store import RoomStore
from tests.rooms_support import CHOICE, CHOICE_ANSWER, KINDS, NUMBER, NUMBER_ANSWER, Stores, voters


@pytest.fixture(params=KINDS)
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else None
    made = Stores(request.param, url)
    yield made
    made.close()


@pytest.fixture
def store(stores: Stores) -> RoomStore:
    return stores()


def test_a_whole_question_vote_count_close_show_revote_show_reveal(store: RoomStore) -> None:
    ticket = store.start(CHOICE, {"lr": "0.1", "epochs": "3"})
    code, token = ticket.code, ticket.token
    s = store.state(code)
    assert (s.phase, s.round, s.asked, s.question, s.votes, s.tallies) == ("voting", 1, 1, CHOICE, (0,), ())
    assert dict(s.settings) == {"lr": "0.1", "epochs": "3"} and s.reveal is None and s.accepting
    a, b, c = voters(3)
    for voter, option in ((a, 0), (b, 1), (c, 1)):
        store.vote(code, voter, option, asked=1, round=1)
    s = store.state(code, a)
    assert s.votes == (3,) and s.tallies == () and s.my_vote == 0  # only the count while voting
    s = store.close(code, token)
    assert (s.phase, s.votes, s.tallies) == ("closed", (3,), ())  # closed: still only the count
    with pytest.raises(VoteRejected, match="closed"):
        store.vote(code, a, 2, asked=1, round=1)
    s = store.show(code, token)
    assert s.phase == "shown" and [(t.round, t.total, t.counts) for t in s.tallies] == [(1, 3, (1, 2, 0, 0))]
    assert s.reveal is None  # the votes, with no answer marked
    s = store.revote(code, token)
    assert (s.phase, s.round, s.votes) == ("voting", 2, (3, 0))
    assert [t.round for t in s.tallies] == [1] and s.tally(2) is None
    assert store.state(code, a).my_vote is None  # round 2 starts empty for everyone
    for voter, option in ((a, 1), (b, 1), (c, 2)):
        store.vote(code, voter, option, asked=1, round=2)
    s = store.show(code, token)
    assert [(t.round, t.counts) for t in s.tallies] == [(1, (1, 2, 0, 0)), (2, (0, 2, 1, 0))]
    s = store.reveal(code, token, CHOICE_ANSWER)
    assert (s.phase, s.reveal, s.votes) == ("revealed", CHOICE_ANSWER, (3, 3)) and len(s.tallies) == 2
    store.end(code, token)
    with pytest.raises(RoomNotFound):
        store.state(code)


def test_a_room_waits_for_its_first_question_and_a_new_question_empties_the_votes(store: RoomStore) -> None:
    t = store.start()
    s = store.state(t.code)
    assert (s.phase, s.question, s.asked, s.votes) == ("waiting", None, 0, (0,))
    with pytest.raises(VoteRejected, match="No question"):
        store.vote(t.code, voters(1)[0], 0, asked=0, round=1)
    store.ask(t.code, t.token, NUMBER, {"lr": "0.5"})
    (v,) = voters(1)
    store.vote(t.code, v, 2.5, asked=1, round=1)
    store.show(t.code, t.token)
    s = store.ask(t.code, t.token, CHOICE)  # settings None: the same settings
    assert (s.phase, s.round, s.asked, s.votes, s.tallies, s.question) == ("voting", 1, 2, (0,), (), CHOICE)
    assert dict(s.settings) == {"lr": "0.5"} and store.state(t.code, v).my_vote is None
    with pytest.raises(BallotMoved):  # a page still showing the number question
        store.vote(t.code, v, 2.5, asked=1, round=1)
    assert store.ask(t.code, t.token, CHOICE, {}).settings == {}


def test_a_new_vote_in_the_same_round_replaces_the_old_one(store: RoomStore) -> None:
    t = store.start(CHOICE)
    a, b = voters(2)
    for option in (0, 3, 2):
        store.vote(t.code, a, option, asked=1, round=1)
    store.vote(t.code, b, 2, asked=1, round=1)
    assert store.state(t.code, a).my_vote == 2 and store.state(t.code, b).my_vote == 2
    assert store.show(t.code, t.token).tallies[0].counts == (0, 0, 2, 0)


def test_numbers_are_kept_exactly_and_binned(store: RoomStore) -> None:
    t = store.start(NUMBER)
    values = [0.1, -3, 10, -10, 1 / 3, 2.5e-300]
    for voter, value in zip(voters(len(values)), values):
        store.vote(t.code, voter, value, asked=1, round=1)
    tally = store.show(t.code, t.token).tallies[0]
    assert tally.values == tuple(sorted(float(v) for v in values)) and tally.counts == ()
    assert tally.histogram(-10, 10, 4) == (1, 1, 3, 1) and sum(tally.histogram(-10, 10)) == len(values)
    s = store.reveal(t.code, t.token, NUMBER_ANSWER)
    assert s.reveal is not None and s.reveal.value == 0.25


BAD_CHOICES = [pytest.param(v, id=i) for v, i in [(-1, "minus-one"), (4, "past-the-end"), (1.0, "float"),
               ("1", "text"), (True, "bool"), (None, "none"), ([1], "list"), (2**70, "huge")]]  # fmt: skip
BAD_NUMBERS = [pytest.param(v, m, id=i) for v, m, i in [
    (math.nan, "finite", "nan"), (math.inf, "finite", "inf"), (-math.inf, "finite", "minus-inf"),
    (10.000001, "from -10 to 10", "above"), (-11, "from -10 to 10", "below"), (10**400, "from -10 to 10", "huge-int"),
    ("3", "Type a number", "text"), (False, "Type a number", "bool"), (None, "Type a number", "none"),
    (complex(1, 0), "Type a number", "complex")]]  # fmt: skip


@pytest.mark.parametrize("value", BAD_CHOICES)
def test_a_choice_vote_is_an_option_index_and_nothing_else(store: RoomStore, value: object) -> None:
    t = store.start(CHOICE)
    with pytest.raises(VoteRejected, match="Pick one of the 4 options"):
        store.vote(t.code, voters(1)[0], value, asked=1, round=1)
    assert store.state(t.code).votes == (0,)


@pytest.mark.parametrize(("value", "why"), BAD_NUMBERS)
def test_a_number_vote_is_finite_and_within_bounds(store: RoomStore, value: object, why: str) -> None:
    t = store.start(NUMBER)
    with pytest.raises(VoteRejected, match=why):
        store.vote(t.code, voters(1)[0], value, asked=1, round=1)
    assert store.state(t.code).votes == (0,)


@pytest.mark.parametrize("voter", ["", "short", "x" * 65, "spaces are bad", "<script>alert(1)</script>", None, 7])
def test_a_voter_id_is_an_opaque_token(store: RoomStore, voter: object) -> None:
    t = store.start(CHOICE)
    with pytest.raises(VoteRejected, match="voter id"):
        store.vote(t.code, voter, 0, asked=1, round=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(("asked", "round_"), [(0, 1), (2, 1), (1, 2), ("1", 1)])
def test_a_vote_names_the_ballot_it_answers(store: RoomStore, asked: object, round_: object) -> None:
    t = store.start(CHOICE)
    with pytest.raises(BallotMoved):
        store.vote(t.code, voters(1)[0], 0, asked=asked, round=round_)  # type: ignore[arg-type]


@pytest.mark.parametrize("step", ["close", "show", "reveal"])
def test_no_vote_counts_once_a_round_is_closed(store: RoomStore, step: str) -> None:
    t = store.start(CHOICE)
    getattr(store, step)(t.code, t.token, *([CHOICE_ANSWER] if step == "reveal" else []))
    with pytest.raises(VoteRejected, match="closed"):
        store.vote(t.code, voters(1)[0], 0, asked=1, round=1)


TEACHER_STEPS: dict[str, Callable[[RoomStore, str, str], object]] = {
    "ask": lambda s, c, t: s.ask(c, t, CHOICE),
    "close": lambda s, c, t: s.close(c, t),
    "show": lambda s, c, t: s.show(c, t),
    "revote": lambda s, c, t: s.revote(c, t),
    "reveal": lambda s, c, t: s.reveal(c, t, CHOICE_ANSWER),
    "end": lambda s, c, t: s.end(c, t),
    "check_teacher": lambda s, c, t: s.check_teacher(c, t),
}


@pytest.mark.parametrize("step", TEACHER_STEPS)
@pytest.mark.parametrize("token", ["", "other-room", "one-char-off", "x" * 500, None, 42])
def test_every_teacher_step_needs_the_rooms_teacher_token(store: RoomStore, step: str, token: object) -> None:
    t = store.start(CHOICE)
    other = store.start(CHOICE)
    if step == "revote":
        store.close(t.code, t.token)
    wrong: dict[object, object] = {
        "other-room": other.token,
        "one-char-off": t.token[:-1] + ("A" if t.token[-1] != "A" else "B"),
    }
    before = store.state(t.code)
    with pytest.raises(NotTeacher, match="Only the teacher"):
        TEACHER_STEPS[step](store, t.code, wrong.get(token, token))  # type: ignore[arg-type]
    assert store.state(t.code) == before
    TEACHER_STEPS[step](store, t.code, t.token)  # the right token does it


@pytest.mark.parametrize(
    ("setup", "step"),
    [
        ([], "close"), ([], "show"), ([], "revote"), ([], "reveal"),
        (["ask"], "revote"),
        (["ask", "close"], "close"),
        (["ask", "show"], "show"), (["ask", "show"], "close"),
        (["ask", "revote_after_close"], "revote"),
        (["ask", "reveal"], "close"), (["ask", "reveal"], "show"), (["ask", "reveal"], "revote"),
        (["ask", "reveal"], "reveal"),
    ],
    ids=lambda x: "-".join(x) if isinstance(x, list) else x,
)  # fmt: skip
def test_a_step_the_phase_does_not_allow_is_refused_and_changes_nothing(
    store: RoomStore, setup: list[str], step: str
) -> None:
    t = store.start()
    for s in setup:
        if s == "revote_after_close":
            store.close(t.code, t.token)
            store.revote(t.code, t.token)
            store.close(t.code, t.token)
        else:
            TEACHER_STEPS[s](store, t.code, t.token)
    before = store.state(t.code)
    with pytest.raises(WrongPhase, match=r"^Cannot "):
        TEACHER_STEPS[step](store, t.code, t.token)
    assert store.state(t.code) == before


def test_a_reveal_must_fit_the_question_and_stays_hidden_until_revealed(store: RoomStore) -> None:
    t = store.start(CHOICE)
    with pytest.raises(BadQuestion):
        store.reveal(t.code, t.token, NUMBER_ANSWER)  # a value, not an option
    with pytest.raises(BadQuestion):
        store.reveal(t.code, t.token, type(CHOICE_ANSWER)("E", "no such option", option=4))
    assert store.state(t.code).phase == "voting"
    store.reveal(t.code, t.token, CHOICE_ANSWER)
    assert store.ask(t.code, t.token, CHOICE).reveal is None  # the next question hides it again


def test_the_version_grows_with_every_change_and_only_then(store: RoomStore) -> None:
    t = store.start(CHOICE)
    seen = [store.version(t.code)]
    store.state(t.code)
    assert store.version(t.code) == seen[-1]  # reading changes nothing
    (v,) = voters(1)
    seen.append(store.vote(t.code, v, 0, asked=1, round=1))
    seen.append(store.vote(t.code, v, 1, asked=1, round=1))
    seen.append(store.close(t.code, t.token).version)
    assert seen == sorted(set(seen))
    with pytest.raises(WrongPhase):
        store.close(t.code, t.token)
    assert store.version(t.code) == store.state(t.code).version == seen[-1]  # a refused step changes nothing


def test_codes_parse_as_typed_and_unknown_codes_are_not_found(store: RoomStore) -> None:
    t = store.start(CHOICE)
    for typed in (t.code.lower(), display_code(t.code), " ".join(t.code), f" {t.code[:3]} - {t.code[3:]} "):
        assert store.state(typed).code == t.code
    unknown = "0000000" if t.code != "0000000" else "1111111"
    with pytest.raises(RoomNotFound):
        store.state(unknown)
    for bad in ("", "ABC", t.code + "0", "U" * 7, "ABC!DEF", None):
        with pytest.raises(BadCode, match="7 letters and digits"):
            store.state(bad)  # type: ignore[arg-type]


def test_the_store_holds_at_most_max_rooms_open_rooms(stores: Stores) -> None:
    store = stores(Limits(max_rooms=3))
    tickets = [store.start() for _ in range(3)]
    with pytest.raises(ServerFull, match="3 open class rooms"):
        store.start(CHOICE)
    store.end(tickets[0].code, tickets[0].token)
    store.start(CHOICE)  # an ended room frees its place at once
    with pytest.raises(ServerFull):
        store.start()


def test_a_round_takes_at_most_max_voters_and_those_may_still_change(stores: Stores) -> None:
    store = stores(Limits(max_voters=3))
    t = store.start(CHOICE)
    people = voters(4)
    for p in people[:3]:
        store.vote(t.code, p, 0, asked=1, round=1)
    with pytest.raises(RoomFull, match="3 people"):
        store.vote(t.code, people[3], 0, asked=1, round=1)
    store.vote(t.code, people[0], 3, asked=1, round=1)  # a counted voter changes
    store.close(t.code, t.token)
    store.revote(t.code, t.token)
    for p in people[1:]:  # round 2 has its own bound
        store.vote(t.code, p, 1, asked=1, round=2)
    assert store.state(t.code).votes == (3, 3)


def test_one_voter_may_vote_only_so_often(stores: Stores) -> None:
    store = stores(Limits(rate_votes=3, rate_window_s=0.5))
    t = store.start(CHOICE)
    a, b = voters(2)
    for option in (0, 1, 2):
        store.vote(t.code, a, option, asked=1, round=1)
    with pytest.raises(RateLimited, match=r"at most 3 in 0\.5 seconds") as err:
        store.vote(t.code, a, 3, asked=1, round=1)
    assert 0 < err.value.retry_after_s <= 0.5
    store.vote(t.code, b, 3, asked=1, round=1)  # another voter is not held up
    assert store.state(t.code, a).my_vote == 2  # the refused vote did not count
    stores.wait(err.value.retry_after_s + 0.05)
    store.vote(t.code, a, 3, asked=1, round=1)
    assert store.state(t.code, a).my_vote == 3


def test_an_idle_room_expires(stores: Stores) -> None:
    store = stores(Limits(idle_s=0.6, max_rooms=1))
    t = store.start(CHOICE)
    stores.wait(0.8)
    for read in (store.state, store.version):
        with pytest.raises(RoomNotFound, match="expired"):
            read(t.code)
    with pytest.raises(RoomNotFound):
        store.vote(t.code, voters(1)[0], 0, asked=1, round=1)
    with pytest.raises(RoomNotFound):
        store.close(t.code, t.token)
    store.start(CHOICE)  # the expired room no longer counts against max_rooms


def test_settings_and_questions_are_checked_before_they_reach_a_room(store: RoomStore) -> None:
    with pytest.raises(BadQuestion, match="settings"):
        store.start(CHOICE, {str(i): "x" for i in range(41)})
    with pytest.raises(BadQuestion):
        store.start(CHOICE, {"lr": 0.1})  # type: ignore[dict-item]
    t = store.start(CHOICE, {"lr": "0.1"})
    with pytest.raises(TypeError):
        store.ask(t.code, t.token, "what?")  # type: ignore[arg-type]
    s = store.state(t.code)
    with pytest.raises(TypeError):
        s.settings["lr"] = "1"  # type: ignore[index]
    assert "token" not in repr(t) and t.token not in repr(t) and t.token not in repr(s)


def test_many_threads_voting_at_once_are_each_counted_once_and_the_bound_holds(stores: Stores) -> None:
    store = stores(Limits(max_voters=60))
    t = store.start(CHOICE)
    people = voters(90)
    accepted: list[str] = []
    refused: list[str] = []

    def vote(i: int) -> None:
        # each voter votes twice (the second replaces the first), all at once
        for option in (i % 4, (i + 1) % 4):
            try:
                store.vote(t.code, people[i], option, asked=1, round=1)
                accepted.append(people[i])
            except RoomFull:
                refused.append(people[i])

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(vote, range(len(people))))
    s = store.show(t.code, t.token)
    assert s.votes == (60,) and s.tallies[0].total == 60 == len(set(accepted))
    assert set(accepted).isdisjoint(refused) and len(set(refused)) == 30
    assert s.version == 1 + len(accepted) + 1  # start, each accepted vote, show


def test_two_teacher_steps_at_once_are_both_applied_in_some_order(stores: Stores) -> None:
    store = stores()
    t = store.start(CHOICE)
    # 8 steps: a step loses its compare-and-set only to another step, so at most 7 times (< the store's 8 tries)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: store.ask(t.code, t.token, CHOICE), range(8)))
    s = store.state(t.code)
    assert (s.asked, s.version) == (9, 9)  # start (asked 1, version 1), then each ask once
