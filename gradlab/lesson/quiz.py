"""Quiz questions: the card's, concept checks, questions on your data, and live ones that follow the settings.

The quiz is written from runs it is handed (`QuizRuns`), and runs none itself: the pages fetch them from the
shared caches (`ui.cache.get_quiz`), so building a quiz trains nothing that Training Trace has not trained, and
every run takes its turn and shows its progress like any other.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, fields

from gradlab.fmt import num, vec
from gradlab.lesson.divergence import explain
from gradlab.lesson.sentences import loss_after_updates, loss_at_epoch
from gradlab.runs.model import loss_at
from gradlab.runs.stages import StageRun
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig
from gradlab.settings.links import format_lr
from gradlab.settings.stability import stable_limit

# Settings a live question can depend on, as the sidebar names them.
SETTING_NAMES = {"lr": "learning rate", "epochs": "epochs", "zeroing": "zeroing"}


@dataclass(frozen=True)
class Question:
    """A multiple-choice question; `answer` indexes `options`.

    `depends_on` names the sidebar settings that change the right answer (empty: it is fixed by the data, or
    is a concept). `from_data` marks questions computed from the dataset and initial weights.
    """

    qid: str
    prompt: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    depends_on: tuple[str, ...] = ()
    from_data: bool = False

    @property
    def live(self) -> bool:
        """True when a sidebar setting changes the right answer."""
        return bool(self.depends_on)

    @property
    def right(self) -> str:
        return self.options[self.answer]

    @property
    def key(self) -> str:
        """A short digest of this version of the question: prompt, options and answer (a pick is an index)."""
        text = "\x1f".join((self.prompt, *self.options, str(self.answer)))
        return hashlib.sha1(text.encode()).hexdigest()[:12]


def _concept(
    qid: str,
    prompt: str,
    right: str,
    wrong: tuple[str, ...],
    why: str,
    *,
    keep_order: bool = False,
    depends_on: tuple[str, ...] = (),
    from_data: bool = False,
) -> Question:
    options = [right, *wrong]
    if not keep_order:
        random.Random(qid).shuffle(options)  # a fixed order per question, not always "A"
    return Question(qid, prompt, tuple(options), options.index(right), why, depends_on, from_data)


_FALLBACK = ("None", "PyTorch raises an error", "It changes from run to run")


def _numeric(
    qid: str,
    prompt: str,
    right: str,
    candidates: list[str],
    why: str,
    *,
    depends_on: tuple[str, ...] = (),
    from_data: bool = False,
) -> Question:
    wrong: list[str] = []
    for c in [*candidates, *_FALLBACK]:
        if c != right and c not in wrong and len(wrong) < 3:
            wrong.append(c)
    return _concept(qid, prompt, right, tuple(wrong), why, depends_on=depends_on, from_data=from_data)


CONCEPTS: tuple[Question, ...] = (
    _concept(
        "card",
        "What does the .grad attribute store after calling backward()?",
        "The gradients of the loss with respect to the tensor",
        ("The updated weights after training", "The input data to the model", "The final prediction values"),
        "loss.backward() computes the gradient of the loss with respect to every leaf tensor that has "
        "requires_grad=True and that the loss depends on, and adds it into that tensor's .grad. "
        "The weights change only when you update them.",
        keep_order=True,
    ),
    _concept(
        "none_before",
        "You create w = torch.tensor([0.5, -0.5], requires_grad=True). What is w.grad before any backward()?",
        "None",
        ("tensor([0., 0.])", "tensor([0.5000, -0.5000])", "It raises an AttributeError"),
        ".grad starts as None; the first backward() that reaches w creates it.",
    ),
    _concept(
        "zero_grad",
        "Why does a training loop clear .grad every step, with w.grad.zero_() or optimizer.zero_grad()?",
        "So each step's .grad holds only that step's gradient, not the sum of earlier ones",
        ("To reset the weights to zero", "To free the computation graph", "To make backward() run faster"),
        "backward() adds into .grad. w.grad.zero_() fills it with zeros; optimizer.zero_grad() sets it to None "
        "by default since PyTorch 2.0 (set_to_none=True). Either way the next backward() starts afresh.",
    ),
    _concept(
        "leaf",
        "Which tensor gets a .grad after loss.backward() by default?",
        "A leaf tensor created with requires_grad=True that the loss depends on, such as w",
        ("Every tensor in the graph, such as y_hat", "Only the loss", "Only tensors moved with .to(device)"),
        "By default only leaves that require grad get .grad; X and y are leaves too, but they do not require grad. "
        "Intermediate results such as y_hat need retain_grad(). A .to() that really copies (to another device "
        "or dtype) returns a non-leaf, whose .grad stays None.",
    ),
    _concept(
        "no_grad",
        "Why is the update written inside `with torch.no_grad():`?",
        "So autograd does not record the update, and the in-place change to a leaf is allowed",
        ("To compute the gradient faster", "To zero the gradients", "Because .grad is read-only otherwise"),
        "Outside no_grad, `w -= lr * w.grad` is an in-place operation on a leaf that requires grad, and "
        "PyTorch raises a RuntimeError.",
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
        "A non-leaf keeps its .grad only if you ask with retain_grad() before backward(); otherwise y_hat.grad "
        "is None and reading it triggers a UserWarning.",
    ),
)

# Epochs of the "never zeroed" question: enough for the sum to differ from any single gradient.
ACCUMULATE_EPOCHS = 3


@dataclass(frozen=True)
class QuizRuns:
    """The runs one quiz is written from: the config's five stages and four training runs (see `trace_configs`)."""

    stages: StageRun  # run_stages(config): the first forward and backward pass
    trace: Trace  # train(config): the loss after all the epochs set
    one_update: Trace  # one epoch, zeroed: w after one update
    never_zeroed: Trace  # ACCUMULATE_EPOCHS epochs, never zeroed: .grad as a running sum
    zeroed: Trace  # the same epochs, zeroed: each step's own gradient, a wrong option beside the sum

    def __post_init__(self) -> None:
        if self.stages.config != self.trace.config:
            raise ValueError(f"stages: a run of {self.stages.config!r} where the quiz needs {self.trace.config!r}")
        want = trace_configs(self.trace.config)
        for name, config in want.items():
            got = getattr(self, name).config
            if got != config:
                raise ValueError(f"{name}: a run of {got!r} where the quiz needs {config!r}")

    @property
    def config(self) -> RunConfig:
        return self.trace.config


