"""Results cached per run and shared by every session. Only immutable results: never a live model or tensor.

Every `st.cache_data` of the app is here, each bounded by its pickled size as well as by entries (Streamlit's
`max_size`); `server.maxCacheDataSize` in .streamlit/config.toml bounds them all together: CACHE_BUDGET_MB fits
a Community Cloud app's smallest memory (690 MB) beside the ~370 MB a loaded server takes.
tests/test_cache_budget.py checks the sizes against a sweep of large runs.

A cache is keyed by what determines its result: a `RunConfig`, or a `Trace`, which its config determines
(`HASH_FUNCS`). A caller hands over the trace alone, so a key can never belong to another value.

The computing modules (and with them torch, pandas and altair) are imported on the first computation, not
when a page imports this module: on a cold server the sidebar and page text reach the browser first. Pages
import this module after their text (tests/test_cold_start.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import streamlit as st

from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig
from ui.perf import freeze_loaded_libraries

if TYPE_CHECKING:
    import pandas as pd

    from gradlab.lesson.card import CardRow
    from gradlab.lesson.quiz import Question
    from gradlab.probes.chain import ChainWalk
    from gradlab.probes.graph import AutogradGraph
    from gradlab.probes.net_backward import NonLeaf
    from gradlab.probes.net_curvature import Curvature
    from gradlab.probes.net_experiments import Accumulation, NetLab
    from gradlab.probes.net_sample import NetSample
    from gradlab.probes.net_saturation import Saturation
    from gradlab.probes.net_slice import NetSlice
    from gradlab.probes.net_verify import NetGradCheck
    from gradlab.probes.net_walk import NetWalk
    from gradlab.probes.nudge import Nudge
    from gradlab.probes.pitfalls import PitfallOutcome
    from gradlab.probes.stale_graph import StaleGraph
    from gradlab.rooms.store import RoomStore
    from gradlab.runs.net_stages import NetStageRun
    from gradlab.runs.stages import StageRun

PROGRESS_FROM_EPOCHS = 2000  # bigger runs show a progress bar, and take turns (LONG_RUNS_AT_ONCE)
CACHE_BUDGET_MB = 128  # all caches together; also server.maxCacheDataSize
TTL = 2 * 3600.0  # s, a lesson. A number: Streamlit parses a text ttl such as "2h" on every call (~4 ms)


def config_key(config: RunConfig) -> str:
    """A RunConfig's cache key: its repr, which names every field and value exactly (floats repr round-trip)."""
    return repr(config)


def trace_key(trace: Trace) -> str:
    """A Trace's cache key: its config's, since the same config trains the same trace (train is deterministic)."""
    return config_key(trace.config)


# Keyed by the classes themselves, so a key cannot silently stop matching when a class moves. Streamlit would
# otherwise hash a RunConfig field by field (1.3 ms for the card's, 15 ms with 200 rows of data, on every cached
# call; the repr takes 0.1–1.5 ms) and a Trace array by array.
HASH_FUNCS: dict[str | type[Any], Callable[[Any], Any]] = {RunConfig: config_key, Trace: trace_key}
# Long runs take turns: a class asking for different 10,000-epoch runs at once would otherwise share the
# CPU among all of them, and every short rerun on the server would wait behind them. One long run at a
# time keeps the interpreter free for everyone else's reruns in between.
LONG_RUNS_AT_ONCE = 1
_long_runs = threading.BoundedSemaphore(LONG_RUNS_AT_ONCE)


F = TypeVar("F", bound=Callable[..., Any])


def _cached(max_entries: int, max_size: str) -> Callable[[F], F]:
    """`st.cache_data` as every cache here uses it: bounded, two hours, no spinner, GradLab's keys."""
    cache = st.cache_data(
        max_entries=max_entries, max_size=max_size, ttl=TTL, show_spinner=False, hash_funcs=HASH_FUNCS
    )
    return cast("Callable[[F], F]", cache)


# 10,000 epochs on 200 rows pickle to ~0.8 MB (gradlab.runs.trace keeps no per-epoch predictions that large).
@_cached(64, "56MB")
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


@_cached(64, "8MB")
def get_stages(config: RunConfig) -> StageRun:
    """The five data-flow stages for this config."""
    from gradlab.runs.stages import run_stages

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    return run_stages(config)


