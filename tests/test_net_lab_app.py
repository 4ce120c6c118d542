"""Grad Lab with `model=net` through AppTest: every tab renders (normal and presentation), shows the network's
numbers as gradlab and plain PyTorch compute them, and asks first (issue 21)."""

from __future__ import annotations

import pytest
import torch

from gradlab.fmt import num
from gradlab.lesson.pitfall_prompts import BEHAVIOUR_WORDS, QUESTION
from gradlab.probes.net_pitfall_outcomes import run_all_net
from gradlab.probes.net_verify import gradient_check_net
from gradlab.runs.net import make_net, mse, net_data
from gradlab.runs.net_lifecycle import NET_ACTIONS
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from tests.apptest import open_page, text_of
from ui.lab import TAB, TABS
from ui.predictions import lettered

NET = RunConfig(model="net")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def lab_tab(at, name: str):
    at.session_state[TAB] = TABS[name]
    return at.run()


def click(at, label: str):
    return next(b for b in at.main.button if b.label == label).click().run()


def first_grads() -> dict[str, torch.Tensor]:
    net = make_net("cpu")
    X, y = net_data(NET, "cpu")
    mse(net(X), y).backward()
    return {n: p.grad for n, p in net.named_parameters()}  # type: ignore[misc]


@pytest.mark.parametrize("present", ["0", "1"])
@pytest.mark.parametrize("name", list(TABS))
def test_every_tab_renders_with_the_network(name, present):
    at = lab_tab(open_page("grad_lab", {"model": "net", "present": present}), name)
    assert not at.exception, at.exception[0].value if at.exception else ""


def test_the_lifecycle_asks_first_then_runs_pytorch_on_the_net():
    at = lab_tab(open_page("grad_lab", {"model": "net"}), "lifecycle")
    buttons = {b.label: b for b in at.main.button}
    assert buttons["forward + loss"].disabled and buttons["optimizer.zero_grad()"].disabled  # until a prediction
    at.main.radio[0].set_value("None").run()
    click(at, "forward + loss")
    text = text_of(at)
    with torch.no_grad():
        loss = float(mse(make_net("cpu")(net_data(NET, "cpu")[0]), net_data(NET, "cpu")[1]))
    assert num(loss) in text
    at.main.radio[0].set_value("filled").run()
    click(at, "loss.backward()")
    text = text_of(at)
    grads = first_grads()
    assert num(float(grads["out.bias"][0])) in text  # −13.2678 on the card's data
    assert num(float(grads["hidden.weight"][0, 0])) in text
    assert "You predicted" in text
    at.main.radio[0].set_value("None").run()
    click(at, "optimizer.zero_grad()")
    table = next(t.value for t in at.table if ".grad" in t.value.columns and t.value.index.name == "parameter")
    assert list(table[".grad"]) == ["None"] * 4


def test_the_lifecycle_without_predict_first_shows_zeros_after_set_to_none_false():
    at = lab_tab(open_page("grad_lab", {"model": "net", "predict": "0"}), "lifecycle")
    click(at, "forward + loss")
    click(at, "loss.backward()")
    click(at, NET_ACTIONS["opt_zero_false"])
    table = next(t.value for t in at.table if ".grad" in t.value.columns and t.value.index.name == "parameter")
    assert list(table[".grad"]) == ["[[0, 0], [0, 0], [0, 0]]", "[0, 0, 0]", "[[0, 0, 0]]", "[0]"]


def test_the_lifecycle_in_presentation_waits_for_reveal():
    at = lab_tab(open_page("grad_lab", {"model": "net", "present": "1"}), "lifecycle")
    click(at, "forward + loss")
    click(at, "loss.backward()")
    grad = num(float(first_grads()["out.bias"][0]))
    assert "Ask the room" in text_of(at) and grad not in text_of(at)
    click(at, "Reveal")
    assert grad in text_of(at)


def test_the_pitfalls_ask_before_they_show_what_happened():
    outcomes = run_all_net(NET)
    at = lab_tab(open_page("grad_lab", {"model": "net"}), "pitfalls")
    text = text_of(at)
    assert all(p.wrong_code in text for p in outcomes)
    assert "UserWarning" not in text and "ToCopyBackward0" not in text  # the outcomes wait
    assert sum(QUESTION in m.value for m in at.markdown) == len(outcomes)
    act = outcomes[0]
    index = next(i for i, e in enumerate(at.expander) if e.label == act.title)
    at.expander[index].radio[0].set_value(lettered(BEHAVIOUR_WORDS)["warning"])
    next(b for b in at.expander[index].button if b.label == "Lock in my prediction").click().run()
    shown = "\n".join(c.value for c in at.expander[index].code)
    assert act.outcome in shown and act.fix_code in shown and "UserWarning" in shown


