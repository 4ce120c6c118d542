"""The network's exports: the standalone nn.Module script reproduces train() number for number; CSV, Markdown and the
chart specs stay faithful to the trace."""

from __future__ import annotations

import ast
import csv
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.views.charts import loss_spec
from gradlab.views.export import to_csv, to_markdown, to_script
from gradlab.views.net_charts import grad_norms_spec, tanh_slope_spec
from gradlab.views.table import epoch_table

NET = RunConfig(model="net")
CASES = {
    "card": NET,
    "sgd-set-to-none": NET.with_(update="sgd", zeroing="none", epochs=30),
    "manual-never": NET.with_(zeroing="never", epochs=20, lr=0.02),
    "sgd-zero": NET.with_(update="sgd", zeroing="zero", epochs=50, lr=0.05),
    "manual-none": NET.with_(zeroing="none", epochs=40, lr=0.1),
    "overflows": NET.with_(lr=1.0, epochs=100),
    "own-40-rows": NET.with_(X=tuple((i / 3, -i / 7) for i in range(40)), y=tuple(i / 9 for i in range(40)), epochs=25),
    "cuda-or-cpu-fallback": NET.with_(device="cuda", epochs=10),
}
_RUN_ALL = """
import contextlib, io, json, runpy, sys, traceback
out = {}
for path in sys.argv[1:]:
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            runpy.run_path(path, run_name="__main__")
        out[path] = {"stdout": buf.getvalue()}
    except BaseException:
        out[path] = {"stdout": buf.getvalue(), "error": traceback.format_exc()}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every case's script, run in one fresh interpreter (-I: no gradlab, no user site) from a folder of its own."""
    folder = tmp_path_factory.mktemp("net-scripts")
    paths = []
    for name, config in CASES.items():
        paths.append(folder / f"{name}.py")
        paths[-1].write_text(to_script(config), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", "-c", _RUN_ALL, *map(str, paths)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ran = {Path(p).stem: got for p, got in json.loads(done.stdout).items()}
    for name, got in ran.items():
        assert "error" not in got, f"{name}: {got['error']}"
    return {name: got["stdout"] for name, got in ran.items()}


def parse(text: str) -> tuple[list[dict], dict[str, list], int | None]:
    """Epoch rows ({"loss", "params": name → nested list, "grads": …}), final parameters, and the diverged epoch."""
    rows, final, diverged = [], {}, None
    for line in text.splitlines():
        if line.startswith("epoch "):
            head, *parts = line.split(" | ")
            _, epoch, _, loss = head.split(" ")
            row: dict = {"epoch": int(epoch), "loss": float(loss), "params": {}, "grads": {}}
            for part in parts:
                name, rest = part.split(" ", 1)
                values, grad = rest.split(" grad ")
                row["params"][name] = _literal(values)
                row["grads"][name] = _literal(grad)
            rows.append(row)
        elif line.startswith("final "):
            _, name, values = line.split(" ", 2)
            final[name] = _literal(values)
        elif line.startswith("diverged at epoch "):
            diverged = int(line.split(" ")[3].rstrip(":"))
    return rows, final, diverged


def _literal(text: str) -> list:
    """A printed nested list of floats, inf and nan included."""
    return ast.literal_eval(text.replace("nan", "None").replace("inf", "1e999"))


@pytest.mark.parametrize("case", list(CASES))
def test_the_script_reproduces_train(case: str, outputs: dict[str, str]) -> None:
    config, out = CASES[case], outputs[case]
    rows, final, diverged = parse(out)
    trace = train(config)
    assert [r["epoch"] for r in rows] == list(range(1, len(rows) + 1))
    if trace.stop is None:
        assert len(rows) == len(trace) == config.epochs and diverged is None
    else:
        assert diverged == trace.stop.epoch == len(rows) and len(trace) == len(rows) - 1
    assert ("note: CUDA is not available" in out) == (trace.device_note is not None)
    exact = trace.device == "cpu"
    kept = rows[: len(trace)]
    check = np.testing.assert_array_equal if exact else _close
    check(np.array([r["loss"] for r in kept]), trace.loss)
    for name in trace.names:
        check(np.array([r["params"][name] for r in kept], dtype=float), trace.params[name])
        check(np.array([r["grads"][name] for r in kept], dtype=float), trace.grads[name])
        if trace.final_params is not None:
            check(np.array(final[name], dtype=float), trace.final_params[name])


def _close(got: np.ndarray, want: np.ndarray) -> None:
    torch.testing.assert_close(torch.from_numpy(got), torch.from_numpy(want), rtol=1.3e-6, atol=1e-5)


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed")
def test_the_scripts_are_ruff_clean(tmp_path: Path) -> None:
    for name, config in CASES.items():
        (tmp_path / f"{name.replace('-', '_')}.py").write_text(to_script(config), encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run(
        [*ruff, "check", "--isolated", "--select", "E,F,W,B,I,UP", str(tmp_path)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run([*ruff, "format", "--isolated", "--check", str(tmp_path)], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_the_csv_holds_every_entry_of_every_parameter_and_grad() -> None:
    trace = train(NET.with_(epochs=5))
    rows = list(csv.DictReader(io.StringIO(to_csv(trace).decode("utf-8"))))
    assert len(rows) == 5
    for e, row in enumerate(rows):
        assert float(row["loss"]) == pytest.approx(trace.loss[e], rel=1e-9)
        assert float(row["hidden.weight[2, 1]"]) == pytest.approx(trace.params["hidden.weight"][e, 2, 1], rel=1e-9)
        assert float(row["out.bias.grad[0]"]) == pytest.approx(trace.grads["out.bias"][e, 0], rel=1e-9)
        assert float(row["‖hidden.weight.grad‖"]) == pytest.approx(trace.grad_norms["hidden.weight"][e], rel=1e-9)
    assert len(epoch_table(trace).columns) == 2 + 13 + 13 + 4 + 2


def test_the_markdown_names_the_network_and_its_final_parameters() -> None:
    trace = train(NET.with_(epochs=5))
    md = to_markdown(trace)
    assert "| model | network (nn.Module" in md and "initial w" not in md
    assert trace.final_params is not None
    for name, values in trace.final_params.items():
        assert f"- {name} = [" in md
        assert f"{values.reshape(-1)[0]:.6g}" in md
    stopped = train(NET.with_(lr=1.0, epochs=100))
    md = to_markdown(stopped)
    assert "Training diverged at epoch" in md and "the last recorded epoch used" in md


def test_the_chart_specs_are_finite_and_name_each_parameter() -> None:
    trace = train(NET.with_(lr=1.0, epochs=100))  # grows to ~1e37 before it stops: still finite in the charts
    for spec in (grad_norms_spec(trace), grad_norms_spec(trace, log=True), tanh_slope_spec(trace), loss_spec(trace)):
        text = json.dumps(spec)
        assert "NaN" not in text and "Infinity" not in text
    spec = grad_norms_spec(trace)
    series = {r["series"] for r in spec["datasets"]["series"]}
    assert series == {f"‖{n}.grad‖" for n in trace.names}
    with pytest.raises(ValueError, match="linear model"):
        tanh_slope_spec(train(RunConfig(epochs=2)))
    linear = grad_norms_spec(train(RunConfig(epochs=3)))
    assert {r["series"] for r in linear["datasets"]["series"]} == {"‖w.grad‖", "‖b.grad‖"}