def get_quiz(config: RunConfig) -> tuple[Question, ...]:
    """The quiz, with live questions for this config, written from the cached runs (it trains nothing else); the
    network's (`get_net_quiz`) for model="net"."""
    if config.is_net:
        return get_net_quiz(config)
    return _quiz(get_trace(config))  # outside the quiz's cache: a long run shows its progress bar here


@_cached(64, "4MB")
def _quiz(trace: Trace) -> tuple[Question, ...]:
    from gradlab.lesson.quiz import QuizRuns, build_quiz, trace_configs

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    # The other runs are a few epochs each: through the same cache as every page's, never long enough to wait.
    runs = {name: trace if c == trace.config else get_trace(c) for name, c in trace_configs(trace.config).items()}
    return build_quiz(QuizRuns(stages=get_stages(trace.config), **runs))


def get_card_comparison(config: RunConfig) -> list[CardRow] | None:
    """Card vs PyTorch for the card's setup (None for other data), from the cached stages and run."""
    from gradlab.lesson.card import card_run, compare_with_card

    run = card_run(config)
    return None if run is None else compare_with_card(get_stages(config), get_trace(run))


@_cached(256, "40MB")  # a spec is 30–130 KB
def chart_spec(trace: Trace, kind: str, *, log: bool = False, present: bool = False, epoch: int = 0) -> dict[str, Any]:
    """A chart's Vega-Lite spec per (trace, options).

    Altair loads on first use, so a page without charts (the home page) starts without it.
    """
    from gradlab.probes.landscape import landscape_view
    from gradlab.views.charts import grads_spec, landscape_spec, loss_spec, loss_upto_spec, params_spec

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    if kind == "loss":
        return loss_spec(trace, log=log, present=present, highlight=epoch or None)
    if kind == "params":
        return params_spec(trace, present=present)
    if kind == "grads":
        return grads_spec(trace, present=present)
    if kind == "landscape":
        return landscape_spec(landscape_view(trace, epoch), present=present)
    if kind == "loss_upto":  # step-through: only the epochs run so far
        return loss_upto_spec(trace, epoch, present=present)
    if kind == "step":  # step-through: the path so far and the update −lr·.grad itself
        return landscape_spec(landscape_view(trace, epoch, true_step=True), present=present)
    if kind == "path":  # step-through, while "up or down?" is asked: the path so far, not where the step landed
        return landscape_spec(landscape_view(trace, epoch, arrow=False), present=present)
    raise ValueError(f"kind: {kind!r} is not a chart GradLab draws")


@_cached(64, "8MB")  # 500 rows: ~100 KB
def trace_table(trace: Trace, max_rows: int, *, present: bool = False) -> tuple[pd.DataFrame, bool]:
    """The epoch-by-epoch table (ui.render.trace_frame) per (trace, rows).

    Building it writes an observation for every epoch: 48 ms for 10,000 epochs, on every rerun uncached.
    """
    from ui.render import trace_frame

    return trace_frame(trace, max_rows=max_rows, present=present)


@_cached(64, "4MB")  # 200 rows: ~45 KB a walk
def get_walk(trace: Trace, epoch: int) -> ChainWalk:
    """The backward() walk, node by node, at the weights epoch `epoch` (1-based) of the trace used."""
    from gradlab.probes.chain import walk_at

    freeze_loaded_libraries()  # torch may have just loaded
    return walk_at(trace, epoch)


@_cached(128, "1MB")  # ~2.5 KB a nudge
def get_nudge(config: RunConfig, w: tuple[float, ...], b: float, param: str, delta: float) -> Nudge:
    """One parameter nudged by Δ from (w, b): the real new loss beside loss + .grad·Δ."""
    from gradlab.probes.nudge import nudge

    freeze_loaded_libraries()  # torch may have just loaded
    return nudge(config, w, b, param, delta)


@_cached(16, "1MB")  # 200 rows: ~20 KB for all of them
def get_pitfalls(config: RunConfig) -> list[PitfallOutcome]:
    """Every pitfall, run for real with this config."""
    from gradlab.probes.pitfalls import run_all

    freeze_loaded_libraries()  # torch may have just loaded
    return run_all(config)