def test_the_check_shows_every_parameter_and_gradcheck():
    at = lab_tab(open_page("grad_lab", {"model": "net"}), "check")
    check = gradient_check_net(NET)
    frame = next(t.value for t in at.table if "finite difference" in t.value.columns)
    assert len(frame) == len(check.rows) == 13
    assert list(frame["finite difference"]) == [num(r.finite_diff) for r in check.rows]
    text = text_of(at)
    assert "torch.autograd.gradcheck" in text and ("passed" if check.gradcheck_all else "failed") in text


def test_the_graph_walk_ends_in_accumulategrad_for_each_parameter():
    at = lab_tab(open_page("grad_lab", {"model": "net"}), "graph")
    walk = next(t.value for t in at.table if "node" in t.value.columns)
    nodes = list(walk["node"])
    assert nodes[0] == "MseLossBackward0" and "TanhBackward0" in nodes
    assert {n for n in nodes if n.startswith("AccumulateGrad")} == {
        f"AccumulateGrad → {p}" for p in ("hidden.weight", "hidden.bias", "out.weight", "out.bias")
    }


def test_step_through_asks_up_or_down_before_the_new_loss():
    trace = train(NET)
    at = lab_tab(open_page("grad_lab", {"model": "net"}), "stepping")
    click(at, "Next epoch ▶")
    second = f"**Epoch 2:** loss = {num(float(trace.loss[1]))}"
    assert second not in text_of(at) and "will the loss go up or down" in text_of(at)
    step_on = next(b for b in at.main.button if b.label == "Next epoch ▶")
    assert step_on.disabled  # stepping on would show epoch 2's loss above epoch 3's question: it waits
    answer = "down" if trace.loss[1] < trace.loss[0] else "up"
    radio = next(r for r in at.main.radio if "go up or down" in r.label or len(r.options) == 2)
    radio.set_value(next(o for o in radio.options if o.endswith(answer)))  # the form sends it with the click
    click(at, "Lock in my prediction")
    assert second in text_of(at)
    assert not next(b for b in at.main.button if b.label == "Next epoch ▶").disabled


def test_the_landscape_says_what_it_would_need():
    at = lab_tab(open_page("grad_lab", {"model": "net"}), "landscape")
    assert "13 numbers" in text_of(at)
    (spec,) = [el.proto.spec for el in at.get("vega_lite_chart")]
    assert "Loss over out.weight[0, 0] and out.bias[0]" in spec and "the other 11 entries at epoch 5" in spec


def test_the_data_tab_says_the_network_starts_from_its_own_values():
    at = lab_tab(open_page("grad_lab", {"model": "net"}), "data")
    assert "the network always starts from its fixed values" in text_of(at)


@pytest.mark.parametrize("name", list(TABS))
def test_every_tab_renders_a_network_run_that_overflowed(name):
    cfg = NET.with_(lr=1.0, epochs=100)
    assert train(cfg).stop is not None  # the run really overflowed, so this covers the stopped case
    at = lab_tab(open_page("grad_lab", {"model": "net", "lr": "1", "epochs": "100", "predict": "0"}), name)
    assert not at.exception, at.exception[0].value if at.exception else ""


def test_the_try_this_follows_the_network():
    at = lab_tab(open_page("grad_lab", {"model": "net"}), "check")
    assert "analytic gradient" not in text_of(at) and "finite differences still agree" in text_of(at)


def test_the_pitfalls_in_presentation_wait_for_reveal():
    frozen = run_all_net(NET)[-1]
    at = lab_tab(open_page("grad_lab", {"model": "net", "present": "1"}), "pitfalls")
    assert not at.main.radio and "moved after freezing" not in text_of(at)
    index = next(i for i, e in enumerate(at.expander) if e.label == frozen.title)
    assert any("Ask the room" in m.value for m in at.expander[index].markdown)
    next(b for b in at.expander[index].button if b.label == "Reveal").click().run()
    assert frozen.outcome in "\n".join(c.value for c in at.expander[index].code)
