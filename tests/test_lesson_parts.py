"""Prediction trace, lifecycle, stepper, quiz, graph, landscape, observations, card comparison, user data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from gradlab.fmt import num, vec
from gradlab.lesson.card import card_run, compare_with_card
from gradlab.lesson.divergence import explain, explain_stop
from gradlab.lesson.observations import convergence_text, observations, summary
from gradlab.lesson.stepping import substep_result
from gradlab.probes.graph import graph_at, graph_for
from gradlab.probes.landscape import landscape_view, loss_grid
from gradlab.probes.sample import trace_sample
from gradlab.runs.lifecycle import ACTIONS, OPERATIONS, Did, GradLifecycle, action_labels
from gradlab.runs.stages import run_stages
from gradlab.runs.stepper import Stepper
from gradlab.runs.trace import downsample
from gradlab.runs.train import train
from gradlab.settings.config import MAX_ROWS, RunConfig
from gradlab.settings.stability import stable_limit
from gradlab.settings.userdata import parse_dataset
from gradlab.views.charts import grads_spec, landscape_spec, loss_spec, params_spec
from gradlab.views.graph_dot import graph_dot, graph_text
from tests.pytorch_text import backward_twice, pytorch_says

CARD = RunConfig()


# --- prediction trace -------------------------------------------------------------------------


def test_sample_trace_for_the_card_first_row():
    s = trace_sample(train(CARD), epoch=1, row=0)
    assert (s.x, s.y, s.w, s.b) == ((1.0, 2.0), 3.0, (0.5, -0.5), 0.0)
    assert s.terms == (0.5, -1.0) and s.y_hat == -0.5
    assert (s.residual, s.sq_error, s.loss_share, s.batch_loss) == (-3.5, 12.25, 3.0625, 47.25)
    assert s.contrib_w == s.formula_w == (-1.75, -3.5)  # autograd == 2/N·(ŷ−y)·x
    assert s.contrib_b == s.formula_b == -1.75
    assert (s.sum_w, s.sum_b) == ((-37.5, -50.5), -13.0) == (s.grad_w, s.grad_b)


@pytest.mark.parametrize(("epoch", "row"), [(2, 1), (5, 3), (3, 2)])
def test_contributions_sum_to_grad(epoch, row):
    s = trace_sample(train(CARD), epoch, row)
    assert s.max_sum_diff < 1e-4 and not s.accumulated
    assert_close(np.array(s.contrib_w), np.array(s.formula_w), rtol=1e-5, atol=1e-5)


def test_accumulated_grad_is_flagged():
    s = trace_sample(train(CARD.with_(zeroing="never", epochs=3)), 3, 0)
    assert s.accumulated and s.max_sum_diff > 1.0


def test_sample_trace_rejects_out_of_range():
    trace = train(CARD)
    with pytest.raises(ValueError, match="epoch: 9"):
        trace_sample(trace, 9, 0)
    with pytest.raises(ValueError, match="row: 4"):
        trace_sample(trace, 1, 4)


# --- lifecycle ----------------------------------------------------------------------------------


def test_lifecycle_backward_twice_doubles_and_set_to_none_clears():
    lab = GradLifecycle(CARD)
    assert lab.run("backward").ok is False  # no loss yet
    lab.run("forward")
    first = lab.run("backward")
    assert first.w_grad == (-37.5, -50.5) and first.b_grad == -13.0
    again = lab.run("backward")  # same graph: PyTorch's own error
    assert not again.ok and again.message == pytorch_says(backward_twice)  # PyTorch's own error
    doubled = lab.run("backward_again")
    assert doubled.w_grad == (-75.0, -101.0) and doubled.b_grad == -26.0 and "ADDED" in doubled.message
    assert lab.run("zero").w_grad == (0.0, 0.0)
    cleared = lab.run("none")
    assert cleared.w_grad is None and cleared.b_grad is None
    w, _ = lab.tensors()
    assert w.grad is None and w.is_leaf
    assert len(lab.history) == 7  # failed attempts are part of the history too
    assert lab.run("reset").ok and lab.history == []


def test_lifecycle_step_needs_a_grad_then_moves_weights():
    lab = GradLifecycle(CARD)
    assert not lab.run("step").ok
    lab.run("forward")
    lab.run("backward")
    assert lab.run("step").ok
    assert lab.tensors()[0].text == str(torch.tensor(train(CARD.with_(epochs=1)).final_w, requires_grad=True))


def test_sgd_step_after_set_to_none_is_silently_skipped_as_pytorch_does():
    lab = GradLifecycle(CARD.with_(update="sgd"))
    lab.run("forward")
    lab.run("backward")
    lab.run("none")
    before = lab.tensors()[0].text
    skipped = lab.run("step")
    assert not skipped.ok and "opt.step()" in skipped.code
    assert "ran without an error" in skipped.message and "w and b did not move" in skipped.message
    assert lab.tensors()[0].text == before  # really unmoved: the optimizer skipped both parameters
    manual = GradLifecycle(CARD)
    refused = manual.run("step")
    assert not refused.ok and refused.message.startswith("TypeError: unsupported operand type(s) for *")


def test_lifecycle_labels_say_what_runs():
    assert action_labels(CARD)["step"] == "update under no_grad"  # no optimizer exists in manual mode
    assert action_labels(CARD.with_(update="sgd"))["step"] == "opt.step()"
    assert action_labels(CARD)["backward_again"] == "forward + backward() again"  # a fresh forward pass too
    assert list(action_labels(CARD.with_(update="sgd"))) == list(ACTIONS)  # the keys the buttons use


def test_lifecycle_rejects_unknown_actions():
    with pytest.raises(ValueError, match="action: 'explode'"):
        GradLifecycle(CARD).run("explode")
    with pytest.raises(ValueError, match="action: '__init__'"):  # no method is reachable by its name
        GradLifecycle(CARD).run("__init__")


def test_every_action_has_exactly_one_operation():
    assert list(OPERATIONS) == list(ACTIONS)
    assert Did.done("x") == Did(ok=True, message="x", raised_by=None)
    assert (Did.silent("x").ok, Did.silent("x").raised, Did.error("x", by="Python").ok) == (False, False, False)
    assert Did.error("x", by="Python").raised and Did.error("x", by="PyTorch").raised_by == "PyTorch"


# --- stepper ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(CARD.with_(epochs=6), id="card"),
        pytest.param(CARD.with_(epochs=6, zeroing="never"), id="never"),
        pytest.param(CARD.with_(epochs=6, update="sgd", zeroing="none"), id="sgd-none"),
        pytest.param(CARD.with_(lr=1.0, epochs=100), id="lr-1-overflows"),
    ],
)
def test_stepper_reproduces_train_and_stops_where_it_stops(config):
    trace = train(config)
    stepper = Stepper(config)
    while not stepper.finished:
        stepper.step_epoch()
    assert stepper.losses[: len(trace)] == trace.loss.tolist()
    assert stepper.completed_epochs == len(trace) and stepper.advance() is None
    assert stepper.stop == trace.stop
    if trace.stop is not None:  # the same epoch, the same facts, and non-finite numbers labelled as the trace does
        assert explain_stop(stepper.stop, config).message == explain(trace).message
        assert f"loss = {num(trace.stop.loss)}" in [substep_result(s, config, stepper.stop) for s in stepper.log]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")
def test_stepper_on_cuda_reproduces_train_on_cuda():
    config = CARD.with_(device="cuda", lr=1.0, epochs=30, update="sgd")
    trace, stepper = train(config), Stepper(config)
    while not stepper.finished:
        stepper.step_epoch()
    assert trace.device.startswith("cuda") and stepper.device.type == "cuda"
    assert stepper.losses[: len(trace)] == trace.loss.tolist() and stepper.stop == trace.stop


def test_stepper_sub_steps_in_order():
    stepper = Stepper(CARD)
    names = [stepper.advance().name for _ in range(6)]
    assert names == ["forward", "loss", "backward", "read .grad", "update", "zero"]
    assert substep_result(stepper.log[3], CARD) == "w.grad = [-37.5, -50.5], b.grad = -13"
    assert stepper.completed_epochs == 1


@pytest.mark.parametrize(
    ("config", "zeroed"),
    [
        pytest.param(CARD, ".grad is zeros", id="zero_"),
        pytest.param(CARD.with_(zeroing="none"), ".grad is None", id="set_to_none"),
        pytest.param(CARD.with_(zeroing="never"), ".grad kept: the next backward() will add to it", id="never"),
        pytest.param(CARD.with_(update="sgd", zeroing="none"), ".grad is None", id="sgd-set_to_none"),
    ],
)
def test_stepper_records_facts_and_the_lesson_says_them(config, zeroed):
    """The engine records numbers only; the words are the lesson's, made from those numbers and PyTorch's."""
    stepper, trace = Stepper(config), train(config.with_(epochs=1))
    stepper.step_epoch()
    forward, loss, backward, read, update, zero = stepper.log
    assert forward.y_hat == tuple(trace.predictions[0].tolist()) and forward.w_grad is None
    assert loss.loss == float(trace.loss[0]) and backward.w_grad == tuple(trace.w_grad[0])
    assert (update.w, update.b) == (trace.final_w, trace.final_b) and update.w_grad == read.w_grad
    said = [substep_result(s, config) for s in stepper.log]
    assert said[:3] == [
        f"y_hat = {vec(forward.y_hat)}", f"loss = {num(trace.loss[0])}", "gradients flowed back to the leaves w and b",
    ]  # fmt: skip
    assert said[4:] == [f"w = {vec(trace.final_w)}, b = {num(trace.final_b)}", zeroed]
    kept = {"none": None, "zero": (0.0, 0.0), "never": read.w_grad}[config.zeroing]
    assert zero.w_grad == kept
    assert not any(hasattr(s, "result") for s in stepper.log)


# --- graph, landscape, charts ----------------------------------------------------------------------


def test_autograd_graph_nodes_and_values():
    g = graph_for(CARD)
    labels = " ".join(n.label for n in g.nodes)
    for name in ("MeanBackward0", "PowBackward0", "SubBackward0", "AddBackward0", "MvBackward0"):
        assert name in labels
    leaves = {n.node_id: n.label for n in g.nodes if n.kind == "leaf"}
    assert "grad [-37.5, -50.5]" in leaves["leaf_w"] and "grad -13" in leaves["leaf_b"]
    assert sum(n.kind == "accumulate" for n in g.nodes) == 2
    dot = graph_dot(g)
    assert dot.startswith("digraph backward {") and dot.rstrip().endswith("}")
    assert ("leaf_w", "leaf_w") not in g.edges and any(b == "leaf_w" for _, b in g.edges)
    assert len(g.edges) == 8  # Mean→Pow→Sub→Add→{Mv→Acc(w)→w, Acc(b)→b}
    assert "loss = 47.25" in dot


def test_graph_in_words_walks_from_the_loss_to_every_leaf():
    g = graph_for(CARD)
    text = graph_text(g)
    assert text.startswith("Backward graph, from the loss to the leaves: MeanBackward0 (loss = 47.25;")
    order = ["MeanBackward0", "PowBackward0", "SubBackward0", "AddBackward0", "MvBackward0", "w (leaf)", "b (leaf)"]
    positions = [text.index(name) for name in order]
    assert positions == sorted(positions)  # each function before the ones it hands gradients to
    assert "grad [-37.5, -50.5]" in text and "grad -13" in text
    assert text.count("AccumulateGrad") == 2 and "which branches" in text and "\n" not in text


def test_graph_at_an_epoch_uses_the_weights_that_epoch_started_from():
    trace = train(CARD.with_(epochs=3))
    assert graph_at(trace, 1) == graph_for(CARD)
    third = graph_at(trace, 3)
    leaves = {n.node_id: n.label for n in third.nodes if n.kind == "leaf"}
    assert f"grad {vec(trace.w_grad[2])}" in leaves["leaf_w"]  # epoch 3's .grad, from its own forward pass
    assert f"loss = {num(trace.loss[2])}" in graph_dot(third)
    for bad in (0, 4):
        with pytest.raises(ValueError, match="out of range"):
            graph_at(trace, bad)


def test_stable_lr_limit_explains_the_card_divergence():
    limit = stable_limit(CARD)
    assert 0.045 < limit < 0.047  # lr 0.04 converges, lr 0.05 diverges


def test_loss_grid_matches_the_model():
    grid = loss_grid(CARD, 0.0, (0.5, 1.0), (-0.5, 0.0), steps=3)
    assert grid.loss[0] == pytest.approx(47.25)  # (w1, w2) = (0.5, -0.5)


def test_landscape_view_frames_path_and_arrow_points_downhill():
    trace = train(CARD.with_(epochs=30))
    view = landscape_view(trace, 10)
    x0, y0, x1, y1 = view.arrow
    g = trace.w_grad[9]
    assert np.dot([x1 - x0, y1 - y0], g) < 0  # against the gradient
    assert view.grid.w1.min() <= trace.w[:10, 0].min() and view.grid.w1.max() >= trace.w[:10, 0].max()


def _spec_is_finite(spec: dict) -> str:
    text = json.dumps(spec, allow_nan=False)  # raises on NaN or inf anywhere in the spec
    assert "NaN" not in text and "Infinity" not in text
    return text


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(CARD, id="card"),
        pytest.param(CARD.with_(lr=0.05, epochs=300), id="diverges"),
        pytest.param(RunConfig(lr=10.0, epochs=50, X=((1e6, 1e6),), y=(0.0,), w0=(1.0, 0.0)), id="overflow"),
        pytest.param(CARD.with_(epochs=10_000), id="long"),
        pytest.param(RunConfig(X=((1.0, 1.0),), y=(2.0,), w0=(1.0, 1.0)), id="zero-loss"),
    ],
)
def test_chart_specs_are_finite_and_small(config):
    trace = train(config)
    specs = [loss_spec(trace), loss_spec(trace, log=True, highlight=1), params_spec(trace), grads_spec(trace)]
    for spec in specs:
        assert len(_spec_is_finite(spec)) < 400_000
        for rows in spec["datasets"].values():
            assert len(rows) <= 4800
    _spec_is_finite(landscape_spec(landscape_view(trace, len(trace))))


def test_chart_specs_carry_the_runs_numbers():
    trace = train(CARD)
    spec = loss_spec(trace, highlight=3)
    assert [r["loss"] for r in spec["datasets"]["trace"]] == trace.loss.tolist()
    assert spec["datasets"]["highlight"] == [{"epoch": 3.0, "loss": trace.loss[2]}]
    series = params_spec(trace)["datasets"]["series"]
    assert {r["tensor"] for r in series} == {"w1", "w2", "b"} and len(series) == 15


def test_every_chart_has_an_alt_description():
    trace = train(CARD)
    for spec in (loss_spec(trace), params_spec(trace), grads_spec(trace)):
        assert spec["description"].endswith(".") and len(spec["description"]) > 30


def test_downsample_keeps_first_last_min_max():
    rng = np.random.default_rng(0)
    series = rng.normal(size=10_000).cumsum()
    idx = downsample(10_000, [series], max_points=2000)
    assert len(idx) <= 2000
    assert idx[0] == 0 and idx[-1] == 9_999 and set(range(100)) <= set(idx)
    assert series.argmin() in idx and series.argmax() in idx
    assert np.array_equal(downsample(50, [series[:50]]), np.arange(50))


# --- observations, summary, card -------------------------------------------------------------------


def test_observations_are_written_from_the_data():
    obs = observations(train(CARD))
    assert obs[0].startswith("starting loss 47.25")
    assert obs[1] == "loss fell 68% — gradients shrink as predictions approach the targets"
    rising = observations(train(CARD.with_(lr=0.05, epochs=60)))
    assert all(o.endswith("the step overshoots — the learning rate is above the stable limit") for o in rising[1:])
    steady = observations(train(CARD.with_(lr=0.04, epochs=3000)))
    assert not any("overshoots" in o for o in steady)  # below the limit a rise is only ever float32 rounding


def test_never_zeroing_observations_describe_the_running_sum():
    trace = train(CARD.with_(epochs=40, zeroing="never"))
    obs = observations(trace)
    grads = np.column_stack([trace.w_grad, trace.b_grad])
    shrank = [i for i in range(1, len(trace)) if trace.grad_norm[i] < trace.grad_norm[i - 1]]
    fell = [i for i in range(1, len(trace)) if trace.loss[i] < trace.loss[i - 1]]
    assert set(shrank) & set(fell)  # the case the lesson must not misread
    for i in range(1, len(trace)):
        assert "approach the targets" not in obs[i]  # the running sum says nothing about one epoch's gradient
        if i in shrank and i in fell:
            assert grads[i - 1] @ (grads[i] - grads[i - 1]) < 0  # the added gradient points against the sum…
            assert "points partly against the sum so far" in obs[i]  # …and the sentence says so
        assert "never zeroed" in obs[i]


def test_summary_headline():
    head = summary(train(CARD.with_(epochs=50)))
    assert head["start_loss"] == 47.25 and head["epochs_to_converge"] == 9
    assert head["stayed_converged"] is True and head["last_above"] is None
    assert summary(train(CARD))["epochs_to_converge"] is None
    assert convergence_text(train(CARD)) == ("not reached", "No epoch of this run had a loss below 0.01.")


def test_reaching_the_threshold_is_not_success_when_the_loss_leaves_it_again():
    trace = train(CARD.with_(epochs=1000, zeroing="never"))  # the loss oscillates: it dips below 0.01 and leaves
    below = np.flatnonzero(trace.loss < 0.01)
    first = int(below[0]) + 1
    last = int(np.flatnonzero(trace.loss >= 0.01)[-1]) + 1
    assert last > first  # the run does leave the range again
    head = summary(trace)
    assert (head["epochs_to_converge"], head["stayed_converged"], head["last_above"]) == (first, False, last)
    value, said = convergence_text(trace)
    assert value == f"{first:,}, then left" and f"last at epoch {last:,}" in said


def test_card_comparison_only_for_the_card_setup():
    run = card_run(CARD)
    assert run == CARD.with_(lr=0.01, epochs=5, zeroing="zero")
    rows = {r.quantity: r for r in compare_with_card(run_stages(CARD), train(run))}
    assert rows["loss"].card == "10.25" and rows["loss"].pytorch == "47.25"
    assert rows["w.grad"].pytorch == "[-37.5, -50.5]"
    assert rows["losses, epochs 1–5 at lr 0.01"].pytorch == ", ".join(f"{v:.2f}" for v in train(CARD).loss)
    other = CARD.with_(w0=(0.0, 0.0))
    assert card_run(other) is None and compare_with_card(run_stages(other), train(CARD)) is None
    with pytest.raises(ValueError, match="losses"):
        compare_with_card(run_stages(CARD), train(CARD.with_(lr=0.02)))


# --- your own data ---------------------------------------------------------------------------------


def test_own_data_round_trip():
    data = parse_dataset([(1, "2", 3.5)], ["0.5", 0], 1)
    assert data.X == ((1.0, 2.0),) and data.y == (3.5,) and data.w0 == (0.5, 0.0) and data.b0 == 1.0
    assert data.apply(CARD).n_samples == 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        pytest.param([], "The table is empty", id="empty"),
        pytest.param([("abc", 1, 1)], "Row 1, column x1: `abc` is not a number", id="text"),
        pytest.param([(1, None, 1)], "Row 1, column x2 is empty", id="blank"),
        pytest.param([(1, float("nan"), 1)], "`nan` is not a finite number", id="nan"),
        pytest.param([(1, 1, float("inf"))], "`inf` is not a finite number", id="inf"),
        pytest.param([(1e300, 1, 1)], "is too large", id="huge"),
        pytest.param([(1, 1, 1)] * (MAX_ROWS + 1), f"takes at most {MAX_ROWS}", id="too-many"),
        pytest.param([(1, 1)], "Row 1 has 2 values; each row needs 3", id="missing-column"),
        pytest.param([(True, 1, 1)], "True is not a number", id="bool"),
    ],
)
def test_bad_own_data_is_explained(rows, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_dataset(rows, [0, 0], 0)


def test_stepper_log_stays_bounded_on_long_runs():
    from gradlab.runs.stepper import LOG_LIMIT

    stepper = Stepper(CARD.with_(epochs=60))
    while not stepper.finished:
        stepper.step_epoch()
    assert len(stepper.log) == LOG_LIMIT and stepper.log[-1].epoch == 60 and len(stepper.losses) == 60


def test_an_overflowing_epoch_never_reaches_the_trace_or_its_observations():
    overflow = train(RunConfig(lr=10.0, X=((1e6, 1e6),), y=(0.0,), w0=(1.0, 0.0)))
    assert overflow.stop.epoch == 2 and len(overflow) == 1  # epoch 2 overflowed and was dropped
    assert len(observations(overflow)) == 1


def test_pitfalls_are_safe_to_run_from_many_threads():
    from concurrent.futures import ThreadPoolExecutor

    from gradlab.probes.pitfalls import run_all

    expected = run_all(CARD)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: run_all(CARD), range(12)))
    assert all(r == expected for r in results)


def test_lifecycle_step_follows_the_update_rule_and_says_why_backward_needs_a_new_forward():
    manual, sgd = GradLifecycle(CARD), GradLifecycle(CARD.with_(update="sgd"))
    for lab in (manual, sgd):
        lab.run("forward")
        lab.run("backward")
    assert manual.run("step").code.startswith("with torch.no_grad():")
    stepped = sgd.run("step")
    assert "opt.step()" in stepped.code
    assert sgd.tensors()[0].text == manual.tensors()[0].text  # the same rule as manual, to PyTorch's 4 decimals
    after = sgd.run("backward")  # the graph was used by the first backward(): PyTorch's own error, and why
    assert after.raised and after.message.startswith(pytorch_says(backward_twice))
    assert after.message.endswith("The weights moved since that forward pass, so its loss is stale anyway.")


@pytest.mark.parametrize("update", ["manual", "sgd"])
def test_backward_through_a_graph_recorded_before_the_update_runs_silently_with_the_old_gradient(update):
    """What PyTorch really does: the graph saved (ŷ − y) and X, not w, so the update does not stop backward()."""
    lab = GradLifecycle(CARD.with_(update=update))
    first = [lab.run(a) for a in ("forward", "backward")][-1]
    lab.run("forward")  # a graph recorded at the initial weights, not used yet
    moved = lab.run("step")
    assert moved.ok and moved.loss is None  # the loss no longer describes the moved weights
    lab.run("zero")
    stale = lab.run("backward")
    assert not stale.ok and not stale.raised and stale.stale and stale.loss is None
    assert stale.w_grad == first.w_grad and stale.b_grad == first.b_grad  # the old weights' gradient, exactly
    fresh = lab.run("backward_again")  # a fresh forward at the moved weights: a different gradient, added
    assert fresh.ok and not fresh.stale and fresh.w_grad != tuple(2 * g for g in first.w_grad)
    assert "through the graph recorded before the update" in stale.message
    assert f"whose loss was {first.loss:.6g}" in stale.message
    # the same three lines in plain PyTorch agree with the lab, so the lab is not inventing a rule
    X, y = torch.tensor(CARD.X), torch.tensor(CARD.y)
    w, b = torch.tensor(CARD.w0, requires_grad=True), torch.tensor(CARD.b0, requires_grad=True)
    loss = ((X @ w + b - y) ** 2).mean()
    with torch.no_grad():
        w -= CARD.lr * torch.tensor(first.w_grad)
    loss.backward()
    assert tuple(w.grad.tolist()) == first.w_grad


@pytest.mark.parametrize("update", ["manual", "sgd"])
def test_an_update_with_zero_grad_says_nothing_moved_and_the_next_backward_is_not_stale(update):
    lab = GradLifecycle(CARD.with_(update=update))
    for action in ("forward", "backward", "zero", "forward"):
        lab.run(action)
    still = lab.run("step")
    assert still.ok and "did not move: w.grad is zero; b.grad is zero" in still.message
    after = lab.run("backward")  # the graph still describes w and b: an ordinary backward()
    assert after.ok and not after.stale and after.w_grad == (-37.5, -50.5)


def test_pictures_and_the_page_share_one_ink_and_one_text_size():
    import re
    import tomllib
    from pathlib import Path

    from gradlab.views.style import INK, body_px

    root = Path(__file__).resolve().parents[1]
    theme = tomllib.loads((root / ".streamlit" / "config.toml").read_text())["theme"]
    assert theme["textColor"] == INK and theme["baseFontSize"] == body_px(False)
    for css, present in (("base.css", False), ("present.css", True)):  # graphviz text, drawn at the same size
        rule = re.search(r'stGraphVizChart"\] svg text \{ font-size: (\d+)px', (root / "ui" / css).read_text())
        assert rule and int(rule[1]) == body_px(present), css
    for present in (False, True):
        size = f"fontsize={body_px(present)}"
        assert size in graph_dot(graph_for(CARD), present=present)
        spec = loss_spec(train(CARD), present=present)
        assert spec["config"]["axis"]["labelFontSize"] == body_px(present)
