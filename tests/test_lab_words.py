"""Grad Lab's exact words (issue 19 §3), each checked against plain PyTorch or Python run here: who raises what,
and why backward() after an update runs in the lab but not once w is saved for backward."""

from __future__ import annotations

import pytest
import torch

from gradlab.probes.stale_graph import stale_graph
from gradlab.runs.code import BACKWARD
from gradlab.runs.lifecycle import STALE_ALLOWED, GradLifecycle
from gradlab.settings.config import RunConfig
from tests.apptest import open_page, text_of
from ui.lab.lifecycle import STALE_TITLE

CARD = RunConfig()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def said_by_python(line: str, space: dict) -> str:
    """What Python itself raises for `line` with these names defined."""
    try:
        exec(line, space)
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    raise AssertionError(f"{line!r} raised nothing")


def card_tensors(*, x_requires_grad: bool = False) -> tuple[torch.Tensor, ...]:
    X, y = torch.tensor(CARD.X, requires_grad=x_requires_grad), torch.tensor(CARD.y)
    return X, y, torch.tensor(CARD.w0, requires_grad=True), torch.tensor(CARD.b0, requires_grad=True)


# --- who raises: Python or PyTorch ------------------------------------------------------------------------


def test_backward_before_any_forward_is_pythons_name_error_as_in_a_script():
    event = GradLifecycle(CARD).run("backward")
    assert event.raised_by == "Python" and not event.ok
    assert event.message.startswith(said_by_python(BACKWARD, {}) + ".")  # NameError: name 'loss' is not defined
    assert "before any PyTorch code runs" in event.message


def test_zeroing_a_none_grad_is_pythons_attribute_error():
    event = GradLifecycle(CARD).run("zero")
    w = torch.tensor(CARD.w0, requires_grad=True)
    assert event.raised_by == "Python"
    assert event.message.startswith(said_by_python("w.grad.zero_()", {"w": w}) + ".")


def test_an_update_with_no_grad_yet_is_pythons_type_error():
    event = GradLifecycle(CARD).run("step")
    w = torch.tensor(CARD.w0, requires_grad=True)
    assert event.raised_by == "Python"
    assert event.message.startswith(said_by_python("w -= lr * w.grad", {"w": w, "lr": CARD.lr}) + ".")


def test_backward_twice_is_pytorchs_runtime_error():
    lab = GradLifecycle(CARD)
    for action in ("forward", "backward"):
        lab.run(action)
    event = lab.run("backward")
    X, y, w, b = card_tensors()
    loss = ((X @ w + b - y) ** 2).mean()
    loss.backward()
    with pytest.raises(RuntimeError) as err:
        loss.backward()
    assert event.raised_by == "PyTorch" and event.message.startswith(f"RuntimeError: {err.value}")


def test_the_verdict_names_python_when_python_raised():
    at = open_page("grad_lab")
    at.main.radio[0].set_value("error").run()
    next(b for b in at.main.button if b.label == "backward()").click().run()
    verdicts = [s.value for s in at.success]
    assert any("**Python:** an error is raised" in v for v in verdicts), verdicts
    assert not any("**PyTorch:** an error is raised" in v for v in verdicts)
    assert any(e.value.startswith("NameError: name 'loss' is not defined") for e in at.error)


# --- backward() after an update: allowed here, refused once w is saved ------------------------------------------


def test_in_the_lab_the_graph_never_saves_w_and_with_x_requiring_grad_it_does():
    X, _, w, _ = card_tensors()
    node = (X @ w).grad_fn
    assert node._saved_vec is None and torch.equal(node._saved_self, X)  # X saved, w not
    Xg, _, w, _ = card_tensors(x_requires_grad=True)
    assert torch.equal((Xg @ w).grad_fn._saved_vec, w.detach())  # w saved, to compute X's gradient


def _update_then_backward(X, y, w, b, hidden: bool = False) -> None:
    """The lab's stale sequence in plain PyTorch: backward, forward, in-place update, backward."""

    def forward() -> torch.Tensor:
        inputs = torch.relu(X @ torch.eye(2, requires_grad=True)) if hidden else X  # a hidden layer before w
        return ((inputs @ w + b - y) ** 2).mean()

    forward().backward()
    loss = forward()
    with torch.no_grad():
        w -= CARD.lr * w.grad
        b -= CARD.lr * b.grad
    loss.backward()


