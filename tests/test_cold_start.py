"""Skeleton first: every page draws its sidebar and title before PyTorch (about a second) is imported.

Each check runs in a fresh interpreter, since this test process has long since imported torch. The pages run
for real under AppTest there, with `st.title` wrapped to note which heavy libraries are loaded when the title
is drawn (the sidebar is drawn just before it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").glob("*.py"))]
HEAVY = ("torch", "pandas", "altair")

# Runs one page under AppTest; prints the heavy libraries loaded at the first st.title and at the end.
_AT_TITLE = """
import json, sys
import streamlit as st
from streamlit.testing.v1 import AppTest

heavy = {heavy!r}
seen = []
real_title = st.title

def spy(*args, **kwargs):
    seen.append([m for m in heavy if m in sys.modules])
    return real_title(*args, **kwargs)

st.title = spy
at = AppTest.from_file("streamlit_app.py", default_timeout=120)  # the entrypoint, as the server runs it
if {path!r} != "streamlit_app.py":
    at.switch_page({path!r})
at.query_params.update({query!r})
at.run()
assert not at.exception, [e.value for e in at.exception]
print(json.dumps({{"at_title": seen[0], "at_end": [m for m in heavy if m in sys.modules]}}))
"""


def _loaded(code: str) -> dict[str, list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _page_run(path: Path, query: dict[str, str]) -> dict[str, list[str]]:
    return _loaded(_AT_TITLE.format(heavy=HEAVY, path=path.relative_to(ROOT).as_posix(), query=query))


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_each_page_draws_its_title_before_torch_pandas_or_altair_load(path: Path) -> None:
    run = _page_run(path, {})
    assert run["at_title"] == [], f"{path.name} loaded {run['at_title']} before its title"
    assert "torch" in run["at_end"]  # the page did go on to compute with PyTorch


def test_asking_for_cuda_loads_torch_early_and_nothing_else() -> None:
    # Whether CUDA exists can only be asked of torch; the sidebar needs the answer for its note.
    run = _page_run(ROOT / "streamlit_app.py", {"device": "cuda"})
    assert run["at_title"] == ["torch"]


def test_settings_and_formatting_modules_load_without_torch() -> None:
    code = "import gradlab, gradlab.fmt, gradlab.links, gradlab.userdata, gradlab.config, ui.layout, ui.cache\n"
    code += "assert gradlab.config.device_note('cpu') is None\n"
    code += "cfg = gradlab.config.RunConfig(lr=0.1)\n"
    code += f"import json, sys; print(json.dumps({{'at_end': [m for m in {HEAVY!r} if m in sys.modules]}}))"
    assert _loaded(code)["at_end"] == []
