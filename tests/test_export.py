"""Exports: the standalone script reproduces train() number for number; CSV and Markdown stay faithful."""

from __future__ import annotations

import csv
import importlib.util
import io
import itertools
import json
import re
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from gradlab.lesson.divergence import explain
from gradlab.runs.trace import Layout, Trace
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.views.export import to_csv, to_markdown, to_script
from gradlab.views.table import epoch_table
from tests.background import Background
from tests.script_output import parse_script_end, parse_script_output

SIX_X = (
    (1.0, 0.5, -2.0),
    (0.0, 1.5, 1.0),
    (2.5, -1.0, 0.25),
    (-1.0, 2.0, 0.5),
    (0.3, 0.7, -0.1),
    (1.25, 1.0, 3.0),
)
SIX_Y = (1.0, -2.0, 0.75, 3.5, 0.1, -1.0 / 3.0)
# One huge sample: epoch 2's loss overflows float32 to inf, so the trace drops that epoch.
OVERFLOW = RunConfig(X=((1e6,),), y=(1e6,), w0=(0.0,), b0=0.0, lr=10.0, epochs=5)
# The generated scripts all run in one fresh interpreter, each as __main__ in a namespace of its own, from a
# folder without gradlab and with -I (no user site, no PYTHONPATH), so they can only import what they say.
SCRIPT_CASES = [
    pytest.param(RunConfig(), id="seed-card"),
    pytest.param(RunConfig(lr=0.05, epochs=300), id="lr0.05-overflows"),
    pytest.param(RunConfig(zeroing="never", epochs=20), id="never-zero-20-epochs"),
    pytest.param(RunConfig(zeroing="none", update="sgd"), id="sgd-set-to-none"),
    pytest.param(
        RunConfig(
            X=((2.0, -1.0),),
            y=(0.5,),
            w0=(0.1, 0.2),
            b0=-0.3,
            lr=0.02,
            epochs=30,
            update="sgd",
            zeroing="never",
        ),
        id="one-row-sgd-never",
    ),
    pytest.param(
        RunConfig(X=SIX_X, y=SIX_Y, w0=(0.25, -0.75, 1.5), b0=0.125, lr=0.03, epochs=60, update="sgd"),
        id="six-rows-sgd-zero",
    ),
    pytest.param(RunConfig(epochs=300), id="300-epochs"),
    pytest.param(OVERFLOW, id="overflow-to-inf"),
    pytest.param(RunConfig(device="cuda", zeroing="none", epochs=10), id="cuda-or-cpu-fallback"),
]

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


_FOLDER: list[tempfile.TemporaryDirectory] = []


def _launch_scripts() -> tuple[list[str], Path, str]:
    """Write each case's script to a fresh folder; the command runs them all in one interpreter."""
    _FOLDER.append(tempfile.TemporaryDirectory(prefix="gradlab-scripts-"))  # removed when the session ends
    folder = Path(_FOLDER[-1].name)
    paths = []
    for case in SCRIPT_CASES:
        paths.append(folder / f"{case.id}.py")
        paths[-1].write_text(to_script(case.values[0]), encoding="utf-8")
    return [sys.executable, "-I", "-c", _RUN_ALL, *map(str, paths)], folder, ""


BACKGROUND = Background(_launch_scripts)  # tests/conftest.py starts it beside the other tests


@pytest.fixture(scope="module")
def script_outputs() -> dict[str, str]:
    """What each case's script printed, by case id."""
    done = BACKGROUND.result()
    assert done.returncode == 0, done.stderr[-3000:]
    ran = {Path(path).stem: got for path, got in json.loads(done.stdout).items()}
    for name, got in ran.items():
        assert "error" not in got, f"{name}: {got['error']}"
    assert set(ran) == {case.id for case in SCRIPT_CASES}
    return {name: got["stdout"] for name, got in ran.items()}


def assert_same_numbers(got: np.ndarray, want: np.ndarray, what: str, exact: bool) -> None:
    """Bit-identical on the CPU; float32 tolerance where a GPU ran both sides."""
    if exact:
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        got_t, want_t = torch.from_numpy(got), torch.from_numpy(want)
        torch.testing.assert_close(got_t, want_t, rtol=1.3e-6, atol=1e-5, msg=what)


