"""The parts of class votes on their own: codes and tokens, questions and votes, bounds, the in-process store's
clock and threads, and what the package imports."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab.rooms import codes
from gradlab.rooms.bounds import IDLE_S, MAX_ROOMS, MAX_VOTERS, RATE_VOTES, RATE_WINDOW_S, Limits
from gradlab.rooms.errors import BadCode, BadQuestion, NotTeacher, RoomNotFound, VoteRejected
from gradlab.rooms.load import cast_votes
from gradlab.rooms.memory import MemoryBackend
from gradlab.rooms.question import Question, Reveal, check_vote
from gradlab.rooms.state import Tally
from gradlab.rooms.store import RoomStore
from tests.rooms_support import CHOICE, NUMBER, Clock, voters

ROOT = Path(__file__).resolve().parents[1]


def test_codes_carry_at_least_30_bits_from_an_unambiguous_alphabet() -> None:
    assert len(set(codes.ALPHABET)) == len(codes.ALPHABET) == 32 and not set("ILOU") & set(codes.ALPHABET)
    assert codes.CODE_BITS == codes.CODE_LENGTH * math.log2(len(codes.ALPHABET)) >= 30


def test_every_character_of_the_alphabet_turns_up_at_every_position() -> None:
    # 1000 codes: a character missing at a position by chance has probability 32·(31/32)**1000 < 1e-12
    drawn = [codes.new_code() for _ in range(1000)]
    assert all(len(c) == codes.CODE_LENGTH for c in drawn) and len(set(drawn)) == len(drawn)
    for position in range(codes.CODE_LENGTH):
        assert {c[position] for c in drawn} == set(codes.ALPHABET)


@given(st.text(alphabet=codes.ALPHABET, min_size=7, max_size=7), st.data())
def test_a_code_reads_back_however_it_is_typed(code: str, data: st.DataObject) -> None:
    typed = "".join(
        data.draw(st.sampled_from([ch, ch.lower()])) + data.draw(st.sampled_from(["", " ", "-"])) for ch in code
    )
    assert codes.parse_code(typed) == code == codes.parse_code(codes.display_code(code))
    looks_alike = code.replace("0", "O").replace("1", data.draw(st.sampled_from(["I", "l"])))
    assert codes.parse_code(looks_alike) == code


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=50), st.binary(max_size=10), st.integers(), st.none()))
def test_any_text_is_a_code_or_bad_code_never_another_error(text: object) -> None:
    try:
        code = codes.parse_code(text)
    except BadCode as err:
        assert "7 letters and digits" in str(err)
    else:
        assert len(code) == 7 and set(code) <= set(codes.ALPHABET)


def test_teacher_tokens_are_long_random_and_checked_by_their_hash() -> None:
    a, b = codes.new_token(), codes.new_token()
    assert a != b and len(a) >= 43
    codes.check_token(a, codes.token_hash(a))
    for wrong in (b, a + "x", a[:-1], "", None, 1):
        with pytest.raises(NotTeacher):
            codes.check_token(wrong, codes.token_hash(a))


@settings(max_examples=300)
@given(
    st.one_of(
        st.floats(), st.integers(), st.text(max_size=5), st.booleans(), st.none(), st.complex_numbers(),
        st.lists(st.integers(), max_size=2),
    )
)  # fmt: skip
def test_check_vote_counts_only_a_valid_option_or_a_finite_number_in_bounds(value: object) -> None:
    for q in (CHOICE, NUMBER):
        try:
            counted = check_vote(q, value)
        except VoteRejected:
            continue
        assert type(value) in (int, float) and counted == value
        if q.kind == "choice":
            assert type(counted) is int and 0 <= counted < len(q.options)
        else:
            assert type(counted) is float and math.isfinite(counted) and -10 <= counted <= 10


@pytest.mark.parametrize(
    "make",
    [
        lambda: Question("", "choice", "p", ("a", "b")),
        lambda: Question("q", "choice", "p", ("a",)),
        lambda: Question("q", "choice", "p", tuple("abcdefghi")),
        lambda: Question("q", "choice", "p", ("a", "")),
        lambda: Question("q", "choice", "p", ("a", "b"), low=0, high=1),
        lambda: Question("q", "number", "p", low=1, high=1),
        lambda: Question("q", "number", "p", low=0, high=math.inf),
        lambda: Question("q", "number", "p", low=0, high=10**400),
        lambda: Question("q", "number", "p", ("a", "b"), low=0, high=1),
        lambda: Question("q", "slider", "p"),  # type: ignore[arg-type]
        lambda: Question("q", "choice", "x" * 1001, ("a", "b")),
        lambda: Reveal("", "why"),
        lambda: Reveal("a", "why", option=True),
        lambda: Reveal("a", "why", value=math.nan),
    ],
)
def test_a_malformed_question_or_reveal_is_refused_with_a_reason(make) -> None:
    with pytest.raises(BadQuestion):
        make()


def test_the_bounds_are_the_ones_the_readme_states() -> None:
    assert (MAX_ROOMS, MAX_VOTERS, RATE_VOTES, RATE_WINDOW_S, IDLE_S) == (200, 500, 10, 10.0, 3 * 3600.0)
    assert Limits() == Limits(200, 500, 10, 10.0, 10800.0)
    for bad in ({"max_rooms": 0}, {"max_voters": -1}, {"rate_votes": 0}, {"idle_s": 0}, {"rate_window_s": -1}):
        with pytest.raises(ValueError, match="Limits"):
            Limits(**bad)  # type: ignore[arg-type]


def test_histogram_bins_include_both_ends() -> None:
    tally = Tally(1, 4, values=(0.0, 0.5, 1.0, 2.0))
    assert tally.histogram(0, 1, 2) == (1, 2) and tally.histogram(0, 2, 1) == (4,)
    with pytest.raises(ValueError):
        tally.histogram(1, 1)


def test_the_in_process_store_expires_a_room_exactly_idle_s_after_its_last_activity() -> None:
    clock = Clock()
    store = RoomStore(MemoryBackend(Limits(idle_s=100), clock))
    t = store.start(CHOICE)
    clock.advance(99)
    store.vote(t.code, voters(1)[0], 0, asked=1, round=1)  # activity: the idle time starts again
    clock.advance(99)
    store.close(t.code, t.token)
    clock.advance(99)
    assert store.state(t.code).phase == "closed"  # reading is not activity ...
    clock.advance(1)
    with pytest.raises(RoomNotFound):  # ... so 100 s after the close, the room is gone
        store.state(t.code)


def test_the_in_process_store_stays_consistent_under_many_threads_voting_and_reading() -> None:
    store = RoomStore(MemoryBackend(Limits(rate_votes=1000)))
    t = store.start(CHOICE)
    people = voters(40)
    errors: list[BaseException] = []

    def voter(i: int) -> None:
        try:
            for n in range(25):
                store.vote(t.code, people[i], (i + n) % 4, asked=1, round=1)
        except BaseException as err:
            errors.append(err)

    def reader() -> None:
        last = 0
        try:
            for _ in range(200):
                s = store.state(t.code)
                assert s.version >= last and s.votes[0] <= len(people)
                last = s.version
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=voter, args=(i,)) for i in range(40)]
    threads += [threading.Thread(target=reader) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    s = store.show(t.code, t.token)
    assert s.votes == (40,) and s.version == 1 + 40 * 25 + 1
    assert s.tallies[0].counts == tuple(sum(1 for i in range(40) if (i + 24) % 4 == k) for k in range(4))


def test_cast_votes_fills_a_room_and_reports_refusals() -> None:
    store = RoomStore(MemoryBackend(Limits(max_voters=30, rate_votes=2)))
    t = store.start(NUMBER)
    cast = cast_votes(store, t.code, voters=40, changes=2, threads=4)
    s = store.state(t.code)
    assert s.votes == (30,) and cast.counted == 30 * 2  # each counted voter: a vote and one change, then limited
    assert cast.refused == {"RoomFull": 10 * 3, "RateLimited": 30}


def test_the_package_imports_neither_torch_nor_streamlit() -> None:
    mods = sorted(p.stem for p in (ROOT / "gradlab" / "rooms").glob("*.py") if p.stem != "__init__")
    code = "import importlib, sys\n" + "".join(f"importlib.import_module('gradlab.rooms.{m}')\n" for m in mods)
    code += "print(sorted(m for m in ('torch', 'streamlit', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]" and len(mods) >= 10


def test_the_default_store_does_not_load_the_redis_client() -> None:
    code = "import sys\nfrom gradlab.rooms.connect import open_store\nopen_store({})\nprint('redis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
