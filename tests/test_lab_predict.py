"""Grad Lab with *Predict first* on (AppTest): the pitfalls ask before they show what happened, the step-through
says why it restarted and keeps the step's landing point hidden while its up-or-down question is open."""

from __future__ import annotations

import pytest

from gradlab.lesson.pitfall_prompts import BEHAVIOUR_WORDS, QUESTION
from gradlab.probes.pitfalls import run_pitfall
from gradlab.settings.config import RunConfig
from tests.apptest import open_page, text_of
from ui.lab import TAB
from ui.predictions import lettered

CARD = RunConfig()
PITFALLS = "⑥ Pitfalls"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def lab_tab(at, label: str):
    at.session_state[TAB] = label
    return at.run()


def button(at, label: str):
    return next(b for b in at.main.button if b.label == label)


# --- ⑥ pitfalls ask first ----------------------------------------------------------------------------------


def test_pitfalls_ask_before_they_show_what_happened():
    twice = run_pitfall("backward_twice", CARD)
    at = lab_tab(open_page("grad_lab"), PITFALLS)
    text = text_of(at)
    assert twice.wrong_code in text  # the mistake is the question
    assert "Trying to backward through the graph a second time" not in text  # its outcome waits
    assert "UserWarning" not in text and "TypeError" not in text and twice.fix_code not in text
    radios = [r for r in at.main.radio if list(r.options) == list(lettered(BEHAVIOUR_WORDS).values())]
    assert len(radios) == 8  # one question per pitfall
    assert sum(QUESTION in m.value for m in at.markdown) == 8
    index = next(i for i, e in enumerate(at.expander) if e.label == twice.title)
    at.expander[index].radio[0].set_value(lettered(BEHAVIOUR_WORDS)["silent"])  # as the browser sends it
    locks = [b for b in at.expander[index].button if b.label == "Lock in my prediction"]  # one click: the form
    locks[0].click().run()
    box = at.expander[index]
    said = [w.value for w in box.warning]
    assert any(f"You predicted:** {BEHAVIOUR_WORDS['silent']}" in v and BEHAVIOUR_WORDS["error"] in v for v in said)
    shown = "\n".join(c.value for c in box.code)
    assert twice.outcome in shown and twice.fix_code in shown and twice.fixed_outcome in shown
    assert any(m.value.startswith(f"**What happens:** {BEHAVIOUR_WORDS['error']}") for m in box.markdown)
    assert "none grad" not in text_of(at) and "none_grad" not in text_of(at)
    others = "\n".join(c.value for i, e in enumerate(at.expander) if i != index for c in e.code)
    assert "UserWarning" not in others  # the other pitfalls still wait for their own prediction


def test_pitfalls_in_presentation_ask_the_room_and_wait_for_reveal():
    step = run_pitfall("step_before_backward", CARD)
    at = lab_tab(open_page("grad_lab", {"present": "1"}), PITFALLS)
    assert not at.main.radio and "no error or warning was raised" not in text_of(at)
    index = next(i for i, e in enumerate(at.expander) if e.label == step.title)
    box = at.expander[index]
    assert any("Ask the room" in m.value and QUESTION in m.value for m in box.markdown)
    assert all(label in text_of(at) for label in BEHAVIOUR_WORDS.values())
    next(b for b in box.button if b.label == "Reveal").click().run()
    box = at.expander[index]
    assert any(BEHAVIOUR_WORDS["silent"] in s.value for s in box.success)
    assert step.outcome in "\n".join(c.value for c in box.code)


def test_pitfalls_without_predict_first_show_everything_with_the_why():
    at = lab_tab(open_page("grad_lab", {"predict": "0"}), PITFALLS)
    text = text_of(at)
    assert not at.main.radio and "Trying to backward through the graph a second time" in text
    assert run_pitfall("nonleaf_grad", CARD).why in text


# --- ② the step-through says why it restarted ---------------------------------------------------------------

STEPPING = "② Step-through training"