def trace_configs(config: RunConfig) -> dict[str, RunConfig]:
    """The config of each training run a quiz on `config` needs, by its `QuizRuns` field."""
    k = ACCUMULATE_EPOCHS
    return {
        "trace": config,
        "one_update": config.with_(epochs=1, zeroing="zero"),
        "never_zeroed": config.with_(epochs=k, zeroing="never"),
        "zeroed": config.with_(epochs=k, zeroing="zero"),
    }


TRACE_FIELDS = tuple(f.name for f in fields(QuizRuns) if f.name != "stages")


def data_questions(run: StageRun) -> tuple[Question, ...]:
    """Numeric questions fixed by the data and initial weights (not by the sidebar settings)."""
    config, w_grad, b_grad = run.config, run.w_grad, run.b_grad
    return (
        _numeric(
            "data_loss",
            "What is the loss in the first forward pass?",
            num(run.loss),
            [num(run.loss * 2), num(run.loss / 4), num(run.loss**0.5), "10.25"],
            f"mean((ŷ−y)²) = {num(run.loss)} for predictions {vec(run.predictions)}."
            + (" The learning card prints 10.25 here, a hand-written slip." if config.is_card_setup else ""),
            from_data=True,
        ),
        _numeric(
            "data_b_grad",
            "What is b.grad after the first backward()?",
            num(b_grad),
            [num(-b_grad), num(2 * b_grad), num(b_grad / 2), "-3"],
            f"b.grad = 2/N·Σ(ŷ−y) = {num(b_grad)}.",
            from_data=True,
        ),
        _numeric(
            "data_twice",
            "Starting from None, you call backward() twice, each on a fresh forward pass at the same w, without "
            "zeroing. What is w.grad now?",
            vec([2 * g for g in w_grad]),
            [vec(w_grad), vec([0.0] * len(w_grad)), vec([-g for g in w_grad]), vec([4 * g for g in w_grad])],
            f"Each backward() adds the same gradient {vec(w_grad)} into .grad, so it doubles.",
            from_data=True,
        ),
    )


def _setup_words(config: RunConfig) -> str:
    rule = "torch.optim.SGD" if config.update == "sgd" else "w ← w − lr·w.grad under no_grad"
    return f"lr = {format_lr(config.lr)}, update {rule}"


