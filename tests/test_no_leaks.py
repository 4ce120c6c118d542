"""Issue 19 (helper B): no answer on screen before its question, experiments that say they are experiments, a
*Next* that walks Grad Lab's tabs, Prediction Trace's five steps, and the two end-of-run losses, each in AppTest.

Every expected number comes from gradlab or plain PyTorch, never pinned from a screenshot.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from streamlit.testing.v1 import AppTest

from gradlab.fmt import num, vec
from gradlab.lesson.prompts import data_flow_prompts, share_sign, value_is_asked
from gradlab.lesson.sentences import (
    ASKED_ON_DATA_FLOW,
    TRACE_STEPS,
    loss_after_updates,
    loss_at_epoch,
    trace_step,
)
from gradlab.probes.sample import trace_sample
from gradlab.runs.stages import run_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.links import DEFAULTS, to_query
from gradlab.settings.userdata import Dataset
from tests.apptest import PAGES, open_page, text_of
from ui.lab import TAB, TABS

CARD = RunConfig()
RUN = run_stages(CARD)
W_GRAD, B_GRAD = vec(RUN.w_grad), num(RUN.b_grad)  # "[-37.5, -50.5]", "-13": what Data Flow asks for


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: str(m.value) for m in at.metric}


def go(at: AppTest, name: str) -> AppTest:
    """Switch the same session to another page."""
    at.switch_page(PAGES[name])
    return at.run()


def lock(at: AppTest, choice: str | None = None, number: float | None = None) -> AppTest:
    """Answer the open prediction and commit it."""
    if number is not None:
        at.main.number_input[0].set_value(number)
    else:
        radio, label = next((r, o) for r in at.main.radio for o in r.options if o.endswith(f" · {choice}"))
        radio.set_value(label)  # as the browser sends it: the shown label, "A · None"
    next(b for b in at.main.button if b.label == "Lock in my prediction").click().run()  # one click: the form
    return at


def answers_shown(at: AppTest) -> list[str]:
    """Where Home shows what Data Flow's stage-5 questions ask (empty: nothing given away)."""
    text = text_of(at)
    found = [f"w.grad {W_GRAD}"] if W_GRAD in text else []
    found += [f"b.grad {B_GRAD}"] if B_GRAD in text else []
    found += [m.value for m in at.markdown if "A slope, not a step" in m.value]  # it quotes w1.grad
    return found


# --- §1 Home and Data Flow --------------------------------------------------------------------------


def test_home_keeps_data_flows_answers_until_they_were_predicted_there():
    at = open_page("home")
    assert answers_shown(at) == []
    shown = metrics(at)
    assert shown["w.grad"] == shown["b.grad"] == "?" and shown["loss"] == num(RUN.loss)
    assert any(ASKED_ON_DATA_FLOW in c.value for c in at.code)  # the code is there, its numbers are not
    assert any("Predict first." in i.value and "Data Flow asks" in i.value for i in at.info)

    go(at, "data_flow")
    lock(at, "None")
    lock(at, "both negative")
    go(at, "home")
    assert answers_shown(at) == [], "one of two questions answered: still hidden"
    go(at, "data_flow")
    lock(at, number=-13.0)
    go(at, "home")
    shown = metrics(at)
    assert (shown["w.grad"], shown["b.grad"]) == (W_GRAD, B_GRAD)
    assert any("A slope, not a step" in m.value for m in at.markdown)
    assert any(f"w.grad  # {W_GRAD}" in c.value for c in at.code)


def test_projected_home_keeps_them_until_the_room_saw_the_reveal():
    at = open_page("home", {"present": "1"})
    assert answers_shown(at) == []
    assert any("the room votes there" in i.value for i in at.info)
    go(at, "data_flow")
    for _ in range(3):  # stage 2's question, then stage 5's two
        next(b for b in at.main.button if b.label == "Reveal").click().run()
    go(at, "home")
    assert (metrics(at)["w.grad"], metrics(at)["b.grad"]) == (W_GRAD, B_GRAD)


def test_home_shows_them_at_once_with_predict_first_off():
    at = open_page("home", {"predict": "0"})
    assert (metrics(at)["w.grad"], metrics(at)["b.grad"]) == (W_GRAD, B_GRAD)


