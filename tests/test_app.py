"""Every page through Streamlit's AppTest: real reruns, real widgets, real autograd numbers."""

from __future__ import annotations

import pytest
import torch

from gradlab.fmt import num
from gradlab.lesson.sentences import loss_at_epoch, trace_step
from gradlab.runs.train import train
from gradlab.settings.config import CARD_B, CARD_W, CARD_X, CARD_Y, RunConfig
from gradlab.settings.stability import stable_limit
from tests.apptest import PAGES, assert_specs_finite, chart_specs, last_loss, open_page, text_of
from ui.settings_state import SETTING

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
END_LOSS = num(train(RunConfig()).end_loss)  # the card's end loss as the pages print it, computed here


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_runs_with_the_shared_sidebar(name):
    at = open_page(name)
    assert not at.exception
    assert [w.label for w in at.sidebar.select_slider] == ["Learning rate", "Epochs"]
    assert [w.label for w in at.sidebar.toggle] == ["Predict first", "Presentation mode"]
    assert "Device" in [w.label for w in at.sidebar.radio]
    assert at.select_slider(key="epochs").value == 5 and at.select_slider(key="lr").value == 0.01
    assert_specs_finite(at)


def test_home_shows_the_live_worked_example():
    at = open_page("home", {"predict": "0"})  # predictions off: Data Flow's answers may be shown at once
    metrics = {m.label: m.value for m in at.metric}
    assert {k: metrics[k] for k in ("loss", "w.grad", "b.grad")} == {
        "loss": "47.25",
        "w.grad": "[-37.5, -50.5]",
        "b.grad": "-13",
    }
    assert metrics["pages visited"] == "0 / 5" and metrics["predictions right"] == "0 / 0"
    assert "Key insight" in text_of(at)


def test_data_flow_shows_real_tensors_and_grad_none_before_backward():
    at = open_page("data_flow", {"predict": "0"})  # predictions off: every stage is shown at once
    text = text_of(at)
    # The card's forward and backward, written here with torch directly: the page must show PyTorch's own text.
    w = torch.tensor(CARD_W, requires_grad=True)
    b = torch.tensor(CARD_B, requires_grad=True)
    y_hat = torch.tensor(CARD_X) @ w + b
    loss = ((y_hat - torch.tensor(CARD_Y)) ** 2).mean()
    loss.backward()
    for shown in (y_hat, loss, w.grad, b.grad):
        assert str(shown) in text
    init_table = at.table[1].value  # stage 2: w and b right after creation
    assert list(init_table[".grad"]) == ["None", "None"] and list(init_table["is_leaf"]) == ["True", "True"]
    card = next(t.value for t in at.table if "the card prints" in t.value.columns)
    assert (card.loc["loss", "the card prints"], card.loc["loss", "PyTorch computes"]) == ("10.25", num(loss.item()))
    assert len(at.get("graphviz_chart")) == 1


def test_training_trace_defaults_and_changes_with_epochs_and_lr():
    at = open_page("training_trace")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["start loss"] == "47.25" and metrics[loss_at_epoch(5)] == END_LOSS
    assert len(chart_specs(at)) >= 3
    at.select_slider(key="epochs").set_value(10).run()
    assert {m.label: m.value for m in at.metric}["epochs to loss < 0.01"] == "9"
    at.select_slider(key="lr").set_value(0.02).run()
    after = last_loss(at)
    assert after == num(train(RunConfig(lr=0.02, epochs=10)).end_loss) and float(after) < 0.01
    assert dict(at.query_params) == {"lr": "0.02", "epochs": "10"}


def test_training_trace_table_and_downloads():
    at = open_page("training_trace")
    df = at.table[0].value  # a short run is a plain table of text, six significant digits
    assert list(df["epoch"]) == ["1", "2", "3", "4", "5"]
    assert df["loss"].tolist() == [num(v) for v in train(RunConfig()).loss]
    assert df["observation"].iloc[1].startswith("loss fell 68%")
    long = open_page("training_trace", {"epochs": "300"})
    frame = long.dataframe[0].value  # a long run is a scrollable data frame with the numbers
    assert frame["epoch"].iloc[0] == 1 and frame["epoch"].iloc[-1] == 300
    assert frame["loss"].iloc[0] == 47.25
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the trace as CSV", "Download as a PyTorch script", "Download a Markdown summary"]


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"lr": "0.05", "epochs": "300"}, id="card-diverges"),
        pytest.param({"lr": "1", "epochs": "10000"}, id="lr-1"),
    ],
)
def test_divergence_is_shown_and_specs_stay_finite(query):
    at = open_page("training_trace", query)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors and "Training diverged at epoch" in errors[0] and "Try lr =" in errors[0]
    assert_specs_finite(at)
    at.switch_page("pages/2_Prediction_Trace.py").run()
    assert not at.exception and "Training diverged" in at.error[0].value
    assert_specs_finite(at)


def test_divergence_is_named_before_anything_overflows():
    at = open_page("training_trace", {"lr": "0.05"})  # 5 epochs: the loss rises, every number still finite
    assert not at.exception and not at.error
    warning = next(w.value for w in at.warning if "Gradient descent diverges at this learning rate" in w.value)
    assert "Try lr =" in warning and f"lr ≈ {stable_limit(RunConfig()):.3g}" in warning