@_cached(16, "1MB")  # ~1 KB
def get_stale_graph(config: RunConfig) -> StaleGraph:
    """backward() after an in-place update, run for real on X as it is and on X with requires_grad."""
    from gradlab.probes.stale_graph import stale_graph

    freeze_loaded_libraries()  # torch may have just loaded
    return stale_graph(config)


# --- the network on Data Flow, Home and Prediction Trace (issue 21, helper NF) ---------------------------------


@_cached(16, "1.5MB")  # 200 rows: ~82 KB; the card's ~7 KB
def get_net_stages(config: RunConfig) -> NetStageRun:
    """The network's five data-flow stages for this config (`gradlab.runs.net_stages.run_net_stages`)."""
    from gradlab.runs.net_stages import run_net_stages

    freeze_loaded_libraries()  # torch may have just loaded
    return run_net_stages(config)


@_cached(16, "512KB")  # 200 rows: ~12 KB
def get_non_leaf(config: RunConfig) -> NonLeaf:
    """h.grad of the network's hidden activation without and with retain_grad(), and what a hook on h received."""
    from gradlab.probes.net_backward import non_leaf

    freeze_loaded_libraries()  # torch may have just loaded
    return non_leaf(config)


@_cached(16, "128KB")  # ~1.6 KB a graph
def get_net_graph(config: RunConfig) -> AutogradGraph:
    """The network's backward graph at its start (`gradlab.probes.graph.graph_for_net`)."""
    from gradlab.probes.graph import graph_for_net

    freeze_loaded_libraries()  # torch may have just loaded
    return graph_for_net(config)


@_cached(32, "1MB")  # 200 rows: ~26 KB a sample
def get_net_sample(trace: Trace, epoch: int, row: int) -> NetSample:
    """One sample of a network run at one epoch and its share of every `.grad` (`trace_net_sample`)."""
    from gradlab.probes.net_sample import trace_net_sample

    freeze_loaded_libraries()  # torch may have just loaded
    return trace_net_sample(trace, epoch, row)


def get_net_quiz(config: RunConfig) -> tuple[Question, ...]:
    """The network's quiz (`gradlab.lesson.net_quiz.build_net_quiz`), written from the cached runs; Home's progress
    scores the quiz of the model the sidebar picks."""
    return _net_quiz(get_trace(config))  # outside the quiz's cache: a long run shows its progress bar here


@_cached(32, "256KB")  # 200 rows: ~5 KB a quiz
def _net_quiz(trace: Trace) -> tuple[Question, ...]:
    from gradlab.lesson.net_quiz import NetQuizRuns, build_net_quiz, net_trace_configs

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    runs = {name: trace if c == trace.config else get_trace(c) for name, c in net_trace_configs(trace.config).items()}
    return build_net_quiz(NetQuizRuns(stages=get_net_stages(trace.config), **runs))


# Grad Lab ⑧, the network's experiments (helper NX): a few KB a config.
@_cached(16, "1MB")
def get_net_lab(config: RunConfig) -> NetLab:
    """Freeze, detach(), the version counter, torch.autograd.grad and backward(gradient=v), each run once on a
    fresh network (ValueError unless the data has 2 features)."""
    from gradlab.probes.net_experiments import net_lab

    freeze_loaded_libraries()  # torch may have just loaded
    return net_lab(config)


@_cached(64, "2MB")
def get_accumulation(config: RunConfig, k: int, divide: bool) -> Accumulation:
    """k micro-batches and one step, beside one full-batch step (ValueError unless k divides N)."""
    from gradlab.probes.net_experiments import accumulate

    freeze_loaded_libraries()  # torch may have just loaded
    return accumulate(config, k, divide)


def show_chart(trace: Trace, kind: str, **options: Any) -> None:
    """Draw a chart of the trace at the container's width."""
    spec = chart_spec(trace, kind, **options)
    st.vega_lite_chart(spec, width="stretch", theme=None)  # the spec carries its own theme and accessible name


