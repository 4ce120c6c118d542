"""Class votes on the pages, under AppTest (issue 22): a teacher's projector and students' phones in one process.

Every AppTest here shares the server's one store (`ui.cache.room_store`), as sessions of one server do; each
test gets a fresh in-process store with the bounds it needs (or one whose Redis does not answer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from streamlit.testing.v1 import AppTest

from gradlab.lesson.prompts import grad_before_backward
from gradlab.rooms.bounds import Limits
from gradlab.rooms.connect import redis_client
from gradlab.rooms.memory import MemoryBackend
from gradlab.rooms.redis_backend import RedisBackend
from gradlab.rooms.store import RoomStore
from gradlab.runs.stages import run_stages
from gradlab.settings.config import RunConfig
from gradlab.views.vote_charts import BAR
from harness import free_port
from tests.apptest import ROOT, open_page, text_of
from tests.quizruns import fresh_quiz
from tests.rooms_support import Clock
from ui import cache
from ui.votes.teacher import TICKET

CARD = RunConfig()
QUESTION = grad_before_backward(run_stages(CARD))  # Data Flow's first question: None / zeros / values


@pytest.fixture
def use_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., RoomStore]]:
    """Make the server's store a fresh one: `use_store(Limits(...))`, or `use_store(store=...)`."""
    clock = Clock()

    def use(limits: Limits | None = None, *, store: RoomStore | None = None) -> RoomStore:
        made = store or RoomStore(MemoryBackend(limits, clock))
        monkeypatch.setattr(cache, "room_store", lambda: made)
        return made

    use.clock = clock  # type: ignore[attr-defined]
    use()
    yield use


def dead_store() -> RoomStore:
    """A Redis store whose server is not there: every call is StoreUnavailable after a refused connection."""
    return RoomStore(RedisBackend(redis_client(f"redis://127.0.0.1:{free_port()}/0"), None, "dead"))


def click(at: AppTest, label: str, nth: int = 0) -> AppTest:
    buttons = [b for b in at.main.button if b.label == label]
    assert buttons, f"no button {label!r}: {[b.label for b in at.main.button]}"
    return buttons[nth].click().run()


def teacher(page: str = "data_flow") -> AppTest:
    at = open_page(page, {"present": "1"})
    assert not at.exception
    return at


