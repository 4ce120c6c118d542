"""Progress that survives a reload and is shared by every tab of a browser: one cookie, merged, never overwritten.

A reload starts a new Streamlit session with empty session state; the cookie brings back the pages visited, the
quiz answers and the predictions. A cookie belongs to the browser, not to a link, so sharing a link never shares
answers. It holds nothing but that progress.

Every tab of the browser has a Streamlit session of its own and writes the same cookie, so a tab must never
write its own progress over what another tab wrote since. The server merges (`gradlab.lesson.progress.merge`,
the one place that knows what may be combined); the browser only compares and writes. Each full run ends with a
small script (a custom component) that gets this session's progress text and `base`, the cookie's text as this
session last saw or wrote it:
- the cookie still holds `base` (or already the new text): it writes the new text;
- it holds something else (another tab wrote since): it writes nothing and sends that text back. The callback
  merges it into this session, and the rerun it starts writes the merge.
So a first try made in one tab is never erased by another, and a tab still open takes in the other tabs' work at
its next run. A browser that keeps no cookie (cookies off, or the write did not stick) is reported the same
way, and every page then says that progress will not survive a reload.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gradlab.lesson.progress import Progress, decode, encode, merge
from ui.guide import PATH, VISITED
from ui.predictions import records
from ui.quiz_panel import GENERATION, book

COOKIE = "gradlab_progress"
MAX_AGE_S = 30 * 24 * 60 * 60
KEEPER = "gl-memory"  # the component's key in a full run (also its container's CSS hook: hidden, base.css)
PANEL_KEEPER = "gl-memory-panel"  # its key in a fragment's run (a lab panel's click), which may add predictions
# Session keys, owned here.
READ = "gl_memory_read"  # the cookie was read back (once per session)
BASE = "gl_memory_base"  # the cookie's text as this session last saw or wrote it (None: no cookie)
REFUSED = "gl_memory_refused"  # why this browser keeps no cookie, once it said so (None: it keeps them)

# No "<" in the script (it would read as a tag if this ever went through HTML) and no user text: data only.
_JS = """
export default function ({ data, setTriggerValue }) {
  const { name, text, base, maxAge, refused } = data;
  if (refused) return;
  if (!navigator.cookieEnabled) { setTriggerValue('refused', 'disabled'); return; }
  const read = () => {
    const hit = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
    return hit === undefined ? null : hit.slice(name.length + 1);
  };
  const now = read();
  if (now !== base && now !== text) { setTriggerValue('seen', now === null ? '' : now); return; }
  if (now === text) return;
  document.cookie = name + '=' + text + '; path=/; max-age=' + maxAge + '; SameSite=Lax';
  if (read() !== text) setTriggerValue('refused', 'refused');
}
"""
_keeper = st.components.v2.component("gradlab_progress_keeper", js=_JS)
REFUSED_NOTE = (
    "This browser does not keep cookies for GradLab, so your progress (pages visited, predictions, quiz "
    "answers) lasts only until you reload or close this tab, and other tabs do not see it. Allow cookies for "
    "this site to keep it."
)

P = ParamSpec("P")


def _session_progress() -> Progress:
    ss = st.session_state
    return Progress(
        pages=set(ss.get(VISITED, set())),
        quiz=dict(book()),
        predictions=dict(records()),
        quiz_resets=int(ss.get(GENERATION, 0)),
    )


def _absorb(text: str | None) -> None:
    """Merge the progress in a cookie's `text` into this session (the cookie's first tries stay first)."""
    ss = st.session_state
    ss[BASE] = text or None
    kept = decode(text, [s.label for s in PATH])
    merged = merge(kept, _session_progress())
    ss.setdefault(VISITED, set()).update(merged.pages)
    answers = book()
    answers.clear()
    answers.update(merged.quiz)
    if merged.quiz_resets != ss.get(GENERATION, 0):  # another tab reset the quiz: its radios start empty here too
        ss[GENERATION] = merged.quiz_resets
    made = records()
    made.clear()
    made.update(merged.predictions)


def restore() -> None:
    """Once per session: bring back what this browser kept, merged with anything done in this session."""
    ss = st.session_state
    if ss.get(READ):
        return
    ss[READ] = True
    try:
        text = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this session (a test harness): nothing to restore
        return
    _absorb(text)


def _seen(key: str) -> None:
    """The browser's cookie changed since this session last saw it (another tab wrote): take its work in."""
    _absorb(st.session_state[key].get("seen"))


def _refused(key: str) -> None:
    st.session_state[REFUSED] = st.session_state[key].get("refused") or "refused"


def save() -> None:
    """End of a full run: write this session's progress to the cookie, merged with what other tabs wrote.

    The keeper is drawn on every full run (it shows nothing), so the session also takes in other tabs' work.
    """
    _keep(KEEPER)


def _fragment_run() -> bool:
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def _keep(key: str) -> None:
    ss = st.session_state
    text = encode(_session_progress())
    data = {"name": COOKIE, "text": text, "base": ss.get(BASE), "maxAge": MAX_AGE_S, "refused": bool(ss.get(REFUSED))}
    script = f"{key}-script"
    with st.container(key=key):
        _keeper(
            key=script,
            data=data,
            on_seen_change=lambda: _seen(script),
            on_refused_change=lambda: _refused(script),
        )
    ss[BASE] = text


def saving(panel: Callable[P, Any]) -> Callable[P, None]:
    """`panel`, kept: for a fragment (a lab panel), whose clicks rerun it without the rest of the page.

    In such a run (and only then, since a full run ends with `save()`), a click that added a prediction writes it.
    """

    @wraps(panel)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        panel(*args, **kwargs)
        if _fragment_run() and encode(_session_progress()) != st.session_state.get(BASE):
            _keep(PANEL_KEEPER)

    return run


def refused_note() -> None:
    """Say so when this browser keeps no cookie (known after the first run's script reported it)."""
    if st.session_state.get(REFUSED):
        st.warning(REFUSED_NOTE, icon=":material/cookie_off:")
