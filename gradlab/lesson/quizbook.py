"""A learner's quiz answers: first attempts scored, retries allowed, answers kept per version of a question."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # only for types: the answer book loads without torch (it is read before a page computes)
    from gradlab.lesson.quiz import Question

Status = Literal["unanswered", "answered", "stale"]
NO_PICK = -1  # a teacher revealed the answer before anyone voted


@dataclass(frozen=True)
class Attempt:
    """Indexes into the question's options: the first pick (which scores), the current one, and a reveal."""

    first: int
    first_correct: bool
    current: int
    revealed: bool = False


@dataclass(frozen=True)
class Score:
    """First-try and current scores over a set of questions."""

    first_right: int
    now_right: int
    answered: int
    total: int
    stale: int

    @property
    def text(self) -> str:
        return f"first try {self.first_right}/{self.total} · now {self.now_right}/{self.total}"


Book = MutableMapping[str, Attempt]


def slot(q: Question) -> str:
    """Where an answer to this version of the question is kept (a live question's version follows the settings)."""
    return f"{q.qid}:{q.key}"


def record(book: Book, q: Question, choice: str) -> Attempt:
    """Record a pick. The first pick for this version of the question is the one that scores."""
    if choice not in q.options:
        raise ValueError(f"choice: {choice!r} is not an option of question {q.qid!r}")
    i = q.options.index(choice)
    old = book.get(slot(q))
    if old is None or old.first == NO_PICK:
        new = Attempt(i, i == q.answer, i, revealed=old is not None and old.revealed)
    else:
        new = replace(old, current=i)
    book[slot(q)] = new
    return new


def reveal(book: Book, q: Question) -> None:
    """A teacher revealed this question's answer (presentation mode)."""
    old = book.get(slot(q))
    book[slot(q)] = Attempt(NO_PICK, False, NO_PICK, revealed=True) if old is None else replace(old, revealed=True)


def merge(kept: Attempt, mine: Attempt) -> Attempt:
    """One answer from two records of it (a browser's kept copy and this session's): the first try made stays.

    `kept` was recorded first (it is already in the browser's progress), so its first pick, if it has one, is the
    one that scores; the current pick is `mine` (the tab in use) unless it has none; a reveal in either counts.
    """
    first = kept if kept.first != NO_PICK else mine
    current = mine.current if mine.current != NO_PICK else kept.current
    return Attempt(first.first, first.first_correct, current, kept.revealed or mine.revealed)


def attempt(book: Book, q: Question) -> Attempt | None:
    """The answer recorded for this version of the question, if any (a reveal without a vote is not an answer)."""
    got = book.get(slot(q))
    return got if got is not None and got.current != NO_PICK else None


def picked(q: Question, a: Attempt, which: Literal["first", "current"] = "current") -> str:
    """The option text of a recorded pick."""
    return q.options[a.first if which == "first" else a.current]


def is_revealed(book: Book, q: Question) -> bool:
    got = book.get(slot(q))
    return got is not None and got.revealed


def status(book: Book, q: Question) -> Status:
    """Answered for these settings, answered only for other settings ("stale"), or not at all."""
    if attempt(book, q) is not None:
        return "answered"
    prefix = f"{q.qid}:"
    if any(k.startswith(prefix) and v.current != NO_PICK for k, v in book.items()):
        return "stale"
    return "unanswered"


def score(book: Book, questions: Iterable[Question], *, revealed_only: bool = False) -> Score:
    """First-try and current scores; with `revealed_only`, only revealed questions count as right."""
    qs = list(questions)
    first = now = answered = stale = 0
    for q in qs:
        a = attempt(book, q)
        stale += status(book, q) == "stale"
        if a is None:
            continue
        answered += 1
        if revealed_only and not a.revealed:
            continue
        first += a.first_correct
        now += a.current == q.answer
    return Score(first, now, answered, len(qs), stale)
