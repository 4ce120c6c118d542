"""A browser's side of Streamlit's WebSocket protocol, without a browser: one simulated student.

It speaks what Streamlit 1.67's frontend speaks on `/_stcore/stream`: `BackMsg.rerun_script` with a
`ClientState` (query string, page, widget states, fragment, cached message hashes) up, `ForwardMsg`s down.
Widget ids are read from the elements the server sends, as the frontend does; `auto_rerun` timers (a
fragment's `run_every`, GradLab's Play) are kept per fragment, cleared on every full run and page switch.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
WIDGET_KINDS = ("slider", "radio", "selectbox", "checkbox", "button", "number_input")
RERUN_TIMEOUT_S = 60.0
CACHE_ENTRIES = 200  # the frontend's message cache, kept small


class RerunFailed(Exception):
    """A rerun that did not finish in time, or a connection that closed under it."""


@dataclass(frozen=True)
class Widget:
    """What a student can operate: its kind, its id, the fragment it was drawn in, its option labels."""

    kind: str
    id: str
    fragment: str
    options: tuple[str, ...] = ()
    disabled: bool = False
    form: str = ""  # the st.form it sits in ("" if none): its value travels with the form's submit button
    label: str = ""


class Student:
    """One WebSocket session on a Streamlit server; each action returns seconds from sending to the run's end."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._ws_url = f"ws://{parts.netloc}/_stcore/stream"
        self._ws: websockets.ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._done: asyncio.Future[None] | None = None
        self._cache: OrderedDict[str, ForwardMsg] = OrderedDict()
        self._values: dict[str, WidgetState] = {}  # what this "browser" holds and sends with every rerun
        self._seen: set[str] = set()  # widget ids drawn in the current full run
        self.widgets: dict[str, Widget] = {}  # by label, from the latest run
        self.every: list[Widget] = []  # every widget of the latest run, in order (labels may repeat)
        self.metrics: dict[str, str] = {}  # st.metric label → value, as last drawn
        self.texts: list[str] = []  # Markdown bodies drawn since the last full run
        self.charts: list[str] = []  # Vega-Lite specs (JSON) drawn since the last full run
        self.tabs: list[str] = []  # tab bar ids (a tab bar is a widget whose value is the open tab's label)
        self.editors: list[str] = []  # st.data_editor ids
        self.links: dict[str, str] = {}  # page link label → page script hash
        self.timers: dict[str, float] = {}  # fragment id → auto-rerun interval (s)
        self.page_hash = ""
        self.query = ""
        self.exceptions: list[str] = []
        self.largest = 0  # bytes: the largest message the server sent (server.maxMessageSize must allow it)

    async def connect(self) -> None:
        self._ws = await websockets.connect(
            self._ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=30, compression=None
        )
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    # --- actions ---------------------------------------------------------------------------------------

    async def open(self, path_query: str) -> float:
        """The first run, as from a shared link such as `/Training_Trace?lr=0.05`."""
        path, _, query = path_query.partition("?")
        self.query = query
        return await self._rerun(page_name=path.strip("/"))

    async def goto(self, link_label: str) -> float:
        """Click a page link: a full run of another page (timers cleared, as the frontend does)."""
        self.timers.clear()
        self.page_hash = self.links[link_label]
        self.query = ""
        return await self._rerun()

    async def set(self, label: str, value: object) -> float:
        """Give the widget labelled `label` a new value; its on_change runs as in a browser."""
        w = self.widgets[label]
        self._values[w.id] = _state(w, value)
        return await self._rerun(fragment=w.fragment)

    async def click(self, label: str | Widget) -> float:
        """Press the button labelled `label` (or that widget; a trigger: sent once)."""
        w = label if isinstance(label, Widget) else self.widgets[label]
        return await self._rerun(fragment=w.fragment, trigger=w.id)

    def fill(self, label: str | Widget, value: object) -> None:
        """Give a widget in a form a new value without a rerun: it travels with the form's submit button."""
        w = label if isinstance(label, Widget) else self.widgets[label]
        self._values[w.id] = _state(w, value)

    def submit_of(self, w: Widget) -> Widget | None:
        """The submit button of the form `w` sits in."""
        return next((b for b in self.every if b.kind == "button" and b.form and b.form == w.form), None)

    async def open_tab(self, label: str) -> float:
        """Open a tab of the page's first keyed tab bar."""
        ws = WidgetState(id=self.tabs[0], string_value=label)
        self._values[ws.id] = ws
        return await self._rerun()

    async def tick(self, fragment: str) -> float:
        """One auto rerun of a fragment's timer (what the frontend's setInterval sends)."""
        return await self._rerun(fragment=fragment, auto=True)

    # --- protocol --------------------------------------------------------------------------------------

    async def _rerun(self, *, page_name: str = "", fragment: str = "", auto: bool = False, trigger: str = "") -> float:
        if self._ws is None:
            raise RerunFailed("not connected")
        state = ClientState(
            query_string=self.query,
            page_script_hash=self.page_hash,
            page_name=page_name,
            fragment_id=fragment,
            is_auto_rerun=auto,
            cached_message_hashes=list(self._cache),
        )
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.widget_states.widgets.extend(self._values.values())
        if trigger:
            state.widget_states.widgets.append(WidgetState(id=trigger, trigger_value=True))
        if not fragment:
            self._seen = set()
        self._done = asyncio.get_running_loop().create_future()
        t0 = time.perf_counter()
        await self._ws.send(BackMsg(rerun_script=state).SerializeToString())
        try:
            await asyncio.wait_for(asyncio.shield(self._done), RERUN_TIMEOUT_S)
        except TimeoutError as err:
            raise RerunFailed(f"no script_finished within {RERUN_TIMEOUT_S:.0f} s") from err
        return time.perf_counter() - t0

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                self.largest = max(self.largest, len(raw))
                msg = ForwardMsg()
                msg.ParseFromString(raw)  # type: ignore[arg-type]
                self._handle(msg)
        except websockets.ConnectionClosed as err:
            self._fail(RerunFailed(f"connection closed: {err}"))
        except Exception as err:  # a bug here must fail the waiting action, not hang it
            self._fail(err)

    def _fail(self, err: BaseException) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_exception(err)

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":  # the server trusts our cache: draw the cached message
            cached = self._cache.get(msg.ref_hash)
            if cached is not None:
                self._handle_delta(cached)
            return
        if msg.metadata.cacheable:
            self._cache[msg.hash] = msg
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        if kind == "navigation":  # the page this run is showing (new_session names the entrypoint)
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "new_session":
            if not msg.metadata.run.fragment_ids:  # a full run: the frontend drops every timer and widget map
                self.timers.clear()
                self.widgets, self.tabs, self.editors, self.every = {}, [], [], []
                self.metrics, self.texts, self.charts = {}, [], []
        elif kind == "delta":
            self._handle_delta(msg)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.timers[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.timers.pop(fid, None)
        elif kind == "script_finished" and msg.script_finished != EARLY_FOR_RERUN:
            if not msg.metadata.run.fragment_ids:  # forget widgets this run no longer drew
                self._values = {k: v for k, v in self._values.items() if k in self._seen}
            if self._done is not None and not self._done.done():
                self._done.set_result(None)

    def _handle_delta(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") == "add_block" and delta.add_block.WhichOneof("type") == "tab_container":
            self.tabs.append(delta.add_block.id)
            self._seen.add(delta.add_block.id)
            return
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "dataframe" and el.dataframe.id:  # st.data_editor
            self.editors.append(el.dataframe.id)
            self._seen.add(el.dataframe.id)
        elif kind == "page_link":
            self.links[el.page_link.label] = el.page_link.page_script_hash
        elif kind == "exception":
            self.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:300])
        elif kind == "metric":
            self.metrics[el.metric.label] = el.metric.body
        elif kind == "markdown":
            self.texts.append(el.markdown.body)
        elif kind == "vega_lite_chart":
            self.charts.append(el.vega_lite_chart.spec)
        elif kind in WIDGET_KINDS:
            proto = getattr(el, kind)
            options = tuple(getattr(proto, "options", ()))
            form = getattr(proto, "form_id", "")
            w = Widget(kind, proto.id, delta.fragment_id, options, proto.disabled, form, proto.label)
            self.widgets[proto.label] = w
            self.every.append(w)
            self._seen.add(proto.id)


def _state(w: Widget, value: object) -> WidgetState:
    """The WidgetState a browser sends for `value` (Streamlit 1.67's value types per widget)."""
    ws = WidgetState(id=w.id)
    if w.kind == "slider" and w.options:  # select_slider: one of the option labels, exactly as shown
        if str(value) not in w.options:  # the browser can only pick a shown stop; never send anything else
            raise ValueError(f"{value!r} is not a stop of this slider; its stops are {w.options}")
        ws.string_array_value.data.append(str(value))
    elif w.kind == "slider":
        ws.double_array_value.data.append(float(value))  # type: ignore[arg-type]
    elif w.kind in ("radio", "selectbox"):
        ws.string_value = str(value)
    elif w.kind == "checkbox":
        ws.bool_value = bool(value)
    elif w.kind == "number_input":
        ws.double_value = float(value)  # type: ignore[arg-type]
    else:
        raise ValueError(f"{w.kind} takes no value (click it)")
    return ws
