"""The sidebar, the same on every page: settings ⇄ session state ⇄ URL, and the RunConfig."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gradlab.settings.config import UPDATE_RULES, ZERO_MODES, RunConfig, device_note
from gradlab.settings.links import (
    DEFAULTS,
    epoch_options,
    format_lr,
    lr_options,
    parse_query,
    sanitize,
    to_query,
    travels,
)
from gradlab.settings.stability import stable_limit
from gradlab.settings.userdata import CARD_DATA, Dataset
from ui.guide import PATH
from ui.settings_state import canon

KEYS = tuple(DEFAULTS)  # lr, epochs, device, zeroing, update, present, predict: also the URL names
EXTRA_STOPS = {"lr": lr_options, "epochs": epoch_options}  # a valid value off these grids gets its own stop
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


def _read_link(history: bool) -> None:
    """Take the settings and data from the link: once per session, and again when Back or Forward restores one.

    On Back the browser shows an older link and Streamlit reruns with it; reading it restores the settings
    that link was made with, so Back undoes a change instead of being rewritten to the current settings.
    """
    ss = st.session_state
    if ss.get("gl_url_read") and not history:
        return
    parsed = parse_query({k: st.query_params.get_all(k) for k in st.query_params.keys()})  # noqa: SIM118
    for key, default in DEFAULTS.items():
        ss[canon(key)] = parsed.values.get(key, default)
    for key in EXTRA_STOPS:
        ss[f"gl_{key}_extra"] = parsed.values.get(key)
    current: Dataset | None = ss.get("gl_data")
    # Data too big for a link is never in one, so an older link without data leaves it alone.
    if parsed.data != current and (parsed.data is not None or (current is not None and travels(current))):
        use_data(ss, parsed.data)
    ss["gl_notes"] = parsed.notes
    ss["gl_url_read"] = True
    ss["gl_reseed"] = True


def _link_says() -> dict[str, str]:
    """The settings the address bar's link stands for, spelled the way GradLab writes them.

    Compared by meaning, so a link spelled differently (`lr=0.0200`) or with a rejected value (`lr=abc`, noted
    on the page) is not rewritten on arrival: a rewrite is a new history entry, and Back would then need two
    presses to leave the app. The link is rewritten with the next change of settings.
    """
    parsed = parse_query({k: st.query_params.get_all(k) for k in st.query_params.keys()})  # noqa: SIM118
    return to_query({**DEFAULTS, **parsed.values}, parsed.data)


def _keep(key: str) -> None:
    """Widget callback: copy the widget's new value to the setting; the link's notes have done their job."""
    st.session_state[canon(key)] = st.session_state[key]
    st.session_state["gl_notes"] = []


def _bound(key: str, fresh: bool) -> dict[str, object]:
    """Widget arguments that tie a widget to its setting across reruns and page switches.

    The setting lives in a plain session key; the widget (key = the URL name) writes back through on_change.
    The widget is seeded from the setting only when it is new on this page (`fresh`), has no value, or the
    setting was changed by something else (a link, Reset, a repair). Seeding on every run would overwrite
    a value the learner is still changing: each seed is sent to the browser as a forced value, and fast key
    presses made in the meantime were lost.
    """
    ss = st.session_state
    if fresh or key not in ss or ss[key] != ss[canon(key)]:
        ss[key] = ss[canon(key)]
    return {"key": key, "on_change": _keep, "args": (key,)}


def use_data(state: MutableMapping[str, Any], data: Dataset | None) -> None:
    """Switch every page to `data` (None or the card's own: the card's); the data entry starts afresh."""
    if data is None or data == CARD_DATA:
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
        ss[canon(key)] = value
    ss["gl_notes"] = []
    ss["gl_reseed"] = True
    reset_data(ss)


def _stable_note(lr: float, data: Dataset | None) -> None:
    """The stable limit next to the learning rate (plain Python: the sidebar draws before torch loads)."""
    limit = stable_limit(data.apply(RunConfig()) if data is not None else RunConfig())
    if lr > limit:
        st.caption(
            f":material/warning: Above the stable limit: on this data gradient descent diverges above lr ≈ {limit:.3g}."
        )
    else:
        st.caption(f"Gradient descent on this data is stable below lr ≈ {limit:.3g} (with .grad zeroed each step).")


def sidebar() -> Settings:
    """Draw the shared sidebar and return this rerun's settings."""
    ss = st.session_state
    page_id, history = _run_context()
    _read_link(history)
    # Whatever put a value into session state, only valid settings reach the widgets and the config.
    clean, problems = sanitize({k: ss.get(canon(k), v) for k, v in DEFAULTS.items()})
    for key, value in clean.items():
        ss[canon(key)] = value
    for key, options in EXTRA_STOPS.items():
        if ss[canon(key)] not in options(ss.get(f"gl_{key}_extra")):
            ss[f"gl_{key}_extra"] = ss[canon(key)]
    ss["gl_flash"] = problems  # shown once, under the page title
    fresh = bool(problems) or ss.pop("gl_reseed", False) or ss.get("gl_page") != page_id
    ss["gl_page"] = page_id

    values = {k: ss[canon(k)] for k in KEYS}  # final for this run: widget callbacks ran before the script
    data: Dataset | None = ss.get("gl_data")
    wanted = to_query(values, data)
    if _link_says() != wanted:
        st.query_params.from_dict(wanted)

    with st.sidebar:
        st.markdown("## :material/calculate: GradLab")
        for path, label, icon, _ in PAGES:
            # The link carries the settings, so a page switch is one history entry that already has them.
            st.page_link(path, label=label, icon=icon, query_params=wanted)
        st.markdown("---\n### Settings")
        st.select_slider(
            "Learning rate",
            options=lr_options(ss.get("gl_lr_extra")),
            format_func=format_lr,
            **_bound("lr", fresh),
            help="Step size of each update, w ← w − lr·w.grad. Log-spaced from 0.001 to 1.",
        )
        _stable_note(float(ss[canon("lr")]), data)
        st.select_slider(
            "Epochs",
            options=epoch_options(ss.get("gl_epochs_extra")),
            format_func=lambda v: f"{v:,}",
            **_bound("epochs", fresh),
            help="How many forward → backward → update steps to run (the learning card this lesson grew from shows 5). "
            "Stops from 1 to 10,000; a link can ask for any whole number in between.",
        )
        st.radio(
            "Device",
            options=list(DEVICE_LABELS),
            format_func=DEVICE_LABELS.__getitem__,
            horizontal=True,
            **_bound("device", fresh),
        )
        cpu_note = device_note(ss[canon("device")])
        if cpu_note:
            st.caption(":material/warning: " + cpu_note)
        st.selectbox(
            "Zeroing each step",
            options=list(ZERO_MODES),
            format_func=ZERO_LABELS.__getitem__,
            **_bound("zeroing", fresh),
            help="What happens to .grad after each update: filled with zeros (`zero_()`), set to None "
            "(`set_to_none`), or left alone, so the next `backward()` adds to it: *never* shows accumulation.",
        )
        st.radio(
            "Update rule",
            options=list(UPDATE_RULES),
            format_func=UPDATE_LABELS.__getitem__,
            **_bound("update", fresh),
        )
        st.toggle(
            "Predict first",
            help="Commit to a prediction before Data Flow, Prediction Trace and Grad Lab reveal a result. "
            "Off: results are shown directly.",
            **_bound("predict", fresh),
        )
        st.toggle("Presentation mode", help="Large type for projecting.", **_bound("present", fresh))
        st.button(
            "Reset settings",
            on_click=reset_settings,
            width="stretch",
            help="Back to the defaults and to the data of the learning card this lesson grew from.",
        )

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
    return Settings(
        config=config,
        present=bool(values["present"]),
        predict=bool(values["predict"]),
        device_note=cpu_note,
        own_data=data is not None,
    )
