"""The quiz: answer keys checked against real PyTorch, live questions that really follow their settings,
first-try scoring, and the quiz page (answers kept, reset, classroom reveal) under AppTest."""

from __future__ import annotations

import warnings

import pytest
import torch

from gradlab.fmt import num, vec
from gradlab.lesson import quizbook
from gradlab.lesson.quiz import CONCEPTS
from gradlab.settings.config import RunConfig
from tests.apptest import open_page
from tests.quizruns import fresh_quiz
from ui.quiz_panel import plain
from ui.settings_state import SETTING

CARD = RunConfig()
LIVE_IDS = {"live_update", "live_loss_after", "live_diverges", "live_accumulated"}
# Changes of each setting a live question can name, from the card's defaults (a yes/no question such as
# "does this rate diverge?" changes only across the stable limit, about 0.0458 here).
CHANGES = {
    "lr": ({"lr": 0.02}, {"lr": 0.05}),
    "epochs": ({"epochs": 6},),
    "zeroing": ({"zeroing": "never"},),
}


def by_id(cfg: RunConfig) -> dict[str, object]:
    return {q.qid: q for q in fresh_quiz(cfg)}


def _card_tensors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    X = torch.tensor(CARD.X)
    y = torch.tensor(CARD.y)
    w = torch.tensor(CARD.w0, requires_grad=True)
    b = torch.tensor(CARD.b0, requires_grad=True)
    return X, y, w, b


# --- the questions ------------------------------------------------------------------------------


def test_the_cards_question_comes_first_with_the_cards_options():
    card = fresh_quiz(CARD)[0]
    assert card.prompt == "What does the .grad attribute store after calling backward()?"
    assert card.options == (
        "The gradients of the loss with respect to the tensor",
        "The updated weights after training",
        "The input data to the model",
        "The final prediction values",
    )
    assert card.answer == 0 and not card.live


def test_every_question_has_four_distinct_options_one_answer_and_no_repeated_scenario():
    for cfg in (CARD, CARD.with_(lr=1.0, epochs=100), CARD.with_(X=((0.0, 0.0),), y=(0.0,), w0=(0.0, 0.0))):
        quiz = fresh_quiz(cfg)
        assert len({q.qid for q in quiz}) == len({q.prompt for q in quiz}) == len(quiz)
        for q in quiz:
            assert len(set(q.options)) == len(q.options) == 4, q.qid
            assert 0 <= q.answer < 4


@pytest.mark.parametrize(
    "cfg",
    [
        pytest.param(CARD, id="card"),
        pytest.param(CARD.with_(epochs=1), id="epochs-1"),
        pytest.param(CARD.with_(lr=1.0, epochs=100), id="diverging"),
        pytest.param(CARD.with_(zeroing="never", update="sgd"), id="never-sgd"),
        pytest.param(CARD.with_(epochs=10_000), id="epochs-max"),
    ],
)
def test_live_questions_exist_for_every_valid_setting(cfg: RunConfig):
    quiz = fresh_quiz(cfg)
    assert {q.qid for q in quiz if q.live} == LIVE_IDS
    assert not any(q.live for q in CONCEPTS)
    assert all(not q.live for q in quiz if q.from_data)


def test_every_live_question_changes_with_each_setting_it_names():
    base = by_id(CARD)
    for qid in LIVE_IDS:
        q = base[qid]
        assert q.depends_on, qid
        for setting in q.depends_on:
            answers = {by_id(CARD.with_(**change))[qid].right for change in CHANGES[setting]}
            assert answers - {q.right}, (qid, setting)


def test_data_questions_do_not_change_with_the_settings_but_do_with_the_data():
    base = {k: q for k, q in by_id(CARD).items() if q.from_data}
    assert set(base) == {"data_loss", "data_b_grad", "data_twice"}
    for changes in CHANGES.values():
        for change in changes:
            moved = by_id(CARD.with_(**change))
            assert all(moved[k].right == q.right for k, q in base.items())
    new_data = by_id(CARD.with_(w0=(0.0, 0.0)))
    assert all(new_data[k].right != q.right for k, q in base.items())


def test_data_answer_keys_agree_with_pytorch():
    q = by_id(CARD)
    assert q["data_loss"].right == "47.25" and q["data_b_grad"].right == "-13"  # exact in binary
    X, y, w, b = _card_tensors()
    for _ in range(2):  # two backward() calls on fresh forward passes, no zeroing
        ((X @ w + b - y) ** 2).mean().backward()
    assert q["data_twice"].right == vec(w.grad.tolist())


