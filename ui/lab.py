"""The Grad Lab's interactive panels. State lives in st.session_state, so it is per learner."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pandas as pd
import streamlit as st

from gradlab.config import RunConfig
from gradlab.fmt import num, vec
from gradlab.lifecycle import ACTIONS, GradLifecycle
from gradlab.pitfalls import PitfallOutcome, run_all
from gradlab.stepper import Stepper
from gradlab.trace import Trace
from gradlab.userdata import CARD_DATA, Dataset, parse_dataset
from ui.cache import show_chart
from ui.render import show_tensors
from ui.sidebar import reset_data, use_data

HISTORY_SHOWN = 12
STEP_LOG_SHOWN = 12
PLAY_INTERVAL_S = 0.8


def _same_setup(a: RunConfig, b: RunConfig) -> bool:
    """Equal apart from the epoch count (the lab does not depend on it)."""
    return a.with_(epochs=b.epochs) == b


def _lab(cfg: RunConfig) -> GradLifecycle:
    lab: GradLifecycle | None = st.session_state.get("lab_lifecycle")
    if lab is None or not _same_setup(lab.config, cfg):
        if lab is not None:
            st.toast("Settings changed: the lab restarted with fresh tensors.")
        lab = GradLifecycle(cfg)
        st.session_state["lab_lifecycle"] = lab
    return lab


def lifecycle_panel(cfg: RunConfig) -> None:
    """Buttons that each run one real PyTorch operation, and what .grad looks like after it."""
    lab = _lab(cfg)
    st.markdown(
        "Click the operations in any order and watch `w.grad` and `b.grad`: **None**, values, doubled values, "
        "zeros… Try *backward()* twice in a row, or *backward() again* without zeroing."
    )
    actions = list(ACTIONS.items())
    for row in (actions[:3], actions[3:6], actions[6:]):
        for col, (action, label) in zip(st.columns(3), row, strict=False):
            if col.button(label, key=f"lab_btn_{action}", width="stretch"):
                lab.run(action)
    last = lab.history[-1] if lab.history else None
    if last is not None:
        (st.success if last.ok else st.error)(f"**{ACTIONS[last.action]}** — {last.message}")
        st.code(last.code, language="python")
    show_tensors(list(lab.tensors()))
    if lab.history:
        rows = lab.history[-HISTORY_SHOWN:]
        first = len(lab.history) - len(rows) + 1
        st.markdown("**History**")
        st.table(
            pd.DataFrame(
                {
                    "#": range(first, first + len(rows)),
                    "operation": [ACTIONS[e.action] for e in rows],
                    "ok": ["✓ yes" if e.ok else "✗ no" for e in rows],
                    "loss": [num(e.loss) for e in rows],
                    "w.grad": [vec(e.w_grad) for e in rows],
                    "b.grad": [num(e.b_grad) for e in rows],
                }
            ).set_index("#")
        )


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
            + (" · finished" if stepper.finished else "")
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


@st.cache_data(max_entries=16, show_spinner=False)
def _pitfalls(cfg: RunConfig) -> list[PitfallOutcome]:
    return run_all(cfg)


def pitfalls_panel(cfg: RunConfig, big: bool) -> None:
    """Each common mistake, run safely, with PyTorch's real answer, why, and the fix."""
    for p in _pitfalls(cfg):
        with st.expander(p.title, expanded=False):
            st.markdown("**The mistake**")
            st.code(p.wrong_code, language="python")
            st.markdown(f"**What PyTorch does** ({p.outcome_kind.replace('_', ' ')})")
            st.code(p.outcome, language="text")
            st.markdown(f"**Why.** {p.why}")
            st.markdown("**The fix**")
            st.code(p.fix_code, language="python")
            st.code(p.fixed_outcome, language="text")


def apply_data(state: MutableMapping[str, Any], rows: list[dict[str, object]], w0: list[object], b0: object) -> None:
    """Use the edited data if it is valid; otherwise keep the last good data and record why."""
    try:
        data = parse_dataset(rows, w0, b0)
    except ValueError as err:
        state["lab_data_error"] = str(err)
        return
    use_data(state, data)


def data_panel() -> None:
    """Edit the rows (x1, x2, y) and the initial weights; valid data drives every page."""
    current: Dataset = st.session_state.get("gl_data") or CARD_DATA
    version = st.session_state.get("lab_data_version", 0)
    st.markdown(
        "Edit, add or delete rows, set the starting weights, then **Apply**. Every page then uses your data "
        "in this browser session only. Invalid input is explained and the last good data is kept."
    )
    edited = st.data_editor(
        pd.DataFrame(current.rows()),
        num_rows="dynamic",
        key=f"lab_editor_{version}",
        column_config={c: st.column_config.NumberColumn(c, format="%.6g") for c in ("x1", "x2", "y")},
        width="stretch",
    )
    c1, c2, c3 = st.columns(3)
    w1 = c1.number_input("initial w1", value=current.w0[0], format="%.6g", key=f"lab_w1_{version}")
    w2 = c2.number_input("initial w2", value=current.w0[1], format="%.6g", key=f"lab_w2_{version}")
    b0 = c3.number_input("initial b", value=current.b0, format="%.6g", key=f"lab_b_{version}")
    rows = edited.astype(object).where(edited.notna(), None).to_dict("records")
    b1, b2 = st.columns(2)
    ss = st.session_state
    # Act on this run's values (a callback would get the values of the run before the last edit).
    if b1.button("Apply my data", type="primary", width="stretch"):
        apply_data(ss, rows, [w1, w2], b0)
        st.rerun()
    if b2.button("Reset to the card's data", width="stretch"):
        reset_data(ss)
        st.rerun()
    error = st.session_state.get("lab_data_error")
    if error:
        st.error(f"That data can't be used: {error}. The last good data is still in use.", icon=":material/block:")
    elif "gl_data" in st.session_state:
        st.success(f"Your data ({len(current.y)} rows) is in use on every page.", icon=":material/check_circle:")
