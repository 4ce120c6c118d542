"""Quiz questions: the card's, concept checks, and numeric ones computed live from the settings."""

from __future__ import annotations

import random
from dataclasses import dataclass

from gradlab.config import RunConfig
from gradlab.fmt import num, vec
from gradlab.stages import run_stages
from gradlab.train import train


@dataclass(frozen=True)
class Question:
    """A multiple-choice question; `answer` indexes `options`."""

    qid: str
    prompt: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    live: bool = False  # computed from the current settings


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer."""

    correct: bool
    chosen: str
    right_answer: str
    explanation: str


def _concept(
    qid: str, prompt: str, right: str, wrong: tuple[str, ...], why: str, *, keep_order: bool = False
) -> Question:
    options = [right, *wrong]
    if not keep_order:
        random.Random(qid).shuffle(options)  # a fixed order per question, not always "A"
    return Question(qid, prompt, tuple(options), options.index(right), why)


_FALLBACK = ("None", "PyTorch raises an error", "It changes from run to run")


def _numeric(qid: str, prompt: str, right: str, candidates: list[str], why: str) -> Question:
    wrong: list[str] = []
    for c in [*candidates, *_FALLBACK]:
        if c != right and c not in wrong and len(wrong) < 3:
            wrong.append(c)
    return _concept(qid, prompt, right, tuple(wrong), why)


CONCEPTS: tuple[Question, ...] = (
    _concept(
        "card",
        "What does the .grad attribute store after calling backward()?",
        "The gradients of the loss with respect to the tensor",
        ("The updated weights after training", "The input data to the model", "The final prediction values"),
        "backward() computes ∂loss/∂tensor for every leaf with requires_grad=True and stores it in .grad. "
        "The weights change only when you update them.",
        keep_order=True,
    ),
    _concept(
        "none_before",
        "You create w = torch.tensor([0.5, -0.5], requires_grad=True). What is w.grad before any backward()?",
        "None",
        ("tensor([0., 0.])", "tensor([0.5000, -0.5000])", "It raises an AttributeError"),
        ".grad starts as None; the first backward() allocates it.",
    ),
    _concept(
        "accumulate",
        "You call backward() twice, each time on a fresh forward pass, without zeroing. What happens to w.grad?",
        "The second gradient is added to the first",
        ("The second gradient replaces the first", "It is reset to None", "PyTorch raises an error"),
        "PyTorch accumulates: .grad += new gradient. That is why training loops zero gradients every step.",
    ),
    _concept(
        "zero_grad",
        "Why does a training loop call optimizer.zero_grad() (or w.grad.zero_()) every step?",
        "So each step's gradient comes from the current batch only, not the sum of earlier ones",
        ("To reset the weights to zero", "To free the computation graph", "To make backward() run faster"),
        "Without zeroing, .grad keeps the sum of all past gradients and the update uses a stale, growing step.",
    ),
    _concept(
        "leaf",
        "Which tensor gets a .grad after loss.backward() by default?",
        "A leaf tensor created with requires_grad=True, such as w",
        ("Every tensor in the graph, such as y_hat", "Only the loss", "Only tensors moved with .to(device)"),
        "Only leaves keep .grad. Intermediate results like y_hat need retain_grad(); "
        "w.to(device) after requires_grad is a non-leaf copy.",
    ),
    _concept(
        "no_grad",
        "Why is the update written inside `with torch.no_grad():`?",
        "So autograd does not record the update, and the in-place change to a leaf is allowed",
        ("To compute the gradient faster", "To zero the gradients", "Because .grad is read-only otherwise"),
        "Outside no_grad, `w -= lr * w.grad` is an in-place op on a leaf that requires grad: "
        "PyTorch raises a RuntimeError.",
    ),
    _concept(
        "big_lr",
        "The learning rate is far too large. What do you see in the training trace?",
        "The loss grows from epoch to epoch and can overflow to inf/NaN",
        ("The loss falls faster and faster", "Gradients become exactly zero", "Nothing changes; lr only affects speed"),
        "Each step overshoots the minimum by more than it started from, so the error and the gradients grow.",
    ),
    _concept(
        "retain",
        "How can you see the gradient of the non-leaf y_hat after backward()?",
        "Call y_hat.retain_grad() before backward()",
        (
            "Read y_hat.grad: it is always filled",
            "Call y_hat.zero_()",
            "Set y_hat.requires_grad = True after backward()",
        ),
        "Non-leaf .grad is not kept unless you ask with retain_grad(); reading it otherwise gives None and a warning.",
    ),
)


def live_questions(config: RunConfig) -> tuple[Question, ...]:
    """Numeric questions whose answers come from real autograd for this config."""
    run = run_stages(config)
    trace = train(config.with_(epochs=min(2, config.epochs)))
    w_grad, b_grad = run.w_grad, run.b_grad
    qs = [
        _numeric(
            "live_b_grad",
            "With the current settings, what is b.grad after the first backward()?",
            num(b_grad),
            [num(-b_grad), num(2 * b_grad), num(b_grad / 2), num(run.loss), "-3"],
            f"b.grad = 2/N·Σ(ŷ−y) = {num(b_grad)}."
            + (" The card prints -3.0 here: a hand-written slip." if config.is_card_setup else ""),
        ),
        _numeric(
            "live_loss",
            "What is the loss in the first forward pass?",
            num(run.loss),
            [num(run.loss * 2), num(run.loss / 4), num(run.loss**0.5), "10.25"],
            f"mean((ŷ−y)²) = {num(run.loss)} for predictions {vec(run.predictions)}.",
        ),
        _numeric(
            "live_accumulate",
            "You call backward() a second time on a fresh forward pass without zeroing. What is w.grad now?",
            vec([2 * g for g in w_grad]),
            [vec(w_grad), vec([0.0] * len(w_grad)), vec([-g for g in w_grad]), vec([4 * g for g in w_grad])],
            f"The new gradient {vec(w_grad)} is added to the old one: 2 × {vec(w_grad)}.",
        ),
    ]
    if len(trace) >= 2:
        w2 = tuple(trace.w[1].tolist())
        qs.append(
            _numeric(
                "live_update",
                f"After one update with lr = {config.lr:g} (w ← w − lr·w.grad), what is w?",
                vec(w2),
                [
                    vec([w + config.lr * g for w, g in zip(config.w0, w_grad, strict=True)]),
                    vec(config.w0),
                    vec([w - g for w, g in zip(config.w0, w_grad, strict=True)]),
                ],
                f"w − lr·w.grad = {vec(config.w0)} − {config.lr:g}·{vec(w_grad)} = {vec(w2)}"
                + (" (with SGD the same rule)." if config.update == "sgd" else "."),
            )
        )
    return tuple(Question(q.qid, q.prompt, q.options, q.answer, q.explanation, live=True) for q in qs)


def build_quiz(config: RunConfig) -> tuple[Question, ...]:
    """All questions: the card's first, then concepts, then the live numeric ones."""
    return (*CONCEPTS, *live_questions(config))


def grade(question: Question, choice: int) -> Feedback:
    """Grade one answer by option index."""
    if not 0 <= choice < len(question.options):
        raise ValueError(f"choice: {choice} is out of range; pick 0 to {len(question.options) - 1}")
    return Feedback(
        correct=choice == question.answer,
        chosen=question.options[choice],
        right_answer=question.options[question.answer],
        explanation=question.explanation,
    )


def score(answers: dict[str, int], questions: tuple[Question, ...]) -> tuple[int, int]:
    """(correct, answered) over the questions that have an answer."""
    by_id = {q.qid: q for q in questions}
    graded = [grade(by_id[k], v).correct for k, v in answers.items() if k in by_id and 0 <= v < len(by_id[k].options)]
    return sum(graded), len(graded)
