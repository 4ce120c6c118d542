"""The shared result caches: within a stated memory budget however many large runs a class asks for, and long
runs take turns so that they cannot starve everyone else's reruns."""

from __future__ import annotations

import random
import threading
import tomllib

import pytest
from streamlit.runtime.caching import cache_data_api

from gradlab.runs.trace import PREDICTIONS_KEPT
from gradlab.settings.config import RunConfig
from tests.apptest import ROOT
from ui import cache

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

MB = 1024 * 1024
CACHED = (
    cache._train,
    cache.get_stages,
    cache._quiz,
    cache.chart_spec,
    cache.trace_table,
    cache.get_walk,
    cache.get_nudge,
    cache.get_pitfalls,
    cache.get_stale_graph,
    # the network on Home, Data Flow and Prediction Trace (issue 21)
    cache.get_net_stages,
    cache.get_non_leaf,
    cache.get_net_graph,
    cache.get_net_sample,
    cache._net_quiz,
)


def cached_bytes() -> dict[str, int]:
    """Pickled bytes held per cached function, as Streamlit counts them."""
    out: dict[str, int] = {}
    for stats in cache_data_api._data_caches.get_stats().values():
        for stat in stats:
            out[stat.cache_name] = out.get(stat.cache_name, 0) + stat.byte_length
    return out


def own_data(rows: int, seed: int) -> dict[str, tuple]:
    rng = random.Random(seed)
    return {"X": tuple((rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(rows)),
            "y": tuple(rng.uniform(-2, 2) for _ in range(rows))}  # fmt: skip


def fill(config: RunConfig) -> None:
    """Everything the pages cache for one configuration."""
    trace = cache.get_trace(config)
    cache.get_stages(config)
    cache.get_quiz(config)
    for kind, options in (("loss", {"log": True}), ("loss", {"epoch": 7}), ("params", {}), ("grads", {})):
        cache.chart_spec(trace, kind, **options)
    cache.chart_spec(trace, "landscape", epoch=len(trace))
    cache.trace_table(trace, 500)
    cache.get_walk(trace, len(trace))
    cache.get_nudge(config, config.w0, config.b0, "w1", 1.0)
    cache.get_pitfalls(config)


def test_declared_limits_add_up_to_the_budget_and_the_server_enforces_it():
    per_function = sum(f._info.max_size_bytes for f in CACHED)
    assert per_function <= cache.CACHE_BUDGET_MB * MB
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxCacheDataSize"].lower() == f"{cache.CACHE_BUDGET_MB}mb"


def test_a_sweep_of_distinct_large_runs_stays_under_the_budget():
    # 200 rows, the most a learner can enter; 1,000 epochs keeps the test quick. A trace's arrays grow
    # linearly with the epochs, so the largest run (10,000 epochs) is ten times this one.
    data = own_data(200, 0)
    first = RunConfig(epochs=1_000, lr=0.001, **data)
    cache.get_trace(first)
    trace_bytes = cached_bytes()["ui.cache._train"]  # this one trace (the quiz adds its short runs next)
    fill(first)
    assert 10 * trace_bytes < 1 * MB  # per-epoch predictions (8 MB at 10,000 epochs) are not kept
    assert PREDICTIONS_KEPT < 1_000 * 200
    # A class sweeping learning rates: each one a new entry in every cache.
    for i in range(1, 4):
        fill(RunConfig(epochs=1_000, lr=0.001 * (1 + i), **data))
    used = cached_bytes()
    for f in CACHED:
        assert used.get(f"ui.cache.{f.__name__}", 0) <= f._info.max_size_bytes, f.__name__
    assert sum(used.values()) <= cache.CACHE_BUDGET_MB * MB
    # ...and the trace cache holds a whole class's worth of the largest runs: 64 of them.
    assert 64 * 10 * trace_bytes <= cache._train._info.max_size_bytes


def test_long_runs_take_turns():
    assert cache._long_runs.acquire(timeout=5)  # another learner's long run is training
    done = threading.Event()

    def learner() -> None:
        cache.get_trace(RunConfig(epochs=cache.PROGRESS_FROM_EPOCHS))
        done.set()

    t = threading.Thread(target=learner)
    t.start()
    try:
        assert not done.wait(1.5)  # a 2,000-epoch run alone takes a fraction of that: this one waits its turn
    finally:
        cache._long_runs.release()
    assert done.wait(60)  # and then runs
    t.join()
