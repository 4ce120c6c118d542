"""The questions each page asks before it reveals a `.grad` result, built from the run it will reveal."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from gradlab.fmt import num, vec
from gradlab.lesson.guess import (
    DIRECTIONS,
    GRAD_BEFORE_BACKWARD,
    SIGNS,
    Verdict,
    check_choice,
    check_sign,
    check_value,
    direction,
    sign_of,
)
from gradlab.probes.sample import SampleTrace
from gradlab.runs.stages import StageRun
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig


@dataclass(frozen=True)
class Prompt:
    """A question asked before a reveal.

    `options` maps choice keys to labels (None: the answer is a number, checked within `guess.tolerance_text()`).
    `judge` turns the learner's choice key (or number, as text) into a verdict. `answer` and `why` are what a
    room sees on *Reveal*. `signature` identifies the answer: when it changes, the question is asked again.
    """

    pid: str
    page: str
    question: str
    options: Mapping[str, str] | None
    judge: Callable[[str], Verdict]
    answer: str
    why: str
    signature: object


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _value_judge(actual: float, shown: str, why: str, guess: str) -> Verdict:
    return check_value(_number(guess), actual, shown, why)


def _choice_judge(actual: str, why: str, options: Mapping[str, str], guess: str) -> Verdict:
    v = check_choice(guess, actual, why)
    return Verdict(v.correct, options.get(guess, guess), options[actual], why)


def _sign_judge(actual: float, shown: str, why: str, guess: str) -> Verdict:
    return check_sign(guess, actual, shown, why)


def grad_before_backward(run: StageRun) -> Prompt:
    """Data Flow, before stage 2 is shown: what is a fresh leaf's `.grad`?"""
    w = next(t for t in run.stages[1].tensors if t.name == "w")
    actual = "None" if w.grad is None else "values"
    why = (
        "requires_grad=True only tells autograd to track w; its .grad stays None until the first backward() "
        "that reaches w creates it."
    )
    return Prompt(
        pid="df_grad_before",
        page="Data Flow",
        question="Stage 2 creates w with requires_grad=True. Before any backward(), what is w.grad?",
        options=GRAD_BEFORE_BACKWARD,
        judge=partial(_choice_judge, actual, why, GRAD_BEFORE_BACKWARD),
        answer=GRAD_BEFORE_BACKWARD[actual],
        why=why,
        signature=actual,
    )


def data_flow_prompts(run: StageRun, config: RunConfig) -> dict[int, list[Prompt]]:
    """Data Flow's questions, by the stage each is asked before: a fresh leaf's `.grad` (stage 2), then what
    backward() puts there (stage 5: the signs of w.grad, the value of b.grad). Home's worked example shows the
    stage-5 answers, so it reads these too."""
    return {2: [grad_before_backward(run)], 5: [w_grad_signs(run, config.y, config.X), b_grad_value(run, config.y)]}


def _sign_key(values: tuple[float, ...]) -> str:
    return "".join({"negative": "-", "zero": "0", "positive": "+"}[sign_of(v)] for v in values)


def _sign_label(key: str) -> str:
    words = {"-": "negative", "0": "zero", "+": "positive"}
    if len(set(key)) == 1:
        return ("both " if len(key) == 2 else "all ") + words[key[0]]
    return ", ".join(f"w{j + 1}.grad {words[c]}" for j, c in enumerate(key))


def w_grad_signs(run: StageRun, y: tuple[float, ...], X: tuple[tuple[float, ...], ...]) -> Prompt:
    """Data Flow, before stage 5: the signs of w.grad's entries (the first two when there are more)."""
    grad = run.w_grad[:2]
    actual = _sign_key(grad)
    keys = ["".join(c) for c in itertools.product("-+", repeat=len(grad))]
    if actual not in keys:
        keys.append(actual)
    options = {k: _sign_label(k) for k in keys}
    residual = [p - t for p, t in zip(run.predictions, y, strict=True)]
    why = f"w.grad = 2/N·Xᵀ(ŷ−y) with ŷ−y = {vec(residual)}, so w.grad = {vec(run.w_grad)}."
    if all(r < 0 for r in residual) and all(v > 0 for row in X for v in row):
        why += " Every prediction is below its target and every feature is positive: raising a weight lowers the loss."
    return Prompt(
        pid="df_w_signs",
        page="Data Flow",
        question="After backward(), which way will w.grad point? (Stage 3 shows every ŷ, stage 1 every y.)",
        options=options,
        judge=partial(_choice_judge, actual, why, options),
        answer=options[actual],
        why=why,
        signature=(actual, run.w_grad),
    )


