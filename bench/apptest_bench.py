"""`streamlit.testing.v1.AppTest` rerun time of every page, warm and right after a settings change."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.logger
from streamlit.testing.v1 import AppTest

from bench.common import GRADLAB_SCRIPT, REPO, Row, bare_app_dir, compared, log, median

TIMEOUT_S = 60
QUIET = ("streamlit.runtime.caching.cache_data_api", "streamlit.runtime.scriptrunner_utils.script_run_context")


def pages() -> list[str]:
    """The home page and every file in pages/, as paths relative to the repository root."""
    return [GRADLAB_SCRIPT, *sorted(str(p.relative_to(REPO)) for p in (REPO / "pages").glob("*.py"))]


def _timed_run(at: AppTest) -> float:
    t0 = time.perf_counter()
    at.run()
    took = time.perf_counter() - t0
    if at.exception:
        log(f"apptest: exception: {at.exception[0].value[:200]}")
    return took


def _slider(at: AppTest, key: str) -> Any:
    """The slider or select slider (GradLab's Epochs) with this key."""
    return at.select_slider(key=key) if any(w.key == key for w in at.select_slider) else at.slider(key=key)


def _measure(at: AppTest, key: str, values: tuple[int, int], warm: int, cold: int) -> tuple[list[float], list[float]]:
    """(warm rerun times, cold rerun times). The first run is untimed. Each cold run clears st.cache_data and
    moves the slider `key` to the other of `values` the way a user does (`set_value`, so on_change callbacks
    run), so every cached result misses."""
    at.run()
    warm_times = [_timed_run(at) for _ in range(warm)]
    cold_times = []
    for j in range(cold):
        st.cache_data.clear()
        value = values[j % 2]
        _slider(at, key).set_value(value)
        cold_times.append(_timed_run(at))
        shown = _slider(at, key).value
        if shown != value:
            log(f"apptest: the {key!r} slider shows {shown} after set_value({value}): not a settings change")
    return warm_times, cold_times


def apptest(ctx: dict[str, float], quick: bool) -> list[Row]:
    """Every GradLab page against the bare one-slider app, same AppTest method and the same slider move."""
    warm, cold = (2, 1) if quick else (7, 3)
    # Clearing the cache from this (non-script) thread logs bare-mode warnings that say nothing here. A filter,
    # not a level: Streamlit resets its loggers' levels when AppTest loads the config.
    noisy = [streamlit.logger.get_logger(name) for name in QUIET]
    for lg in noisy:
        lg.addFilter(_drop_warnings)
    try:
        return _apptest(warm, cold)
    finally:
        for lg in noisy:
            lg.removeFilter(_drop_warnings)


def _drop_warnings(record: logging.LogRecord) -> bool:
    return record.levelno > logging.WARNING


def _bare(warm: int, cold: int) -> tuple[list[float], list[float]]:
    with bare_app_dir() as d:
        return _measure(AppTest.from_file(str(d / "app.py"), default_timeout=TIMEOUT_S), "v", (50, 100), warm, cold)


def _apptest(warm: int, cold: int) -> list[Row]:
    measured = []
    bare_warm, bare_cold = _bare(warm, cold)  # the baseline before and after the pages: drift hits both alike
    for rel in pages():
        at = AppTest.from_file(str(REPO / GRADLAB_SCRIPT), default_timeout=TIMEOUT_S)
        if rel != GRADLAB_SCRIPT:
            at.switch_page(rel)
        gl_warm, gl_cold = (median(x) for x in _measure(at, "epochs", (50, 100), warm, cold))
        log(f"apptest {Path(rel).stem}: warm {gl_warm * 1000:.1f} ms, cold {gl_cold * 1000:.1f} ms")
        measured.append((Path(rel).stem, gl_warm, gl_cold))
    more_warm, more_cold = _bare(warm, cold)
    st.cache_data.clear()
    b_warm, b_cold = median(bare_warm + more_warm), median(bare_cold + more_cold)
    log(f"apptest bare app: warm {b_warm * 1000:.1f} ms, cold {b_cold * 1000:.1f} ms")
    rows = []
    for i, (name, gl_warm, gl_cold) in enumerate(measured, start=1):
        rows.append(compared(f"2.{i}w", f"apptest: `{name}` warm rerun (median of {warm})", gl_warm, b_warm, ms1))
        slider = f"apptest: `{name}` after an Epochs slider move, cache miss (median of {cold})"
        rows.append(compared(f"2.{i}c", slider, gl_cold, b_cold, ms1))
    return rows


def ms1(seconds: float) -> str:
    """Milliseconds with one decimal: AppTest reruns of small pages take a few ms."""
    return f"{seconds * 1000:.1f} ms"