def phone(code: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.switch_page("pages/9_Join.py")
    at.query_params["room"] = code
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def code_of(at: AppTest) -> str:
    return at.session_state[TICKET].code


def said(at: AppTest) -> str:
    return text_of(at) + "\n" + "\n".join(b.label for b in at.button)


def votes_metric(at: AppTest) -> str:
    (m,) = [m for m in at.metric if m.label.startswith("Votes")]
    return m.value


def specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def bars(spec: dict) -> list[int]:
    """The votes per option, as the chart's accessible description says them (Streamlit sends the rows apart)."""
    return [int(n) for n in re.findall(r"[A-H] \([^)]*\) (\d+)", spec["description"])]


def vote(at: AppTest, letter: str) -> AppTest:
    (button,) = [b for b in at.button if b.label.startswith(f"{letter} · ")]
    return button.click().run()


def test_without_a_class_session_ask_the_room_is_as_before(use_store):
    at = teacher()
    assert any("Ask the room" in m.value for m in at.markdown)
    listed = "- **A** None\n- **B** a tensor of zeros\n- **C** a tensor of gradient values"
    assert any(m.value == listed for m in at.markdown)  # a list, one lettered option a line
    assert {"Reveal", "Start class votes"} <= {b.label for b in at.main.button}
    click(at, "Reveal")
    assert any("PyTorch: **None**" in s.value for s in at.success)


def test_a_whole_round_vote_count_show_revote_reveal(use_store):
    at = teacher()
    click(at, "Start class votes")
    code = code_of(at)
    assert votes_metric(at) == "0"
    assert any(f"code **{code[:3]}-{code[3:]}**" in m.value for m in at.markdown)  # the projector's join panel
    one, two = phone(code), phone(code)
    labels = [f"{'ABC'[i]} · {label}" for i, label in enumerate(QUESTION.options.values())]
    assert [b.label for b in one.button] == labels
    assert QUESTION.question in said(one)
    vote(one, "B")
    vote(two, "A")
    vote(two, "B")  # a changed vote replaces the old one
    assert "Your vote: **B**" in said(two)
    at.run()
    assert votes_metric(at) == "2"  # the count, never the split, while voting is open
    assert not specs(at)

    click(at, "Show votes")
    (chart,) = specs(at)
    assert "no answer marked" in chart["description"] and "B (a tensor of zeros) 2" in chart["description"]
    assert bars(chart) == [0, 2, 0]
    # One colour for every bar: no bar looks like the answer.
    assert chart["layer"][0]["mark"]["color"] == BAR and "condition" not in json.dumps(chart)
    assert chart["config"]["axis"]["labelFontSize"] == 26  # projector size
    assert "on the projector" in said(one.run())

    click(at, "Vote again")
    assert "Second vote" in said(one.run())
    vote(one, "A")
    vote(two.run(), "A")
    at.run()
    assert votes_metric(at) == "2" and len(specs(at)) == 1  # round 1 stays up beside round 2's count
    click(at, "Show votes")
    first, second = specs(at)
    assert bars(first) == [0, 2, 0]
    assert bars(second) == [2, 0, 0]
    scales = [spec["layer"][0]["encoding"]["y"]["scale"] for spec in (first, second)]
    assert scales == [{"domain": [0, 2]}] * 2  # one vote axis for both rounds

    click(at, "Reveal")
    assert any("PyTorch: **None**" in s.value for s in at.success)
    assert any("2. Model" in h.value for h in at.header)  # the page goes on, as after a plain Reveal
    for p in (one.run(), two.run()):
        assert any(f"PyTorch: **None**. {QUESTION.why}" in s.value for s in p.success)
        assert not [b for b in p.button if b.label.startswith("A · ")]  # nothing left to vote on


def test_a_number_question_takes_a_bounded_number_and_shows_a_histogram(use_store):
    at = teacher()
    click(at, "Reveal")
    click(at, "Reveal")  # on to stage 5: the signs of w.grad, then the value of b.grad
    assert any("What number will b.grad be" in m.value for m in at.markdown)
    click(at, "Start class votes")
    one, two = phone(code_of(at)), phone(code_of(at))
    one.number_input[0].set_value(-13.0)
    next(b for b in one.button if b.label == "Vote").click().run()
    assert "Your vote: **-13**" in said(one)
    two.number_input[0].set_value(1e9)
    next(b for b in two.button if b.label == "Vote").click().run()
    assert "Type a number from -1e+06 to 1e+06." in said(two)  # refused by the store, said plainly
    two.number_input[0].set_value(-12.0)
    next(b for b in two.button if b.label == "Vote").click().run()
    click(at.run(), "Show votes")
    (chart,) = specs(at)
    assert chart["description"].startswith("Histogram of the class's numbers in round 1, no answer marked")
    assert chart["description"].endswith("; 2 votes.")


def test_the_quiz_asks_the_class_the_question_the_teacher_picks(use_store):
    quiz = fresh_quiz(CARD)
    at = teacher("quiz")
    click(at, "Start class votes", nth=2)  # question 3
    p = phone(code_of(at))
    assert f"3. {quiz[2].prompt}" in said(p)
    assert len([b for b in p.button if b.label[:4] in ("A · ", "B · ", "C · ", "D · ")]) == len(quiz[2].options)
    click(at, "Ask the class", nth=3)  # question 5: questions 1, 2, 4, 5 … offer it, 3 is the room's
    assert f"5. {quiz[4].prompt}" in said(p.run())
    click(at, "Reveal the answer", nth=4)
    assert any(f"PyTorch: **{quiz[4].right}**" in s.value for s in p.run().success)


def test_the_room_follows_the_teacher_across_pages(use_store):
    at = teacher()
    click(at, "Start class votes")
    code = code_of(at)
    at.switch_page("pages/5_Quiz.py").run()
    assert code_of(at) == code  # still the room this session started
    click(at, "Ask the class")
    assert f"1. {fresh_quiz(CARD)[0].prompt}" in said(phone(code))
    click(at, "End class votes")
    assert TICKET not in at.session_state
    assert "This class room is closed" in said(phone(code))  # its code stops working at once


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        pytest.param("<b>x</b>", "The room code in this link is not valid.", id="malformed"),
        pytest.param("K7P-2Q9M", "This class room is closed", id="unknown"),
        pytest.param("", "Room code (on the projector)", id="missing"),
    ],
)
def test_a_bad_or_unknown_code_gets_a_clear_message(use_store, link, expected):
    p = phone(link)
    assert expected in said(p) + " ".join(t.label for t in p.text_input)
    assert "<b>x</b>" not in said(p)  # what a link says is never echoed