def test_prediction_trace_five_layers_with_real_numbers():
    at = open_page("prediction_trace", {"predict": "0"})
    text = text_of(at)
    assert [h.value for h in at.header][:5] == [trace_step(n) for n in range(1, 6)]
    assert "= 1·0.5 + 2·(-0.5) + 0" in text and "= 0.5 - 1 + 0" in text and "= -0.5" in text  # row 1
    assert "share of loss    = (y_hat - y)² / N = 12.25 / 4 = 3.0625" in text
    last = at.table[-1].value
    assert list(last.loc["Σ contributions"]) == list(last.loc[".grad (from the tensors)"]) == ["-37.5", "-50.5", "-13"]
    at.selectbox[0].set_value(3).run()
    assert "row 4" in at.selectbox[0].format_func(3) and not at.exception


def test_shared_link_values_are_honoured_exactly():
    at = open_page("training_trace", {"lr": "0.0237", "epochs": "12"})
    assert at.select_slider(key="lr").value == 0.0237 and at.select_slider(key="epochs").value == 12
    assert not at.warning
    assert dict(at.query_params) == {"lr": "0.0237", "epochs": "12"}


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        pytest.param({"lr": "abc"}, "**lr**=`abc` is not a number", id="lr-abc"),
        pytest.param({"lr": "nan"}, "**lr**=`nan`", id="lr-nan"),
        pytest.param({"lr": "1e308"}, "is outside 0.001–1", id="lr-huge"),
        pytest.param({"epochs": "-5"}, "**epochs**=`-5` is negative", id="epochs-negative"),
        pytest.param({"epochs": "999999999999"}, "is outside 1–10,000", id="epochs-huge"),
        pytest.param({"device": "tpu"}, "`tpu` is not one of cpu, cuda", id="device-tpu"),
        pytest.param({"present": "<script>alert(1)</script>"}, "`<script>alert(1)</script>` is not 1 or 0", id="html"),
    ],
)
def test_malformed_link_values_are_replaced_with_a_visible_note(query, fragment):
    at = open_page("training_trace", query)
    assert not at.exception
    assert any(fragment in w.value for w in at.warning), [w.value for w in at.warning]
    assert last_loss(at) == END_LOSS  # defaults in use


def test_settings_survive_page_switches():
    at = open_page("training_trace", {"lr": "0.02"})
    at.select_slider(key="epochs").set_value(20).run()
    for page in ("pages/1_Data_Flow.py", "pages/5_Quiz.py", "streamlit_app.py"):
        at.switch_page(page).run()
        assert at.select_slider(key="epochs").value == 20 and at.select_slider(key="lr").value == 0.02
        assert dict(at.query_params) == {"lr": "0.02", "epochs": "20"}


def test_reset_settings_restores_the_card():
    at = open_page("training_trace", {"lr": "0.3", "epochs": "40", "zeroing": "never"})
    next(b for b in at.sidebar.button if b.label == "Reset settings").click().run()
    assert at.select_slider(key="epochs").value == 5 and at.select_slider(key="lr").value == 0.01
    assert last_loss(at) == END_LOSS
    assert dict(at.query_params) == {}


@pytest.mark.parametrize("name", list(PAGES))
def test_cuda_without_a_gpu_says_so_and_runs_on_cpu(name, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without CUDA, even on a GPU
    at = open_page(name, {"device": "cuda"})
    assert not at.exception
    assert any("CUDA is not available on this machine; running on CPU" in i.value for i in at.info)
    if name == "home":
        assert {m.label: m.value for m in at.metric}["loss"] == "47.25"


def test_presentation_mode_from_the_link_and_the_toggle():
    plain = open_page("home")
    assert not any("font-size: 3.4rem" in m.value for m in plain.markdown)
    at = open_page("home", {"present": "1"})
    assert any("font-size: 3.4rem" in m.value for m in at.markdown)
    assert at.toggle(key="present").value is True
    at.toggle(key="present").set_value(False).run()
    assert not any("font-size: 3.4rem" in m.value for m in at.markdown)
    assert "present" not in dict(at.query_params)


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        pytest.param(SETTING["epochs"], 999_999, id="epochs-too-many"),
        pytest.param(SETTING["epochs"], -5, id="epochs-negative"),
        pytest.param(SETTING["epochs"], 2.5, id="epochs-float"),
        pytest.param(SETTING["lr"], float("nan"), id="lr-nan"),
        pytest.param(SETTING["lr"], 5.0, id="lr-too-big"),
        pytest.param(SETTING["device"], "tpu", id="device"),
        pytest.param(SETTING["zeroing"], None, id="zeroing-none"),
        pytest.param(SETTING["present"], "yes", id="present-text"),
    ],
)
def test_out_of_range_setting_values_are_reset_with_a_message(key, bad):
    at = open_page("training_trace")
    at.session_state[key] = bad
    at.run()
    assert not at.exception
    assert any("had an invalid value" in w.value for w in at.warning)
    assert last_loss(at) == END_LOSS
    at.run()
    assert not any("had an invalid value" in w.value for w in at.warning)  # fixed, so said once


def test_the_benchmarks_probes_name_metrics_the_pages_show():
    """bench/ waits on these labels; a renamed metric would leave every browser benchmark timing out."""
    from bench.browser import END_LOSS, HOME_LIVE

    assert any(END_LOSS.label in m.label for m in open_page("training_trace").metric)  # the probe finds text in it
    assert HOME_LIVE.label in {m.label for m in open_page("home").metric}
