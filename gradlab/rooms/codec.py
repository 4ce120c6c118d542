"""A room's header as Redis hash fields (text) and back; votes as text and back."""

from __future__ import annotations

import json
from typing import Any

from gradlab.rooms.errors import StoreUnavailable
from gradlab.rooms.question import Question, Reveal, Value
from gradlab.rooms.state import PHASES
from gradlab.rooms.steps import Header


def fields(h: Header) -> dict[str, str]:
    """Every field of `h` but `version` (the scripts own it) as text."""
    q = h.question
    question = "" if q is None else json.dumps([q.question_id, q.kind, q.prompt, list(q.options), q.low, q.high])
    r = h.reveal
    reveal = "" if r is None else json.dumps([r.answer, r.why, r.option, r.value])
    return {
        "token": h.token_hash,
        "phase": h.phase,
        "round": str(h.round),
        "asked": str(h.asked),
        "question": question,
        "settings": json.dumps(h.settings, sort_keys=True),
        "reveal": reveal,
    }


def header(f: dict[str, str]) -> Header:
    """The Header stored as `f`; StoreUnavailable if the store holds something else under a room's key."""
    try:
        phase = next(p for p in PHASES if p == f["phase"])
        q: Any = json.loads(f["question"]) if f["question"] else None
        r: Any = json.loads(f["reveal"]) if f["reveal"] else None
        settings = json.loads(f["settings"])
        if not isinstance(settings, dict) or not all(isinstance(v, str) for v in settings.values()):
            raise ValueError("settings")
        return Header(
            token_hash=f["token"],
            phase=phase,
            round=int(f["round"]),
            asked=int(f["asked"]),
            version=int(f["version"]),
            question=None if q is None else Question(q[0], q[1], q[2], tuple(q[3]), q[4], q[5]),
            settings=settings,
            reveal=None if r is None else Reveal(r[0], r[1], r[2], r[3]),
        )
    except (KeyError, ValueError, TypeError, IndexError, StopIteration) as err:
        raise StoreUnavailable("The shared store holds a malformed room; class votes are unavailable.") from err


def encode(value: Value) -> str:
    """A checked vote as text: an option index, or a float as repr (which reads back exactly)."""
    return str(value) if isinstance(value, int) else repr(float(value))


def decode(question: Question | None, text: str) -> Value:
    """A stored vote read back as the question's kind of value."""
    try:
        return int(text) if question is None or question.kind == "choice" else float(text)
    except ValueError as err:
        raise StoreUnavailable("The shared store holds a malformed vote; class votes are unavailable.") from err
