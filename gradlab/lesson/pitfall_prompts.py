"""Grad Lab ⑥'s question before each pitfall is shown: what happens when this code runs?

The answer is what the run really did (`PitfallOutcome.behaviour`, read from the exception, the warnings and the
result of running the mistake), so a verdict is judged against PyTorch's (and Python's) real outcome.
"""

from __future__ import annotations

from functools import partial

from gradlab.lesson.guess import Verdict, check_choice
from gradlab.lesson.prompts import Prompt
from gradlab.probes.pitfalls import PitfallOutcome

# Each of gradlab.probes.pitfalls.BEHAVIOURS as a learner chooses it, in its order; the labels read as answers
# after a letter ("A. It raises an error").
BEHAVIOUR_WORDS: dict[str, str] = {
    "error": "It raises an error",
    "warning": "It runs, and PyTorch prints a warning",
    "silent": "It runs silently, with a wrong result",
    "works": "It works as intended",
}
QUESTION = "What happens when this code runs: an error, a warning, a silently wrong result, or does it work?"


def _judge(actual: str, why: str, guess: str) -> Verdict:
    if guess not in BEHAVIOUR_WORDS:
        raise ValueError(f"guess: {guess!r} is not one of {tuple(BEHAVIOUR_WORDS)}")
    v = check_choice(guess, actual, why)
    return Verdict(v.correct, BEHAVIOUR_WORDS[guess], BEHAVIOUR_WORDS[actual], why)


def pitfall_prompt(p: PitfallOutcome) -> Prompt:
    """The question asked before pitfall `p`'s outcome, judged against what running it really did."""
    return Prompt(
        pid=f"lab_pitfall_{p.key}",
        page="Grad Lab",
        question=QUESTION,
        options=BEHAVIOUR_WORDS,
        judge=partial(_judge, p.behaviour, p.why),
        answer=BEHAVIOUR_WORDS[p.behaviour],
        why=p.why,
        signature=(p.key, p.behaviour),
    )
