"""Grad Lab ②: step-through training, one sub-step or epoch at a time, with play/pause."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.config import RunConfig
from gradlab.stepper import Stepper
from gradlab.trace import Trace
from ui.cache import show_chart

STEP_LOG_SHOWN = 12
PLAY_INTERVAL_S = 0.8


def _stepper(cfg: RunConfig) -> Stepper:
    stepper: Stepper | None = st.session_state.get("lab_stepper")
    if stepper is None or stepper.config != cfg:
        stepper = Stepper(cfg)
        st.session_state["lab_stepper"] = stepper
        st.session_state["lab_playing"] = False
    return stepper


def _toggle_play() -> None:
    st.session_state["lab_playing"] = not st.session_state.get("lab_playing", False)


def stepper_panel(cfg: RunConfig, trace: Trace, big: bool) -> None:
    """Training one sub-step or one epoch at a time, with play/pause."""
    _stepper(cfg)
    playing = bool(st.session_state.get("lab_playing"))

    @st.fragment(run_every=PLAY_INTERVAL_S if playing else None)
    def body() -> None:
        stepper = _stepper(cfg)
        if st.session_state.get("lab_playing"):
            if stepper.finished:
                st.session_state["lab_playing"] = False
                st.rerun(scope="app")  # stops the timer
            stepper.step_epoch()
        c1, c2, c3, c4 = st.columns(4)
        if c1.button("Next sub-step", key="lab_substep", width="stretch", disabled=stepper.finished):
            stepper.advance()
        if c2.button("Step one epoch", key="lab_epoch", width="stretch", disabled=stepper.finished):
            stepper.step_epoch()
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
            st.rerun(scope="app")
        done = stepper.completed_epochs
        st.markdown(
            f"**Epoch {min(stepper.epoch, cfg.epochs)} of {cfg.epochs}** · completed: {done}"
            + (f" · stopped: training diverged at epoch {stepper.stop.epoch}" if stepper.stop else "")
            + (" · finished" if stepper.finished and not stepper.stop else "")
        )
        show_chart(cfg, trace, "loss", epoch=max(1, min(len(stepper.losses), len(trace))), big=big)
        if stepper.log:
            recent = stepper.log[-STEP_LOG_SHOWN:]
            st.table(
                pd.DataFrame(
                    {
                        "epoch": [s.epoch for s in recent],
                        "sub-step": [s.name for s in recent],
                        "code": [s.code for s in recent],
                        "result": [s.result for s in recent],
                    }
                )
            )
        else:
            st.caption("Nothing has run yet: press *Next sub-step* to run the forward pass.")

    body()
