"""The result caches key on the whole RunConfig (a trace on its config): any field change is a new entry, the same
config a hit; the keys are the classes' own hash functions, and building the quiz trains only what the caches train."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import gradlab.runs.stages
import gradlab.runs.train
import ui.cache
from gradlab.lesson.quiz import QuizRuns, build_quiz, trace_configs
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig
from tests.quizruns import fresh_quiz

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
BASE = RunConfig()
CHANGES = {
    "lr": 0.02,
    "epochs": 6,
    "device": "cuda",
    "w0": (0.0, 0.0),
    "b0": 1.0,
    "X": ((1.0, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, 6.0)),
    "y": (3.0, 5.0, 7.0, 10.0),
    "zeroing": "never",
    "update": "sgd",
    "model": "net",
}


@pytest.fixture
def trained(monkeypatch: pytest.MonkeyPatch) -> list[RunConfig]:
    """Every config the real `train` runs from now on (ui.cache imports it at call time)."""
    calls: list[RunConfig] = []
    real = gradlab.runs.train.train

    def counting_train(config, on_epoch=None):
        calls.append(config)
        return real(config, on_epoch)

    monkeypatch.setattr(gradlab.runs.train, "train", counting_train)
    return calls


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch) -> list[RunConfig]:
    """Every config the real `run_stages` runs from now on."""
    calls: list[RunConfig] = []
    real = gradlab.runs.stages.run_stages

    def counting_stages(config):
        calls.append(config)
        return real(config)

    monkeypatch.setattr(gradlab.runs.stages, "run_stages", counting_stages)
    return calls


def test_every_field_is_covered():
    assert set(CHANGES) == {f.name for f in dataclasses.fields(RunConfig)}


@pytest.mark.parametrize("field", list(CHANGES))
def test_changing_any_field_changes_the_key(field, trained):
    changed = BASE.with_(**{field: CHANGES[field]})
    assert changed != BASE and hash(changed) != hash(BASE)
    ui.cache.get_trace(BASE)
    ui.cache.get_trace(BASE)  # a hit: no second training run
    ui.cache.get_trace(changed)
    assert trained == [BASE, changed]


def test_chart_specs_are_cached_per_trace_and_options():
    trace = ui.cache.get_trace(BASE)
    a = ui.cache.chart_spec(trace, "loss")
    assert ui.cache.chart_spec(trace, "loss") == a
    assert ui.cache.chart_spec(trace, "loss", log=True) != a
    other = ui.cache.get_trace(BASE.with_(epochs=6))
    assert ui.cache.chart_spec(other, "loss")["datasets"] != a["datasets"]


def test_the_class_keys_are_the_ones_streamlit_uses(monkeypatch):
    # RunConfig and Trace are keyed by the config's repr. Were a key ever to miss its class (a renamed or moved
    # class under a stale name), Streamlit would hash the object field by field instead and never call repr.
    reprs: list[RunConfig] = []
    real = RunConfig.__repr__

    def counting_repr(self: RunConfig) -> str:
        reprs.append(self)
        return real(self)

    trace = ui.cache.get_trace(BASE)
    monkeypatch.setattr(RunConfig, "__repr__", counting_repr)
    ui.cache.get_stages(BASE)
    assert reprs == [BASE]  # the config's key
    ui.cache.chart_spec(trace, "params")
    assert reprs == [BASE, BASE]  # the trace's key is its config's
    assert set(ui.cache.HASH_FUNCS) == {RunConfig, Trace}


def test_a_trace_is_keyed_by_its_config_alone():
    trace = ui.cache.get_trace(BASE)
    spec = ui.cache.chart_spec(trace, "loss")
    twin = dataclasses.replace(trace, loss=trace.loss * 2)  # never trained: a config gives one trace
    assert ui.cache.chart_spec(twin, "loss") == spec  # the same key, so the cached spec


def test_building_the_quiz_trains_nothing_the_caches_do_not(trained, staged):
    config = BASE.with_(lr=0.02, epochs=6)
    ui.cache.get_trace(config)  # the Training Trace page ran first
    ui.cache.get_stages(config)  # and the Data Flow page
    assert trained == [config] and staged == [config]
    quiz = ui.cache.get_quiz(config)
    derived = [c for name, c in trace_configs(config).items() if name != "trace"]
    assert trained == [config, *derived] and staged == [config]  # only the runs at other settings, once each
    assert ui.cache.get_quiz(config) == quiz
    for c in derived:  # and they are the pages' own cache entries
        ui.cache.get_trace(c)
    assert trained == [config, *derived] and staged == [config]


def test_a_quiz_needs_nothing_but_its_runs(monkeypatch):
    config = BASE.with_(lr=0.02)
    runs = QuizRuns(
        stages=ui.cache.get_stages(config), **{k: ui.cache.get_trace(c) for k, c in trace_configs(config).items()}
    )

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the quiz trained a model")

    monkeypatch.setattr(gradlab.runs.train, "train", no_training)
    monkeypatch.setattr(gradlab.runs.stages, "run_stages", no_training)
    assert build_quiz(runs) == ui.cache.get_quiz(config)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(BASE, id="card"),
        pytest.param(BASE.with_(epochs=1), id="epochs-1-is-a-run-the-quiz-needs-anyway"),
        pytest.param(BASE.with_(lr=1.0, epochs=100), id="diverging"),
        pytest.param(BASE.with_(zeroing="never", update="sgd"), id="never-sgd"),
    ],
)
def test_the_cached_quiz_is_the_quiz_of_fresh_runs(config):
    assert ui.cache.get_quiz(config) == fresh_quiz(config)


def test_runs_for_other_settings_are_refused():
    config = BASE.with_(lr=0.02)
    fields = {k: ui.cache.get_trace(c) for k, c in trace_configs(config).items()}
    with pytest.raises(ValueError, match="one_update"):
        QuizRuns(stages=ui.cache.get_stages(config), **(fields | {"one_update": fields["zeroed"]}))
    with pytest.raises(ValueError, match="stages"):
        QuizRuns(stages=ui.cache.get_stages(BASE), **fields)


def _cache_data_calls(path: Path) -> list[str]:
    """The functions of a file that `st.cache_data` decorates (or that call it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "cache_data":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_result_cache_lives_in_ui_cache():
    files = [ROOT / "streamlit_app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]
    outside = [hit for f in files if f.name != "cache.py" or f.parent.name != "ui" for hit in _cache_data_calls(f)]
    assert outside == [], outside
    assert len(_cache_data_calls(ROOT / "ui" / "cache.py")) == 1  # one decorator factory, `_cached`
