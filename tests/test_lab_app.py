"""The Grad Lab page through AppTest: clicks act on live tensors held per session."""

from __future__ import annotations

import pytest
import torch

from gradlab.fmt import num
from gradlab.runs.train import train
from gradlab.settings.config import CARD_W, RunConfig
from gradlab.settings.userdata import parse_dataset
from tests.apptest import last_loss, open_page, text_of
from tests.pytorch_text import backward_twice, pytorch_says
from ui.lab import TAB
from ui.lab.data import ERROR
from ui.lab.stepping import PLAY_LIMIT_S, STATE
from ui.settings_state import DATA

CARD = RunConfig()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def lab_tab(at, label: str):
    """Open one Grad Lab tab (the tab bar is keyed, and only the open tab is drawn)."""
    at.session_state[TAB] = label
    return at.run()


def click(at, label: str):
    return next(b for b in at.main.button if b.label == label).click().run()


def lifecycle_table(at):
    return next(t.value for t in at.table if "requires_grad" in t.value.columns)


def test_lifecycle_buttons_show_none_values_doubled_zeros_and_none():
    at = open_page("grad_lab", {"predict": "0"})
    assert list(lifecycle_table(at)[".grad"]) == ["None", "None"]
    click(at, "forward + loss")
    click(at, "backward()")
    assert list(lifecycle_table(at)[".grad"]) == [str(torch.tensor([-37.5, -50.5])), str(torch.tensor(-13.0))]
    click(at, "forward + backward() again")
    assert list(lifecycle_table(at)[".grad"]) == [str(torch.tensor([-75.0, -101.0])), str(torch.tensor(-26.0))]
    assert "ADDED" in at.success[0].value
    assert "loss.backward()" in at.code[0].value
    click(at, "grad.zero_()")
    assert list(lifecycle_table(at)[".grad"]) == [str(torch.zeros(2)), str(torch.tensor(0.0))]
    click(at, "grad = None (set_to_none)")
    assert list(lifecycle_table(at)[".grad"]) == ["None", "None"]
    history = next(t.value for t in at.table if "operation" in t.value.columns)
    assert list(history["operation"]) == [  # newest first
        "grad = None (set_to_none)", "grad.zero_()", "forward + backward() again", "backward()", "forward + loss",
    ]  # fmt: skip


def test_backward_twice_on_one_graph_shows_pytorchs_error_not_a_traceback():
    at = open_page("grad_lab", {"predict": "0"})
    click(at, "forward + loss")
    click(at, "backward()")
    click(at, "backward()")
    assert not at.exception
    assert pytorch_says(backward_twice) in at.error[0].value  # PyTorch's own error, as this PyTorch words it


def test_step_under_no_grad_moves_the_weights():
    at = open_page("grad_lab", {"predict": "0"})
    click(at, "update under no_grad")
    assert "is None" in at.error[0].value
    click(at, "forward + loss")
    click(at, "backward()")
    click(at, "update under no_grad")
    assert str(torch.tensor(train(CARD.with_(epochs=1)).final_w, requires_grad=True)) in text_of(at)


def test_sgd_mode_labels_its_step_opt_step_and_shows_the_silent_skip():
    at = open_page("grad_lab", {"update": "sgd", "predict": "0"})
    assert "update under no_grad" not in [b.label for b in at.main.button]
    click(at, "forward + loss")
    click(at, "backward()")
    click(at, "grad = None (set_to_none)")
    click(at, "opt.step()")
    assert "did not move" in at.warning[0].value and "silently skips" in at.warning[0].value  # no exception
    assert str(torch.tensor(CARD_W, requires_grad=True)) in text_of(at)  # unmoved, as PyTorch prints it


