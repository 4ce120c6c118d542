"""Grad Lab ①: the `.grad` lifecycle, one real PyTorch operation per button. State is per session."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import pandas as pd
import streamlit as st

from gradlab.fmt import num, vec
from gradlab.lesson.guess import GRAD_OUTCOMES, GradOutcome, Verdict, check_choice, grad_outcome
from gradlab.lesson.stepping import restart_note
from gradlab.probes.stale_graph import StaleCase
from gradlab.runs.lifecycle import GradLifecycle, LabEvent, action_labels
from gradlab.settings.config import RunConfig
from ui.cache import get_stale_graph
from ui.predictions import lettered, note, options_list, show_verdict
from ui.render import show_tensors

HISTORY_SHOWN = 12
STATE = "lab_lifecycle"  # session key: this session's LabState, the tab's only one


# What the lab's tensors and buttons are built from: the data, the initial weights, the device, the update
# rule (SGD builds an optimizer) and lr (the update step). Epochs and zeroing are settings of a training run,
# which the lab never makes, so changing them keeps the learner's history.
LAB_FIELDS = ("X", "y", "w0", "b0", "device", "update", "lr")


def _same_setup(a: RunConfig, b: RunConfig) -> bool:
    """Equal in every setting the lab uses."""
    return all(getattr(a, name) == getattr(b, name) for name in LAB_FIELDS)


@dataclass(frozen=True)
class LastClick:
    """The latest operation clicked on the lab: what it did, what it did to w.grad, the verdict on the prediction
    made for it (None: none was made), and whether the room has seen it revealed."""

    event: LabEvent
    outcome: GradOutcome
    verdict: Verdict | None
    revealed: bool = False


@dataclass
class LabState:
    """Everything tab ① keeps for a session. `last` belongs to `lab`: a new lab starts without one."""

    lab: GradLifecycle
    last: LastClick | None = None
    guess_round: int = 0  # one per click: the next operation gets a fresh, empty prediction widget
    notes: int = 0  # verdicts counted towards this session's progress
    restarted: str | None = None  # why a settings change gave fresh tensors; said until the next click

    def restart(self, cfg: RunConfig) -> None:
        """Fresh tensors for these settings; the counters go on, so no widget key or note is used twice."""
        old = self.lab.config  # only the settings the lab uses count as the reason
        self.restarted = restart_note(old, cfg.with_(epochs=old.epochs, zeroing=old.zeroing))
        self.lab, self.last = GradLifecycle(cfg), None

    @property
    def guess_key(self) -> str:
        return f"lab_guess_{self.guess_round}"


def _state(cfg: RunConfig) -> LabState:
    """This session's lab for these settings (restarted, with a note, when a setting the lab uses changed)."""
    state: LabState | None = st.session_state.get(STATE)
    if state is None:
        state = LabState(GradLifecycle(cfg))
        st.session_state[STATE] = state
    elif not _same_setup(state.lab.config, cfg):
        state.restart(cfg)
    return state


def _before(lab: GradLifecycle) -> tuple[float, ...] | None:
    """w.grad as the next operation will find it (the last event's, or None for fresh tensors)."""
    return lab.history[-1].w_grad if lab.history else None


def _run(state: LabState, action: str) -> None:
    """Button callback: run one operation; classify what it did to w.grad and judge the prediction against it.

    A callback runs before the script draws anything, so the next run already shows a fresh, empty prediction.
    """
    guess = st.session_state.get(state.guess_key)
    before = _before(state.lab)
    event = state.lab.run(action)
    outcome = grad_outcome(before, event.w_grad, ok=not event.raised, error=event.message, stale=event.stale)
    verdict = None
    if guess is not None:
        v = check_choice(guess, outcome.key, outcome.why, also_right=outcome.also)
        verdict = Verdict(v.correct, GRAD_OUTCOMES[guess], outcome.shown(guess), outcome.why)
        state.notes += 1
        note("Grad Lab", f"lifecycle-{state.notes}", verdict)
    state.last = LastClick(event=event, outcome=outcome, verdict=verdict)
    state.guess_round += 1
    state.restarted = None


def _reveal(state: LabState) -> None:
    if state.last is not None:
        state.last = replace(state.last, revealed=True)


def lifecycle_panel(cfg: RunConfig, *, predict: bool = True, present: bool = False) -> None:
    """Buttons that each run one real PyTorch operation; what .grad became, right under them."""
    state = _state(cfg)
    lab = state.lab
    if state.restarted:
        st.info(f"{state.restarted} The lab started again with fresh tensors.", icon=":material/restart_alt:")
    if not present:  # a projector needs the buttons and the result on one screen
        st.markdown(
            "Each button runs real PyTorch code on your own `w` and `b`; the code it ran appears under the result. "
            "Watch `w.grad` and `b.grad`: "
            "**None**, values, doubled values, zeros… Try *backward()* twice in a row, a fresh forward and "
            "backward() without zeroing, or an update between *forward + loss* and *backward()*."
        )
    guess = None
    if predict and not present:
        guess = st.radio(
            "Predict first: what will w.grad be after the operation you click next?",
            options=list(GRAD_OUTCOMES),
            format_func=lettered(GRAD_OUTCOMES).__getitem__,  # "A · None": the room can call out a letter
            index=None,
            horizontal=True,
            key=state.guess_key,
        )
    waiting = predict and not present and guess is None
    actions = list(action_labels(lab.config).items())
    # A grid of equal buttons on a screen. Projected, a row that flows with each label on one line: the result
    # below them then stays on the first screen at 1280×720.
    with st.container(key="gl-lab-buttons", horizontal=present, gap="small"):
        places: list[Any] = [st] * len(actions) if present else [col for _ in (1, 2) for col in st.columns(4)]
        width: Literal["content", "stretch"] = "content" if present else "stretch"
        for place, (action, label) in zip(places, actions, strict=False):
            place.button(
                label, key=f"lab_btn_{action}", width=width, disabled=waiting, on_click=_run, args=(state, action)
            )
    if waiting:
        st.caption("Pick a prediction to enable the buttons (*Predict first* in the sidebar turns this off).")
    if _result(state, present):  # the room is still voting: nothing below may show the answer
        _history(lab, hide_latest=True)
        return
    with st.expander("w and b as PyTorch prints them", expanded=not present):
        show_tensors(list(lab.tensors()), present=present)
    _history(lab)
    if not predict or any(e.stale for e in lab.history):  # it would answer "what will backward() do?" before
        _stale_panel(lab.config)


