"""Results cached per RunConfig and shared by every session. Only immutable results: never a live model or tensor.

The computing modules (and with them torch, pandas and altair) are imported on the first computation, not
when a page imports this module: on a cold server the sidebar and page text reach the browser first.

Each cache is bounded by its pickled size as well as by entries (Streamlit's `max_size`), and
`server.maxCacheDataSize` in .streamlit/config.toml bounds them all together: CACHE_BUDGET_MB fits a
Community Cloud app's smallest memory (690 MB) beside the ~370 MB a loaded server takes.
tests/test_cache_budget.py checks the sizes against a sweep of large runs.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import streamlit as st

from ui.perf import freeze_loaded_libraries

if TYPE_CHECKING:
    import pandas as pd

    from gradlab.lesson.card import CardRow
    from gradlab.lesson.quiz import Question
    from gradlab.runs.stages import StageRun
    from gradlab.runs.trace import Trace
    from gradlab.settings.config import RunConfig

PROGRESS_FROM_EPOCHS = 2000  # bigger runs show a progress bar, and take turns (LONG_RUNS_AT_ONCE)
CACHE_BUDGET_MB = 128  # all caches together; also server.maxCacheDataSize
TTL = 2 * 3600.0  # s, a lesson. A number: Streamlit parses a text ttl such as "2h" on every call (~4 ms)
# Streamlit hashes a dataclass argument field by field: 1.3 ms for the card's RunConfig, 15 ms with 200 rows of
# data, on every cached call. Its repr names every field and value exactly (floats repr round-trip): 0.1–1.5 ms.
_KEY = {"hash_funcs": {"gradlab.settings.config.RunConfig": repr}}
# Long runs take turns: a class asking for different 10,000-epoch runs at once would otherwise share the
# CPU among all of them, and every short rerun on the server would wait behind them. One long run at a
# time keeps the interpreter free for everyone else's reruns in between.
LONG_RUNS_AT_ONCE = 1
_long_runs = threading.BoundedSemaphore(LONG_RUNS_AT_ONCE)


# 10,000 epochs on 200 rows pickle to ~0.8 MB (gradlab.runs.trace keeps no per-epoch predictions that large).
@st.cache_data(max_entries=64, max_size="56MB", ttl=TTL, show_spinner=False, **_KEY)
def _train(config: RunConfig) -> Trace:
    from gradlab.runs.train import train

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    if config.epochs < PROGRESS_FROM_EPOCHS:
        return train(config)
    # The bar is created inside the cached function, so a cache hit replays it as already finished.
    bar = st.progress(0.0, text=f"Training {config.epochs:,} epochs…")
    while not _long_runs.acquire(timeout=0.5):
        # Drawing the bar again lets Streamlit stop this wait when the learner changes a setting.
        bar.progress(0.0, text="Waiting for another learner's long run to finish (one long run at a time)…")
    try:
        last = [-1]

        def on_epoch(epoch: int, total: int) -> None:
            pct = epoch * 20 // total  # 5% steps: at most 20 updates
            if pct != last[0]:
                last[0] = pct
                bar.progress(pct / 20, text=f"Training: epoch {epoch:,} of {total:,}")

        trace = train(config, on_epoch)
    finally:
        _long_runs.release()
    bar.empty()
    return trace


def get_trace(config: RunConfig) -> Trace:
    """The trace for this config (cached per config); long runs show a progress bar."""
    return _train(config)


@st.cache_data(max_entries=64, max_size="8MB", ttl=TTL, show_spinner=False, **_KEY)
def get_stages(config: RunConfig) -> StageRun:
    """The five data-flow stages for this config."""
    from gradlab.runs.stages import run_stages

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    return run_stages(config)


@st.cache_data(max_entries=64, max_size="4MB", ttl=TTL, show_spinner=False, **_KEY)
def get_quiz(config: RunConfig) -> tuple[Question, ...]:
    """The quiz, with live questions for this config."""
    from gradlab.lesson.quiz import build_quiz

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    return build_quiz(config)


@st.cache_data(max_entries=64, max_size="1MB", ttl=TTL, show_spinner=False, **_KEY)
def get_slope_example(config: RunConfig) -> str | None:
    """The home page's slope example for this data."""
    from gradlab.lesson.sentences import slope_example

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    return slope_example(config)


@st.cache_data(max_entries=16, max_size="1MB", ttl=TTL, show_spinner=False, **_KEY)
def get_card_comparison(config: RunConfig) -> list[CardRow] | None:
    """Card vs PyTorch for the card's setup."""
    from gradlab.lesson.card import compare_with_card

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    return compare_with_card(config)


@st.cache_data(max_entries=256, max_size="40MB", ttl=TTL, show_spinner=False, **_KEY)  # a spec is 30–130 KB
def chart_spec(
    config: RunConfig, kind: str, *, log: bool = False, big: bool = False, epoch: int = 0, _trace: Trace
) -> dict[str, Any]:
    """A chart's Vega-Lite spec per (config, options); `_trace` is the config's own trace.

    Altair loads on first use, so a page without charts (the home page) starts without it.
    """
    from gradlab.probes.landscape import landscape_view
    from gradlab.views.charts import grads_spec, landscape_spec, loss_spec, loss_upto_spec, params_spec

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    if kind == "loss":
        return loss_spec(_trace, log=log, big=big, highlight=epoch or None)
    if kind == "params":
        return params_spec(_trace, big=big)
    if kind == "grads":
        return grads_spec(_trace, big=big)
    if kind == "landscape":
        return landscape_spec(landscape_view(_trace, epoch), big=big)
    if kind == "loss_upto":  # step-through: only the epochs run so far
        return loss_upto_spec(_trace, epoch, big=big)
    if kind == "step":  # step-through: the path so far and the update −lr·.grad itself
        return landscape_spec(landscape_view(_trace, epoch, true_step=True), big=big)
    raise ValueError(f"kind: {kind!r} is not a chart GradLab draws")


@st.cache_data(max_entries=64, max_size="8MB", ttl=TTL, show_spinner=False, **_KEY)  # 500 rows: ~100 KB
def trace_table(config: RunConfig, max_rows: int, *, compact: bool = False, _trace: Trace) -> tuple[pd.DataFrame, bool]:
    """The epoch-by-epoch table (ui.render.trace_frame) per (config, rows); `_trace` is the config's own trace.

    Building it writes an observation for every epoch: 48 ms for 10,000 epochs, on every rerun uncached.
    """
    from ui.render import trace_frame

    return trace_frame(_trace, max_rows=max_rows, compact=compact)


def show_chart(config: RunConfig, trace: Trace, kind: str, **options: Any) -> None:
    """Draw a chart at the container's width."""
    spec = chart_spec(config, kind, _trace=trace, **options)
    st.vega_lite_chart(spec, width="stretch", theme=None)  # the spec carries its own theme and accessible name
