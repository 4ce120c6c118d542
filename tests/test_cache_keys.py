"""The result caches key on the whole RunConfig: any field change is a new entry, the same config a hit."""

from __future__ import annotations

import dataclasses

import pytest

import gradlab.runs.train
import ui.cache
from gradlab.settings.config import RunConfig

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

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
}


def test_every_field_is_covered():
    assert set(CHANGES) == {f.name for f in dataclasses.fields(RunConfig)}


@pytest.mark.parametrize("field", list(CHANGES))
def test_changing_any_field_changes_the_key(field, monkeypatch):
    calls: list[RunConfig] = []
    real = gradlab.runs.train.train

    def counting_train(config, on_epoch=None):
        calls.append(config)
        return real(config, on_epoch)

    monkeypatch.setattr(gradlab.runs.train, "train", counting_train)  # ui.cache imports it at call time
    changed = BASE.with_(**{field: CHANGES[field]})
    assert changed != BASE and hash(changed) != hash(BASE)
    ui.cache.get_trace(BASE)
    ui.cache.get_trace(BASE)  # a hit: no second training run
    ui.cache.get_trace(changed)
    assert calls == [BASE, changed]


def test_chart_specs_are_cached_per_config_and_options():
    trace = ui.cache.get_trace(BASE)
    a = ui.cache.chart_spec(BASE, "loss", _trace=trace)
    assert ui.cache.chart_spec(BASE, "loss", _trace=trace) == a
    assert ui.cache.chart_spec(BASE, "loss", log=True, _trace=trace) != a
    other = ui.cache.get_trace(BASE.with_(epochs=6))
    assert ui.cache.chart_spec(BASE.with_(epochs=6), "loss", _trace=other)["datasets"] != a["datasets"]
