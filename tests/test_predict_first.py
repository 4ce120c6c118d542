"""Predict, then reveal: checks against real autograd numbers, the questions each page asks, and the gates
on every page (AppTest): nothing a prediction is about is shown before the learner commits."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from gradlab.fmt import num
from gradlab.lesson.guess import (
    VALUE_ABS_TOL,
    VALUE_REL_TOL,
    check_sign,
    check_value,
    direction,
    grad_outcome,
    tolerance_text,
    value_ok,
)
from gradlab.lesson.prompts import (
    b_grad_value,
    grad_before_backward,
    loss_direction,
    share_sign,
    share_value,
    w_grad_signs,
)
from gradlab.lesson.sentences import loop_text, slope_example, trace_step
from gradlab.probes.sample import trace_sample
from gradlab.runs.code import step_script
from gradlab.runs.lifecycle import GradLifecycle
from gradlab.runs.stages import run_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.stability import stable_limit
from tests.apptest import open_page, text_of
from ui.lab import TAB

CARD = RunConfig()


# --- the checks ---------------------------------------------------------------------------------


def test_numeric_guesses_count_within_the_stated_tolerance():
    assert value_ok(-13, -13.0) and value_ok(-12, -13.0) and not value_ok(-11, -13.0)  # 10% of 13 is 1.3
    assert value_ok(0.04, 0.0) and not value_ok(0.06, 0.0)  # near zero the absolute tolerance applies
    assert not value_ok(float("nan"), 1.0) and not value_ok(1.0, float("inf"))
    assert f"{VALUE_REL_TOL:.0%}" in tolerance_text() and f"{VALUE_ABS_TOL:g}" in tolerance_text()
    v = check_value(-13.0, -13.0, "-13", "why")
    assert v.correct and v.actual == "-13"


def test_signs_and_directions():
    assert check_sign("negative", -37.5, "-37.5", "").correct
    assert not check_sign("positive", -37.5, "-37.5", "").correct
    with pytest.raises(ValueError, match="guess"):
        check_sign("sideways", 1.0, "1", "")
    assert direction(47.25, 15.0) == "down" and direction(15.0, 47.25) == "up"
    assert direction(1.0, float("inf")) == "up"


def _outcomes(actions: list[str]) -> list[str]:
    """Run lab operations for real and classify what each did to w.grad."""
    lab = GradLifecycle(CARD)
    keys = []
    for action in actions:
        before = lab.history[-1].w_grad if lab.history else None
        event = lab.run(action)
        keys.append(grad_outcome(before, event.w_grad, ok=event.ok, error=event.message).key)
    return keys


def test_grad_outcomes_are_read_from_the_real_tensors():
    keys = _outcomes(["forward", "backward", "backward_again", "zero", "backward_again", "none", "forward"])
    assert keys == ["None", "filled", "added", "zeros", "added", "None", "None"]
    assert _outcomes(["forward", "backward", "backward"]) == ["None", "filled", "error"]  # graph freed


def test_a_stale_backward_is_classified_by_what_it_did_to_grad_and_says_whose_gradient_it_is():
    lab = GradLifecycle(CARD)
    for action in ("forward", "backward", "forward", "step"):
        lab.run(action)
    before = lab.history[-1].w_grad
    stale = lab.run("backward")
    outcome = grad_outcome(before, stale.w_grad, ok=not stale.raised, stale=stale.stale)
    assert outcome.key == "added" and "gradient at the old w and b" in outcome.why
    assert "recorded at the same w and b" in outcome.why  # the same graph's weights: exactly double, and why
    assert "old w and b" not in grad_outcome(before, stale.w_grad, ok=True).why


def test_adding_into_zeros_also_accepts_filled_and_doubling_is_named():
    after_zero = grad_outcome((0.0, 0.0), (-37.5, -50.5), ok=True)
    assert after_zero.key == "added" and "filled" in after_zero.also
    assert after_zero.shown("filled") == "this loss's gradient: added to zeros, so equal to it"
    assert after_zero.shown("added") == after_zero.shown() == "the old .grad plus this loss's gradient"
    assert grad_outcome(None, None, ok=True).shown("unchanged") == "unchanged: still None"
    assert grad_outcome((-37.5, -50.5), (-75.0, -101.0), ok=True).shown("filled") == after_zero.shown()
    doubled = grad_outcome((-37.5, -50.5), (-75.0, -101.0), ok=True)
    assert doubled.key == "added" and "exactly double" in doubled.why
    assert "exactly double" not in grad_outcome((-37.5, -50.5), (-50.0, -70.0), ok=True).why


# --- the questions ------------------------------------------------------------------------------


def test_data_flow_questions_judge_against_the_stage_run():
    run = run_stages(CARD)
    assert grad_before_backward(run).judge("None").correct
    assert not grad_before_backward(run).judge("zeros").correct
    signs = w_grad_signs(run, CARD.y, CARD.X)
    assert signs.judge("--").correct and not signs.judge("++").correct
    assert "every feature is positive" in signs.why  # true for the card's data
    b = b_grad_value(run, CARD.y)
    assert b.judge("-13").correct and b.judge("-12.5").correct and not b.judge("-26").correct
    assert not b.judge("abc").correct  # not a number: wrong, never an error
    assert "2/4 · (-26) = -13" in b.why


def test_signs_for_other_data_say_only_what_is_true():
    cfg = CARD.with_(X=((1.0, -2.0), (2.0, 1.0)), y=(0.0, 4.0), w0=(0.0, 0.0))
    run = run_stages(cfg)
    p = w_grad_signs(run, cfg.y, cfg.X)
    expected = "".join("-" if g < 0 else "+" for g in run.w_grad)
    assert p.judge(expected).correct
    assert "every feature is positive" not in p.why


def test_sample_share_questions_match_autograd_of_that_sample():
    s = trace_sample(train(CARD), epoch=1, row=3)
    X = torch.tensor(CARD.X)
    y = torch.tensor(CARD.y)
    w = torch.tensor(CARD.w0, requires_grad=True)
    b = torch.tensor(CARD.b0, requires_grad=True)
    ((X[3] @ w + b - y[3]) ** 2 / 4).backward()  # this sample's share of the loss, by itself
    share = float(w.grad[0])
    assert share_value(s).judge(f"{share:g}").correct and share_sign(s).judge("negative").correct
    assert share_sign(s).answer == "negative"
    sign = share_sign(s).judge("positive")  # the value is the next question: the sign's reveal must not give it
    assert f"{share:g}" not in f"{sign.actual} {sign.why}" and num(share) not in f"{sign.actual} {sign.why}"
    assert "ŷ−y is negative" in sign.why and sign.actual == "negative"


@pytest.mark.parametrize(
    ("cfg", "epoch", "expected"),
    [
        pytest.param(CARD, 2, "down", id="lr-0.01-falls"),
        pytest.param(CARD.with_(lr=0.05, epochs=5), 3, "up", id="lr-0.05-rises"),
        pytest.param(CARD.with_(zeroing="never", epochs=8), None, "up", id="accumulation-rises"),
    ],
)
def test_loss_direction_is_what_the_trace_did(cfg: RunConfig, epoch: int | None, expected: str):
    trace = train(cfg)
    if epoch is None:  # the first epoch at which accumulation makes the loss rise
        epoch = next(e for e in range(2, len(trace) + 1) if trace.loss[e - 1] > trace.loss[e - 2])
    p = loss_direction(trace, epoch, stable_limit(cfg))
    assert p.judge(expected).correct and p.answer == expected
    if expected == "up" and cfg.zeroing == "never":
        assert "never zeroed" in p.why
    elif expected == "up":
        assert "stable limit" in p.why
    with pytest.raises(ValueError, match="epoch"):
        loss_direction(trace, 1, 0.1)


# --- text written from the run ------------------------------------------------------------------


def test_the_loop_sentence_follows_the_settings():
    assert "zero `.grad` with `w.grad.zero_()` and `b.grad.zero_()`" in loop_text(CARD)
    never = loop_text(CARD.with_(zeroing="never"))
    assert "no zeroing" in never and "zero_()" not in never
    assert "opt.step()" in loop_text(CARD.with_(update="sgd"))


def test_the_slope_example_is_the_real_loss_change():
    text = slope_example(run_stages(CARD))
    assert "from 47.25 to 17.25, by -30" in text and "= -37.5" in text  # exact in binary
    X, y = torch.tensor(CARD.X), torch.tensor(CARD.y)
    moved = float(((X @ torch.tensor([1.5, -0.5]) - y) ** 2).mean())
    assert f"to {moved:g}" in text


def test_the_whole_step_script_runs_and_prints_pytorchs_grad(tmp_path):
    script = tmp_path / "step.py"
    script.write_text(step_script(CARD, "cpu"), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "tensor([-37.5000, -50.5000]) tensor(-13.)"


# --- the gates on each page ---------------------------------------------------------------------


def _lock(at, choice: str | None = None, number: float | None = None):
    """Answer the open prediction and commit it."""
    if number is not None:
        at.main.number_input[0].set_value(number)
    else:
        radio, label = next((r, o) for r in at.main.radio for o in r.options if o.endswith(f" · {choice}"))
        radio.set_value(label)  # as the browser sends it: the shown label, "A · None"
    next(b for b in at.main.button if b.label == "Lock in my prediction").click().run()  # one click: the form
    return at


def test_data_flow_reveals_each_stage_only_after_a_prediction():
    at = open_page("data_flow")
    assert [h.value for h in at.header][:1] == ["1. Data input"]
    assert not any("2. Model" in h.value for h in at.header)  # stage 2 waits for the prediction
    _lock(at, "None")
    assert any("You predicted:** None" in s.value for s in at.success)
    assert any("4. Loss" in h.value for h in at.header) and not any("5. Backward" in h.value for h in at.header)
    _lock(at, "both positive")  # wrong: both entries are negative
    assert any("both negative" in w.value for w in at.warning)
    assert not any("5. Backward" in h.value for h in at.header)
    _lock(at, number=-13.0)
    assert any("5. Backward" in h.value for h in at.header)
    assert "tensor([-37.5000, -50.5000])" in text_of(at)


def test_prediction_trace_asks_sign_then_value_before_step_four():
    at = open_page("prediction_trace")
    assert trace_step(4) not in [h.value for h in at.header]
    _lock(at, "negative")
    assert trace_step(4) not in [h.value for h in at.header]
    _lock(at, number=5.0)  # far from the true -1.75
    assert trace_step(4) in [h.value for h in at.header]
    assert any("-1.75" in w.value for w in at.warning)


def test_presentation_mode_asks_the_room_and_reveals_on_request():
    at = open_page("data_flow", {"present": "1"})
    assert any("Ask the room" in m.value for m in at.markdown)
    assert not at.main.radio  # a room votes by hand
    next(b for b in at.main.button if b.label == "Reveal").click().run()
    assert any("PyTorch: **None**" in s.value for s in at.success)


def test_predict_first_off_shows_everything_directly():
    at = open_page("data_flow", {"predict": "0"})
    assert any("5. Backward" in h.value for h in at.header)
    assert not any(b.label == "Lock in my prediction" for b in at.main.button)


def test_lab_buttons_wait_for_a_prediction_and_judge_it():
    at = open_page("grad_lab")
    forward = next(b for b in at.main.button if b.label == "forward + loss")
    assert forward.proto.disabled
    radio = at.main.radio[0]
    radio.set_value("unchanged").run()
    next(b for b in at.main.button if b.label == "forward + loss").click().run()
    assert any("You predicted:** unchanged · **PyTorch:** unchanged: still None" in s.value for s in at.success)
    at.main.radio[0].set_value("filled").run()
    next(b for b in at.main.button if b.label == "backward()").click().run()
    assert any("newly created" in s.value and "first backward()" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["w.grad"] == "[-37.5, -50.5]" and metrics["b.grad"] == "-13"
    at.main.radio[0].set_value("filled").run()  # wrong: a second backward() adds
    next(b for b in at.main.button if b.label.startswith("forward + backward") or b.label == "backward() again").click()
    at.run()
    assert any("old .grad plus" in w.value and "exactly double" in w.value for w in at.warning)


def test_step_through_asks_up_or_down_before_each_epoch():
    at = open_page("grad_lab", {"lr": "0.05"})
    at.session_state[TAB] = "② Step-through training"
    at.run()
    next(b for b in at.main.button if b.label == "Step one epoch").click().run()  # epoch 1: nothing to compare
    step = next(b for b in at.main.button if b.label == "Step one epoch")
    assert step.proto.disabled  # epoch 2 waits for a prediction
    next(r for r in at.main.radio if "B · up" in r.options).set_value("up").run()
    next(b for b in at.main.button if b.label == "Step one epoch").click().run()
    verdicts = [s.value for s in at.success] + [w.value for w in at.warning]
    assert any("You predicted:** up" in v for v in verdicts)
    home = at.switch_page("streamlit_app.py").run()
    metrics = {m.label: m.value for m in home.metric}
    assert metrics["predictions right"].endswith("/ 1") and metrics["pages visited"] == "1 / 5"


def test_presentation_lab_hides_every_trace_of_the_answer_until_reveal():
    at = open_page("grad_lab", {"present": "1"})
    for label in ("forward + loss", "backward()"):
        next(b for b in at.main.button if b.label == label).click().run()
        if label == "forward + loss":
            next(b for b in at.main.button if b.label == "Reveal").click().run()
    assert any("Ask the room" in m.value for m in at.markdown)
    history = [t.value for t in at.table if "operation" in t.value.columns]
    assert list(history[0]["operation"]) == ["forward + loss"]  # the backward() row waits for the reveal
    assert not any("-37.5" in str(t.value) for t in at.table) and not any(m.label == "w.grad" for m in at.metric)
    assert not any(e.label == "w and b as PyTorch prints them" for e in at.expander)
    next(b for b in at.main.button if b.label == "Reveal").click().run()
    history = [t.value for t in at.table if "operation" in t.value.columns]
    assert list(history[0]["operation"]) == ["backward()", "forward + loss"]
    assert {m.label: m.value for m in at.metric}["w.grad"] == "[-37.5, -50.5]"


@pytest.mark.parametrize("query", [{"lr": "0.05"}, {"zeroing": "never"}], ids=["lr-0.05", "never-zero"])
def test_step_through_keeps_the_divergence_numbers_until_the_run_has_finished(query):
    at = open_page("grad_lab", {**query, "epochs": "5"})
    at.session_state[TAB] = "② Step-through training"
    at.run()
    assert not at.warning and any("for you to find out as you step" in c.value for c in at.caption)
    for _ in range(5):
        radio = next((r for r in at.main.radio if "B · up" in r.options), None)
        if radio is not None:
            radio.set_value("up").run()
        next(b for b in at.main.button if b.label == "Step one epoch").click().run()
    assert any("The loss rose" in w.value or "diverges" in w.value for w in at.warning)  # named once it is done
    assert not any("for you to find out" in c.value for c in at.caption)
    unasked = open_page("grad_lab", {**query, "epochs": "5", "predict": "0"})  # nothing to spoil: named up front
    unasked.session_state[TAB] = "② Step-through training"
    unasked.run()
    assert any("The loss rose" in w.value or "diverges" in w.value for w in unasked.warning)
