"""The sidebar, the same on every page: settings ⇄ session state ⇄ URL, and the RunConfig."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from gradlab.config import CUDA_UNAVAILABLE, UPDATE_RULES, ZERO_MODES, RunConfig, cuda_available
from gradlab.params import DEFAULTS, lr_options, parse_query, to_query
from gradlab.userdata import Dataset

KEYS = tuple(DEFAULTS)  # lr, epochs, device, zeroing, update, present: widget keys = URL names
DEVICE_LABELS = {"cpu": "CPU", "cuda": "CUDA (GPU)"}
UPDATE_LABELS = {"manual": "manual (no_grad)", "sgd": "torch.optim.SGD"}
# (file, label, icon, blurb): the app's own navigation, so the home page reads "Home".
PAGES = (
    ("streamlit_app.py", "Home", "🏠", "what .grad is"),
    ("pages/1_Data_Flow.py", "Data Flow", "➡️", "five stages, real tensors"),
    ("pages/2_Training_Trace.py", "Training Trace", "📉", "epoch by epoch"),
    ("pages/3_Prediction_Trace.py", "Prediction Trace", "🔎", "one sample, five layers"),
    ("pages/4_Grad_Lab.py", "Grad Lab", "🧪", "click through .grad"),
    ("pages/5_Quiz.py", "Quiz", "❓", "check yourself"),
)


@dataclass(frozen=True)
class Settings:
    """What the sidebar decided for this rerun."""

    config: RunConfig
    present: bool
    device_note: str | None
    own_data: bool


def _first_run_from_url() -> None:
    """Once per session: seed the widgets from the link, noting every value that was rejected."""
    ss = st.session_state
    if ss.get("gl_url_read"):
        return
    raw = {k: st.query_params.get_all(k) for k in st.query_params.keys()}  # noqa: SIM118
    parsed = parse_query(raw)
    for key, value in parsed.values.items():
        ss[key] = value
    ss["gl_lr_extra"] = parsed.values.get("lr")
    ss["gl_notes"] = parsed.notes
    ss["gl_url_read"] = True


def reset_settings() -> None:
    """Back to the card's defaults (a button callback)."""
    ss = st.session_state
    for key, value in DEFAULTS.items():
        ss[key] = value
    ss["gl_notes"] = []
    ss.pop("gl_data", None)


def sidebar() -> Settings:
    """Draw the shared sidebar and return this rerun's settings."""
    ss = st.session_state
    _first_run_from_url()
    for key, value in DEFAULTS.items():
        ss.setdefault(key, value)

    with st.sidebar:
        st.markdown("## 🧮 GradLab")
        for path, label, icon, _ in PAGES:
            st.page_link(path, label=label, icon=icon)
        st.divider()
        st.markdown("### Settings")
        st.select_slider(
            "Learning rate",
            options=lr_options(ss.get("gl_lr_extra")),
            key="lr",
            format_func=lambda v: f"{v:g}",
            persist_state="session",
            help="Step size of each update, w ← w − lr·w.grad. Log-spaced from 0.001 to 1.",
        )
        st.slider(
            "Epochs",
            min_value=1,
            max_value=10_000,
            key="epochs",
            persist_state="session",
            help="How many forward → backward → update steps to run (the card shows 5).",
        )
        st.radio(
            "Device",
            options=list(DEVICE_LABELS),
            format_func=DEVICE_LABELS.__getitem__,
            key="device",
            horizontal=True,
            persist_state="session",
        )
        device_note = CUDA_UNAVAILABLE if ss["device"] == "cuda" and not cuda_available() else None
        if device_note:
            st.caption("⚠️ " + device_note)
        st.selectbox(
            "Zeroing each step",
            options=list(ZERO_MODES),
            format_func=ZERO_MODES.__getitem__,
            key="zeroing",
            persist_state="session",
            help="What happens to .grad after each update. 'Never' shows accumulation.",
        )
        st.radio(
            "Update rule",
            options=list(UPDATE_RULES),
            format_func=UPDATE_LABELS.__getitem__,
            key="update",
            persist_state="session",
        )
        st.toggle("Presentation mode", key="present", persist_state="session", help="Large type for projecting.")
        st.button("Reset settings", on_click=reset_settings, width="stretch", help="Back to the card's setup.")

    values = {k: ss[k] for k in KEYS}
    wanted = to_query(values)
    if {k: st.query_params.get(k) for k in st.query_params.keys()} != wanted:  # noqa: SIM118
        st.query_params.from_dict(wanted)

    data: Dataset | None = ss.get("gl_data")
    try:
        config = RunConfig(
            lr=float(ss["lr"]),
            epochs=int(ss["epochs"]),
            device=ss["device"],
            zeroing=ss["zeroing"],
            update=ss["update"],
        )
        if data is not None:
            config = data.apply(config)
        ss["gl_last_good"] = config
    except (ValueError, TypeError) as err:
        st.error(f"These settings can't be used ({err}). Showing the last good settings instead.")
        config = ss.get("gl_last_good", RunConfig())
    return Settings(config=config, present=bool(ss["present"]), device_note=device_note, own_data=data is not None)
