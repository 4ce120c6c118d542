"""Sidebar controls, data entry bounds and the lab's restarts, through AppTest (real reruns, real autograd)."""

from __future__ import annotations

import json

import pytest

import gradlab.runs.train
import gradlab.settings.userdata
from gradlab.fmt import num
from gradlab.runs.lifecycle import ACTIONS
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.links import EPOCH_STOPS
from gradlab.settings.userdata import MAX_TEXT_CHARS
from gradlab.views.charts import NO_LOG_FOR_ZERO, loss_spec
from tests.apptest import last_loss, open_page
from ui.lab import TAB
from ui.settings_state import DATA

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def lab_tab(at, label: str):
    at.session_state[TAB] = label
    return at.run()


def click(at, action: str):
    return next(b for b in at.main.button if b.label == ACTIONS[action]).click().run()


def lab_history(at) -> list[str]:
    tables = [t.value for t in at.table if "operation" in t.value.columns]
    return list(tables[0]["operation"]) if tables else []


def test_epochs_is_a_log_spaced_control_that_keeps_an_exact_count_from_a_link():
    at = open_page("training_trace")
    epochs = at.select_slider(key="epochs")
    assert list(epochs.options) == [f"{n:,}" for n in EPOCH_STOPS] and epochs.value == 5
    linked = open_page("training_trace", {"epochs": "37"})
    assert linked.select_slider(key="epochs").value == 37
    assert last_loss(linked) == num(train(RunConfig(epochs=37)).end_loss)


def test_predict_first_is_on_by_default_and_a_link_turns_it_off():
    at = open_page("home")
    assert at.toggle(key="predict").value is True and "predict" not in dict(at.query_params)
    off = open_page("home", {"predict": "0"})
    assert off.toggle(key="predict").value is False
    off.toggle(key="predict").set_value(True).run()
    assert "predict" not in dict(off.query_params)
    off.toggle(key="predict").set_value(False).run()
    assert dict(off.query_params) == {"predict": "0"}
    off.switch_page("pages/1_Data_Flow.py").run()
    assert off.toggle(key="predict").value is False


def test_the_lab_keeps_its_history_when_a_setting_it_does_not_use_changes():
    at = open_page("grad_lab", {"predict": "0"})
    click(at, "forward")
    click(at, "backward")
    assert len(lab_history(at)) == 2
    at.selectbox(key="zeroing").set_value("never").run()
    at.select_slider(key="epochs").set_value(50).run()
    assert len(lab_history(at)) == 2 and not any("Restarted" in i.value for i in at.info)
    assert "loss" in {m.label for m in at.metric}  # the last click's result box
    at.select_slider(key="lr").set_value(0.02).run()
    said = "Restarted: the learning rate changed from 0.01 to 0.02. The lab started again with fresh tensors."
    assert lab_history(at) == [] and [i.value for i in at.info if "Restarted" in i.value] == [said]
    # The last click belonged to the old lab: the fresh one shows its own (None) .grad, not that result.
    assert "loss" not in {m.label for m in at.metric}
    assert {m.label: m.value for m in at.metric} == {"w.grad": "None", "b.grad": "None"}


def test_gradient_check_opens_at_the_same_epoch_on_both_pages():
    trace_page = open_page("training_trace", {"epochs": "50"})
    trace_page.toggle(key="tt_check").set_value(True).run()
    lab = lab_tab(open_page("grad_lab", {"epochs": "50", "predict": "0"}), "⑤ Gradient check")
    assert trace_page.number_input(key="tt_check_50").value == lab.number_input(key="lab_check_50").value


def test_an_oversized_paste_is_refused_unread_and_never_trained_on(monkeypatch):
    trained: list[RunConfig] = []
    parsed: list[int] = []
    real_train, real_parse = gradlab.runs.train.train, gradlab.settings.userdata.parse_rows
    monkeypatch.setattr(
        gradlab.runs.train, "train", lambda config, *a, **k: trained.append(config) or real_train(config)
    )
    monkeypatch.setattr(
        gradlab.settings.userdata, "parse_rows", lambda text: parsed.append(len(text)) or real_parse(text)
    )
    at = lab_tab(open_page("grad_lab", {"predict": "0"}), "⑦ Your data")
    paste = "1, 2, 3\n" * 20_000
    at.text_area(key="lab_rows_0").set_value(paste).run()
    assert any("160,000 characters" in e.value and "nothing was read" in e.value for e in at.error)
    assert at.text_area[0].value.startswith("x1, x2, y\n1, 2, 3") and len(at.text_area[0].value) < 100
    next(b for b in at.main.button if b.label == "Apply my data").click().run()
    at.run()
    assert all(config.is_card_setup for config in trained), [c.n_samples for c in trained]
    assert parsed and max(parsed) <= MAX_TEXT_CHARS  # the paste itself was never handed to the parser
    assert DATA not in at.session_state and not at.exception


def test_applying_the_cards_own_data_is_not_your_own_data():
    at = lab_tab(open_page("grad_lab", {"predict": "0"}), "⑦ Your data")
    next(b for b in at.main.button if b.label == "Apply my data").click().run()
    assert DATA not in at.session_state
    assert not any("your own data" in c.value for c in at.caption)
    assert not at.success


def test_a_link_with_data_drives_the_run_and_the_entry():
    at = open_page("training_trace", {"data": "1_0_2~0_1_3", "init": "0_0_0"})
    assert {m.label: m.value for m in at.metric}["start loss"] == "6.5"
    assert any("your own data" in c.value for c in at.caption)
    assert dict(at.query_params) == {"data": "1_0_2~0_1_3", "init": "0_0_0"}
    lab = lab_tab(at.switch_page("pages/4_Grad_Lab.py"), "⑦ Your data")
    assert lab.text_area[0].value == "x1, x2, y\n1, 0, 2\n0, 1, 3"


def test_log_loss_chart_with_zero_losses_stays_linear_and_says_why():
    trace = train(RunConfig(X=((1.0, 1.0),), y=(0.5,), w0=(0.25, 0.25), b0=0.0))
    assert (trace.loss == 0).all()
    spec = loss_spec(trace, log=True)
    text = json.dumps(spec)
    assert '"log"' not in text and NO_LOG_FOR_ZERO in text and len(spec["datasets"]["trace"]) == len(trace)
    assert '"type": "log"' in json.dumps(loss_spec(train(RunConfig()), log=True))


def test_loss_chart_has_no_empty_highlight_layer():
    trace = train(RunConfig())
    plain = loss_spec(trace)
    assert "highlight" not in json.dumps(plain)
    assert loss_spec(trace, highlight=2)["datasets"]["highlight"] == [{"epoch": 2.0, "loss": trace.loss[1]}]
