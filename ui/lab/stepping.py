"""Grad Lab ②: step-through training, one sub-step or epoch at a time, with play/pause.

What has run is revealed as it runs: the loss chart grows epoch by epoch, the landscape shows the update
−lr·.grad that was taken, and before each epoch the learner predicts whether its loss goes up or down.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from gradlab.fmt import num, vec
from gradlab.lesson.divergence import explain, explain_stop, warn
from gradlab.lesson.prompts import loss_direction
from gradlab.runs.stepper import SUBSTEPS, Stepper, SubStep
from gradlab.runs.tensors import describe
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig
from gradlab.settings.stability import stable_limit
from ui.cache import show_chart
from ui.panels import divergence_box
from ui.predictions import note, show_verdict

STEP_LOG_SHOWN = 12
PLAY_INTERVAL_S = 0.8
GUESSES = "lab_step_guesses"  # {epoch: choice} for this stepper
# Play stops by itself after this long: a forgotten tab would otherwise cost the shared server a rerun
# every PLAY_INTERVAL_S for hours (10,000 epochs at 0.8 s is about 2.2 hours).
PLAY_LIMIT_S = 120.0


def _stepper(cfg: RunConfig) -> Stepper:
    stepper: Stepper | None = st.session_state.get("lab_stepper")
    if stepper is None or stepper.config != cfg:
        stepper = Stepper(cfg)
        st.session_state["lab_stepper"] = stepper
        st.session_state["lab_playing"] = False
        st.session_state[GUESSES] = {}
        st.session_state["lab_stepper_gen"] = st.session_state.get("lab_stepper_gen", 0) + 1
    return stepper


def _toggle_play() -> None:
    playing = not st.session_state.get("lab_playing", False)
    st.session_state["lab_playing"] = playing
    st.session_state["lab_play_started"] = time.monotonic() if playing else None
    st.session_state["lab_play_note"] = None


def _play_expired() -> bool:
    """Whether Play has run for PLAY_LIMIT_S; if so it is stopped, with a note saying why."""
    started = st.session_state.get("lab_play_started")
    if started is None or time.monotonic() - started < PLAY_LIMIT_S:
        return False
    st.session_state["lab_playing"] = False
    st.session_state["lab_play_started"] = None
    st.session_state["lab_play_note"] = (
        f"Play stopped by itself after {PLAY_LIMIT_S / 60:.0f} minutes, so that a forgotten tab does not keep "
        "the shared server busy. Press ▶ Play to go on from here."
    )
    return True


def _asking(stepper: Stepper, trace: Trace) -> int | None:
    """The epoch whose loss direction is to be predicted now: at the start of an epoch from the second on."""
    e = stepper.epoch
    if stepper.finished or stepper.next_index != 0 or not 2 <= e <= len(trace):
        return None
    return e


def stepper_panel(cfg: RunConfig, trace: Trace, big: bool, *, predict: bool = True) -> None:
    """Training one sub-step or one epoch at a time, with play/pause, revealed as it runs."""
    _stepper(cfg)
    playing = bool(st.session_state.get("lab_playing"))
    stable = stable_limit(cfg)

    @st.fragment(run_every=PLAY_INTERVAL_S if playing else None)
    def body() -> None:
        stepper = _stepper(cfg)
        guesses: dict[int, str] = st.session_state.setdefault(GUESSES, {})
        if st.session_state.get("lab_playing"):
            if stepper.finished or _play_expired():
                st.session_state["lab_playing"] = False
                st.rerun(scope="app")  # stops the timer
            stepper.step_epoch()
        if predict and not stepper.finished and (warn(trace) or explain(trace)):
            # The divergence box quotes the losses to come: it would answer the up-or-down questions below.
            st.caption(
                "Whether this run diverges is for you to find out as you step: the Training Trace names it up "
                "front, and this tab does once the run has finished."
            )
        else:
            divergence_box(trace)
        ask = _asking(stepper, trace)
        waiting = False
        if ask is not None and predict:
            prompt = loss_direction(trace, ask, stable)
            if big:
                st.markdown(f":material/groups: **Ask the room:** {prompt.question}")
            else:
                choice = st.radio(
                    f"Predict first: {prompt.question}",
                    options=list(prompt.options or {}),
                    index=None,
                    horizontal=True,
                    key=f"lab_step_guess_{ask}_{st.session_state['lab_stepper_gen']}",
                )
                if choice is not None:
                    guesses[ask] = choice
                waiting = ask not in guesses
        c1, c2, c3, c4 = st.columns(4)
        stop = stepper.finished or waiting
        # Callbacks run before the next run draws anything, so the prediction asked next is already for the
        # epoch these buttons lead to.
        c1.button("Next sub-step", key="lab_substep", width="stretch", disabled=stop, on_click=stepper.advance)
        c2.button("Step one epoch", key="lab_epoch", width="stretch", disabled=stop, on_click=stepper.step_epoch)
        if c3.button(
            "⏸ Pause" if st.session_state.get("lab_playing") else "▶ Play",
            key="lab_play",
            width="stretch",
            disabled=stepper.finished,
        ):
            _toggle_play()
            st.rerun(scope="app")  # the fragment's timer is set by a full run, so start or stop it there
        if c4.button("Reset", key="lab_step_reset", width="stretch"):
            st.session_state.pop("lab_stepper", None)
            st.session_state["lab_playing"] = False
            st.session_state["lab_play_note"] = None
            st.rerun(scope="app")
        if st.session_state.get("lab_play_note"):
            st.info(st.session_state["lab_play_note"], icon=":material/timer_off:")
        if waiting:
            st.caption("Pick *up* or *down* to step on (*Predict first* in the sidebar turns this off; Play skips it).")
        _now(stepper, cfg, trace)
        _verdict(stepper, trace, guesses, stable)
        ran = len(stepper.losses)
        left, right = st.columns(2)
        with left:
            if ran:
                show_chart(trace, "loss_upto", epoch=min(ran, len(trace)), present=big)
            else:  # an empty chart has no extent to draw (and Vega warns about it)
                st.caption("The loss chart grows here, one point per epoch, as you step.")
        with right:
            if st.session_state.get("lab_playing"):  # a landscape per tick would cost a class's server dearly
                st.caption("The loss landscape with the step −lr·.grad is drawn when you pause or step.")
            elif stepper.completed_epochs >= 1 and cfg.n_features == 2:
                show_chart(trace, "step", epoch=min(stepper.completed_epochs, len(trace)), present=big)
                st.caption(
                    "The red arrow is the update just taken, −lr·.grad, in (w1, w2); the slice is drawn at that "
                    "epoch's b."
                )
            else:
                st.caption("After the first epoch's update, the loss landscape shows the step −lr·.grad here.")
        _log(stepper)

    body()


def _last_backward(stepper: Stepper) -> int:
    """The latest epoch whose backward() has run (0: none yet)."""
    backward = next(i for i, (name, _) in enumerate(SUBSTEPS) if name == "backward")
    return stepper.epoch if stepper.next_index > backward else stepper.completed_epochs


def _now(stepper: Stepper, cfg: RunConfig, trace: Trace) -> None:
    """Where training stands, large: epoch, last loss, and the live .grad (and what the last backward() gave)."""
    w, b = describe("w", stepper.w), describe("b", stepper.b)
    with st.container(key="gl-step-now"):  # a stable hook: presentation mode enlarges these numbers
        c1, c2, c3, c4 = st.columns([1, 1, 2, 1])
        c1.metric("epoch", f"{min(stepper.epoch, cfg.epochs)} of {cfg.epochs}")
        c2.metric("last loss", num(stepper.losses[-1]) if stepper.losses else "—")
        c3.metric("w.grad now", vec(w.grad_values) if w.grad_values is not None else "None")
        c4.metric("b.grad now", num(b.grad_values[0]) if b.grad_values else "None")
    e = _last_backward(stepper)
    if 1 <= e <= len(trace) and (w.grad_values is None or tuple(w.grad_values) != tuple(trace.w_grad[e - 1])):
        # After the zero sub-step the live .grad no longer shows the gradient the update used.
        st.caption(
            f"Epoch {e}'s `backward()` gave w.grad = {vec(trace.w_grad[e - 1])}, b.grad = {num(trace.b_grad[e - 1])}; "
            "the update used it, then the zero sub-step ran."
        )
    if stepper.stop is not None:
        st.caption(f"Stopped: training diverged at epoch {stepper.stop.epoch}, where the Training Trace stops too.")
    elif stepper.finished:
        st.caption(f"Finished: {stepper.completed_epochs} epoch(s) ran.")


def _verdict(stepper: Stepper, trace: Trace, guesses: dict[int, str], stable: float) -> None:
    """Once an epoch's loss is computed, the prediction made for it beside what happened."""
    e = len(stepper.losses)
    if e in guesses and 2 <= e <= len(trace):
        verdict = loss_direction(trace, e, stable).judge(guesses[e])
        note("Grad Lab", f"step-{st.session_state.get('lab_stepper_gen')}-{e}", verdict)
        show_verdict(verdict)


def _said(stepper: Stepper, step: SubStep) -> str:
    """A sub-step's result; the one that found an inf or NaN also says, in the trace's words, why the run stopped."""
    if stepper.stop is not None and step.name == "read .grad" and step.epoch == stepper.stop.epoch:
        return f"{step.result}. {explain_stop(stepper.stop, stepper.config).message}"
    return step.result


def _log(stepper: Stepper) -> None:
    if not stepper.log:
        st.caption("Nothing has run yet: press *Next sub-step* to run the forward pass.")
        return
    recent = stepper.log[-STEP_LOG_SHOWN:][::-1]  # newest first
    st.markdown("**Sub-steps** (newest first)")
    st.table(
        pd.DataFrame(
            {
                "epoch": [s.epoch for s in recent],
                "sub-step": [s.name for s in recent],
                "code": [f"`{s.code}`" for s in recent],  # a code span: "# …" must not become a heading
                "result": [_said(stepper, s) for s in recent],
            }
        )
    )
