"""Grad Lab with *Predict first* on (AppTest): the pitfalls ask before they show what happened, the step-through
says why it restarted and keeps the step's landing point hidden while its up-or-down question is open."""

from __future__ import annotations

import pytest

from gradlab.lesson.pitfall_prompts import BEHAVIOUR_WORDS, QUESTION
from gradlab.probes.pitfalls import run_pitfall
from gradlab.settings.config import RunConfig
from tests.apptest import open_page, text_of
from ui.lab import TAB

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
    radios = [r for r in at.main.radio if list(r.options) == list(BEHAVIOUR_WORDS.values())]
    assert len(radios) == 8  # one question per pitfall
    assert sum(QUESTION in m.value for m in at.markdown) == 8
    index = next(i for i, e in enumerate(at.expander) if e.label == twice.title)
    at.expander[index].radio[0].set_value("silent").run()
    locks = [b for b in at.expander[index].button if b.label == "Lock in my prediction"]
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