def test_two_sessions_do_not_share_lab_state():
    a = open_page("grad_lab", {"predict": "0"})
    b = open_page("grad_lab", {"epochs": "9", "predict": "0"})
    click(a, "forward + loss")
    click(a, "backward()")
    b.run()
    assert list(lifecycle_table(a)[".grad"])[0] == str(torch.tensor([-37.5, -50.5]))
    assert list(lifecycle_table(b)[".grad"]) == ["None", "None"]
    assert a.select_slider(key="epochs").value == 5 and b.select_slider(key="epochs").value == 9


def test_two_sessions_with_different_inputs_compute_their_own_numbers():
    a = open_page("training_trace", {"lr": "0.02"})
    b = open_page("training_trace", {"lr": "0.05", "epochs": "300"})
    a.run()
    assert last_loss(a) != last_loss(b)
    assert not a.error and "diverged" in b.error[0].value


def test_step_through_training_sub_steps_epochs_and_reset():
    at = lab_tab(open_page("grad_lab", {"predict": "0"}), "② Step-through training")
    click(at, "Next sub-step")
    steps = next(t.value for t in at.table if "sub-step" in t.value.columns)
    assert list(steps["sub-step"]) == ["forward"]
    click(at, "Step one epoch")
    steps = next(t.value for t in at.table if "sub-step" in t.value.columns)
    assert list(steps["sub-step"]) == ["zero", "update", "read .grad", "backward", "loss", "forward"]  # newest first
    assert "w.grad = [-37.5, -50.5], b.grad = -13" in list(steps["result"])
    assert {m.label: m.value for m in at.metric}["epoch"] == "2 of 5"
    click(at, "Reset")
    assert not any(t for t in at.table if "sub-step" in t.value.columns)


def test_step_through_stops_where_the_trace_stops_with_the_same_words():
    from gradlab.lesson.divergence import explain
    from gradlab.runs.train import train

    said = explain(train(CARD.with_(lr=1.0, epochs=100)))
    at = lab_tab(open_page("grad_lab", {"lr": "1", "epochs": "100", "predict": "0"}), "② Step-through training")
    for _ in range(said.epoch + 2):  # more presses than epochs to the stop: the buttons go quiet there
        button = next(b for b in at.main.button if b.label == "Step one epoch")
        if button.disabled:
            break
        button.click().run()
    assert any(f"Stopped: training diverged at epoch {said.epoch}" in c.value for c in at.caption)
    steps = next(t.value for t in at.table if "sub-step" in t.value.columns)
    assert steps["result"].iloc[0].endswith(said.message)  # the trace's own words, newest first in the log…
    assert said.reason in at.error[0].value and f"Training diverged at epoch {said.epoch}" in at.error[0].value


def test_play_advances_epochs_until_finished():
    at = lab_tab(open_page("grad_lab", {"epochs": "2", "predict": "0"}), "② Step-through training")
    click(at, "▶ Play")
    for _ in range(3):  # each rerun of the playing fragment steps one epoch
        at.run()
    assert any("Finished: 2 epoch(s) ran." in c.value for c in at.caption)


def test_only_the_open_tab_is_drawn_and_it_survives_reruns():
    at = open_page("grad_lab", {"predict": "0"})
    assert not at.get("graphviz_chart") and not at.get("vega_lite_chart")
    at = lab_tab(at, "④ Autograd graph")
    assert len(at.get("graphviz_chart")) == 2  # the graph, and the backward() walk below it
    at.run()
    assert len(at.get("graphviz_chart")) == 2  # still open after an unrelated rerun


def test_landscape_graph_check_and_pitfalls_render():
    at = open_page("grad_lab", {"predict": "0"})
    at = lab_tab(at, "③ Loss landscape")
    assert not at.exception and len(at.get("vega_lite_chart")) == 1
    at = lab_tab(at, "④ Autograd graph")
    assert "MeanBackward0" in at.get("graphviz_chart")[0].proto.spec
    at = lab_tab(at, "⑤ Gradient check")
    check = next(t.value for t in at.table if "finite differences (float64)" in t.value.columns)
    assert list(check["autograd .grad (float32)"]) == ["-37.5", "-50.5", "-13"]
    assert list(check.index) == ["w1", "w2", "b"] and "|finite diff − analytic|" in check.columns
    assert any("equals the analytic gradient exactly" in c.value for c in at.caption)  # epoch 1 is exact
    at = lab_tab(at, "⑥ Pitfalls")
    titles = [e.label for e in at.expander]
    assert len(titles) >= 7 and any("no_grad" in t or "in-place" in t.lower() for t in titles)
    at = lab_tab(at, "⑦ Your data")
    labels = [b.label for b in at.main.button if not b.label.startswith("Next:")]  # Next: the tab after it
    assert labels == ["Apply my data", "Reset to the card's data"]
    assert not at.exception