@st.cache_resource(show_spinner=False)
def room_store() -> RoomStore:
    """The class-vote store, one per server, shared by every session (issue 22): in this process, or Redis when
    GRADLAB_REDIS_URL is set. The one shared mutable object of the app, by design: the store is thread-safe, and
    a room's data is only reachable with its code (and a teacher step only with its teacher token).

    ValueError (not cached: the next call tries again) when GRADLAB_REDIS_URL is malformed.
    """
    from gradlab.rooms.connect import open_store

    return open_store()


# --- The network (issue 21): its stages, quiz, charts, curvature and saturation scan ----------------------------
@_cached(128, "24MB")  # a spec is 30–130 KB
def net_chart_spec(trace: Trace, kind: str, *, log: bool = False, present: bool = False) -> dict[str, Any]:
    """A network chart's Vega-Lite spec per (trace, options): "grad_norms" (either model) or "tanh_slope"."""
    from gradlab.probes.net_saturation import SATURATED
    from gradlab.views.net_charts import grad_norms_spec, tanh_slope_spec

    freeze_loaded_libraries()  # torch (or altair) may have just loaded
    if kind == "grad_norms":
        return grad_norms_spec(trace, log=log, present=present)
    if kind == "tanh_slope":
        return tanh_slope_spec(trace, threshold=SATURATED, present=present)
    raise ValueError(f"kind: {kind!r} is not a network chart GradLab draws")


@_cached(64, "1MB")  # two small records
def get_net_curvature(trace: Trace) -> tuple[Curvature, Curvature | None]:
    """λmax of the network's loss Hessian at the start and at the last recorded epoch's parameters (None: no epoch)."""
    from gradlab.probes.net_curvature import curvature, curvature_at

    freeze_loaded_libraries()  # torch may have just loaded
    return curvature(trace.config), (curvature_at(trace, len(trace)) if len(trace) else None)


def get_saturation_scan(config: RunConfig) -> tuple[Saturation, ...]:
    """The network trained at every learning rate of the sidebar for SCAN_EPOCHS epochs each, and each run's
    saturation: one scan per data set, zeroing, update rule and device (the config's lr and epochs do not enter)."""
    from gradlab.probes.net_saturation import SCAN_EPOCHS

    return _saturation_scan(config.with_(lr=RunConfig().lr, epochs=SCAN_EPOCHS))


@_cached(16, "2MB")  # 34 small records
def _saturation_scan(config: RunConfig) -> tuple[Saturation, ...]:
    from gradlab.probes.net_saturation import SCAN_EPOCHS, scan_saturation

    freeze_loaded_libraries()  # torch may have just loaded
    with _long_runs:  # 34 runs of SCAN_EPOCHS epochs: it takes its turn like a long run
        return scan_saturation(config, epochs=SCAN_EPOCHS)


# The network's Grad Lab (issue 21): the check, the backward walk and the pitfalls, each run for real.
@_cached(32, "4MB")
def get_net_check(trace: Trace, epoch: int) -> NetGradCheck:
    """Every parameter's .grad against float64 autograd, finite differences and gradcheck at epoch `epoch`."""
    from gradlab.probes.net_verify import check_epoch_net

    freeze_loaded_libraries()  # torch may have just loaded
    return check_epoch_net(trace, epoch)


@_cached(64, "4MB")
def get_net_walk(trace: Trace, epoch: int) -> NetWalk:
    """The network's backward() node by node at the parameters epoch `epoch` (1-based) of the trace used."""
    from gradlab.probes.net_walk import walk_net_at

    freeze_loaded_libraries()  # torch may have just loaded
    return walk_net_at(trace, epoch)


@_cached(32, "2MB")
def get_net_pitfalls(config: RunConfig) -> list[PitfallOutcome]:
    """The network's pitfalls, each run for real with this config's data."""
    from gradlab.probes.net_pitfall_outcomes import run_all_net

    freeze_loaded_libraries()  # torch may have just loaded
    return run_all_net(config)


@_cached(32, "8MB")  # 31×31 losses: ~25 KB a slice
def get_net_slice(trace: Trace, epoch: int) -> NetSlice:
    """The network's loss over two named parameter entries, the others at epoch `epoch`'s values."""
    from gradlab.probes.net_slice import net_slice

    freeze_loaded_libraries()  # torch may have just loaded
    return net_slice(trace, epoch)