def _result(state: LabState, present: bool) -> bool:
    """The last operation's result, large, right under the buttons; True while it waits for the room's *Reveal*."""
    lab, last = state.lab, state.last
    if last is None:
        w, b = lab.tensors()
        c1, c2 = st.columns(2)
        c1.metric("w.grad", vec(w.grad_values) if w.grad is not None else "None")
        c2.metric("b.grad", num(b.grad_values[0]) if b.grad_values else "None")
        return False
    event, verdict = last.event, last.verdict
    with st.container(border=True, key="gl-lab-result"):
        if present and not last.revealed:
            done = action_labels(lab.config)[event.action]
            with st.container(horizontal=True, vertical_alignment="center"):  # Reveal beside the question
                st.markdown(f":material/groups: **Ask the room:** after *{done}*, what is `w.grad` now?")
                st.button("Reveal", key="lab_reveal", on_click=_reveal, args=(state,), type="primary")
            st.markdown(options_list(GRAD_OUTCOMES.values()))
            return True
        c1, c2, c3 = st.columns([2, 1, 1])
        c1.metric("w.grad", vec(event.w_grad))
        c2.metric("b.grad", num(event.b_grad))
        c3.metric(
            "loss",
            "—" if event.loss is None else num(event.loss),
            help="The loss of the current w and b. — until “forward + loss” computes it (again, after an update).",
        )
        # the button just pressed names the operation; a silent mistake is a warning, an exception an error
        (st.success if event.ok else st.error if event.raised else st.warning)(event.message)
        who = event.raised_by or "PyTorch"  # a script stops in Python before PyTorch, e.g. NameError for no loss
        if verdict is not None:
            show_verdict(verdict, answered_by=who)
        elif present and last.outcome.key == "error":
            st.info(f"{who}: **{GRAD_OUTCOMES['error']}**. {last.outcome.why}")
        elif present:
            st.info(f"PyTorch: w.grad is **{GRAD_OUTCOMES[last.outcome.key]}**. {last.outcome.why}")
        st.code(event.code, language="python", wrap_lines=True)
    return False


def _history(lab: GradLifecycle, *, hide_latest: bool = False) -> None:
    """The operations so far, newest first; `hide_latest` leaves out the one the room has not seen revealed."""
    history = lab.history[:-1] if hide_latest else lab.history
    if not history:
        return
    rows = history[-HISTORY_SHOWN:][::-1]  # newest first: the latest click is the first row
    last = len(history)
    st.markdown("**History** (newest first)")
    st.table(
        pd.DataFrame(
            {
                "click": range(last, last - len(rows), -1),
                "operation": [action_labels(lab.config)[e.action] for e in rows],
                "ok": ["✓ yes" if e.ok else "✗ error" if e.raised else "⚠ silent" for e in rows],
                "loss": ["—" if e.loss is None else num(e.loss) for e in rows],
                "w.grad": [vec(e.w_grad) for e in rows],
                "b.grad": [num(e.b_grad) for e in rows],
            }
        ).set_index("click"),
        hide_index=False,  # pandas stores the step numbers as a RangeIndex, which st.table would hide
    )


STALE_TITLE = "What if X required grad? backward() after an update, for real"


def _stale_case(title: str, case: StaleCase) -> None:
    st.markdown(f"**{title}**")
    saved = "saved" if case.saved_w else "did not save"
    if case.error is None:
        st.success(
            f"No error. The graph {saved} w; w.grad = {vec(case.w_grad)}: the first backward()'s gradient and the "
            "second's, both taken at the old w and b.",
            icon=":material/check_circle:",
        )
    else:
        st.error(f"The graph {saved} w, and PyTorch refuses: {case.error}", icon=":material/error:")


def _stale_panel(cfg: RunConfig) -> None:
    """The lab's backward() after an update, beside the same code on an X that requires grad: both run for real."""
    g = get_stale_graph(cfg)
    with st.expander(STALE_TITLE, expanded=False):
        st.markdown(
            "`backward()` after an update ran here because nothing the graph saved was changed. The same lines, run "
            "on fresh tensors twice: once on X as the lab has it, once after `X.requires_grad_()`, when the graph "
            "also saves w to compute X's gradient, and PyTorch's version counter notices that w changed in place."
        )
        st.code(g.code, language="python", wrap_lines=True)
        _stale_case("As in the lab: X.requires_grad is False", g.as_in_the_lab)
        _stale_case("After X.requires_grad_()", g.x_requires_grad)