@pytest.mark.parametrize("config", SCRIPT_CASES)
def test_script_reproduces_train(config: RunConfig, script_outputs: dict[str, str], request) -> None:
    out = script_outputs[request.node.callspec.id]
    rows, end = parse_script_output(out), parse_script_end(out)
    trace = train(config)

    # Epoch count and where it stopped: the script prints every epoch it ran, the stopping one included;
    # the trace keeps the stopping epoch only when all its numbers are finite.
    assert [r["epoch"] for r in rows] == list(range(1, len(rows) + 1))
    if trace.stop is None:
        assert len(rows) == len(trace) == config.epochs
        assert end["diverged_at"] is None
    else:
        assert end["diverged_at"] == trace.stop.epoch == len(rows)
        last = rows[-1]
        finite = np.isfinite([last["loss"], last["b"], last["b_grad"], *last["w"], *last["w_grad"]]).all()
        assert len(trace) == (len(rows) if finite else len(rows) - 1)
    assert ("note: CUDA is not available" in out) == (trace.device_note is not None)

    exact = trace.device == "cpu"
    kept = rows[: len(trace)]
    for key, want in [("loss", trace.loss), ("w", trace.w), ("b", trace.b), ("w_grad", trace.w_grad)]:
        assert_same_numbers(np.array([r[key] for r in kept]), want, key, exact)
    assert_same_numbers(np.array([r["b_grad"] for r in kept]), trace.b_grad, "b_grad", exact)
    if trace.final_w is not None and trace.final_b is not None:
        assert_same_numbers(np.array(end["final_w"]), np.array(trace.final_w), "final w", exact)
        assert_same_numbers(np.array([end["final_b"]]), np.array([trace.final_b]), "final b", exact)


ALL_MODES = [
    RunConfig(zeroing=z, update=u, device=d)
    for z, u, d in itertools.product(("zero", "none", "never"), ("manual", "sgd"), ("cpu", "cuda"))
]


@pytest.mark.parametrize("config", ALL_MODES, ids=lambda c: f"{c.update}-{c.zeroing}-{c.device}")
def test_script_compiles_and_shows_the_mechanism(config: RunConfig) -> None:
    src = to_script(config)
    compile(src, "gradlab_run.py", "exec")
    assert not re.search(r"^(import|from) (gradlab|streamlit)", src, flags=re.MULTILINE)
    for line in ("requires_grad=True,", "device=device,", "loss.backward()", "torch.cuda.is_available()"):
        assert line in src
    assert f'device = "{config.device}"' in src
    expected = {
        ("manual", "zero"): "w.grad.zero_()",
        ("manual", "none"): "w.grad = None",
        ("sgd", "zero"): "opt.zero_grad(set_to_none=False)",
        ("sgd", "none"): "opt.zero_grad(set_to_none=True)",
    }
    for (update, zeroing), line in expected.items():
        assert (line in src) == (config.update == update and config.zeroing == zeroing)
    assert ("with torch.no_grad():" in src) == (config.update == "manual")
    assert ("opt = torch.optim.SGD([w, b], lr=lr)" in src) == (config.update == "sgd")