def restarts(at) -> list[str]:
    return [i.value for i in at.info if i.value.startswith("Restarted")]


def test_a_settings_change_restarts_the_step_through_and_says_which_and_from_what():
    at = lab_tab(open_page("grad_lab", {"predict": "0"}), STEPPING)
    button(at, "Step one epoch").click().run()
    assert {m.label: m.value for m in at.metric}["epoch"] == "2 of 5" and not restarts(at)
    at.select_slider(key="lr").set_value(0.05).run()
    assert restarts(at) == ["Restarted: the learning rate changed from 0.01 to 0.05. Training starts again at epoch 1."]
    assert {m.label: m.value for m in at.metric}["epoch"] == "1 of 5"
    at.run()
    assert restarts(at)  # said until the learner acts on the panel
    button(at, "Step one epoch").click().run()
    assert not restarts(at)
    at.selectbox(key="zeroing").set_value("never").run()
    assert restarts(at) == [
        "Restarted: zeroing changed from grad.zero_() each step to never zero (gradients accumulate). "
        "Training starts again at epoch 1."
    ]


def test_restart_words_name_every_setting_that_changed_and_nothing_else():
    from gradlab.lesson.stepping import changed_settings, restart_note

    base = RunConfig()
    assert changed_settings(base, base) == []
    with pytest.raises(ValueError, match="equal"):
        restart_note(base, base)
    moved = base.with_(epochs=50, w0=(1.0, 2.0), b0=0.5, update="sgd")
    assert changed_settings(base, moved) == [
        "the number of epochs changed from 5 to 50",
        "the update rule changed from manual: with torch.no_grad(): p -= lr * p.grad to torch.optim.SGD(params, lr=lr)",
        "the initial weights changed from w = [0.5, -0.5], b = 0 to w = [1, 2], b = 0.5",
    ]
    assert changed_settings(base, base.with_(X=((1.0, 2.0),), y=(3.0,))) == ["the data changed (4 rows → 1 row)"]


# --- ② the landscape keeps where the step landed until "up or down?" is answered -------------------------------


def landscape(at) -> dict[str, list[dict]]:
    """The landscape's datasets as the browser gets them (sent as Arrow, by name)."""
    import pyarrow as pa

    chart = next(c for c in at.get("vega_lite_chart") if "heat" in [d.name for d in c.proto.datasets])
    return {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in chart.proto.datasets}


def test_the_landscape_hides_where_the_step_landed_while_up_or_down_is_asked():
    from gradlab.runs.train import train

    trace = train(CARD)
    at = lab_tab(open_page("grad_lab"), STEPPING)
    button(at, "Step one epoch").click().run()  # epoch 1 ran; epoch 2's direction is asked now
    assert any("Epoch 2: will the loss go up or down" in r.label for r in at.main.radio)
    data = landscape(at)
    assert data.get("arrow", []) == []  # no update arrow: where it lands is the answer
    last = data["path"][-1]
    assert (last["w1"], last["w2"]) == pytest.approx(tuple(trace.w[0]))  # the path stops at epoch 1's point
    w2 = tuple(trace.w[1])  # where epoch 1's update landed: not even inside the frame's data as a path point
    assert all((p["w1"], p["w2"]) != pytest.approx(w2) for p in data["path"])
    next(r for r in at.main.radio if "B · up" in r.options).set_value("down").run()
    assert landscape(at).get("arrow", []) == []  # a pick can still change: the landing waits for the next sub-step
    button(at, "Next sub-step").click().run()  # epoch 2's forward pass: the pick is final
    arrow = landscape(at)["arrow"]
    assert len(arrow) == 1 and (arrow[0]["x2"], arrow[0]["y2"]) == pytest.approx(w2)


def test_without_predict_first_the_step_is_drawn_at_once():
    at = lab_tab(open_page("grad_lab", {"predict": "0"}), STEPPING)
    button(at, "Step one epoch").click().run()
    assert len(landscape(at)["arrow"]) == 1
