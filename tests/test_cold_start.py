"""Skeleton first: every page draws its sidebar and title before PyTorch (about a second) is imported.

This test process has long since imported torch, so the checks run in one fresh interpreter
(`tests/cold_start_driver.py`) that forks a child per check: each child starts without torch, pandas or
altair, and they share the interpreter's start. Two checks start from the bare interpreter: every gradlab
module imports without Streamlit, and the settings modules import without torch. Then the interpreter imports
what every page needs before its title (Streamlit, the sidebar, the settings; the driver fails if that loads a
heavy library), and each page runs for real under AppTest in a child, with `st.title` wrapped to note which heavy
libraries are loaded when the title is drawn (the sidebar is drawn just before it). Where there is no fork, each
check runs in an interpreter of its own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.background import Background

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").glob("*.py"))]
GRADLAB_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "gradlab").rglob("*.py")
    if p.stem != "__init__"
)
HEAVY = ("torch", "pandas", "altair")
PHONE_PAGES = {"9_Join.py"}  # a student's phone in a class vote: it computes nothing, so none of them ever loads

# Each check is (name, code); the code runs in a fresh child and leaves its answer in `result` (a dict).
_PAGE = """
import streamlit as st
from streamlit.testing.v1 import AppTest

seen = []
real_title = st.title

def spy(*args, **kwargs):
    seen.append([m for m in HEAVY if m in sys.modules])
    return real_title(*args, **kwargs)

st.title = spy
at = AppTest.from_file("streamlit_app.py", default_timeout=120)  # the entrypoint, as the server runs it
if {path!r} != "streamlit_app.py":
    at.switch_page({path!r})
at.query_params.update({query!r})
at.run()
assert not at.exception, [e.value for e in at.exception]
result = {{"at_title": seen[0], "at_end": [m for m in HEAVY if m in sys.modules]}}
"""
_NO_STREAMLIT = f"""
import importlib
for name in {GRADLAB_MODULES!r}:
    importlib.import_module(name)
result = {{"streamlit": "streamlit" in sys.modules, "modules": len({GRADLAB_MODULES!r})}}
"""
_LIGHT = """
import gradlab, gradlab.fmt, ui.layout, ui.cache
import gradlab.settings.links, gradlab.settings.userdata, gradlab.settings.config
assert gradlab.settings.config.device_note("cpu") is None
cfg = gradlab.settings.config.RunConfig(lr=0.1)
result = {"at_end": [m for m in HEAVY if m in sys.modules]}
"""


# What every page imports before its title (Streamlit, the sidebar, settings): the forked page checks share it.
_WARM = """
from streamlit.testing.v1 import AppTest
import gradlab.settings.config, gradlab.fmt, gradlab.settings.links, gradlab.settings.userdata, ui.layout, ui.sidebar
AppTest.from_string("import streamlit as st\\nst.sidebar.slider('x', 0, 9)\\nst.title('warm')").run()
result = {}
"""


def _job() -> dict:
    pages = [(p.name, _PAGE.format(path=p.relative_to(ROOT).as_posix(), query={})) for p in PAGE_FILES]
    cuda = ("cuda", _PAGE.format(path="streamlit_app.py", query={"device": "cuda"}))
    before = [("no-streamlit", _NO_STREAMLIT), ("light", _LIGHT)]
    return {"heavy": HEAVY, "before": before, "warm": _WARM, "after": [*pages, cuda]}


def _launch() -> tuple[list[str], Path, str]:
    return [sys.executable, str(ROOT / "tests" / "cold_start_driver.py")], ROOT, json.dumps(_job())


BACKGROUND = Background(_launch)  # tests/conftest.py starts it beside the other tests


@pytest.fixture(scope="module")
def runs() -> dict[str, dict]:
    out = BACKGROUND.result()
    assert out.returncode == 0, out.stderr[-3000:]
    runs = json.loads(out.stdout.strip().splitlines()[-1])
    assert "warm-up" not in runs, runs["warm-up"]  # the shared start must not load torch, pandas or altair
    return runs


def _result(runs: dict[str, dict], name: str) -> dict:
    got = runs[name]
    assert "error" not in got, got.get("error")
    return got


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_each_page_draws_its_title_before_torch_pandas_or_altair_load(runs: dict[str, dict], path: Path) -> None:
    run = _result(runs, path.name)
    assert run["at_title"] == [], f"{path.name} loaded {run['at_title']} before its title"
    if path.name in PHONE_PAGES:
        assert run["at_end"] == [], f"{path.name} loaded {run['at_end']}"
    else:
        assert "torch" in run["at_end"]  # the page did go on to compute with PyTorch


def test_asking_for_cuda_loads_torch_early_and_nothing_else(runs: dict[str, dict]) -> None:
    # Whether CUDA exists can only be asked of torch; the sidebar needs the answer for its note.
    assert _result(runs, "cuda")["at_title"] == ["torch"]


def test_settings_and_formatting_modules_load_without_torch(runs: dict[str, dict]) -> None:
    assert _result(runs, "light")["at_end"] == []


def test_no_gradlab_module_imports_streamlit(runs: dict[str, dict]) -> None:
    got = _result(runs, "no-streamlit")
    assert got == {"streamlit": False, "modules": len(GRADLAB_MODULES)} and len(GRADLAB_MODULES) >= 20
