"""The settings' session state: where each setting lives, and how a button changes some of them."""

from __future__ import annotations

import streamlit as st


def canon(key: str) -> str:
    """The session key that holds a setting; widgets are seeded from it."""
    return f"gl_{key}"


def set_settings(values: dict[str, object]) -> None:
    """Change some settings from a button callback, as if the learner had moved their widgets."""
    ss = st.session_state
    for key, value in values.items():
        ss[canon(key)] = value
    ss["gl_notes"] = []
    ss["gl_reseed"] = True


def settings_now(keys: tuple[str, ...] | list[str]) -> dict[str, object]:
    """The current value of some settings, as `set_settings` takes them."""
    ss = st.session_state
    return {key: ss.get(canon(key)) for key in keys}
