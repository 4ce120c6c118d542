"""Training Trace and Quiz with `model=net` (issue 21) under AppTest: the network's numbers as plain PyTorch computes
them, saturation and divergence named from the run, the table, the gradient check, the quiz scored on first tries
with answers hidden until *Check* (or *Reveal* on a projector), and class votes on the network's questions."""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pytest
import torch
from torch import nn

from gradlab.lesson.net_observations import net_loop_text, saturating_lr_text
from gradlab.lesson.net_quiz import NetQuizRuns, build_net_quiz, net_trace_configs
from gradlab.probes.net_saturation import saturating_lrs, scan_saturation
from gradlab.rooms.memory import MemoryBackend
from gradlab.rooms.store import RoomStore
from gradlab.runs.net_stages import run_net_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.stability import NET_LIMIT_NOTE
from gradlab.views.net_export import net_script
from tests.apptest import ROOT, assert_specs_finite, chart_specs, open_page, text_of
from ui import cache
from ui.settings_state import SETTING
from ui.votes.teacher import TICKET

NET = RunConfig(model="net")
PAGE = {"model": "net"}


class Net(nn.Module):
    """The issue's network, written out again here: the independent answer."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.act = nn.Tanh()
        self.out = nn.Linear(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.act(self.hidden(x)))


def start() -> Net:
    """The issue's fixed start, set under no_grad()."""
    model = Net()
    with torch.no_grad():
        model.hidden.weight.copy_(torch.tensor([[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]]))
        model.hidden.bias.copy_(torch.tensor([0.0, 0.1, -0.1]))
        model.out.weight.copy_(torch.tensor([[1.0, -1.0, 0.5]]))
        model.out.bias.copy_(torch.tensor([0.0]))
    return model


def plain_run(config: RunConfig) -> tuple[list[float], list[dict[str, float]], float, torch.Tensor]:
    """Plain PyTorch: per epoch the loss and each parameter's ‖.grad‖, the loss after the last update, and h then."""
    model = start()
    X, y = torch.tensor(config.X), torch.tensor(config.y).reshape(-1, 1)
    losses, norms = [], []
    for _ in range(config.epochs):
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        losses.append(loss.item())
        norms.append({n: p.grad.norm().item() for n, p in model.named_parameters()})
        with torch.no_grad():
            for p in model.parameters():
                p -= config.lr * p.grad
        model.zero_grad(set_to_none=False)
    with torch.no_grad():
        after = nn.functional.mse_loss(model(X), y).item()
        h = model.act(model.hidden(X))
    return losses, norms, after, h


def metric(at, starts: str) -> float:
    (value,) = [m.value for m in at.metric if m.label.startswith(starts)]
    return float(value.replace("−", "-").replace(",", ""))


# --- Training Trace ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("present", [False, True], ids=["normal", "present"])
def test_training_trace_shows_the_networks_numbers(present):
    at = open_page("training_trace", PAGE | ({"present": "1"} if present else {}))
    assert not at.exception, [e.value for e in at.exception]
    losses, norms, after, _ = plain_run(NET)
    assert metric(at, "start loss") == pytest.approx(losses[0], rel=1e-5)
    assert metric(at, "loss at epoch 5") == pytest.approx(losses[-1], rel=1e-5)
    assert metric(at, "loss after 5 updates") == pytest.approx(after, rel=1e-5)
    assert net_loop_text(NET) in text_of(at)
    specs = [json.loads(s) for s in chart_specs(at)]
    assert len(specs) == 3  # the loss, each parameter's ‖.grad‖, the hidden units' 1 − h²
    assert_specs_finite(at)
    (norm_chart,) = [c for c in at.get("vega_lite_chart") if "Gradient norm of each parameter" in c.proto.spec]
    (data,) = [d.data.data for d in norm_chart.proto.datasets if d.name == "series"]
    rows = pa.ipc.open_stream(data).read_all().to_pylist()
    for name in ("hidden.weight", "hidden.bias", "out.weight", "out.bias"):
        first = next(r["value"] for r in rows if r["series"] == f"‖{name}.grad‖" and r["epoch"] == 1)
        assert first == pytest.approx(norms[0][name], rel=1e-5)
    said = text_of(at)
    assert "2/λmax" in said and "near that point only" in said  # the stable limit is local for a network
    assert "Above the stable limit" not in said  # no linear-model limit is claimed for the network
    assert NET_LIMIT_NOTE in said  # the sidebar's note beside the learning rate
    assert any(r.label == "Model" and r.value == "net" for r in at.sidebar.radio)
    (table,) = at.table if present else at.dataframe
    columns = list(table.value.columns)
    if present:  # on a projector: the loss, ‖every .grad together‖ and the observation
        assert columns == ["epoch", "loss", "grad_norm", "observation"]
        total = math.sqrt(sum(v**2 for v in norms[0].values()))
        assert float(table.value["grad_norm"].iloc[0]) == pytest.approx(total, rel=1e-5)
    else:  # every entry of every parameter and of its .grad
        assert "hidden.weight.grad[2, 1]" in columns and "out.bias[0]" in columns
        assert float(table.value["hidden.weight.grad[0, 0]"].iloc[0]) != 0.0


