"""What a room asks and what it reveals, the teacher's settings, and the check of a student's vote.

All text here comes from the teacher's session (GradLab's own question bank), never from a student; a
student sends only an option index or a number, and `check_vote` accepts nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from gradlab.fmt import num
from gradlab.rooms.errors import BadQuestion, VoteRejected

Kind = Literal["choice", "number"]
Value = int | float  # an option index (choice) or a finite number (number)
MAX_OPTIONS = 8
LETTERS = "ABCDEFGH"  # option i is called out, listed and tapped as LETTERS[i]: one letter per option
MAX_LABEL = 120  # characters of one option label
MAX_TEXT = 1000  # characters of a prompt, an answer or a why
MAX_ID = 120
MAX_SETTINGS = 40  # query parameters
MAX_SETTING = 400  # characters of one key or value


def letter(i: int) -> str:
    """The letter of option `i` (0-based): A, B, C, … as the projector lists it and a phone shows it."""
    if not 0 <= i < MAX_OPTIONS:
        raise IndexError(f"option {i}: a question has at most {MAX_OPTIONS} options")
    return LETTERS[i]


def _text(name: str, value: object, limit: int, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise BadQuestion(f"{name} must be text, not {type(value).__name__}")
    if (not value and not empty) or len(value) > limit:
        raise BadQuestion(f"{name} must have 1 to {limit} characters (has {len(value)})")
    return value


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadQuestion(f"{name} must be a finite number")
    try:
        out = float(value)  # an int too large for a float overflows here
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        raise BadQuestion(f"{name} must be a finite number")
    return out


@dataclass(frozen=True)
class Question:
    """One question for the room: `kind` "choice" with 2–8 `options` (labels), or "number" within [`low`, `high`].

    `question_id` names the question in GradLab (a prediction or a quiz item), so a page can tell whether the
    room still asks the question it shows. BadQuestion on anything malformed.
    """

    question_id: str
    kind: Kind
    prompt: str
    options: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        _text("question_id", self.question_id, MAX_ID)
        _text("prompt", self.prompt, MAX_TEXT)
        if self.kind == "choice":
            options = tuple(self.options) if isinstance(self.options, list | tuple) else None
            if options is None or not 2 <= len(options) <= MAX_OPTIONS:
                raise BadQuestion(f"a choice question has 2 to {MAX_OPTIONS} options")
            for i, label in enumerate(options):
                _text(f"option {i}", label, MAX_LABEL)
            if self.low is not None or self.high is not None:
                raise BadQuestion("a choice question has no low or high bound")
            object.__setattr__(self, "options", options)
        elif self.kind == "number":
            if self.options:
                raise BadQuestion("a number question has no options")
            low, high = _finite("low", self.low), _finite("high", self.high)
            if not low < high:
                raise BadQuestion(f"low must be below high (got {num(low)} and {num(high)})")
            object.__setattr__(self, "options", ())
            object.__setattr__(self, "low", low)
            object.__setattr__(self, "high", high)
        else:
            raise BadQuestion(f"kind must be 'choice' or 'number', not {self.kind!r}")


@dataclass(frozen=True)
class Reveal:
    """PyTorch's answer, shown on the projector and every phone once revealed.

    `answer` is the answer as text and `why` its one-line reason; `option` (choice) or `value` (number) is
    the same answer as data, so a chart can mark it. The store checks it against the question.
    """

    answer: str
    why: str
    option: int | None = None
    value: float | None = None

    def __post_init__(self) -> None:
        _text("answer", self.answer, MAX_TEXT)
        _text("why", self.why, MAX_TEXT, empty=True)
        if self.option is not None and (isinstance(self.option, bool) or not isinstance(self.option, int)):
            raise BadQuestion("option must be an option index")
        if self.value is not None:
            object.__setattr__(self, "value", _finite("value", self.value))

    def check(self, question: Question) -> None:
        """BadQuestion unless this answer fits `question` (an option of a choice, a value of a number)."""
        if question.kind == "choice":
            if self.value is not None or self.option is None or not 0 <= self.option < len(question.options):
                raise BadQuestion(f"the answer to a choice question is an option index 0–{len(question.options) - 1}")
        elif self.option is not None:
            raise BadQuestion("the answer to a number question is a value, not an option")


def check_settings(settings: Mapping[str, str]) -> dict[str, str]:
    """The teacher's settings as a URL query (str → str), copied; BadQuestion if too many or too long."""
    if not isinstance(settings, Mapping) or len(settings) > MAX_SETTINGS:
        raise BadQuestion(f"settings must be a mapping of at most {MAX_SETTINGS} query parameters")
    out = {}
    for key, value in settings.items():
        out[_text("a setting's name", key, MAX_SETTING)] = _text(f"setting {key}", value, MAX_SETTING, empty=True)
    return out


def check_vote(question: Question, value: object) -> Value:
    """`value` as it will be counted: an option index of a choice, or a finite number within [low, high].

    VoteRejected with the reason otherwise (a bool, a string, NaN, ±inf, out of range); the message never
    repeats what was sent.
    """
    if question.kind == "choice":
        last = len(question.options) - 1
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= last:
            raise VoteRejected(f"Pick one of the {last + 1} options.")
        return int(value)
    assert question.low is not None and question.high is not None  # set by Question for a number
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VoteRejected("Type a number.")
    if isinstance(value, float) and not math.isfinite(value):  # an int is finite, however large
        raise VoteRejected("Type a finite number (not NaN or infinity).")
    if not question.low <= value <= question.high:
        raise VoteRejected(f"Type a number from {num(question.low)} to {num(question.high)}.")
    return float(value)