def live_questions(runs: QuizRuns) -> tuple[Question, ...]:
    """Numeric questions whose right answers change with the sidebar settings they name."""
    config = runs.config
    lr = format_lr(config.lr)
    start = runs.stages
    qs: list[Question] = []

    # 1. One update: depends on lr.
    w1 = runs.one_update.final_w
    w_after = vec(w1) if w1 is not None else "It overflows to inf/NaN"
    qs.append(
        _numeric(
            "live_update",
            f"With {_setup_words(config)}, what is w after one update from the start?",
            w_after,
            [
                vec([w + config.lr * g for w, g in zip(config.w0, start.w_grad, strict=True)]),
                vec(config.w0),
                vec([w - g for w, g in zip(config.w0, start.w_grad, strict=True)]),
            ],
            f"w − lr·w.grad = {vec(config.w0)} − {lr}·{vec(start.w_grad)} = {w_after}.",
            depends_on=("lr",),
        )
    )

    # 2. The loss after all the epochs set in the sidebar: depends on lr, epochs and zeroing. The question says
    # which loss it means in the app's words: the Training Trace shows the loss at epoch E, before its update.
    trace = runs.trace
    at_epoch, after_updates = loss_at_epoch(config.epochs), loss_after_updates(config.epochs)
    never = config.zeroing == "never"
    zero_words = "never zeroing .grad" if never else "zeroing .grad every step"
    stopped = explain(trace)
    if stopped is not None:
        right = f"No number: the run is stopped at epoch {stopped.epoch}"
        why = f"At lr = {lr} the run is stopped at epoch {stopped.epoch}: {stopped.reason}."
        cands = [num(trace.start_loss, 4), "0"]
    else:
        assert trace.final_w is not None and trace.final_b is not None
        after = loss_at(config, trace.final_w, trace.final_b)
        right = num(after, 4)
        why = (
            f"Training {config.epochs:,} epoch{'s' if config.epochs != 1 else ''} at lr = {lr}, {zero_words}, ends "
            f"at w = {vec(trace.final_w, 4)}, b = {num(trace.final_b, 4)}, where the loss is {num(after)}: the "
            f"{after_updates}. The Training Trace's last row shows the {at_epoch}, {num(trace.end_loss, 4)}, "
            "computed by the last forward pass."
        )
        cands = [num(trace.end_loss, 4), num(trace.start_loss, 4), num(after * 10, 4), num(after / 10, 4)]
    shows = "" if stopped is not None else f" The Training Trace shows the {at_epoch}: {num(trace.end_loss, 4)}."
    qs.append(
        _numeric(
            "live_loss_after",
            f"With {_setup_words(config)} and {zero_words}, each epoch computes its loss, then updates w and b."
            f"{shows} What is the {after_updates}, the loss of w and b once the last update has run?",
            right,
            cands,
            why,
            depends_on=("lr", "epochs", "zeroing"),
        )
    )

    # 3. Does this learning rate converge? Depends on lr.
    limit = stable_limit(config)
    converges = config.lr < limit
    right_words = "The loss falls towards its minimum" if converges else "The loss grows until it overflows to inf/NaN"
    qs.append(
        _concept(
            "live_diverges",
            f"Plain gradient descent on this data at lr = {lr}, zeroing .grad every step, for as many epochs as "
            "it takes: what happens to the loss?",
            right_words,
            tuple(
                o
                for o in (
                    "The loss falls towards its minimum",
                    "The loss grows until it overflows to inf/NaN",
                    "The loss stays where it started",
                    "The loss falls to exactly 0 and stays there",
                )
                if o != right_words
            ),
            f"For this data gradient descent is stable only below lr ≈ {num(limit, 3)} (2 divided by the largest "
            f"curvature of the loss). lr = {lr} is {'below' if converges else 'above'} it, so each step "
            + ("shrinks the error." if converges else "overshoots the minimum by more than it started from."),
            keep_order=True,
            depends_on=("lr",),
        )
    )

    # 4. .grad when it is never zeroed: depends on lr.
    acc = runs.never_zeroed
    k = ACCUMULATE_EPOCHS
    if len(acc) == k:
        summed = tuple(acc.w_grad[k - 1].tolist())
        fresh = runs.zeroed
        own = tuple(fresh.w_grad[k - 1].tolist()) if len(fresh) == k else None
        cands = [vec(start.w_grad), vec([k * g for g in start.w_grad])]
        if own is not None:
            cands.insert(0, vec(own))
        qs.append(
            _numeric(
                "live_accumulated",
                f"A loop at lr = {format_lr(config.lr)} runs forward → backward() → update but never zeroes .grad. "
                f"What is w.grad right after the {_ordinal(k)} backward()?",
                vec(summed),
                cands,
                f"Each backward() added its own gradient at the weights of that step; after {k} steps w.grad is "
                f"their sum, {vec(summed)}.",
                depends_on=("lr",),
            )
        )
    return tuple(qs)


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def build_quiz(runs: QuizRuns) -> tuple[Question, ...]:
    """All questions: the card's first, then concepts, your data, and the live ones, written from `runs`."""
    return (*CONCEPTS, *data_questions(runs.stages), *live_questions(runs))