def test_saturation_is_named_from_the_run_and_true_in_plain_pytorch():
    config = NET.with_(lr=0.05, epochs=300)
    at = open_page("training_trace", PAGE | {"lr": "0.05", "epochs": "300"})
    assert not at.exception, [e.value for e in at.exception]
    said = text_of(at)
    assert "every hidden unit is saturated" in said and "The loss stalled" in said
    losses, norms, _, _ = plain_run(config)
    *_, h_last = plain_run(config.with_(epochs=299))  # h in epoch 300's forward pass
    assert bool(((1 - h_last**2).mean(dim=0) < 0.01).all())  # every unit: mean of 1 − h² below 0.01
    hidden_end = math.hypot(norms[-1]["hidden.weight"], norms[-1]["hidden.bias"])
    hidden_start = math.hypot(norms[0]["hidden.weight"], norms[0]["hidden.bias"])
    assert hidden_end < 0.01 * hidden_start  # the hidden layer's .grad vanished
    assert abs(losses[-1] - losses[-20]) <= 1e-3 * losses[-1] and losses[-1] > 0.01  # the loss stalled, not converged


def test_the_scan_names_a_saturating_learning_rate():
    at = open_page("training_trace", PAGE)
    at.toggle(key="tt_net_scan").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert saturating_lr_text(scan_saturation(NET)) in text_of(at)
    (lr, *_) = saturating_lrs(scan_saturation(NET))
    (button,) = [b for b in at.button if b.label.startswith("Set lr = ")]
    assert button.label == f"Set lr = {lr}, epochs = 300"
    button.click().run()  # the page's *Try this*: the rate the scan named, and the scan's epochs
    assert not at.exception, [e.value for e in at.exception]
    assert "every hidden unit is saturated" in text_of(at)
    assert at.session_state[SETTING["lr"]] == lr and at.session_state[SETTING["epochs"]] == 300


@pytest.mark.parametrize(("epochs", "stopped"), [(20, False), (300, True)], ids=["rose", "stopped"])
def test_divergence_is_named_from_the_loss(epochs, stopped):
    at = open_page("training_trace", PAGE | {"lr": "0.5", "epochs": str(epochs)})
    assert not at.exception, [e.value for e in at.exception]
    box = at.error if stopped else at.warning
    assert any("Training diverged" in b.value for b in box)
    trace = train(NET.with_(lr=0.5, epochs=epochs))
    assert (trace.stop is not None) is stopped and trace.end_loss > trace.start_loss
    assert_specs_finite(at)


def test_the_gradient_check_covers_every_parameter_entry():
    at = open_page("training_trace", PAGE)
    at.toggle(key="tt_net_check").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    (table,) = [t for t in at.table if "entry" in t.value.columns]
    assert len(table.value) == 13  # 6 + 3 + 3 + 1 entries
    assert any("gradcheck in float64 passes" in c.value for c in at.caption)


@pytest.mark.parametrize("zeroing", ["zero", "none", "never"])
@pytest.mark.parametrize("update", ["manual", "sgd"])
def test_the_loop_sentence_names_the_exported_scripts_calls(zeroing, update):
    config = NET.with_(zeroing=zeroing, update=update)
    text, script = net_loop_text(config), net_script(config)
    spans = text.split("`")[1::2]
    for span in spans:
        if span not in ("model", "p", "model.parameters()", "torch.no_grad()", ".grad", "backward()"):
            assert span in script or span == "p -= lr * p.grad", span


