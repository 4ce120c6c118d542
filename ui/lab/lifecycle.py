"""Grad Lab ①: the `.grad` lifecycle, one real PyTorch operation per button. State is per session."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.fmt import num, vec
from gradlab.lesson.guess import GRAD_OUTCOMES, Verdict, check_choice, grad_outcome
from gradlab.runs.lifecycle import GradLifecycle, action_labels
from gradlab.settings.config import RunConfig
from ui.predictions import note, show_verdict
from ui.render import show_tensors

HISTORY_SHOWN = 12
LAST = "lab_last"  # the last operation, its outcome and the verdict on the prediction made for it
GUESS_GEN = "lab_guess_gen"


# What the lab's tensors and buttons are built from: the data, the initial weights, the device, the update
# rule (SGD builds an optimizer) and lr (the update step). Epochs and zeroing are settings of a training run,
# which the lab never makes, so changing them keeps the learner's history.
LAB_FIELDS = ("X", "y", "w0", "b0", "device", "update", "lr")


def _same_setup(a: RunConfig, b: RunConfig) -> bool:
    """Equal in every setting the lab uses."""
    return all(getattr(a, name) == getattr(b, name) for name in LAB_FIELDS)


def _lab(cfg: RunConfig) -> GradLifecycle:
    lab: GradLifecycle | None = st.session_state.get("lab_lifecycle")
    if lab is None or not _same_setup(lab.config, cfg):
        if lab is not None:
            st.toast("Settings changed: the lab restarted with fresh tensors.")
        lab = GradLifecycle(cfg)
        st.session_state["lab_lifecycle"] = lab
    return lab


def _before(lab: GradLifecycle) -> tuple[float, ...] | None:
    """w.grad as the next operation will find it (the last event's, or None for fresh tensors)."""
    return lab.history[-1].w_grad if lab.history else None


def _guess_key() -> str:
    return f"lab_guess_{st.session_state.get(GUESS_GEN, 0)}"


def _run(lab: GradLifecycle, action: str) -> None:
    """Button callback: run one operation; classify what it did to w.grad and judge the prediction against it.

    A callback runs before the script draws anything, so the next run already shows a fresh, empty prediction.
    """
    guess = st.session_state.get(_guess_key())
    before = _before(lab)
    event = lab.run(action)
    outcome = grad_outcome(before, event.w_grad, ok=not event.raised, error=event.message, stale=event.stale)
    verdict = None
    if guess is not None:
        v = check_choice(guess, outcome.key, outcome.why, also_right=outcome.also)
        verdict = Verdict(v.correct, GRAD_OUTCOMES[guess], outcome.shown(guess), outcome.why)
        count = st.session_state.get("lab_notes", 0) + 1
        st.session_state["lab_notes"] = count
        note("Grad Lab", f"lifecycle-{count}", verdict)
    st.session_state[LAST] = {"lab": lab, "event": event, "outcome": outcome, "verdict": verdict, "revealed": False}
    st.session_state[GUESS_GEN] = st.session_state.get(GUESS_GEN, 0) + 1  # the next operation gets a new guess


def _is_latest(last: dict | None, lab: GradLifecycle) -> bool:
    """Whether `last` describes this lab's latest operation (a reset clears the history it would be in)."""
    if last is None or last["lab"] is not lab:
        return False
    return lab.history[-1] is last["event"] if lab.history else last["event"].action == "reset"


def _reveal() -> None:
    st.session_state[LAST]["revealed"] = True


def lifecycle_panel(cfg: RunConfig, *, predict: bool = True, present: bool = False) -> None:
    """Buttons that each run one real PyTorch operation; what .grad became, right under them."""
    lab = _lab(cfg)
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
            format_func=GRAD_OUTCOMES.__getitem__,
            index=None,
            horizontal=True,
            key=_guess_key(),
        )
    waiting = predict and not present and guess is None
    actions = list(action_labels(lab.config).items())
    # A grid of equal buttons on a screen. Projected, a row that flows with each label on one line: the result
    # below them then stays on the first screen at 1280×720.
    with st.container(key="gl-lab-buttons", horizontal=present, gap="small"):
        places = [st] * len(actions) if present else [col for _ in (1, 2) for col in st.columns(4)]
        width = "content" if present else "stretch"
        for place, (action, label) in zip(places, actions, strict=False):
            place.button(
                label, key=f"lab_btn_{action}", width=width, disabled=waiting, on_click=_run, args=(lab, action)
            )
    if waiting:
        st.caption("Pick a prediction to enable the buttons (*Predict first* in the sidebar turns this off).")
    if _result(lab, present):  # the room is still voting: nothing below may show the answer
        _history(lab, hide_latest=True)
        return
    with st.expander("w and b as PyTorch prints them", expanded=not present):
        show_tensors(list(lab.tensors()), present=present)
    _history(lab)


def _result(lab: GradLifecycle, present: bool) -> bool:
    """The last operation's result, large, right under the buttons; True while it waits for the room's *Reveal*."""
    last = st.session_state.get(LAST)
    if not _is_latest(last, lab):
        w, b = lab.tensors()
        c1, c2 = st.columns(2)
        c1.metric("w.grad", vec(w.grad_values) if w.grad is not None else "None")
        c2.metric("b.grad", num(b.grad_values[0]) if b.grad_values else "None")
        return False
    event, verdict = last["event"], last["verdict"]
    with st.container(border=True, key="gl-lab-result"):
        if present and not last["revealed"]:
            done = action_labels(lab.config)[event.action]
            with st.container(horizontal=True, vertical_alignment="center"):  # Reveal beside the question
                st.markdown(f":material/groups: **Ask the room:** after *{done}*, what is `w.grad` now?")
                st.button("Reveal", key="lab_reveal", on_click=_reveal, type="primary")
            st.markdown(" · ".join(f"**{label}**" for label in GRAD_OUTCOMES.values()))
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
        if verdict is not None:
            show_verdict(verdict)
        elif present:
            st.info(f"PyTorch: w.grad is **{GRAD_OUTCOMES[last['outcome'].key]}**. {last['outcome'].why}")
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
                "#": range(last, last - len(rows), -1),
                "operation": [action_labels(lab.config)[e.action] for e in rows],
                "ok": ["✓ yes" if e.ok else "✗ error" if e.raised else "⚠ silent" for e in rows],
                "loss": ["—" if e.loss is None else num(e.loss) for e in rows],
                "w.grad": [vec(e.w_grad) for e in rows],
                "b.grad": [num(e.b_grad) for e in rows],
            }
        ).set_index("#"),
        hide_index=False,  # pandas stores the step numbers as a RangeIndex, which st.table would hide
    )
