"""The sidebar, the same on every page: settings ⇄ session state ⇄ URL, and the RunConfig."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from gradlab.config import EPOCHS_MAX, EPOCHS_MIN, UPDATE_RULES, ZERO_MODES, RunConfig, device_note
from gradlab.links import DEFAULTS, lr_options, parse_query, sanitize, to_query
from gradlab.userdata import Dataset
from ui.guide import PATH

KEYS = tuple(DEFAULTS)  # lr, epochs, device, zeroing, update, present: also the URL names
DEVICE_LABELS = {"cpu": "CPU", "cuda": "CUDA (GPU)"}
UPDATE_LABELS = {"manual": "manual (no_grad)", "sgd": "torch.optim.SGD"}
# (file, label, icon, blurb): the app's own navigation in the order of the lesson, so the home page reads "Home".
PAGES = tuple((step.path, step.label, step.icon, step.blurb) for step in PATH)


@dataclass(frozen=True)
class Settings:
    """What the sidebar decided for this rerun."""

    config: RunConfig
    present: bool
    device_note: str | None
    own_data: bool
    predict: bool = True  # ask for a prediction before each .grad result is revealed


def _first_run_from_url() -> None:
    """Once per session: seed the widgets from the link, noting every value that was rejected."""
    ss = st.session_state
    if ss.get("gl_url_read"):
        return
    raw = {k: st.query_params.get_all(k) for k in st.query_params.keys()}  # noqa: SIM118
    parsed = parse_query(raw)
    for key, value in parsed.values.items():
        ss[_canon(key)] = value
    ss["gl_lr_extra"] = parsed.values.get("lr")
    ss["gl_notes"] = parsed.notes
    ss["gl_url_read"] = True


def _canon(key: str) -> str:
    """The session key that holds a setting; widgets are re-seeded from it on every page."""
    return f"gl_{key}"


def _keep(key: str) -> None:
    """Widget callback: copy the widget's new value to the setting; the link's notes have done their job."""
    st.session_state[_canon(key)] = st.session_state[key]
    st.session_state["gl_notes"] = []


def _bound(key: str) -> dict[str, object]:
    """Widget arguments that tie a widget to its setting across reruns and page switches.

    The setting lives in a plain session key; the widget (key = the URL name) is seeded from it before it
    is drawn and writes back through on_change. This keeps values on every page switch, including values
    that came from a link or a reset, which a widget-held value alone can lose on the first switch.
    """
    st.session_state[key] = st.session_state[_canon(key)]
    return {"key": key, "on_change": _keep, "args": (key,)}


def use_data(state: MutableMapping[str, Any], data: Dataset | None) -> None:
    """Switch every page to `data` (None: the card's); the data editor and weight inputs start afresh."""
    if data is None:
        state.pop("gl_data", None)
    else:
        state["gl_data"] = data
    state["lab_data_error"] = None
    state["lab_data_version"] = state.get("lab_data_version", 0) + 1


def reset_data(state: MutableMapping[str, Any]) -> None:
    """Back to the card's data."""
    use_data(state, None)


def reset_settings() -> None:
    """Back to the card's defaults and data (a button callback)."""
    ss = st.session_state
    for key, value in DEFAULTS.items():
        ss[_canon(key)] = value
    ss["gl_notes"] = []
    reset_data(ss)


def set_settings(values: dict[str, object]) -> None:
    """Change some settings from a button callback, as if the learner had moved their widgets."""
    ss = st.session_state
    for key, value in values.items():
        ss[_canon(key)] = value
        ss[key] = value
    ss["gl_notes"] = []


def sidebar() -> Settings:
    """Draw the shared sidebar and return this rerun's settings."""
    ss = st.session_state
    _first_run_from_url()
    # Whatever put a value into session state, only valid settings reach the widgets and the config.
    clean, problems = sanitize({k: ss.get(_canon(k), v) for k, v in DEFAULTS.items()})
    for key, value in clean.items():
        ss[_canon(key)] = value
    if ss[_canon("lr")] not in lr_options(ss.get("gl_lr_extra")):
        ss["gl_lr_extra"] = ss[_canon("lr")]  # a valid off-grid rate gets its own slider stop
    ss["gl_flash"] = problems  # shown once, under the page title

    with st.sidebar:
        st.markdown("## :material/calculate: GradLab")
        for path, label, icon, _ in PAGES:
            st.page_link(path, label=label, icon=icon)
        st.markdown("---\n### Settings")
        st.select_slider(
            "Learning rate",
            options=lr_options(ss.get("gl_lr_extra")),
            format_func=lambda v: f"{v:g}",
            **_bound("lr"),
            help="Step size of each update, w ← w − lr·w.grad. Log-spaced from 0.001 to 1.",
        )
        st.slider(
            "Epochs",
            min_value=EPOCHS_MIN,
            max_value=EPOCHS_MAX,
            **_bound("epochs"),
            help="How many forward → backward → update steps to run (the card shows 5).",
        )
        st.radio(
            "Device",
            options=list(DEVICE_LABELS),
            format_func=DEVICE_LABELS.__getitem__,
            horizontal=True,
            **_bound("device"),
        )
        cpu_note = device_note(ss[_canon("device")])
        if cpu_note:
            st.caption(":material/warning: " + cpu_note)
        st.selectbox(
            "Zeroing each step",
            options=list(ZERO_MODES),
            format_func=ZERO_MODES.__getitem__,
            **_bound("zeroing"),
            help="What happens to .grad after each update. 'Never' shows accumulation.",
        )
        st.radio(
            "Update rule",
            options=list(UPDATE_RULES),
            format_func=UPDATE_LABELS.__getitem__,
            **_bound("update"),
        )
        st.toggle("Presentation mode", help="Large type for projecting.", **_bound("present"))
        st.button("Reset settings", on_click=reset_settings, width="stretch", help="Back to the card's setup.")

    values = {k: ss[_canon(k)] for k in KEYS}
    wanted = to_query(values)
    if {k: st.query_params.get(k) for k in st.query_params.keys()} != wanted:  # noqa: SIM118
        st.query_params.from_dict(wanted)

    data: Dataset | None = ss.get("gl_data")
    try:
        config = RunConfig(
            lr=float(values["lr"]),  # type: ignore[arg-type]
            epochs=int(values["epochs"]),  # type: ignore[call-overload]
            device=str(values["device"]),
            zeroing=values["zeroing"],  # type: ignore[arg-type]
            update=values["update"],  # type: ignore[arg-type]
        )
        if data is not None:
            config = data.apply(config)
        ss["gl_last_good"] = config
    except (ValueError, TypeError) as err:
        st.error(f"These settings can't be used ({err}). Showing the last good settings instead.")
        config = ss.get("gl_last_good", RunConfig())
    present = bool(values["present"])
    return Settings(config=config, present=present, device_note=cpu_note, own_data=data is not None)