def test_zero_grad_does_what_the_loop_sentence_says():
    model = Net()
    model(torch.ones(1, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_the_linear_page_is_unchanged_by_the_network():
    at = open_page("training_trace")
    assert not at.exception
    assert len(chart_specs(at)) == 3 and not at.toggle(key="tt_check").value


# --- Quiz ----------------------------------------------------------------------------------------------------


def fresh_net_quiz(config: RunConfig):
    runs = {name: train(c) for name, c in net_trace_configs(config).items()}
    return build_net_quiz(NetQuizRuns(stages=run_net_stages(config), **runs))


def _radio(at, text: str):
    return next(r for r in at.main.radio if text in r.label)


def _check(at, text: str, option: str):
    index = next(i for i, r in enumerate(at.main.radio) if text in r.label)
    at.main.radio[index].set_value(option)
    [b for b in at.main.button if b.label == "Check"][index].click().run()
    return at


def test_the_quiz_asks_the_networks_questions_and_scores_first_tries():
    quiz = {q.qid: q for q in fresh_net_quiz(NET)}
    at = open_page("quiz", PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.main.radio) == len(quiz)
    assert {"net_grad_shape", "net_h_grad", "live_net_update", "live_net_saturates"} <= set(quiz)
    q = quiz["net_grad_shape"]
    assert q.explanation not in text_of(at)  # nothing answers before Check
    wrong = next(o for o in q.options if o != q.right)
    _check(at, "what shape does model.hidden.weight.grad have", wrong)
    assert any("Not quite" in e.value for e in at.error) and not at.success
    _check(at, "what shape does model.hidden.weight.grad have", q.right)
    assert any("first-try score keeps it as wrong" in i.value for i in at.info)
    scores = {m.label: m.value for m in at.metric}
    assert scores["first try"] == f"0 / {len(quiz)}" and scores["now"] == f"1 / {len(quiz)}"
    # A live answer, from plain PyTorch: out.bias after one update from 0 is −lr·out.bias.grad.
    model = start()
    nn.functional.mse_loss(model(torch.tensor(NET.X)), torch.tensor(NET.y).reshape(-1, 1)).backward()
    after = -NET.lr * model.out.bias.grad.item()
    right = quiz["live_net_update"].right
    assert float(right.strip("[]").replace("−", "-")) == pytest.approx(after, rel=1e-5)


def test_a_live_network_answer_goes_stale_when_its_setting_changes():
    at = open_page("quiz", PAGE)
    q = {q.qid: q for q in fresh_net_quiz(NET)}["live_net_update"]
    _check(at, "what is model.out.bias after one update", q.right)
    assert any("Correct on the first try" in s.value for s in at.success)
    at.session_state[SETTING["lr"]] = 0.02
    at.run()
    assert not at.exception
    assert any("Settings changed: answer again" in w.value for w in at.warning)


def test_presentation_mode_hides_network_answers_until_reveal_and_the_class_can_vote(monkeypatch):
    store = RoomStore(MemoryBackend(None))
    monkeypatch.setattr(cache, "room_store", lambda: store)
    quiz = fresh_net_quiz(NET)
    at = open_page("quiz", PAGE | {"present": "1"})
    assert not at.exception, [e.value for e in at.exception]
    n = next(i for i, q in enumerate(quiz) if q.qid == "net_h_grad")
    q = quiz[n]
    _check(at, "what is h.grad right after loss.backward()", q.right)
    assert q.explanation not in text_of(at)  # checked, but not revealed to the room
    [b for b in at.main.button if b.label == "Start class votes"][n].click().run()
    phone = open_phone(at.session_state[TICKET].code)
    assert f"{n + 1}. {q.prompt}" in text_of(phone) + "".join(b.label for b in phone.button)
    [b for b in phone.button if b.label.startswith("A · ")][0].click().run()
    assert not phone.exception
    [b for b in at.main.button if b.label == "Reveal the answer"][n].click().run()
    assert any(f"Answer: {q.right}" in s.value for s in at.success)


def open_phone(code: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.switch_page("pages/9_Join.py")
    at.query_params["room"] = code
    return at.run()


@pytest.mark.parametrize("config", [NET, RunConfig()], ids=["net", "linear"])
def test_the_markdown_names_both_end_losses_as_the_page_does(config):
    from gradlab.views.export import to_markdown

    trace = train(config)
    md = to_markdown(trace)
    assert f"- End loss: {trace.end_loss:.6g} (epoch 5, before its update)" in md
    if config.is_net:
        _, _, after, _ = plain_run(config)
        line = next(x for x in md.splitlines() if x.startswith("- Loss after 5 updates: "))
        assert float(line.rsplit(" ", 1)[1]) == pytest.approx(after, rel=1e-5)
    stopped = train(NET.with_(lr=0.5, epochs=300))
    assert stopped.stop is not None and stopped.stop.epoch == len(stopped) + 1
    names = " and ".join(stopped.stop.nonfinite)
    said = f"- Loss after 41 updates: n/a (epoch 42's forward pass, where the run was stopped: {names} not finite)"
    assert said in to_markdown(stopped)


def test_network_answers_survive_a_page_switch():
    quiz = {q.qid: q for q in fresh_net_quiz(NET)}
    at = open_page("quiz", PAGE)
    _check(at, "which names does model.named_parameters() give?", quiz["net_named"].right)
    at.switch_page("pages/3_Training_Trace.py").run()
    assert not at.exception
    at.switch_page("pages/5_Quiz.py").run()
    assert _radio(at, "which names does model.named_parameters() give?").value == quiz["net_named"].right
    assert {m.label: m.value for m in at.metric}["first try"] == f"1 / {len(quiz)}"


def test_get_quiz_gives_the_network_quiz_for_model_net():
    """Home's progress (ui.progress) and the Quiz page both score through ui.cache.get_quiz."""
    assert [q.key for q in cache.get_quiz(NET)] == [q.key for q in fresh_net_quiz(NET)]
    assert cache.get_quiz(RunConfig())[1].qid != "net_named"  # the linear model keeps its own quiz