def test_homes_hidden_answers_are_the_ones_data_flow_asks_before_stage_five():
    asks = data_flow_prompts(RUN, CARD)
    assert [p.pid for p in asks[5]] == ["df_w_signs", "df_b_value"]
    assert asks[5][1].answer == B_GRAD and asks[5][0].answer == "both negative"  # what Home keeps back
    torch_w = torch.tensor(CARD.w0, requires_grad=True)
    torch_b = torch.tensor(CARD.b0, requires_grad=True)
    ((torch.tensor(CARD.X) @ torch_w + torch_b - torch.tensor(CARD.y)) ** 2).mean().backward()
    assert vec(torch_w.grad.tolist()) == W_GRAD and num(torch_b.grad.item()) == B_GRAD


def test_the_projected_progress_panel_keeps_the_teachers_scores_behind_a_closed_expander():
    at = open_page("home", {"present": "1", "predict": "0"})
    (panel,) = [e for e in at.main.expander if "Your own progress" in e.label]
    assert not panel.proto.expanded
    assert {m.label for m in panel.metric} == {"pages visited", "predictions right", "quiz, first try"}
    outside = {m.label for m in at.main.metric} - {m.label for m in panel.metric}
    assert not outside & {"pages visited", "predictions right", "quiz, first try"}
    normal = open_page("home", {"predict": "0"})
    assert not [e for e in normal.main.expander if "Your own progress" in e.label]
    assert "predictions right" in metrics(normal)


def test_data_flows_intro_does_not_answer_its_first_question():
    at = open_page("data_flow")
    question = data_flow_prompts(RUN, CARD)[2][0]
    assert question.answer == "None"
    (intro,) = [m.value for m in at.markdown if m.value.startswith("One forward and backward pass")]
    assert "None" not in intro and "backward()" not in intro
    assert not any("5. Backward" in h.value for h in at.header)  # the page stops at the question
    lock(at, "a tensor of zeros")  # the fact comes with PyTorch's answer, after the prediction
    assert any("its .grad stays None until the first backward()" in w.value for w in at.warning)


# --- §1 Prediction Trace -------------------------------------------------------------------------------


def test_a_sign_guess_of_zero_is_a_value_and_is_not_asked_again():
    at = open_page("prediction_trace")
    lock(at, "zero")  # the card's row 1 at epoch 1: its share of w1.grad is negative
    assert not any(n.label == "Your prediction" for n in at.main.number_input)
    assert trace_step(4) in [h.value for h in at.header]
    s = trace_sample(train(CARD), 1, 0)
    assert value_is_asked(s, "negative") and not value_is_asked(s, "zero") and value_is_asked(s, None)


def test_a_share_that_is_zero_is_answered_by_its_sign():
    data = Dataset(X=(*CARD.X, (2.0, 2.0)), y=(*CARD.y, 0.0), w0=CARD.w0, b0=CARD.b0)  # ŷ = 1 − 1 + 0 = 0 = y
    s = trace_sample(train(data.apply(CARD)), 1, 4)
    assert s.contrib_w[0] == 0 and share_sign(s).answer == "zero" and not value_is_asked(s, None)
    at = open_page("prediction_trace", to_query(DEFAULTS, data))
    at.selectbox[0].set_value(4).run()
    lock(at, "positive")
    assert not any(n.label == "Your prediction" for n in at.main.number_input)
    assert trace_step(4) in [h.value for h in at.header]


def test_prediction_traces_headings_are_the_cards_five_steps_and_only_step_two_is_a_layer():
    at = open_page("prediction_trace", {"predict": "0"})
    headings = [h.value for h in at.header][:5]
    assert headings == [f"Step {n} of 5 · {t}" for n, t in enumerate(TRACE_STEPS, 1)]
    assert [h for h in headings if "layer" in h.lower()] == [trace_step(2)] and "Layer" not in " ".join(headings)
    # What the intro says of the model: one layer, ŷ = Xw + b, is all there is between X and the loss.
    X, w, b = torch.tensor(CARD.X), torch.tensor(CARD.w0), torch.tensor(CARD.b0)
    s = trace_sample(train(CARD), 1, 0)
    assert torch.allclose((X @ w + b)[0], torch.tensor(s.y_hat))