def test_an_expired_room_says_so(use_store):
    at = teacher()
    click(at, "Start class votes")
    use_store.clock.advance(Limits().idle_s + 1)
    assert "This class room is closed" in said(phone(code_of(at)))
    at.run()
    assert "has ended or expired" in said(at) and TICKET not in at.session_state


def test_the_rate_limit_says_so_on_the_phone(use_store):
    use_store(Limits(rate_votes=2))
    at = teacher()
    click(at, "Start class votes")
    p = phone(code_of(at))
    for letter in "ABC":
        vote(p, letter)
    assert "Too many votes: at most 2 in 10 seconds. Wait a moment." in said(p)
    assert "Your vote: **B**" in said(p)  # the third vote was not counted


def test_a_full_room_and_a_full_server_say_so(use_store):
    use_store(Limits(max_voters=1, max_rooms=1))
    at = teacher()
    click(at, "Start class votes")
    vote(phone(code_of(at)), "A")
    late = vote(phone(code_of(at)), "B")
    assert "This round already has votes from 1 people, the most a room takes." in said(late)
    other = teacher()
    click(other, "Start class votes")
    assert "already holds 1 open class rooms" in said(other) and TICKET not in other.session_state


def test_the_store_failing_mid_vote_leaves_ask_the_room_working(use_store):
    at = teacher()
    click(at, "Start class votes")
    p = phone(code_of(at))
    use_store(store=dead_store())
    at.run()
    assert "Class votes are unavailable" in said(at) and not at.exception
    click(at, "Reveal")
    assert any("PyTorch: **None**" in s.value for s in at.success)  # the room still gets its answer
    assert any("2. Model" in h.value for h in at.header)
    p.run()
    assert "unavailable" in said(p) and not p.exception


def test_a_malformed_redis_url_is_said_plainly(monkeypatch):
    def broken() -> RoomStore:
        raise ValueError("GRADLAB_REDIS_URL must start with redis://, rediss:// or unix://")

    monkeypatch.setattr(cache, "room_store", broken)
    at = teacher()
    click(at, "Start class votes")
    assert "Class votes are unavailable: GRADLAB_REDIS_URL must start with redis://" in said(at)
    assert TICKET not in at.session_state and not at.exception


def _everything_sent(at: AppTest) -> bytes:
    """Every element's protobuf as the server would send it, and the page's query string."""
    out, todo = [], [at._tree]
    while todo:
        node = todo.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            out.append(proto.SerializeToString())
        children = getattr(node, "children", {})
        todo.extend(children.values() if isinstance(children, dict) else children)
    out.append(json.dumps(dict(at.query_params)).encode())
    return b"\n".join(out)


def test_the_teacher_token_is_in_no_page_and_no_link(use_store):
    at = teacher()
    click(at, "Start class votes")
    token = at.session_state[TICKET].token
    p = phone(code_of(at))
    vote(p, "A")
    pages = [at, p]
    click(at, "Show votes")
    click(at, "Reveal")
    pages.append(p.run())
    for page in pages:
        sent = _everything_sent(page)
        assert len(sent) > 1000 and token.encode() not in sent
    assert "Ticket(code=" in repr(at.session_state[TICKET]) and token not in repr(at.session_state[TICKET])


def test_the_join_page_is_not_in_the_lesson_and_draws_no_sidebar(use_store):
    home = open_page("home")
    links = [el.proto.label for el in home.get("page_link")]
    assert "Home" in links and not any("Join" in label or "vote" in label.lower() for label in links)
    p = phone("")
    assert not p.sidebar.children  # nothing is drawn in the sidebar, so there is none
