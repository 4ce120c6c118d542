"""The settings' session state, owned here: every key it uses, and one function per job.

A setting lives in one session key (`SETTING[name]`). Its sidebar widget has the setting's URL name as its key
and writes back through `on_change`; the URL is rewritten from the settings. The jobs, in the order a run
does them (`ui.sidebar.sidebar`):

1. `read_link`: take the settings and data from the link, once per session and again on Back or Forward;
2. `repair`: replace invalid values (whatever put them there) and say so once;
3. `reseed`: decide whether the widgets take their settings again on this run;
4. `keep_url_in_step`: rewrite the link when it stands for other settings;
5. `bind`: the widget arguments that seed a widget from its setting;
6. `run_config`: build the RunConfig, or fall back to the last good one with a message.

Drawing the widgets is `ui.sidebar`'s job. Other modules change settings only through `set_settings`,
`use_data`, `reset_data` and `reset_settings`, and read them through the functions below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any, TypedDict

import streamlit as st

from gradlab.settings.config import RunConfig
from gradlab.settings.links import DEFAULTS, epoch_options, lr_options, parse_query, sanitize, to_query, travels
from gradlab.settings.userdata import CARD_DATA, Dataset

# --- session keys, all owned here --------------------------------------------------------------------------
# Each setting's value. Its widget's key is the setting's URL name ("lr"), so a widget is found by that name.
SETTING: dict[str, str] = {
    "model": "gl_model",
    "lr": "gl_lr",
    "epochs": "gl_epochs",
    "device": "gl_device",
    "zeroing": "gl_zeroing",
    "update": "gl_update",
    "present": "gl_present",
    "predict": "gl_predict",
}
# A value from a link that lies between a slider's stops gets a stop of its own, kept here.
EXTRA_STOP: dict[str, str] = {"lr": "gl_lr_extra", "epochs": "gl_epochs_extra"}
DATA = "gl_data"  # the learner's Dataset; absent: the card's
DATA_SET = "gl_data_set"  # how many times the data was set: the data tab restarts its entry when this changes
LINK_READ = "gl_url_read"  # the link was read into the settings (once per session; again on Back/Forward)
RESEED = "gl_reseed"  # the settings were changed by something other than their widgets: seed the widgets again
PAGE = "gl_page"  # the page of the last run: a page switch seeds the widgets again
NOTES = "gl_notes"  # the link's notes on values it could not use, shown until the next change of settings
REPAIRS = "gl_flash"  # notes on invalid values repaired on this run, shown once
LAST_GOOD = "gl_last_good"  # the last RunConfig that could be built

_OPTIONS: dict[str, Callable[[Any], list[Any]]] = {"lr": lr_options, "epochs": epoch_options}


class Binding(TypedDict):
    """Widget arguments that tie a sidebar widget to its setting (see `bind`)."""

    key: str
    on_change: Callable[[str], None]
    args: tuple[str]


def _query() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}  # noqa: SIM118


# --- 1. the link -------------------------------------------------------------------------------------------
def read_link(history: bool) -> None:
    """Take the settings and data from the link: once per session, and again when Back or Forward restores one.

    On Back the browser shows an older link and Streamlit reruns with it; reading it restores the settings
    that link was made with, so Back undoes a change instead of being rewritten to the current settings.
    """
    ss = st.session_state
    if ss.get(LINK_READ) and not history:
        return
    parsed = parse_query(_query())
    for name, default in DEFAULTS.items():
        ss[SETTING[name]] = parsed.values.get(name, default)
    for name, key in EXTRA_STOP.items():
        ss[key] = parsed.values.get(name)
    current = own_data()
    # Data too big for a link is never in one, so an older link without data leaves it alone.
    if parsed.data != current and (parsed.data is not None or (current is not None and travels(current))):
        use_data(ss, parsed.data)
    ss[NOTES] = parsed.notes
    ss[LINK_READ] = True
    ss[RESEED] = True


# --- 2. repair ---------------------------------------------------------------------------------------------
def repair() -> list[str]:
    """Replace every invalid setting by its default; return (and keep, to be shown once) a note for each.

    Whatever put a value into session state, only valid settings reach the widgets and the config. A valid
    value off a slider's stops gets a stop of its own.
    """
    ss = st.session_state
    clean, problems = sanitize({name: ss.get(key, DEFAULTS[name]) for name, key in SETTING.items()})
    for name, value in clean.items():
        ss[SETTING[name]] = value
    for name, key in EXTRA_STOP.items():
        if ss[SETTING[name]] not in _OPTIONS[name](ss.get(key)):
            ss[key] = ss[SETTING[name]]
    ss[REPAIRS] = problems
    return problems


def take_repairs() -> list[str]:
    """This run's notes on repaired values; taken, so each is shown once."""
    return list(st.session_state.pop(REPAIRS, []))


def link_notes() -> list[str]:
    """The link's notes on values it could not use (kept until the settings change)."""
    return list(st.session_state.get(NOTES, []))


