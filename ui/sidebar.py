"""The sidebar, the same on every page: navigation, the settings' widgets, and this rerun's `Settings`.

The settings' state (session keys, the link, repairs, re-seeding, the RunConfig) is `ui.settings_state`'s; this
module draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gradlab.settings.config import MODELS, UPDATE_RULES, ZERO_MODES, RunConfig, device_note
from gradlab.settings.links import format_lr
from gradlab.settings.stability import NET_LIMIT_NOTE, stable_limit
from gradlab.settings.userdata import Dataset
from ui import settings_state as state
from ui.guide import PATH

DEVICE_LABELS = {"cpu": "CPU", "cuda": "CUDA (GPU)"}
UPDATE_LABELS = {"manual": "manual (no_grad)", "sgd": "torch.optim.SGD"}
# Short enough for the sidebar's select box; the help and gradlab.settings.config.ZERO_MODES say it in full.
ZERO_LABELS = {"zero": "grad.zero_()", "none": "grad = None (set_to_none)", "never": "never (accumulate)"}
# (file, label, icon, blurb): the app's own navigation in the order of the lesson, so the home page reads "Home".
PAGES = tuple((step.path, step.label, step.icon, step.blurb) for step in PATH)


@dataclass(frozen=True)
class Settings:
    """What the sidebar decided for this rerun."""

    config: RunConfig
    present: bool
    predict: bool
    device_note: str | None
    own_data: bool


def _run_context() -> tuple[str, bool]:
    """This run's page, and whether the browser's Back or Forward started it."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return "", False
    return ctx.page_script_hash, bool(ctx.is_history_navigation)


# Pages that ask whether this learning rate diverges: the quiz's live question always, Grad Lab's step-through (up or
# down before each epoch) while *Predict first* is on. There the limit would answer the question beside it.
ASKS_DIVERGENCE = {"Quiz": False, "Grad Lab": True}  # page step → asks only with Predict first on
WITHHELD_NOTE = (
    "This page asks whether this learning rate makes the loss rise, so the stable limit waits: Training Trace "
    "names it."
)


def _stable_note(lr: float, data: Dataset | None, model: object = "linear", *, withhold: bool = False) -> None:
    """The stable limit next to the learning rate (plain Python: the sidebar draws before torch loads); `withhold`:
    a page that asks whether this learning rate diverges gets a note that the limit waits, not the limit."""
    if withhold:
        st.caption(WITHHELD_NOTE)
        return
    if model == "net":  # the network's curvature is not constant: no single limit to show
        st.caption(NET_LIMIT_NOTE)  # Training Trace gives 2/λmax at the run's start and last epoch
        return
    limit = stable_limit(data.apply(RunConfig()) if data is not None else RunConfig())
    if lr > limit:
        st.caption(
            f":material/warning: Above the stable limit: on this data gradient descent diverges above lr ≈ {limit:.3g}."
        )
    else:
        st.caption(f"Gradient descent on this data is stable below lr ≈ {limit:.3g} (with .grad zeroed each step).")


def sidebar(step: str | None = None) -> Settings:
    """Draw the shared sidebar and return this rerun's settings. `step`: the page's label on the guided path, so the
    sidebar can keep the stable limit back on a page that asks whether this learning rate diverges."""
    page_id, history = _run_context()
    state.read_link(history)
    fresh = state.reseed(page_id, repaired=bool(state.repair()))
    values, data = state.values(), state.own_data()
    wanted = state.keep_url_in_step(values, data)
    with st.sidebar:
        _navigation(wanted)
        only_predicting = ASKS_DIVERGENCE.get(step or "")
        withhold = only_predicting is not None and (bool(values["predict"]) or not only_predicting)
        cpu_note = _widgets(fresh, values, data, withhold=withhold)
    return Settings(
        config=state.run_config(values, data),
        present=bool(values["present"]),
        predict=bool(values["predict"]),
        device_note=cpu_note,
        own_data=data is not None,
    )


def _navigation(query: dict[str, str]) -> None:
    st.markdown("## :material/calculate: GradLab")
    with st.container(key="gl-nav"):  # a stable hook: presentation mode sets the links in two columns
        for path, label, icon, _ in PAGES:
            # The link carries the settings, so a page switch is one history entry that already has them.
            st.page_link(path, label=label, icon=icon, query_params=query)


def _widgets(fresh: bool, values: Mapping[str, object], data: Dataset | None, *, withhold: bool = False) -> str | None:
    """The settings' widgets, each bound to its setting; returns the note when CUDA was asked for but is missing."""
    st.markdown("---\n### Settings")
    st.radio(
        "Model",
        options=list(MODELS),
        format_func=MODELS.__getitem__,
        **state.bind("model", fresh),
        help="The card's linear model, or a small network written as an nn.Module: "
        "nn.Linear(2, 3) → tanh → nn.Linear(3, 1).",
    )
    st.select_slider(
        "Learning rate",
        options=state.options("lr"),
        format_func=format_lr,
        **state.bind("lr", fresh),
        help="Step size of each update: w ← w − lr·w.grad for the linear model, p ← p − lr·p.grad for each of the "
        "network's parameters p. Log-spaced from 0.001 to 1.",
    )
    _stable_note(float(values["lr"]), data, values["model"], withhold=withhold)  # type: ignore[arg-type]
    st.select_slider(
        "Epochs",
        options=state.options("epochs"),
        format_func=lambda v: f"{v:,}",
        **state.bind("epochs", fresh),
        help="How many forward → backward → update steps to run (the learning card this lesson grew from shows 5). "
        "Stops from 1 to 10,000; a link can ask for any whole number in between.",
    )
    st.radio(
        "Device",
        options=list(DEVICE_LABELS),
        format_func=DEVICE_LABELS.__getitem__,
        horizontal=True,
        **state.bind("device", fresh),
    )
    cpu_note = device_note(str(values["device"]))
    if cpu_note:
        st.caption(":material/warning: " + cpu_note)
    st.selectbox(
        "Zeroing each step",
        options=list(ZERO_MODES),
        format_func=ZERO_LABELS.__getitem__,
        **state.bind("zeroing", fresh),
        help="What happens to .grad after each update: filled with zeros (`zero_()`), set to None "
        "(`set_to_none`), or left alone, so the next `backward()` adds to it: *never* shows accumulation.",
    )
    st.radio(
        "Update rule",
        options=list(UPDATE_RULES),
        format_func=UPDATE_LABELS.__getitem__,
        **state.bind("update", fresh),
    )
    st.toggle(
        "Predict first",
        help="Commit to a prediction before Data Flow, Prediction Trace and Grad Lab reveal a result. "
        "Off: results are shown directly.",
        **state.bind("predict", fresh),
    )
    st.toggle("Presentation mode", help="Large type for projecting.", **state.bind("present", fresh))
    st.button(
        "Reset settings",
        on_click=state.reset_settings,
        width="stretch",
        help="Back to the defaults and to the data of the learning card this lesson grew from.",
    )
    return cpu_note
