"""What the teacher's and the students' pages share: the store, the join link, and store errors as sentences."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gradlab.rooms.errors import RoomError, StoreUnavailable
from gradlab.rooms.store import RoomStore
from ui import cache

JOIN_PAGE = "Join"  # pages/9_Join.py
UNAVAILABLE = "Class votes are unavailable right now: the shared vote store does not answer."
LOOPBACK = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def store() -> RoomStore:
    """The server's store; StoreUnavailable (with the reason) when GRADLAB_REDIS_URL cannot be used."""
    try:
        return cache.room_store()
    except ValueError as err:  # a malformed GRADLAB_REDIS_URL: the message names it and never the password
        raise StoreUnavailable(f"Class votes are unavailable: {err}.") from None


def message(err: RoomError) -> str:
    """A store error as the page says it (every RoomError's text is a plain sentence)."""
    return UNAVAILABLE if type(err) is StoreUnavailable and not str(err) else str(err)


def app_base() -> str:
    """The app's address as this browser sees it (through a proxy: the proxy's), ending in "/"; "" if unknown."""
    url = st.context.url
    if not url:
        return ""
    url = url.rstrip("/")
    ctx = get_script_run_ctx()
    if ctx is not None:  # st.context.url ends in the current page's path: the join page sits beside it
        info = ctx.pages_manager.get_pages().get(ctx.page_script_hash)
        page = str(info.get("url_pathname", "")) if info else ""
        if page and url.endswith("/" + page):
            url = url[: -len(page) - 1]
    return url + "/"


def join_url(code: str) -> str:
    """The link a student opens: the join page with the room code (and nothing else: never a token)."""
    return f"{app_base()}{JOIN_PAGE}?{urlencode({'room': code})}"


def join_page_url() -> str:
    """The join page without a code, to type in by hand (it asks for the code)."""
    return f"{app_base()}{JOIN_PAGE}"


def loopback() -> bool:
    """Whether this browser reached the app at a loopback address, which no phone can open."""
    host = urlsplit(app_base()).hostname
    return host in LOOPBACK