# --- §1 Training Trace: the two losses ----------------------------------------------------------------


@pytest.mark.parametrize("epochs", [5, 1, 37])
def test_training_trace_shows_the_loss_before_the_last_update_and_after_it(epochs):
    cfg = CARD.with_(epochs=epochs)
    X, y = torch.tensor(cfg.X), torch.tensor(cfg.y)
    w, b = torch.tensor(cfg.w0, requires_grad=True), torch.tensor(cfg.b0, requires_grad=True)
    for _ in range(epochs):  # plain PyTorch: forward, loss, backward, update, zero
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= cfg.lr * w.grad
            b -= cfg.lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    with torch.no_grad():
        after = ((X @ w + b - y) ** 2).mean().item()
    shown = metrics(open_page("training_trace", {"epochs": str(epochs)}))
    assert shown[loss_at_epoch(epochs)] == num(loss.item())
    assert shown[loss_after_updates(epochs)] == num(after)
    assert loss_at_epoch(5) == "loss at epoch 5 (before its update)" and loss_after_updates(5) == "loss after 5 updates"
    assert loss_after_updates(1) == "loss after 1 update"


def test_a_stopped_run_has_no_loss_after_its_last_update():
    at = open_page("training_trace", {"lr": "1", "epochs": "100"})
    stopped = train(CARD.with_(lr=1.0, epochs=100))
    assert stopped.final_w is None
    assert metrics(at)[loss_after_updates(len(stopped))] == "stopped"


# --- §2 experiments -------------------------------------------------------------------------------------


def banner(at: AppTest) -> str:
    return " ".join(m.value for m in at.main.markdown if "Experiment from" in m.value)


def back_button(at: AppTest):
    return next((b for b in at.main.button if b.label.startswith("Back to")), None)


def test_an_experiment_says_so_on_every_page_until_back_or_a_hand_change():
    at = open_page("data_flow", {"predict": "0"})
    assert banner(at) == "" and back_button(at) is None
    next(b for b in at.main.button if b.label == "Set lr = 0.05").click().run()
    assert "**Experiment from Data Flow:** **lr = 0.05** (the lesson's default is 0.01)." in banner(at)
    for name in ("prediction_trace", "training_trace", "grad_lab", "quiz", "home"):
        go(at, name)
        assert "Experiment from Data Flow" in banner(at), name
        assert back_button(at).label == "Back to lr 0.01", name
    back_button(at).click().run()
    assert at.select_slider(key="lr").value == 0.01 and banner(at) == ""
    go(at, "prediction_trace")
    assert banner(at) == ""

    go(at, "training_trace")  # an experiment of its own, then the learner moves the same setting by hand
    next(b for b in at.main.button if b.label == "Set zeroing = never").click().run()
    assert "**zeroing = never** (the lesson's default is zero)" in banner(at)
    at.sidebar.selectbox(key="zeroing").set_value("none").run()
    assert banner(at) == "" and back_button(at) is None
    go(at, "data_flow")
    assert banner(at) == ""


def test_back_returns_to_the_value_before_the_experiment():
    at = open_page("data_flow", {"predict": "0", "lr": "0.02"})
    next(b for b in at.main.button if b.label == "Set lr = 0.05").click().run()
    assert "(before the experiment it was 0.02)" in banner(at)
    back_button(at).click().run()
    assert at.select_slider(key="lr").value == 0.02


# --- §2 Grad Lab's Next ----------------------------------------------------------------------------------


def test_grad_labs_next_walks_the_tabs_then_leaves_for_the_quiz():
    at = open_page("grad_lab", {"predict": "0"})
    labels = list(TABS.values())
    for here, following in itertools.pairwise(labels):
        assert at.session_state[TAB] == here
        (step,) = [b for b in at.main.button if b.label.startswith("Next:")]
        assert step.label == f"Next: {following}"
        step.click().run()
        assert not at.exception
    assert at.session_state[TAB] == labels[-1]
    assert not [b for b in at.main.button if b.label.startswith("Next:")]
    links = [e for e in at.main.get("page_link") if "Next:" in e.proto.label]
    assert [e.proto.label for e in links] == ["Next: Quiz — check yourself"]