def test_live_answer_keys_agree_with_an_independent_loop():
    lr, epochs = 0.02, 6
    q = by_id(CARD.with_(lr=lr, epochs=epochs))
    X, y, w, b = _card_tensors()
    ((X @ w + b - y) ** 2).mean().backward()
    with torch.no_grad():
        one = (w - lr * w.grad).tolist()
    assert q["live_update"].right == vec(one)

    X, y, w, b = _card_tensors()
    for _ in range(epochs):
        ((X @ w + b - y) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    with torch.no_grad():
        after = float(((X @ w + b - y) ** 2).mean())
    assert q["live_loss_after"].right == num(after, 4)

    X, y, w, b = _card_tensors()
    for _ in range(3):  # never zeroed: .grad is the running sum
        ((X @ w + b - y) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    # w.grad after the 3rd backward() is read before the 3rd update; undo nothing: the grad is unchanged by it
    assert q["live_accumulated"].right == vec(w.grad.tolist())


@pytest.mark.parametrize("lr", [0.01, 0.04, 0.05, 0.3])
def test_the_divergence_answer_is_what_training_does(lr: float):
    from gradlab.runs.train import train

    q = by_id(CARD.with_(lr=lr))["live_diverges"]
    trace = train(CARD.with_(lr=lr, epochs=1_000))  # enough to converge below the limit, or to overflow above it
    if "falls" in q.right:
        assert trace.stop is None and trace.end_loss < 1e-3 < trace.start_loss
    else:
        assert "overflows" in q.right
        assert trace.stop is not None or trace.end_loss > trace.start_loss


def test_concept_answer_keys_are_what_pytorch_does():
    X, y, w, b = _card_tensors()
    assert w.grad is None  # "none_before"
    y_hat = X @ w + b
    ((y_hat - y) ** 2).mean().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert y_hat.grad is None  # "leaf": a non-leaf keeps no .grad by default …
    assert any(issubclass(c.category, UserWarning) for c in caught)  # "retain": … and reading it warns
    assert w.grad is not None and X.is_leaf and X.grad is None  # X is a leaf that does not require grad
    with pytest.raises(RuntimeError):  # "no_grad": in place on a leaf that requires grad
        w -= 0.01 * w.grad
    opt = torch.optim.SGD([w, b], lr=0.01)
    opt.zero_grad()
    assert w.grad is None  # "zero_grad": set_to_none=True by default since PyTorch 2.0
    texts = {q.qid: q.explanation for q in CONCEPTS}
    assert "set_to_none=True" in texts["zero_grad"] and "really copies" in texts["leaf"]


# --- the answer book ---------------------------------------------------------------------------


def test_first_try_counts_and_retries_do_not_change_it():
    quiz = fresh_quiz(CARD)
    book: dict = {}
    q0, q1 = quiz[0], quiz[1]
    wrong = next(o for o in q0.options if o != q0.right)
    quizbook.record(book, q0, wrong)
    quizbook.record(book, q0, q0.right)  # the retry is right …
    quizbook.record(book, q1, q1.right)
    s = quizbook.score(book, quiz)
    assert (s.first_right, s.now_right, s.answered) == (1, 2, 2)  # … but only q1 counts on first try
    assert s.text == f"first try 1/{len(quiz)} · now 2/{len(quiz)}"
    with pytest.raises(ValueError, match="not an option"):
        quizbook.record(book, q0, "no such answer")


def test_an_answer_for_other_settings_is_stale_not_dropped():
    book: dict = {}
    q = by_id(CARD)["live_update"]
    quizbook.record(book, q, q.right)
    moved = by_id(CARD.with_(lr=0.02))["live_update"]
    assert quizbook.status(book, moved) == "stale" and quizbook.attempt(book, moved) is None
    assert quizbook.status(book, q) == "answered"  # back to the old settings: the old answer is still there


def test_revealed_only_scores_count_revealed_questions():
    quiz = fresh_quiz(CARD)
    book: dict = {}
    quizbook.record(book, quiz[0], quiz[0].right)
    assert quizbook.score(book, quiz, revealed_only=True).first_right == 0
    quizbook.reveal(book, quiz[0])
    assert quizbook.score(book, quiz, revealed_only=True).first_right == 1


# --- the page ----------------------------------------------------------------------------------


def _radio(at, text: str):
    return next(r for r in at.main.radio if text in r.label)


def _check(at, text: str, option: str | None):
    """Pick `option` in the question whose label holds `text` (None: pick nothing), then press its *Check*."""
    labels = [r.label for r in at.main.radio]
    index = next(i for i, label in enumerate(labels) if text in label)
    if option is not None:
        at.main.radio[index].set_value(option)
    checks = [b for b in at.main.button if b.label == "Check"]
    assert len(checks) == len(labels)  # one Check per question, in the same order
    checks[index].click().run()
    return at


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_radio_groups_have_plain_accessible_names_that_keep_identifiers_whole():
    at = open_page("quiz")
    labels = [r.label for r in at.main.radio]
    assert len(labels) >= 12
    for label in labels:
        assert not any(mark in label for mark in ("**", "`", ":red-badge", ":blue-badge")), label
    assert all(r.proto.label_visibility.value == r.proto.label_visibility.COLLAPSED for r in at.main.radio)
    said = " ".join(labels)
    for identifier in ("requires_grad", "zero_grad()", "torch.no_grad()", "y_hat"):  # issue 19 §3: not "zerograd"
        assert identifier in said


def test_plain_drops_markdown_marks_but_not_underscores():
    assert plain("Why `with torch.no_grad():` and **not** *w.grad.zero_()*?") == (
        "Why with torch.no_grad(): and not w.grad.zero_()?"
    )


def test_options_are_lettered_for_a_room_to_call_out():
    at = open_page("quiz")
    q = fresh_quiz(CARD)[0]
    shown = list(at.main.radio[0].proto.options)
    assert shown == [f"{'ABCD'[i]} · {o}" for i, o in enumerate(q.options)]


def test_picking_an_option_is_not_an_answer_until_check():
    """Issue 19 §4: a mis-click is not a permanent wrong first try; only *Check* records an answer."""
    at = open_page("quiz")
    wrong = "The updated weights after training"
    _radio(at, "What does the .grad attribute store").set_value(wrong).run()  # a click on an option, no Check
    assert not at.error and _metrics(at)["answered"].startswith("0 /")
    _check(at, "What does the .grad attribute store", "The gradients of the loss with respect to the tensor")
    assert any("Correct on the first try" in s.value for s in at.success)
    assert _metrics(at)["first try"].startswith("1 /")


def test_check_without_a_pick_asks_for_one():
    at = _check(open_page("quiz"), "What is b.grad after the first backward()", None)
    assert any("Pick an option first" in w.value for w in at.warning)
    assert _metrics(at)["answered"].startswith("0 /")


def test_answers_survive_a_page_switch_and_score_first_tries():
    at = open_page("quiz")
    _check(at, "What does the .grad attribute store", "The updated weights after training")
    assert any("Not quite" in e.value for e in at.error)
    _check(at, "What does the .grad attribute store", "The gradients of the loss with respect to the tensor")
    assert any("first-try score keeps it as wrong" in i.value for i in at.info)
    _check(at, "What is b.grad after the first backward()", "-13")
    total = len([r for r in at.main.radio])
    assert _metrics(at)["first try"] == f"1 / {total}" and _metrics(at)["now"] == f"2 / {total}"
    at.switch_page("pages/1_Data_Flow.py").run()
    at.switch_page("pages/5_Quiz.py").run()
    assert _radio(at, "What does the .grad attribute store").value.startswith("The gradients")
    assert _radio(at, "What is b.grad after the first backward()").value == "-13"
    assert _metrics(at)["first try"] == f"1 / {total}"


def test_reset_clears_the_radios_and_both_scores():
    at = open_page("quiz")
    _check(at, "What is b.grad after the first backward()", "-13")
    next(b for b in at.button if b.label == "Reset the quiz").click().run()
    assert _radio(at, "What is b.grad after the first backward()").value is None
    assert _metrics(at)["first try"].startswith("0 /") and _metrics(at)["now"].startswith("0 /")
    _check(at, "What is b.grad after the first backward()", "-13")  # the same pick counts again
    assert _metrics(at)["first try"].startswith("1 /")


def test_a_live_answer_is_marked_stale_when_its_setting_changes():
    at = open_page("quiz")
    q = by_id(CARD)["live_update"]
    _check(at, "what is w after one update", q.right)
    at.session_state[SETTING["lr"]] = 0.02
    at.run()
    assert any("Settings changed: answer again" in w.value for w in at.warning)
    assert _radio(at, "what is w after one update").value is None


def test_presentation_mode_hides_the_answer_until_reveal():
    at = open_page("quiz", {"present": "1"})
    radio = _radio(at, "What is b.grad after the first backward()")
    _check(at, "What is b.grad after the first backward()", "-26")
    text = " ".join(e.value for kind in ("success", "error", "info") for e in getattr(at, kind))
    assert "-13" not in text and "Not quite" not in text
    reveal = [b for b in at.button if b.label == "Reveal the answer"]
    assert len(reveal) == len(at.main.radio)
    index = [r.label for r in at.main.radio].index(radio.label)
    reveal[index].click().run()
    assert any("Answer: -13" in s.value for s in at.success)


def test_presentation_mode_keeps_the_teachers_score_off_the_projector():
    """Issue 19 §1: the teacher's own score is folded away, one click from view, never shown to the room."""
    at = open_page("quiz", {"present": "1"})
    _check(at, "What is b.grad after the first backward()", "-13")
    (folded,) = [e for e in at.expander if "Your own score" in e.label]
    assert not folded.proto.expanded
    assert {m.label for m in folded.metric} == {"first try", "now", "answered"}
    assert not [m for m in at.main.metric if m not in folded.metric]