def test_own_data_drives_every_page_and_reset_restores_the_card():
    at = open_page("training_trace", {"predict": "0"})
    at.session_state[DATA] = parse_dataset([(1.0, 0.0, 2.0), (0.0, 1.0, 3.0)], [0.0, 0.0], 0.0)
    at.run()
    assert {m.label: m.value for m in at.metric}["start loss"] == "6.5"
    assert any("your own data" in c.value for c in at.caption)
    at.switch_page("pages/1_Data_Flow.py").run()
    assert "You are using your own data, so its figures do not apply." in text_of(at)
    next(b for b in at.sidebar.button if b.label == "Reset settings").click().run()
    at.switch_page("pages/3_Training_Trace.py").run()
    assert {m.label: m.value for m in at.metric}["start loss"] == "47.25"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("\n", "The table is empty", id="empty"),
        pytest.param("abc, 1, 1", "`abc` is not a number", id="text"),
        pytest.param("nan, 1, 1", "not a finite number", id="nan"),
        pytest.param("1e300, 1, 1", "too large", id="huge"),
        pytest.param("1, 1, 1\n" * 500, "at most 200", id="hundreds"),
        pytest.param("1, 1, 1\n" * 20_000, "nothing was read from it", id="thousands"),
    ],
)
def test_bad_own_data_keeps_the_last_good_data_with_a_message(text, fragment):
    from ui.lab.data import apply_data

    state: dict = {}
    weights = {"w1": "0", "w2": "0", "b": "0"}
    apply_data(state, "1, 0, 2", weights)  # one row is fine
    good = state[DATA]
    apply_data(state, text, weights)
    assert state[DATA] is good and fragment in state[ERROR]
    at = open_page("grad_lab", {"predict": "0"})
    at.session_state[DATA] = good
    at.session_state[ERROR] = state[ERROR]
    at = lab_tab(at, "⑦ Your data")
    assert any(fragment in e.value and "last good data is still in use" in e.value for e in at.error)
    assert not at.exception


def test_play_stops_by_itself_after_its_time_limit_and_says_so():
    at = lab_tab(open_page("grad_lab", {"epochs": "50", "predict": "0"}), "② Step-through training")
    click(at, "▶ Play")
    at.run()  # one more playing rerun: still playing, well within the limit
    assert at.session_state[STATE].playing is True
    assert not any("stopped by itself" in i.value for i in at.info)
    at.session_state[STATE].play_started -= PLAY_LIMIT_S  # as if the tab had been left playing that long
    at.run()
    assert at.session_state[STATE].playing is False
    assert any("Play stopped by itself after 2 minutes" in i.value for i in at.info)
    assert any(b.label == "▶ Play" and not b.disabled for b in at.main.button)  # the learner can go on


def test_each_lab_tab_ends_with_its_own_experiment_and_a_set_button_says_when_it_is_already_set():
    from ui.guide import LAB_EXPERIMENTS

    at = open_page("grad_lab")
    tabs = ("① .grad lifecycle", "② Step-through training", "③ Loss landscape", "④ Autograd graph",
            "⑤ Gradient check", "⑥ Pitfalls", "⑦ Your data", "⑧ Inside nn.Module")  # fmt: skip
    for label, experiment in zip(tabs, LAB_EXPERIMENTS.values(), strict=True):
        lab_tab(at, label)
        tries = [m.value for m in at.main.markdown if "**Try this:**" in m.value]
        assert tries == [f":material/science: **Try this:** {experiment.text}"], label
    lab_tab(at, "③ Loss landscape")
    click(at, "Set lr = 0.05")
    assert at.query_params["lr"] == "0.05"
    done = next(b for b in at.main.button if b.label == "lr = 0.05: already set")
    assert done.disabled