def b_grad_value(run: StageRun, y: tuple[float, ...]) -> Prompt:
    """Data Flow, before stage 5: the value of b.grad = 2/N·Σ(ŷ−y)."""
    residual = [p - t for p, t in zip(run.predictions, y, strict=True)]
    n = len(residual)
    why = f"b.grad = 2/N·Σ(ŷ−y) = 2/{n} · ({num(sum(residual))}) = {num(run.b_grad)}."
    return Prompt(
        pid="df_b_value",
        page="Data Flow",
        question="What number will b.grad be? It is 2/N·Σ(ŷ−y): stage 3 shows every ŷ, stage 1 every y.",
        options=None,
        judge=partial(_value_judge, run.b_grad, num(run.b_grad), why),
        answer=num(run.b_grad),
        why=why,
        signature=run.b_grad,
    )


def _share_why(s: SampleTrace, j: int) -> str:
    return (
        f"Its share is 2/N·(ŷ−y)·x{j + 1} = 2/{s.n_samples} · ({num(s.residual)}) · {num(s.x[j])} "
        f"= {num(s.contrib_w[j])}: ŷ−y is {sign_of(s.residual)} and x{j + 1} is {sign_of(s.x[j])}."
    )


def share_sign(s: SampleTrace, j: int = 0) -> Prompt:
    """Prediction Trace, before step 4: the sign of this sample's share of w_j.grad (not its value: asked next)."""
    sign = sign_of(s.contrib_w[j])
    why = (
        f"The share is 2/N·(ŷ−y)·x{j + 1}: 2/N is positive, ŷ−y is {sign_of(s.residual)} (step 3) and "
        f"x{j + 1} is {sign_of(s.x[j])}, so the share is {sign}."
    )
    return Prompt(
        pid=f"pt_sign_{j}",
        page="Prediction Trace",
        question=f"This sample's share of w{j + 1}.grad: negative, zero or positive?",
        options={k: k for k in SIGNS},
        judge=partial(_sign_judge, s.contrib_w[j], "", why),
        answer=sign,
        why=why,
        signature=(s.epoch, s.row, s.contrib_w[j]),
    )


def value_is_asked(s: SampleTrace, sign_guess: str | None, j: int = 0) -> bool:
    """Whether the value of this sample's share of w_j.grad is still worth asking after its sign (`share_sign`).

    Not when the share is exactly zero: the sign's answer, "zero", is the value. Not when the learner's sign was
    "zero" (`sign_guess`, None when no guess was made): that guess already was a value, 0, and it has been judged.
    """
    return s.contrib_w[j] != 0 and sign_guess != "zero"


def share_value(s: SampleTrace, j: int = 0) -> Prompt:
    """Prediction Trace, before step 4: the value of this sample's share of w_j.grad."""
    why = _share_why(s, j)
    shown = num(s.contrib_w[j])
    return Prompt(
        pid=f"pt_value_{j}",
        page="Prediction Trace",
        question=f"And its value? The share is 2/N·(ŷ−y)·x{j + 1}; step 3 shows ŷ−y.",
        options=None,
        judge=partial(_value_judge, s.contrib_w[j], shown, why),
        answer=shown,
        why=why,
        signature=(s.epoch, s.row, s.contrib_w[j]),
    )


def loss_direction(trace: Trace, epoch: int, stable_lr: float) -> Prompt:
    """Step-through, before epoch `epoch` (≥ 2) computes its loss: up or down from the epoch before?"""
    if not 2 <= epoch <= len(trace):
        raise ValueError(f"epoch: {epoch} is out of range; a loss direction needs epochs 2 to {len(trace)}")
    before, after = float(trace.loss[epoch - 2]), float(trace.loss[epoch - 1])
    actual = direction(before, after)
    change = f"{num(before)} → {num(after)}"
    cfg = trace.config
    if actual == "down":
        why = f"The step −lr·.grad moved w and b to a lower loss: {change}."
    elif cfg.zeroing == "never":
        why = (
            f".grad was never zeroed, so the last update −lr·.grad used the running sum of every gradient so far, "
            f"not just the latest one: {change}."
        )
    elif cfg.lr > stable_lr:
        limit = num(stable_lr, 3)
        why = f"lr = {num(cfg.lr)} is above this data's stable limit ≈ {limit}, so the step overshot: {change}."
    else:
        why = f"The loss is so close to its minimum that float32 rounding decides its last digits: {change}."
    options = {k: k for k in DIRECTIONS}
    return Prompt(
        pid="lab_step_direction",
        page="Grad Lab",
        question=f"Epoch {epoch}: will the loss go up or down from epoch {epoch - 1}'s {num(before)}?",
        options=options,
        judge=partial(_choice_judge, actual, why, options),
        answer=actual,
        why=why,
        signature=(cfg, epoch),
    )