# --- 3. re-seeding -----------------------------------------------------------------------------------------
def reseed(page_id: str, repaired: bool) -> bool:
    """Whether the widgets take their settings again on this run: after a repair, a change from elsewhere
    (a link, Reset, a button), or on another page than the last run's."""
    ss = st.session_state
    fresh = repaired or bool(ss.pop(RESEED, False)) or ss.get(PAGE) != page_id
    ss[PAGE] = page_id
    return fresh


# --- the settings as they stand ----------------------------------------------------------------------------
def values() -> dict[str, object]:
    """Every setting's value, by URL name (final for this run: widget callbacks ran before the script)."""
    ss = st.session_state
    return {name: ss.get(key, DEFAULTS[name]) for name, key in SETTING.items()}


def own_data() -> Dataset | None:
    """The learner's data, or None for the card's."""
    current: Dataset | None = st.session_state.get(DATA)
    return current


def data_set_count() -> int:
    """How many times the data was set in this session (by a link, the data tab, or a reset)."""
    return int(st.session_state.get(DATA_SET, 0))


def options(name: str) -> list[Any]:
    """A slider's stops, with the extra stop a value from a link may have."""
    return _OPTIONS[name](st.session_state.get(EXTRA_STOP[name]))


def settings_now(names: Sequence[str]) -> dict[str, object]:
    """The current value of some settings, as `set_settings` takes them."""
    ss = st.session_state
    return {name: ss.get(SETTING[name]) for name in names}


# --- 4. the URL --------------------------------------------------------------------------------------------
def _link_says() -> dict[str, str]:
    """The settings the address bar's link stands for, spelled the way GradLab writes them.

    Compared by meaning, so a link spelled differently (`lr=0.0200`) or with a rejected value (`lr=abc`, noted
    on the page) is not rewritten on arrival: a rewrite is a new history entry, and Back would then need two
    presses to leave the app. The link is rewritten with the next change of settings.
    """
    parsed = parse_query(_query())
    return to_query({**DEFAULTS, **parsed.values}, parsed.data)


def keep_url_in_step(now: Mapping[str, object], own: Dataset | None) -> dict[str, str]:
    """Rewrite the link when it stands for other settings; return the query these settings make."""
    wanted = to_query(now, own)
    if _link_says() != wanted:
        st.query_params.from_dict(wanted)
    return wanted


# --- 5. the widgets ----------------------------------------------------------------------------------------
def _keep(name: str) -> None:
    """Widget callback: copy the widget's new value to the setting; the link's notes have done their job."""
    st.session_state[SETTING[name]] = st.session_state[name]
    st.session_state[NOTES] = []


def bind(name: str, fresh: bool) -> Binding:
    """Widget arguments that tie the widget of setting `name` to it across reruns and page switches.

    The widget is seeded from the setting only when it is new on this page (`fresh`), has no value, or the
    setting was changed by something else (a link, Reset, a repair). Seeding on every run would overwrite
    a value the learner is still changing: each seed is sent to the browser as a forced value, and fast key
    presses made in the meantime were lost.
    """
    ss = st.session_state
    if fresh or name not in ss or ss[name] != ss[SETTING[name]]:
        ss[name] = ss[SETTING[name]]
    return {"key": name, "on_change": _keep, "args": (name,)}


# --- 6. the RunConfig --------------------------------------------------------------------------------------
def run_config(now: Mapping[str, object], own: Dataset | None) -> RunConfig:
    """The RunConfig these settings make; if they can't make one, the last good one, with a message."""
    try:
        config = RunConfig(
            lr=float(now["lr"]),  # type: ignore[arg-type]
            epochs=int(now["epochs"]),  # type: ignore[call-overload]
            device=str(now["device"]),
            zeroing=now["zeroing"],  # type: ignore[arg-type]
            update=now["update"],  # type: ignore[arg-type]
            model=now.get("model", DEFAULTS["model"]),  # type: ignore[arg-type]
        )
        if own is not None:
            config = own.apply(config)
    except (ValueError, TypeError) as err:
        st.error(f"These settings can't be used ({err}). Showing the last good settings instead.")
        last: RunConfig = st.session_state.get(LAST_GOOD, RunConfig())
        return last
    st.session_state[LAST_GOOD] = config
    return config


# --- changes from elsewhere --------------------------------------------------------------------------------
def set_settings(changes: Mapping[str, object]) -> None:
    """Change some settings from a button callback, as if the learner had moved their widgets."""
    ss = st.session_state
    for name, value in changes.items():
        ss[SETTING[name]] = value
    ss[NOTES] = []
    ss[RESEED] = True


def use_data(state: MutableMapping[Any, Any], new: Dataset | None) -> None:
    """Switch every page to `new` (None or the card's own: the card's); the data tab's entry starts afresh."""
    if new is None or new == CARD_DATA:
        state.pop(DATA, None)
    else:
        state[DATA] = new
    state[DATA_SET] = int(state.get(DATA_SET, 0)) + 1


def reset_data(state: MutableMapping[Any, Any]) -> None:
    """Back to the card's data."""
    use_data(state, None)


def reset_settings() -> None:
    """Back to the card's defaults and data (a button callback)."""
    set_settings(DEFAULTS)
    reset_data(st.session_state)