def _loss_chart_points(at) -> list[dict]:
    """The step-through loss chart's points, as the browser gets them (its dataset "trace", sent as Arrow)."""
    import pyarrow as pa

    chart = next(c for c in at.get("vega_lite_chart") if [d.name for d in c.proto.datasets] == ["trace"])
    return pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pylist()


@pytest.mark.parametrize(
    ("query", "steps"),
    [
        pytest.param({"lr": "0.05"}, 3, id="rising-loss"),
        pytest.param({"lr": "1", "epochs": "100"}, 40, id="until-it-overflows"),
    ],
)
def test_step_through_metrics_and_charts_show_the_same_numbers(query, steps):
    """The last-loss metric is the loss chart's last point, epoch by epoch, and the stop's loss at the stop."""
    at = lab_tab(open_page("grad_lab", {**query, "predict": "0"}), "② Step-through training")
    trace = train(CARD.with_(lr=float(query["lr"]), epochs=int(query.get("epochs", 5))))
    for _ in range(steps):
        button = next(b for b in at.main.button if b.label == "Step one epoch")
        if button.disabled:
            break
        button.click().run()
        shown = {m.label: m.value for m in at.metric}["last loss"]
        ran, points = len(at.session_state[STATE].stepper.losses), _loss_chart_points(at)
        if ran <= len(trace):
            assert len(points) == ran and shown == num(points[-1]["loss"]) == num(float(trace.loss[ran - 1]))
        else:  # the epoch that overflowed: the trace leaves it out, and its loss is the stop's
            assert trace.stop is not None and ran == trace.stop.epoch and len(points) == len(trace)
            assert shown == num(trace.stop.loss)
    assert trace.stop is None or len(at.session_state[STATE].stepper.losses) == trace.stop.epoch


def test_the_step_through_engine_advances_only_when_something_asks_it_to():
    """Reruns that no control of the tab caused (a sidebar toggle, a plain rerun) leave the run where it was;
    while Play runs, a run caused by a click is that click's, not an extra tick."""
    at = lab_tab(open_page("grad_lab", {"epochs": "50", "predict": "0"}), "② Step-through training")
    click(at, "Next sub-step")
    for _ in range(3):
        at.run()
    at.toggle(key="present").set_value(True).run()
    state = at.session_state[STATE]
    assert (state.stepper.epoch, state.stepper.next_index, len(state.stepper.log)) == (1, 1, 1)
    click(at, "▶ Play")  # the click's own run: Play starts, no epoch yet
    assert at.session_state[STATE].playing and at.session_state[STATE].stepper.next_index == 1
    at.run()  # a tick: the rest of epoch 1
    assert at.session_state[STATE].stepper.epoch == 2
    click(at, "Next sub-step")  # a click while playing: exactly one sub-step, no tick on top
    assert (at.session_state[STATE].stepper.epoch, at.session_state[STATE].stepper.next_index) == (2, 1)
    click(at, "Reset")  # the one reset: a fresh engine, Play stopped, predictions cleared
    state = at.session_state[STATE]
    assert not state.playing and not state.stepper.log and state.guesses == {} and state.run == 1


def test_each_lab_tab_has_its_own_module_and_experiment():
    import importlib

    from ui.guide import LAB_EXPERIMENTS
    from ui.lab import TABS

    assert list(TABS) == list(LAB_EXPERIMENTS)
    for name in ("lifecycle", "stepping", "landscape", "graph", "check", "pitfalls", "data", "network"):
        importlib.import_module(f"ui.lab.{name}")
