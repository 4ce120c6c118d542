"""A learner's progress as a short text a browser can keep (a cookie), read back strictly.

What is kept: the pages visited, the quiz answers (option indexes per version of a question, so no question
text is stored), how many times the quiz was reset, and the predictions committed (key, page, the guess as
chosen, and whether it was right). Anything malformed in the text is dropped, never trusted: a cookie is user
input.

Every tab of a browser shares the one cookie, so a tab never writes its own progress over the cookie's: it
`merge`s the two, and the merge never loses anything either side holds, except what a quiz reset cleared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from gradlab.lesson import quizbook
from gradlab.lesson.guess import Verdict
from gradlab.lesson.quizbook import NO_PICK, Attempt

VERSION = 1
MAX_CHARS = 3800  # a cookie holds about 4 KB
MAX_QUIZ = 60
MAX_PREDICTIONS = 120
MAX_GUESS = 60
MAX_RESETS = 1_000_000
_SLOT = re.compile(r"[a-z_]{1,30}:[0-9a-f]{12}")
_KEY = re.compile(r"[a-z_]{1,12}_[0-9a-f]{10}")


@dataclass(frozen=True)
class Prediction:
    """A committed prediction: where, what was guessed (None: a room's reveal), and whether it was right.

    `verdict` is the full verdict while the session that made it lasts; the cookie keeps the rest, and after a
    reload the verdict is rebuilt from the guess.
    """

    page: str
    guess: str | None
    correct: bool | None
    verdict: Verdict | None = field(default=None, compare=False)


@dataclass
class Progress:
    """Everything kept across reloads; `quiz_resets` counts *Reset the quiz*, and `quiz` holds the answers since."""

    pages: set[str] = field(default_factory=set)
    quiz: dict[str, Attempt] = field(default_factory=dict)
    predictions: dict[str, Prediction] = field(default_factory=dict)
    quiz_resets: int = 0


def merge(kept: Progress, mine: Progress) -> Progress:
    """Both sides' progress in one: `kept` is the browser's copy (written first), `mine` this session's.

    Pages: every page either visited. Quiz: the answers since the later reset (a reset in one tab clears the
    answers of every tab); for a question both answered, the first try is `kept`'s (`quizbook.merge`).
    Predictions: `kept`'s where both committed one (the first committed stays), else either's. Order, which
    decides what goes first when the text is too long (`encode`): `kept`'s entries, then `mine`'s new ones.
    """
    if kept.quiz_resets != mine.quiz_resets:
        later = kept if kept.quiz_resets > mine.quiz_resets else mine
        quiz = dict(later.quiz)
    else:
        quiz = {k: quizbook.merge(a, mine.quiz[k]) if k in mine.quiz else a for k, a in kept.quiz.items()}
        quiz.update((k, a) for k, a in mine.quiz.items() if k not in kept.quiz)
    predictions = {k: mine.predictions[k] if mine.predictions.get(k) == p else p for k, p in kept.predictions.items()}
    predictions.update((k, p) for k, p in mine.predictions.items() if k not in kept.predictions)
    return Progress(
        pages=kept.pages | mine.pages,
        quiz=quiz,
        predictions=predictions,
        quiz_resets=max(kept.quiz_resets, mine.quiz_resets),
    )


def encode(progress: Progress) -> str:
    """Compact, cookie-safe text; the oldest entries go first when it would be too long."""
    quiz = list(progress.quiz.items())[-MAX_QUIZ:]
    preds = list(progress.predictions.items())[-MAX_PREDICTIONS:]
    while True:
        data = {
            "v": VERSION,
            "g": progress.quiz_resets,
            "p": sorted(progress.pages),
            "q": {k: [a.first, a.current, int(a.revealed), int(a.first_correct)] for k, a in quiz},
            "r": {k: [p.page, p.guess, p.correct] for k, p in preds},
        }
        text = quote(json.dumps(data, separators=(",", ":")), safe="")
        if len(text) <= MAX_CHARS or not (preds or quiz):
            return text
        if preds:
            preds = preds[1:]
        else:
            quiz = quiz[1:]


def decode(text: str | None, pages: Iterable[str]) -> Progress:
    """The progress in `text`, keeping only well-formed entries (pages must be among `pages`)."""
    out = Progress()
    if not text or len(text) > MAX_CHARS:
        return out
    try:
        data = json.loads(unquote(text))
    except (ValueError, TypeError):
        return out
    if not isinstance(data, dict) or data.get("v") != VERSION:
        return out
    resets = data.get("g", 0)  # absent in a cookie written before resets were counted
    if isinstance(resets, int) and not isinstance(resets, bool) and 0 <= resets <= MAX_RESETS:
        out.quiz_resets = resets
    known = set(pages)
    out.pages = {p for p in _list(data.get("p")) if isinstance(p, str) and p in known}
    for key, value in _items(data.get("q"), MAX_QUIZ):
        attempt = _attempt(key, value)
        if attempt is not None:
            out.quiz[key] = attempt
    for key, value in _items(data.get("r"), MAX_PREDICTIONS):
        pred = _prediction(key, value, known)
        if pred is not None:
            out.predictions[key] = pred
    return out


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _items(value: object, limit: int) -> list[tuple[str, object]]:
    return list(value.items())[:limit] if isinstance(value, Mapping) else []


def _index(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and NO_PICK <= v < 16


def _attempt(key: str, value: object) -> Attempt | None:
    if not _SLOT.fullmatch(key) or not isinstance(value, list) or len(value) != 4:
        return None
    first, current, revealed, first_correct = value
    if not (_index(first) and _index(current) and revealed in (0, 1) and first_correct in (0, 1)):
        return None
    if (first == NO_PICK) != (current == NO_PICK):
        return None
    return Attempt(first, bool(first_correct), current, bool(revealed))


def _prediction(key: str, value: object, pages: set[str]) -> Prediction | None:
    if not _KEY.fullmatch(key) or not isinstance(value, list) or len(value) != 3:
        return None
    page, guess, correct = value
    if page not in pages or correct not in (True, False, None):
        return None
    if guess is not None and (not isinstance(guess, str) or len(guess) > MAX_GUESS):
        return None
    return Prediction(page, guess, correct)
