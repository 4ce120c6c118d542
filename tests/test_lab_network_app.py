"""Grad Lab ⑧ Inside nn.Module in AppTest: every experiment's code, its question first (the outcome absent until
committed, or revealed to the room), then PyTorch's real outcome, with the numbers plain PyTorch computes here."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradlab.fmt import vec
from gradlab.lesson import net_experiment_prompts as ask
from gradlab.probes.net_experiment_code import source
from gradlab.settings.userdata import parse_dataset
from tests.apptest import open_page, text_of
from tests.test_net_experiments import NAMES, plain, pytorch_says
from ui.lab import TAB, TABS
from ui.lab.network import DIGITS, EXPERIMENTS, K_WIDGET
from ui.predictions import lettered
from ui.settings_state import DATA

LABEL = TABS["network"]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def network(query: dict[str, str]):
    at = open_page("grad_lab", query, run=False)  # opened on this tab: the first run draws no other tab
    at.session_state[TAB] = LABEL
    return at.run()


def box(at, key: str):
    return next(e for e in at.expander if e.label == EXPERIMENTS[key])


def frames(at) -> list:
    return [t.value for t in at.table]


def plain_grads() -> dict[str, torch.Tensor]:
    model, X, y = plain()
    nn.functional.mse_loss(model(X), y).backward()
    return {n: p.grad for n, p in model.named_parameters()}


def plain_version_error() -> str:
    model, X, y = plain()
    loss = nn.functional.mse_loss(model(X), y)

    def update_then_backward() -> None:
        with torch.no_grad():
            model.out.weight -= 0.01
        loss.backward()

    error, _ = pytorch_says(update_then_backward)
    assert error is not None
    return error.split(" is at version")[0]


def shown(g: torch.Tensor | None) -> str:
    return vec(None if g is None else g.reshape(-1).tolist(), DIGITS)


def test_each_experiment_shows_its_code_and_asks_before_the_outcome():
    at = network({"model": "net"})
    assert not at.exception
    assert [e.label for e in at.expander] == list(EXPERIMENTS.values())
    codes = "\n".join(c.value for c in at.code)
    assert all(source(key).strip() in codes for key in EXPERIMENTS)
    text = text_of(at)
    assert "modified by an inplace operation" not in text and "scalar outputs" not in text
    assert not frames(at)  # no outcome table before a prediction
    assert sum("Predict first:" in m.value for m in at.markdown) == 6  # the undivided accumulation waits
    version = box(at, "version")
    version.radio[0].set_value(lettered(ask.VERSION_OPTIONS)["old"])
    next(b for b in version.button if b.label == "Lock in my prediction").click().run()
    version = box(at, "version")
    assert any(ask.VERSION_OPTIONS["error"] in w.value and "You predicted" in w.value for w in version.warning)
    assert plain_version_error() in "\n".join(c.value for c in version.code)
    assert "scalar outputs" not in text_of(at)  # the other experiments still wait


def test_without_predict_first_the_tables_hold_plain_pytorchs_numbers():
    at = network({"model": "net", "predict": "0"})
    assert not at.exception and not [r for r in at.main.radio if r.key != K_WIDGET]
    want = plain_grads()
    tables = frames(at)
    freeze = next(t for t in tables if ".grad after the first backward()" in t.columns)
    assert freeze.loc["out.bias", ".grad after the first backward()"] == shown(want["out.bias"])
    assert freeze.loc["hidden.weight", ".grad after the first backward()"] == "None"
    assert list(freeze["changed in 20 steps"]) == ["no", "no", "yes", "yes"]
    vjp = next(t for t in tables if "y_hat.backward(gradient=v)" in t.columns)
    for name in NAMES:
        assert vjp.loc[name, "mse_loss(y_hat, y).backward()"] == shown(want[name])
    returned = next(t for t in tables if "returned by autograd.grad" in t.columns)
    assert list(returned[".grad afterwards"]) == ["None"] * 4
    assert returned.loc["hidden.weight", "returned by autograd.grad"] == shown(want["hidden.weight"])
    text = text_of(at)
    assert plain_version_error() in text and "scalar outputs" in text
    assert "**Why.**" in text


def test_accumulation_asks_divided_then_not_divided_and_again_for_another_k():
    at = network({"model": "net"})
    acc = box(at, "accumulate")
    assert at.radio(key=K_WIDGET).options == ["2", "4"]
    question = next(r for r in acc.radio if r.key != K_WIDGET)
    question.set_value(lettered(ask.accumulation_options(2))["equal"])
    next(b for b in acc.button if b.label == "Lock in my prediction").click().run()
    acc = box(at, "accumulate")
    assert any("You predicted" in s.value for s in acc.success)
    (table,) = [t for t in frames(at) if ".grad after 2 backward()" in t.columns]
    assert table.loc["out.bias", "full batch's .grad"] == shown(plain_grads()["out.bias"])
    assert sum("Predict first:" in m.value for m in acc.markdown) == 1  # now the undivided case
    at.radio(key=K_WIDGET).set_value(4).run()
    assert not [t for t in frames(at) if ".grad after 4 backward()" in t.columns]  # asked again for k = 4


def test_presentation_asks_the_room_and_reveal_shows_the_outcome():
    at = network({"model": "net", "present": "1"})
    assert not at.exception and [r.key for r in at.main.radio] == [K_WIDGET]
    freeze = box(at, "freeze")
    assert any("Ask the room" in m.value for m in freeze.markdown) and not frames(at)
    next(b for b in freeze.button if b.label == "Reveal").click().run()
    freeze = box(at, "freeze")
    assert any(ask.FREEZE_OPTIONS["None_still"] in s.value for s in freeze.success)
    assert [t for t in frames(at) if "requires_grad" in t.columns]


def test_with_the_linear_model_the_tab_says_so_and_still_runs_the_network():
    at = network({"predict": "0"})
    assert not at.exception
    assert any("always run on the network" in i.value for i in at.info)
    freeze = next(t for t in frames(at) if ".grad after the first backward()" in t.columns)
    assert freeze.loc["out.bias", ".grad after the first backward()"] == shown(plain_grads()["out.bias"])
    assert not any("always run on the network" in i.value for i in network({"model": "net"}).info)


def test_own_data_offers_the_counts_that_divide_its_rows():
    at = network({"model": "net", "predict": "0"})
    at.session_state[DATA] = parse_dataset([(1.0, 0.0, 2.0), (0.0, 1.0, 3.0), (1.0, 1.0, 1.0)], [0.0, 0.0], 0.0)
    at.run()
    assert not at.exception
    assert at.radio(key=K_WIDGET).options == ["3"]
    assert [t for t in frames(at) if ".grad after 3 backward()" in t.columns]