def test_script_writes_floats_that_round_trip() -> None:
    config = RunConfig(lr=0.1 + 0.2, X=((1 / 3, 2 / 3),), y=(0.1,), w0=(1e-7, -2.5e5), b0=1 / 7)
    src = to_script(config)
    for value in (config.lr, 1 / 3, 2 / 3, 0.1, 1e-7, -2.5e5, 1 / 7):
        assert repr(value) in src


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed")
def test_generated_scripts_are_ruff_clean(tmp_path: Path) -> None:
    many_rows = RunConfig(
        X=tuple((i / 3, -i / 7, 1 / (i + 1)) for i in range(40)),
        y=tuple(i / 9 for i in range(40)),
        w0=(1 / 3, 0.1, -0.7),
    )
    for i, config in enumerate([*ALL_MODES, many_rows, *(p.values[0] for p in SCRIPT_CASES)]):
        (tmp_path / f"run_{i}.py").write_text(to_script(config), encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run(
        [*ruff, "check", "--isolated", "--select", "E,F,W,B,I,UP", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run(
        [*ruff, "format", "--isolated", "--check", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_parse_script_output_reads_every_number() -> None:
    text = (
        "note: CUDA is not available on this machine; running on CPU.\n"
        "epoch 1 loss 47.25 w [0.5, -0.5] b 0.0 w.grad [-37.5, -50.5] b.grad -13.0\n"
        "epoch 2 loss inf w [1e+20] b nan w.grad [-inf] b.grad 3.4028234663852886e+38\n"
        "final w [0.875, 0.004999995231628418] b 0.12999999523162842\n"
        "diverged at epoch 2: a value became inf/NaN (overflowed float32)\n"
    )
    rows = parse_script_output(text)
    assert rows[0] == {
        "epoch": 1,
        "loss": 47.25,
        "w": [0.5, -0.5],
        "b": 0.0,
        "w_grad": [-37.5, -50.5],
        "b_grad": -13.0,
    }
    assert rows[1]["loss"] == float("inf")
    assert np.isnan(rows[1]["b"])
    assert rows[1]["w_grad"] == [float("-inf")]
    assert rows[1]["b_grad"] == 3.4028234663852886e38
    assert parse_script_end(text) == {
        "final_w": [0.875, 0.004999995231628418],
        "final_b": 0.12999999523162842,
        "diverged_at": 2,
    }


TRACE_CASES = [
    pytest.param(RunConfig(), id="seed-card"),
    pytest.param(RunConfig(lr=0.05, epochs=300), id="lr0.05-overflows"),
    pytest.param(RunConfig(epochs=300), id="300-epochs"),
    pytest.param(OVERFLOW, id="overflow-to-inf"),
]


def written_half_unit(text: str) -> float:
    """Half a unit in the last decimal place written: "0.48" → 0.005, "1e-07" → 5e-08, "3" → 0.5."""
    return 0.5 * 10.0 ** Decimal(text).as_tuple().exponent


@pytest.mark.parametrize("config", TRACE_CASES)
def test_csv_round_trips_through_pandas(config: RunConfig) -> None:
    trace = train(config)
    want = epoch_table(trace)
    data = to_csv(trace)
    data.decode("utf-8")  # valid UTF-8: observations hold non-ASCII signs
    got = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)  # each cell as it was written
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for col in want.columns:
        if col == "observation":
            assert got[col].tolist() == want[col].tolist()
            continue
        for text, value in zip(got[col], want[col]):
            # Equal at the precision written, whatever number of digits this pandas chose to write.
            assert abs(float(text) - value) <= written_half_unit(text) + 1e-15 * abs(value), (col, text, value)
            assert np.float32(float(text)) == np.float32(value), (col, text, value)  # enough digits for float32


def doctored(trace: Trace) -> Trace:
    """The same trace with an inf loss and a NaN gradient in its last epoch."""
    rows = np.column_stack([trace.loss, trace.w, trace.b, trace.w_grad, trace.b_grad, trace.predictions])
    rows[-1, 0], rows[-1, 4] = np.inf, np.nan  # loss, w1.grad
    return Trace.from_rows(
        config=trace.config,
        layout=Layout.linear(trace.config.n_features, trace.config.n_samples),
        rows=rows,
        device=trace.device,
        device_note=None,
        stop=None,
        final=trace.final_params,
    )


def test_csv_never_writes_non_finite_numbers() -> None:
    trace = doctored(train(RunConfig()))
    reader = csv.DictReader(io.StringIO(to_csv(trace).decode("utf-8")))
    last = list(reader)[-1]
    assert (last["loss"], last["w1.grad"], last["grad_norm"]) == ("", "", "")
    assert all(v.lower() not in {"inf", "-inf", "nan"} for k, v in last.items() if k != "observation")


def table(md: str, heading: str) -> list[list[str]]:
    """The body cells of the first Markdown table after a heading."""
    section = md.split(f"## {heading}\n", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    body = itertools.takewhile(lambda line: line.startswith("|"), lines[2:])
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in body]


@pytest.mark.parametrize("config", TRACE_CASES)
def test_markdown_has_headline_and_finite_numbers(config: RunConfig) -> None:
    trace = train(config)
    md = to_markdown(trace)
    assert not re.search(r"</?[a-z]+>", md)  # pure Markdown, no HTML
    assert f"- Start loss: {trace.start_loss:.6g}" in md
    assert f"- End loss: {trace.end_loss:.6g}" in md
    reached = trace.epochs_to(0.01)
    assert f"Epochs to loss < 0.01: {'not reached' if reached is None else f'{reached:,}'}" in md
    for key in ("lr", "epochs", "device", "zeroing", "update"):
        assert f"| {key} |" in md
    if trace.stop:
        assert explain(trace).message in md
        assert "no final parameters" in md
    else:
        assert "- Divergence: none" in md
        assert f"- b = {trace.final_b:.6g}" in md

    epochs = table(md, "Epochs")
    assert len(epochs) == min(len(trace), 50)
    assert (int(epochs[0][0]), int(epochs[-1][0])) == (1, len(trace))
    assert ("Showing 50 of" in md) == (len(trace) > 50)
    for row in epochs:
        assert np.isfinite([float(c) for c in row[:-1]]).all(), row
    if trace.stop is None or not trace.stop.nonfinite:
        assert not re.search("nan|inf", md, flags=re.IGNORECASE)


def test_markdown_never_prints_non_finite_numbers() -> None:
    md = to_markdown(doctored(train(RunConfig())))
    assert "- End loss: n/a" in md
    *numbers, _observation = table(md, "Epochs")[-1]
    assert numbers[1] == "n/a"  # loss
    assert numbers[5] == "n/a"  # w1.grad
    assert all(c == "n/a" or np.isfinite(float(c)) for c in numbers)
