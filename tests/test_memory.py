"""Progress kept in a cookie: a round trip keeps it, a tampered or oversized cookie is dropped, never trusted."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab.lesson import quizbook
from gradlab.lesson.guess import Verdict
from gradlab.lesson.progress import MAX_CHARS, Prediction, Progress, decode, encode, merge
from gradlab.settings.config import RunConfig
from tests.quizruns import fresh_quiz

PAGES = ["Home", "Data Flow", "Prediction Trace", "Training Trace", "Grad Lab", "Quiz"]


def _progress() -> Progress:
    quiz = fresh_quiz(RunConfig())
    book: dict = {}
    quizbook.record(book, quiz[0], quiz[0].options[1])
    quizbook.record(book, quiz[0], quiz[0].right)
    quizbook.reveal(book, quiz[3])
    return Progress(
        pages={"Data Flow", "Quiz"},
        quiz=book,
        predictions={
            "pred_0123456789": Prediction("Data Flow", "None", True),
            "pred_abcdefabcd": Prediction("Data Flow", None, None),
            "note_0000000000": Prediction("Grad Lab", "up", False),
        },
    )


def test_a_round_trip_keeps_pages_answers_and_predictions():
    kept = _progress()
    back = decode(encode(kept), PAGES)
    assert back.pages == kept.pages and back.quiz == kept.quiz and back.predictions == kept.predictions
    quiz = fresh_quiz(RunConfig())
    s = quizbook.score(back.quiz, quiz)
    assert (s.first_right, s.now_right) == (0, 1)  # the wrong first try is still the one that counts


def test_a_sessions_verdict_stays_in_the_session_and_the_rest_travels():
    said = Verdict(True, "None", "None", "requires_grad=True only tells autograd to track w.")
    made = Prediction("Data Flow", "None", True, said)
    back = decode(encode(Progress(predictions={"pred_0123456789": made})), PAGES).predictions["pred_0123456789"]
    assert back == made and back.verdict is None  # the verdict is rebuilt from the guess after a reload
    assert (back.page, back.guess, back.correct) == ("Data Flow", "None", True)


def test_the_text_is_cookie_safe_and_bounded():
    text = encode(_progress())
    assert all(c.isalnum() or c in "%-_.~" for c in text)
    many = Progress(predictions={f"pred_{i:010x}": Prediction("Quiz", "x" * 60, True) for i in range(500)})
    big = encode(many)
    assert len(big) <= MAX_CHARS
    assert 0 < len(decode(big, PAGES).predictions) < 500  # the oldest went first
    assert "pred_00000001f3" in decode(big, PAGES).predictions  # the newest stayed


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_text_decodes_without_error(text: str):
    decode(text, PAGES)
    decode(quote(text), PAGES)


def test_tampered_entries_are_dropped_one_by_one():
    good = '"q":{"card:0123456789ab":[0,1,0,0]}'
    bad = [
        '"q":{"card:0123456789ab":[0,1,0,0],"x;drop:zz":[0,0,0,0]}',  # a malformed slot
        '"q":{"card:0123456789ab":[0,1,0,0],"card:aaaaaaaaaaaa":[99,0,0,0]}',  # an index no question has
        '"q":{"card:0123456789ab":[0,1,0,0],"card:bbbbbbbbbbbb":[-1,2,0,0]}',  # a pick without a first pick
        '"q":{"card:0123456789ab":[0,1,0,0],"card:cccccccccccc":"yes"}',
    ]
    for body in [good, *bad]:
        back = decode(
            quote('{"v":1,"p":["Quiz","Admin"],' + body + ',"r":{"pred_0123456789":["Nowhere","x",true]}}'), PAGES
        )
        assert list(back.quiz) == ["card:0123456789ab"] and back.pages == {"Quiz"} and not back.predictions
    assert decode(quote('{"v":2,"p":["Quiz"]}'), PAGES).pages == set()  # another version: nothing
    assert decode("x" * (MAX_CHARS + 1), PAGES) == Progress()


# --- merging two tabs' progress (the browser's cookie and one session's) -----------------------------------------

SLOTS = [f"card:{i:012x}" for i in range(4)]
KEYS = [f"pred_{i:010x}" for i in range(4)]
picks = st.integers(0, 3)


@st.composite
def attempts(draw: st.DrawFn) -> quizbook.Attempt:
    if draw(st.booleans()):  # revealed before anyone voted
        return quizbook.Attempt(quizbook.NO_PICK, False, quizbook.NO_PICK, True)
    return quizbook.Attempt(draw(picks), draw(st.booleans()), draw(picks), draw(st.booleans()))


@st.composite
def progresses(draw: st.DrawFn) -> Progress:
    return Progress(
        pages=set(draw(st.lists(st.sampled_from(PAGES), max_size=4))),
        quiz=draw(st.dictionaries(st.sampled_from(SLOTS), attempts(), max_size=4)),
        predictions=draw(
            st.dictionaries(
                st.sampled_from(KEYS),
                st.builds(Prediction, st.sampled_from(PAGES), st.sampled_from(["up", "down", None]), st.booleans()),
                max_size=4,
            )
        ),
        quiz_resets=draw(st.integers(0, 2)),
    )


@given(progresses(), progresses())
@settings(max_examples=300, deadline=None)
def test_a_merge_keeps_everything_either_side_holds_and_every_first_try_already_kept(kept, mine):
    both = merge(kept, mine)
    assert both.pages == kept.pages | mine.pages
    assert set(both.predictions) == set(kept.predictions) | set(mine.predictions)
    assert all(both.predictions[k] == p for k, p in kept.predictions.items())  # the first committed stays
    assert both.quiz_resets == max(kept.quiz_resets, mine.quiz_resets)
    if kept.quiz_resets == mine.quiz_resets:
        assert set(both.quiz) == set(kept.quiz) | set(mine.quiz)
        for slot, a in kept.quiz.items():
            got = both.quiz[slot]
            if a.first != quizbook.NO_PICK:  # a first try the browser kept is never replaced
                assert (got.first, got.first_correct) == (a.first, a.first_correct)
            assert got.revealed >= a.revealed and got.revealed >= (slot in mine.quiz and mine.quiz[slot].revealed)
        for slot, a in mine.quiz.items():
            if a.current != quizbook.NO_PICK:  # the tab in use shows its own current pick
                assert both.quiz[slot].current == a.current
    else:  # a reset in one tab clears the answers it had not seen
        later = kept if kept.quiz_resets > mine.quiz_resets else mine
        assert both.quiz == later.quiz
    assert decode(encode(both), PAGES) == both  # what is written reads back whole
    assert merge(both, both) == both and merge(kept, both) == both  # taking the same cookie in again: no change


def test_two_tabs_the_issues_case_a_wrong_first_try_stays_wrong():
    """Tab 2 answered wrong (kept); tab 1, which never saw it, writes its own progress: the answer stays."""
    q = fresh_quiz(RunConfig())[0]
    tab2: dict = {}
    quizbook.record(tab2, q, next(o for o in q.options if o != q.right))
    kept = decode(encode(Progress(pages={"Quiz"}, quiz=tab2)), PAGES)
    tab1 = Progress(pages={"Training Trace", "Data Flow"})
    back = decode(encode(merge(kept, tab1)), PAGES)
    assert back.pages == {"Quiz", "Training Trace", "Data Flow"}
    assert back.quiz == tab2
    quizbook.record(back.quiz, q, q.right)  # a retry after the reload: right now, still wrong on the first try
    s = quizbook.score(back.quiz, [q])
    assert (s.first_right, s.now_right) == (0, 1)
    tab1_answer: dict = {}
    quizbook.record(tab1_answer, q, q.right)  # tab 1 answers right without having seen tab 2's try
    got = merge(kept, Progress(quiz=tab1_answer)).quiz[quizbook.slot(q)]
    assert (got.first_correct, got.current) == (False, q.answer)


def test_an_old_cookie_without_a_reset_count_reads_as_none():
    back = decode(quote('{"v":1,"p":["Quiz"],"q":{},"r":{}}'), PAGES)
    assert back.pages == {"Quiz"} and back.quiz_resets == 0
    assert decode(quote('{"v":1,"g":"3","p":["Quiz"]}'), PAGES).quiz_resets == 0  # malformed: not trusted
    assert decode(quote('{"v":1,"g":2,"p":["Quiz"]}'), PAGES).quiz_resets == 2
