"""Lesson sentences that were wrong or imprecise, each checked as the learner reads it and against what PyTorch does.

Every test pins the words that replaced a wrong sentence and, beside them, the behaviour those words describe,
run here on this PyTorch (not copied from one version's docs).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

from gradlab.fmt import factor, signed_sum
from gradlab.lesson.divergence import warn
from gradlab.lesson.guess import grad_outcome
from gradlab.lesson.observations import observations
from gradlab.lesson.prompts import loss_direction
from gradlab.lesson.quiz import CONCEPTS
from gradlab.lesson.sentences import loop_text, run_it_note
from gradlab.probes.graph import graph_for
from gradlab.probes.pitfalls import run_pitfall
from gradlab.probes.sample import trace_sample
from gradlab.probes.verify import autograd_grad
from gradlab.runs.grads import zero_grads
from gradlab.runs.lifecycle import GradLifecycle
from gradlab.runs.live import live
from gradlab.runs.model import forward, make_data, mse
from gradlab.runs.stages import run_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.stability import stable_limit
from gradlab.views.export import to_script
from gradlab.views.graph_dot import graph_dot
from tests.apptest import open_page, text_of
from tests.pytorch_text import leaf, nonleaf_grad, pytorch_says
from ui.guide import PATH
from ui.lab import TAB

CARD = RunConfig()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
CONCEPT = {q.qid: q for q in CONCEPTS}


def _card_tensors() -> tuple[torch.Tensor, ...]:
    run = live(CARD)
    return run.X, run.y, run.w, run.b


# --- home ---------------------------------------------------------------------------------------


def test_home_defines_grad_as_a_local_slope_on_the_leaves_the_loss_depends_on():
    text = text_of(open_page("home"))
    assert "After the first `loss.backward()`, each leaf tensor that has `requires_grad=True` and that the" in text
    assert "right at its current value. For a small change Δ the loss changes by about" in text
    assert "per unit increase" not in text
    assert "# adds d(loss)/dw into w.grad" in text and "fills .grad on every leaf" not in text
    # What those sentences say, on real tensors: only leaves that require grad and that the loss reaches get a
    # .grad, and a second backward() adds to it.
    X, y, w, b = _card_tensors()
    unused = torch.zeros(2, requires_grad=True)  # a leaf that requires grad, but the loss does not use it
    mse(forward(X, w, b), y).backward()
    first = w.grad.clone()
    assert unused.grad is None and X.is_leaf and X.grad is None
    mse(forward(X, w, b), y).backward()
    assert torch.equal(w.grad, 2 * first)


def test_home_says_which_settings_the_first_pass_ignores_and_which_pages_ask_first():
    at = open_page("home")
    text = text_of(at)
    assert "the learning rate, epochs, zeroing and update rule matter from the first update on" in text
    assert "change the learning rate and epochs" not in text
    assert "Data Flow, Prediction Trace and Grad Lab ask for your prediction before they reveal a result" in text
    assert "each page asks" not in text
    changed = run_stages(CARD.with_(lr=0.05, epochs=50, zeroing="never", update="sgd"))
    assert (changed.loss, changed.w_grad, changed.b_grad) == (47.25, (-37.5, -50.5), -13.0)


def test_the_guide_experiments_say_only_what_is_true():
    home, _, prediction = PATH[0], PATH[1], PATH[2]
    assert "before it reveals w.grad" in home.experiment.text and "before each stage" not in home.experiment.text
    said = prediction.experiment.text
    assert "with the card's data at epoch 1" in said and "largest in size" in said
    s = trace_sample(train(CARD), 1, 3)
    shares = [abs(row[0]) for row in s.all_contrib_w]
    assert max(shares) == shares[3]  # row 4 (0-based 3) pulls hardest on w1.grad


# --- data flow ----------------------------------------------------------------------------------


def test_stage_five_says_backward_adds_into_leaves_that_require_grad():
    text = run_stages(CARD).stages[4].description
    assert "adds it into .grad of every leaf that requires grad and that the loss depends on" in text
    assert "not X or y (they do not require grad)" in text
    X, y = make_data(CARD, torch.device("cpu"))
    assert X.is_leaf and y.is_leaf and not X.requires_grad and not y.requires_grad


def test_data_flow_names_each_kind_of_box_in_the_backward_graph():
    at = open_page("data_flow", {"predict": "0"})
    text = text_of(at)
    assert "Blue boxes are `grad_fn` nodes" in text and "green boxes are the leaf tensors w and b" in text
    assert "Each box is a grad_fn" not in text
    assert "Show the code: the five stages in one block" in [e.label for e in at.expander]
    graph = graph_for(CARD)
    kinds = {n.kind for n in graph.nodes}
    assert kinds == {"grad_fn", "accumulate", "leaf"}
    assert {n.label.split("\n")[0] for n in graph.nodes if n.kind == "leaf"} == {"w (leaf)", "b (leaf)"}
    assert {n.label.split("\n")[0] for n in graph.nodes if n.kind == "accumulate"} == {"AccumulateGrad"}
    for kind, fill in (("grad_fn", "#e8f0fe"), ("accumulate", "#fff4d6"), ("leaf", "#d9f2e3")):  # blue, yellow, green
        ids = [n.node_id for n in graph.nodes if n.kind == kind]
        assert all(re.search(rf"  {i} \[label=.*fillcolor=\"{fill}\"", graph_dot(graph)) for i in ids)


def test_the_run_it_note_names_cuda_only_when_the_script_asks_for_it():
    assert run_it_note("cpu") == "It runs as it is: paste it into a Python file with PyTorch installed."
    assert 'on a machine with CUDA (it sets device = "cuda")' in run_it_note("cuda")


def test_prediction_trace_writes_negative_factors_and_terms_as_a_learner_would():
    assert factor(-0.5) == "(-0.5)" and factor(2.0) == "2"
    assert signed_sum([0.5, -1.0, 0.0]) == "0.5 - 1 + 0"
    text = text_of(open_page("prediction_trace", {"predict": "0"}))
    assert "the model has one layer, ŷ = Xw + b (step 2); the other steps are the computation around it" in text


# --- leaves, .to(device), zero_grad, retain_grad --------------------------------------------------


def test_the_nonleaf_pitfall_says_x_and_y_are_leaves_that_do_not_require_grad():
    why = run_pitfall("nonleaf_grad", CARD).why
    assert "X and y are leaves too, but they do not require grad" in why
    assert "the tensors you created with requires_grad=True" not in why
    X, y, w, b = _card_tensors()
    y_hat = forward(X, w, b)
    mse(y_hat, y).backward()
    assert X.is_leaf and X.grad is None and w.grad is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading a non-leaf's .grad warns; the warning has its own test
        assert y_hat.grad is None


def test_to_device_is_said_to_make_a_non_leaf_only_when_it_copies():
    script = to_script(CARD)
    assert "# .to(device), they would be non-leaf copies whose .grad stays None." in script
    assert "would be a non-leaf copy" not in script
    assert "# The device set in GradLab; fall back to the CPU rather than crash." in script
    assert "really copies" in CONCEPT["leaf"].explanation
    assert "really copies" in run_pitfall("to_after_requires_grad", CARD).why
    w = leaf()
    assert w.to("cpu") is w and w.to("cpu").is_leaf  # no copy: the same leaf
    assert not w.to(torch.float64).is_leaf  # a real copy: a non-leaf
    if torch.cuda.is_available():
        assert not w.to("cuda").is_leaf


def test_optimizer_zero_grad_is_said_to_set_grad_to_none():
    assert "sets it to None by default since PyTorch 2.0" in CONCEPT["zero_grad"].explanation
    assert "# optimizer.zero_grad() sets .grad to None instead" in run_pitfall("forgot_zero_grad", CARD).fix_code
    _, _, w, b = _card_tensors()
    w.grad, b.grad = torch.ones(2), torch.ones(())
    torch.optim.SGD([w, b], lr=0.01).zero_grad()
    assert w.grad is None and b.grad is None


def test_reading_a_nonleaf_grad_is_said_to_warn_not_to_raise():
    assert "reading it triggers a UserWarning" in CONCEPT["retain"].explanation
    assert pytorch_says(nonleaf_grad).startswith("UserWarning: ")  # a warning, not an exception


def test_the_loop_sentence_names_the_calls_the_run_makes():
    assert "`opt.zero_grad(set_to_none=False)`" in loop_text(CARD.with_(update="sgd"))
    assert "`opt.zero_grad(set_to_none=True)`" in loop_text(CARD.with_(update="sgd", zeroing="none"))
    assert "`w.grad = None` and `b.grad = None`" in loop_text(CARD.with_(zeroing="none"))
    run = live(CARD.with_(update="sgd"))
    mse(forward(run.X, run.w, run.b), run.y).backward()
    zero_grads((run.w, run.b), "zero", run.opt)
    assert torch.equal(run.w.grad, torch.zeros(2))
    zero_grads((run.w, run.b), "none", run.opt)
    assert run.w.grad is None


# --- pitfalls -----------------------------------------------------------------------------------


def test_pitfall_whys_say_exactly_what_happened():
    inplace = run_pitfall("inplace_outside_no_grad", CARD)
    assert "PyTorch refuses an in-place change to a leaf that requires grad" in inplace.why
    assert "a leaf Variable that requires grad" in inplace.outcome  # PyTorch's own words say the same
    summed = run_pitfall("forgot_zero_grad", CARD)
    assert "each step sees its own gradient plus every earlier one" in summed.why
    broadcast = run_pitfall("broadcast_shape", CARD)
    assert "average all N×N pairs, not just the N matching ones" in broadcast.why
    assert "(y_hat - y).shape = (4, 4)" in broadcast.outcome


# --- SGD and set_to_none ----------------------------------------------------------------------------


def test_opt_step_after_set_to_none_is_not_counted_as_an_error():
    lab = GradLifecycle(CARD.with_(update="sgd"))
    for action in ("forward", "backward", "none"):
        lab.run(action)
    skipped = lab.run("step")
    assert not skipped.ok and not skipped.raised and skipped.w_grad is None
    assert grad_outcome(None, skipped.w_grad, ok=not skipped.raised).key == "None"
    refused = GradLifecycle(CARD).run("step")  # the manual update really raises a TypeError
    assert refused.raised and grad_outcome(None, None, ok=not refused.raised).key == "error"


def test_a_none_prediction_for_the_silent_opt_step_is_judged_right():
    at = open_page("grad_lab", {"update": "sgd"})
    clicks = (("unchanged", "forward + loss"), ("filled", "backward()"), ("None", "grad = None (set_to_none)"))
    for choice, label in clicks:
        at.main.radio[0].set_value(choice).run()
        next(b for b in at.main.button if b.label == label).click().run()
    at.main.radio[0].set_value("None").run()
    next(b for b in at.main.button if b.label == "opt.step()").click().run()
    assert any("You predicted:** None · **PyTorch:** None" in s.value for s in at.success)
    assert "silently skips" in at.warning[0].value and not any("an error is raised" in s.value for s in at.success)


# --- training: observations, predictions, divergence, landscape, step-through -----------------------


def test_a_rise_above_the_stable_limit_is_never_called_rounding():
    lr = stable_limit(CARD) * 1.0002  # so close to the limit that each rise is far below 0.1%
    trace = train(CARD.with_(lr=lr, epochs=40))
    obs = observations(trace)
    rises = [i for i in range(1, len(trace)) if trace.loss[i] > trace.loss[i - 1]]
    assert rises and all((trace.loss[i] - trace.loss[i - 1]) / trace.loss[i - 1] < 1e-3 for i in rises)
    for i in rises:
        assert obs[i].endswith("the step overshoots — the learning rate is above the stable limit"), obs[i]
    assert not any("below the stable limit" in o or "rose 0%" in o for o in obs)


def test_never_zeroing_sentences_say_grad_grew_and_the_update_used_the_sum():
    trace = train(CARD.with_(zeroing="never"))
    obs = observations(trace)
    assert obs[1] == "loss fell 68%, but .grad grew: it is the running sum of every gradient (never zeroed)"
    assert trace.grad_norm[1] > trace.grad_norm[0]
    up = next(e for e in range(2, len(trace) + 1) if trace.loss[e - 1] > trace.loss[e - 2])
    why = loss_direction(trace, up, stable_limit(CARD)).why
    assert "the last update −lr·.grad used the running sum of every gradient so far" in why
    assert "too long" not in why
    advice = warn(trace).advice
    assert "Zero the gradients each step" in advice


def test_the_landscape_arrow_under_never_zeroing_is_not_called_downhill():
    at = open_page("grad_lab", {"zeroing": "never", "epochs": "5"})
    at.session_state[TAB] = "③ Loss landscape"
    text = text_of(at.run())
    assert "which need not point downhill" in text and "the direction of the update w ← w − lr·.grad" in text
    assert "steepest way down" not in text and "walks down" not in text
    trace = train(CARD.with_(zeroing="never", epochs=5))
    uphill = []
    for i in range(len(trace)):  # the running sum against this point's own gradient
        own, _ = autograd_grad(CARD, tuple(trace.w[i]), float(trace.b[i]))
        uphill.append(float(np.dot(trace.w_grad[i], own.numpy())) < 0)
    assert any(uphill)  # at some epoch −(running sum) points uphill: "need not point downhill" is needed


def test_the_landscape_arrow_with_zeroing_is_the_steepest_way_down():
    at = open_page("grad_lab", {"epochs": "5"})
    at.session_state[TAB] = "③ Loss landscape"
    text = text_of(at.run())
    assert "the steepest way down from this point" in text and "need not point downhill" not in text


def test_the_step_through_stop_names_the_page_where_the_trace_stops():
    at = open_page("grad_lab", {"lr": "1", "epochs": "20", "predict": "0"})
    at.session_state[TAB] = "② Step-through training"
    at.run()
    stop = train(CARD.with_(lr=1.0, epochs=20)).stop
    assert stop is not None
    for _ in range(stop.epoch):
        next(b for b in at.main.button if b.label == "Step one epoch").click().run()
    said = [c.value for c in at.caption]
    assert f"Stopped: training diverged at epoch {stop.epoch}, where the Training Trace stops too." in said


# --- what the buttons and downloads promise ---------------------------------------------------------


def test_the_lab_says_its_buttons_run_code_and_shows_the_code_that_ran():
    at = open_page("grad_lab", {"predict": "0"})
    text = text_of(at)
    assert "the buttons run real PyTorch code on tensors that belong to your browser session" in text
    assert "the code it ran appears under the result" in text and "one real PyTorch operation" not in text
    next(b for b in at.main.button if b.label == "forward + backward() again").click().run()
    assert at.code[0].value.startswith("y_hat = X @ w + b") and "loss.backward()" in at.code[0].value  # several lines


def test_the_script_download_says_when_its_numbers_match():
    at = open_page("training_trace")
    helps = [d.proto.help for d in at.get("download_button")]
    assert "with the same PyTorch on the same kind of device it prints the same numbers" in " ".join(helps)
    assert "Run with the same PyTorch build on the same kind of\ndevice" in to_script(CARD)


def test_a_thinned_tables_caption_says_which_rows_it_keeps():
    from ui.render import head_rows, thinned_caption, trace_frame

    trace = train(RunConfig(epochs=1000, lr=0.04))
    frame, thinned = trace_frame(trace, 40)
    head = head_rows(40)
    caption = thinned_caption(len(trace), len(frame), 40)
    assert thinned and f"1,000 epochs: showing {len(frame)} rows: the first {head} epochs, the last" in caption
    epochs = list(frame["epoch"])
    assert epochs[:head] == list(trace.epoch[:head]) and epochs[-1] == trace.epoch[-1]
    for series in (trace.loss, trace.grad_norm):  # the lowest and highest of each kept, as the caption says
        assert trace.epoch[int(np.argmin(series))] in epochs and trace.epoch[int(np.argmax(series))] in epochs


def test_the_last_epochs_loss_says_it_comes_before_that_epochs_update_and_gives_the_loss_after_it():
    from gradlab.fmt import num
    from gradlab.lesson.observations import loss_after
    from gradlab.lesson.sentences import loss_after_help, loss_at_epoch_help

    trace = train(CARD)
    # Plain PyTorch: five epochs of forward, loss, backward, update, zero; the loss at epoch 5 comes before its
    # update, the loss after 5 updates is one more forward pass after it.
    X, y = torch.tensor(CARD.X), torch.tensor(CARD.y)
    w, b = torch.tensor(CARD.w0, requires_grad=True), torch.tensor(CARD.b0, requires_grad=True)
    for _ in range(5):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= CARD.lr * w.grad
            b -= CARD.lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    with torch.no_grad():
        after = float(((X @ w + b - y) ** 2).mean())
    assert num(trace.end_loss) == num(loss.item()) and num(loss_after(trace)) == num(after) != num(loss.item())
    assert loss_at_epoch_help(trace).startswith("Epoch 5's loss, computed by its forward pass before its update")
    assert f"gives {num(after)}. That is the loss after 5 updates;" in loss_after_help(trace, loss_after(trace))
    stopped = train(CARD.with_(lr=1.0, epochs=100))
    said = loss_after_help(stopped, None)
    assert loss_after(stopped) is None and stopped.stop is not None and stopped.stop.epoch == len(stopped) + 1
    assert f"Epoch {len(stopped):,}'s update led to epoch {len(stopped) + 1:,}, where loss was" in said


def test_the_home_pages_update_code_updates_and_clears_both_parameters():
    from tests.apptest import open_page

    at = open_page("home")
    code = next(c.value for c in at.code if "w -= lr * w.grad" in c.value)
    assert "b -= lr * b.grad" in code and "b.grad.zero_()" in code
    insight = next(i.value for i in at.info if "Key insight" in i.value)
    assert "rises fastest" in insight and "*against*" in insight and "which way to move" not in insight


def test_a_projected_tensor_table_keeps_requires_grad_the_fact_the_lesson_teaches():
    from gradlab.runs.stages import run_stages
    from ui.render import tensor_table

    infos = run_stages(CARD).stages[1].tensors
    compact, full = tensor_table(infos, present=True), tensor_table(infos)
    assert "requires_grad" in compact.columns and "dtype / device" not in compact.columns
    assert set(compact.columns) < set(full.columns)


def test_each_grad_lab_tabs_experiment_says_only_what_is_true():
    from gradlab.probes.chain import walk_backward
    from gradlab.probes.pitfalls import run_all
    from gradlab.probes.sample import trace_sample
    from gradlab.probes.verify import check_epoch
    from ui.guide import LAB_EXPERIMENTS

    fast = train(CARD.with_(lr=0.05, epochs=8))  # stepping and landscape: above the stable limit
    assert CARD.with_(lr=0.05).lr > stable_limit(CARD) and fast.loss[1] > fast.loss[0]
    side = np.sign(np.diff(fast.w[:, 0]))  # w1 jumps from side to side, further out each time
    assert all(side[i] == -side[i + 1] for i in range(len(side) - 1))
    assert all(abs(b) > abs(a) for a, b in zip(np.diff(fast.w[:, 0]), np.diff(fast.w[:, 0])[1:], strict=False))
    assert walk_backward(CARD).steps[-1].kind == "again"  # graph: the walk ends with backward() again
    never = train(CARD.with_(zeroing="never", epochs=5))  # check: a fresh backward() agrees; the trace sums
    checked = check_epoch(never, 3)
    assert checked.agrees and tuple(never.w_grad[2]) != tuple(r.autograd for r in checked.rows[:2])
    title = "Calling opt.step() before loss.backward()"
    assert title in LAB_EXPERIMENTS["pitfalls"].text and title in {p.title for p in run_all(CARD)}
    exact = train(RunConfig(X=(*CARD.X, (2.0, 2.0)), y=(*CARD.y, 0.0)))  # data: the row predicted exactly
    s = trace_sample(exact, 1, len(CARD.X))
    assert s.residual == 0 and all(v == 0 for v in (*s.contrib_w, s.contrib_b))
    assert "2, 2, 0" in LAB_EXPERIMENTS["data"].text and (CARD.w0, CARD.b0) == ((0.5, -0.5), 0.0)