def test_the_stale_sentence_is_true_in_each_case_it_names():
    lab = GradLifecycle(CARD)
    for action in ("forward", "backward", "forward", "step"):
        lab.run(action)
    event = lab.run("backward")
    assert event.stale and not event.raised and STALE_ALLOWED in event.message
    X, y, w, b = card_tensors()
    _update_then_backward(X, y, w, b)  # X does not require grad: no error
    assert event.w_grad == tuple(w.grad.tolist())
    for case in ({"X": card_tensors(x_requires_grad=True)}, {"hidden": True}):  # X requiring grad; a hidden layer
        X, y, w, b = case.get("X", card_tensors())
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            _update_then_backward(X, y, w, b, hidden=case.get("hidden", False))


def test_the_what_if_panel_runs_both_cases_as_plain_pytorch_does():
    g = stale_graph(CARD)
    X, y, w, b = card_tensors()
    _update_then_backward(X, y, w, b)
    assert g.as_in_the_lab.error is None and not g.as_in_the_lab.saved_w
    assert g.as_in_the_lab.w_grad == tuple(w.grad.tolist())
    X, y, w, b = card_tensors(x_requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        _update_then_backward(X, y, w, b)
    assert g.x_requires_grad.saved_w and g.x_requires_grad.error == f"RuntimeError: {err.value}"
    assert "loss.backward()" in g.code and "w -= lr * w.grad" in g.code and "b -= lr * b.grad" in g.code


def test_the_what_if_panel_appears_once_the_lab_has_shown_a_stale_backward():
    at = open_page("grad_lab")
    for action, guess in (("forward + loss", "None"), ("backward()", "filled"), ("forward + loss", "unchanged")):
        at.main.radio[0].set_value(guess).run()
        next(b for b in at.main.button if b.label == action).click().run()
    at.main.radio[0].set_value("unchanged").run()
    next(b for b in at.main.button if b.label == "update under no_grad").click().run()
    assert not any(e.label == STALE_TITLE for e in at.expander)  # it would answer the next prediction
    at.main.radio[0].set_value("added").run()
    next(b for b in at.main.button if b.label == "backward()").click().run()
    assert any(e.label == STALE_TITLE for e in at.expander)
    text = text_of(at)
    assert "modified by an inplace operation" in text and "X does not require grad" in text
    assert any(e.label == STALE_TITLE for e in open_page("grad_lab", {"predict": "0"}).expander)


# --- the quiz's "loss after E updates" says which loss it means, in the app's words --------------------------


@pytest.mark.parametrize("epochs", [5, 1], ids=["five", "one"])
def test_the_loss_after_updates_question_names_both_losses_as_the_app_does(epochs: int):
    from gradlab.fmt import num
    from gradlab.lesson.sentences import loss_after_updates, loss_at_epoch
    from tests.quizruns import fresh_quiz

    cfg = CARD.with_(epochs=epochs)
    q = next(q for q in fresh_quiz(cfg) if q.qid == "live_loss_after")
    X, y, w, b = card_tensors()
    losses = []
    for _ in range(epochs):  # plain PyTorch: each epoch's loss, then its update
        loss = ((X @ w + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= CARD.lr * w.grad
            b -= CARD.lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    with torch.no_grad():
        after = ((X @ w + b - y) ** 2).mean().item()
    at_epoch = loss_at_epoch(epochs)
    assert at_epoch == f"loss at epoch {epochs} (before its update)"
    assert f"The Training Trace shows the {at_epoch}: {num(losses[-1], 4)}." in q.prompt
    after_words = loss_after_updates(epochs)
    assert after_words == ("loss after 1 update" if epochs == 1 else f"loss after {epochs} updates")
    assert f"What is the {after_words}," in q.prompt
    assert q.right == num(after, 4) and num(losses[-1], 4) in q.options  # the trace's number: listed, not right
    assert at_epoch in q.explanation and after_words in q.explanation
