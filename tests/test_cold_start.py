"""Skeleton first: every page draws its sidebar and title before PyTorch (about 1 s) is imported.

Each check runs in a fresh interpreter, since this test process has long since imported torch.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").glob("*.py"))]
HEAVY = ("torch", "pandas", "altair")


def _loaded_after(code: str) -> dict[str, bool]:
    """Which heavy libraries a fresh interpreter holds after running `code` from the repository root."""
    probe = code + f"\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _imports_before_page_call(path: Path) -> list[str]:
    """The import statements a page runs before its `page(...)` call, as source text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(ast.unparse(node))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Name) and func.id == "page":
                return found
    raise AssertionError(f"{path.name} never calls page(...) at top level")


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_page_imports_before_the_skeleton_leave_heavy_libraries_unloaded(path: Path) -> None:
    imports = _imports_before_page_call(path)
    assert "from ui.layout import page" in imports
    loaded = _loaded_after("\n".join(imports))
    assert not any(loaded.values()), f"{path.name} loads {loaded} before its page skeleton is drawn"


def test_the_lesson_package_loads_torch_only_when_a_computing_name_is_used() -> None:
    code = "import gradlab, gradlab.fmt, gradlab.params, gradlab.userdata, gradlab.config\n"
    code += "assert gradlab.config.device_note('cpu') is None\n"
    code += "cfg = gradlab.config.RunConfig(lr=0.1)\n"
    assert _loaded_after(code) == dict.fromkeys(HEAVY, False)
    assert _loaded_after("import gradlab.train")["torch"] is True
