"""A learner's predictions, checked against the real autograd numbers they predict.

Every check takes the value PyTorch produced and returns a verdict with a one-line why; the tolerances are
constants here so the page can tell the learner what counts as right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gradlab.fmt import num

# A numeric guess counts as right within this share of the true value, or within VALUE_ABS_TOL of it.
VALUE_REL_TOL = 0.10
VALUE_ABS_TOL = 0.05

# What `.grad` can be after one operation, as the learner chooses it.
GRAD_OUTCOMES: dict[str, str] = {
    "None": "None",
    "filled": "this loss's gradient (newly created)",
    "added": "the old .grad plus this loss's gradient",
    "unchanged": "unchanged",
    "zeros": "all zeros",
    "error": "an error is raised",
}
# How PyTorch's outcome reads when the learner picked another choice that is equally true (GradOutcome.also).
ALSO_SHOWN: dict[tuple[str, str], str] = {
    ("None", "unchanged"): "unchanged: still None",
    ("added", "filled"): "this loss's gradient: added to zeros, so equal to it",
}
SIGNS = ("negative", "zero", "positive")
DIRECTIONS = ("down", "up")
GRAD_BEFORE_BACKWARD = {"None": "None", "zeros": "a tensor of zeros", "values": "a tensor of gradient values"}


@dataclass(frozen=True)
class Verdict:
    """A prediction beside PyTorch's answer."""

    correct: bool
    guess: str
    actual: str
    why: str


def tolerance_text() -> str:
    """How close a numeric guess must be, in words."""
    return f"within {VALUE_REL_TOL:.0%} of the true value, or within ±{VALUE_ABS_TOL:g}"


def value_ok(guess: float, actual: float) -> bool:
    """Whether a numeric guess is close enough to the true value."""
    if not (math.isfinite(guess) and math.isfinite(actual)):
        return False
    return abs(guess - actual) <= max(VALUE_REL_TOL * abs(actual), VALUE_ABS_TOL)


def check_value(guess: float, actual: float, shown: str, why: str) -> Verdict:
    """A number guessed within the stated tolerance."""
    return Verdict(value_ok(guess, actual), num(guess), shown, why)


def sign_of(x: float) -> str:
    """ "negative", "zero" or "positive"."""
    return "zero" if x == 0 else ("negative" if x < 0 else "positive")


def check_sign(guess: str, actual: float, shown: str, why: str) -> Verdict:
    """A sign guessed for a real value; `shown` (the value as text) may be "" when the value is asked next."""
    if guess not in SIGNS:
        raise ValueError(f"guess: {guess!r} is not one of {SIGNS}")
    return Verdict(guess == sign_of(actual), guess, f"{sign_of(actual)} ({shown})" if shown else sign_of(actual), why)


def check_choice(guess: str, actual: str, why: str, *, also_right: Sequence[str] = ()) -> Verdict:
    """A choice among named outcomes; `also_right` lists other choices that are equally true."""
    return Verdict(guess == actual or guess in also_right, guess, actual, why)


def direction(before: float, after: float) -> str:
    """ "up" when the loss rose (or became non-finite), otherwise "down"."""
    if not math.isfinite(after):
        return "up"
    return "up" if after > before else "down"


@dataclass(frozen=True)
class GradOutcome:
    """What one operation did to `.grad`: the outcome key, other keys equally true, and why."""

    key: str
    also: tuple[str, ...]
    why: str

    def shown(self, guess: str | None = None) -> str:
        """PyTorch's outcome in words, worded as the learner's choice when that choice is equally true."""
        if guess in self.also:
            return ALSO_SHOWN.get((self.key, guess), GRAD_OUTCOMES[self.key])
        return GRAD_OUTCOMES[self.key]


def grad_outcome(
    before: Sequence[float] | None,
    after: Sequence[float] | None,
    *,
    ok: bool,
    error: str = "",
    stale: bool = False,
    weights: str = "w and b",
) -> GradOutcome:
    """Classify what an operation did to `.grad`, from its values before and after (and whether it raised).

    `weights` names the parameters in the why ("w and b"; "parameters" for the network).

    `stale` marks a backward() through a graph recorded before the last update: PyTorch runs it without an error,
    so `.grad` is filled or added to as usual, and the why says which weights that gradient belongs to.
    """
    if not ok:
        return GradOutcome("error", (), error or "PyTorch refused the operation.")
    old = f" It is the gradient at the old {weights}: the graph was recorded before the update." if stale else ""
    if after is None:
        also = ("unchanged",) if before is None else ()  # None before and after: "unchanged" is true as well
        return GradOutcome("None", also, ".grad is None: no gradient tensor exists until backward() reaches this leaf.")
    if before is None:
        return GradOutcome("filled", (), "The first backward() that reaches a leaf creates its .grad." + old)
    if tuple(after) == tuple(before):
        return GradOutcome("unchanged", (), "Only backward(), zeroing or set_to_none change .grad; this did not.")
    if all(v == 0 for v in after):
        return GradOutcome("zeros", (), "zero_() keeps the .grad tensor and fills it with zeros.")
    if all(v == 0 for v in before):
        return GradOutcome(
            "added", ("filled",), "backward() added this loss's gradient to zeros, so .grad equals that gradient." + old
        )
    doubled = all(a == 2 * b for a, b in zip(after, before, strict=True))
    same = f" The graph was recorded at the same {weights} as the gradient already there, so the sum is exactly double."
    return GradOutcome(
        "added", (), "backward() adds into an existing .grad: gradients accumulate." + old + (same if doubled else "")
    )
