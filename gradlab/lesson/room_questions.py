"""GradLab's own questions as class-vote questions: a page's prediction or a quiz question, and its reveal.

The text, the options and PyTorch's answer all come from the run the teacher's page shows (`prompts`, `quiz`);
a room only carries them to the phones. A student sends an option index or a number, nothing else.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gradlab.rooms.question import Question, Reveal

if TYPE_CHECKING:  # both build from runs (torch); this module itself needs neither
    from gradlab.lesson.prompts import Prompt
    from gradlab.lesson.quiz import Question as QuizQuestion

MIN_BOUND = 1e6  # a numeric vote may be any number within ±1e6 (wider when the answer itself is larger)


@dataclass(frozen=True)
class Asked:
    """A question for the room and the answer its *Reveal* shows (`answer.option` or `answer.value` is set)."""

    question: Question
    answer: Reveal

    @property
    def question_id(self) -> str:
        return self.question.question_id


def _digest(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:12]


def number_bounds(actual: float) -> tuple[float, float]:
    """[−B, B] for a numeric vote: B = 1e6, or the power of ten above 100·|actual| when that is larger.

    Wide on purpose: a bound near the answer would give it away to a student who typed beyond it.
    """
    size = 100 * abs(actual) if math.isfinite(actual) else 0.0
    bound = MIN_BOUND if size <= MIN_BOUND else 10.0 ** math.ceil(math.log10(size))
    return -bound, bound


def _number(text: str) -> float | None:
    """The answer as a number, read from the text the page reveals (None if it is not a plain number)."""
    try:
        value = float(text.replace("−", "-"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def from_prompt(p: Prompt) -> Asked:
    """A page's prediction: its options by their labels (choice), or a number (checked by the room's bounds).

    The id names the prompt and its answer (`signature`): when the settings change the answer, the room's
    question is another one, as the page's own question is.
    """
    qid = f"{p.pid}:{_digest(p.signature)}"
    if p.options:
        keys = list(p.options)
        right = next((i for i, k in enumerate(keys) if p.judge(k).correct), None)
        if right is None:  # every prompt has exactly one right option; a broken one must not reach a room
            raise ValueError(f"prompt {p.pid!r} has no right option")
        question = Question(qid, "choice", p.question, tuple(p.options.values()))
        return Asked(question, Reveal(p.answer, p.why, option=right))
    value = _number(p.answer)
    low, high = number_bounds(value if value is not None else 0.0)
    question = Question(qid, "number", p.question, low=low, high=high)
    return Asked(question, Reveal(p.answer, p.why, value=value))


def from_quiz(q: QuizQuestion, number: int) -> Asked:
    """Quiz question `number` (1-based, as the page numbers it), its options in the page's order."""
    qid = f"quiz:{q.qid}:{q.key}"
    question = Question(qid, "choice", f"{number}. {q.prompt}", tuple(q.options))
    return Asked(question, Reveal(q.right, q.explanation, option=q.answer))
