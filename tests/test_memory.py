"""Progress kept in a cookie: a round trip keeps it, a tampered or oversized cookie is dropped, never trusted."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab.lesson import quizbook
from gradlab.lesson.guess import Verdict
from gradlab.lesson.progress import MAX_CHARS, Prediction, Progress, decode, encode
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
