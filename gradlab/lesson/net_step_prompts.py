"""Grad Lab ②'s question for the network: after this epoch's update, will the loss go up or down?"""

from __future__ import annotations

from functools import partial

from gradlab.fmt import num
from gradlab.lesson.guess import DIRECTIONS, Verdict, check_choice, direction
from gradlab.lesson.prompts import Prompt
from gradlab.runs.trace import Trace


def _judge(actual: str, why: str, guess: str) -> Verdict:
    v = check_choice(guess, actual, why)
    return Verdict(v.correct, guess, actual, why)


def net_loss_direction(trace: Trace, epoch: int) -> Prompt:
    """Before epoch `epoch` (≥ 2) of a network run shows its loss: up or down from the epoch before?"""
    if not 2 <= epoch <= len(trace):
        raise ValueError(f"epoch: {epoch} is out of range; a loss direction needs epochs 2 to {len(trace)}")
    before, after = float(trace.loss[epoch - 2]), float(trace.loss[epoch - 1])
    actual = direction(before, after)
    change = f"{num(before)} → {num(after)}"
    cfg = trace.config
    if cfg.zeroing == "never":
        why = (
            f".grad was never zeroed, so the update −lr·.grad used the running sum of every gradient so far, not "
            f"just the latest one; the loss went {actual}: {change}."
        )
    elif actual == "down":
        why = f"The update −lr·.grad (lr = {num(cfg.lr)}) moved the four parameters to a lower loss: {change}."
    else:
        why = (
            f"The update −lr·.grad (lr = {num(cfg.lr)}) moved the four parameters to a higher loss: {change}. "
            ".grad gives only the slope at the old parameters; a step this long went past where that slope holds."
        )
    return Prompt(
        pid="lab_net_step_direction",
        page="Grad Lab",
        question=f"Epoch {epoch}: will the loss go up or down from epoch {epoch - 1}'s {num(before)}?",
        options={k: k for k in DIRECTIONS},
        judge=partial(_judge, actual, why),
        answer=actual,
        why=why,
        signature=(cfg, epoch),
    )
