"""The architecture's rules, checked on the source: layers import downwards only, and nothing imports in a circle.

gradlab/ is grouped by role, each a layer that may import only from the layers below it:

    fmt  <  settings  <  rooms  <  runs  <  probes  <  lesson  <  views

`settings` never loads torch (the sidebar draws before PyTorch's import), `rooms` (class votes) needs only
the standard library and redis, `runs` records facts and never
writes words (`lesson`) or pictures (`views`), and no module of gradlab imports streamlit. Imports inside
functions count too: they hide a dependency, they do not remove it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("fmt", "settings", "rooms", "runs", "probes", "lesson", "views")
PROJECT = ("gradlab", "ui", "pages", "streamlit_app", "harness", "bench")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_files() -> list[Path]:
    files = [ROOT / "streamlit_app.py"]
    for top in ("gradlab", "ui", "pages", "harness", "bench"):
        files += sorted((ROOT / top).rglob("*.py"))
    return files


@cache
def imports() -> dict[str, set[str]]:
    """Every project module → the project modules it imports (anywhere in its body, functions included)."""
    names = {module_name(p) for p in project_files()}
    found: dict[str, set[str]] = {}
    for path in project_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from gradlab.lesson import quizbook` imports the module gradlab.lesson.quizbook
                deps |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        found[module_name(path)] = {_owner(d, names) for d in deps if _owner(d, names)}
        found[module_name(path)].discard(module_name(path))
    return found


def _owner(dotted: str, names: set[str]) -> str:
    """The longest project module that `dotted` names or lies in ('' when it is not the project's)."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in names:
            return ".".join(parts[:i])
    return ""


def layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "gradlab" or len(parts) < 2:
        return None
    return parts[1]


def test_every_gradlab_module_sits_in_a_layer() -> None:
    loose = [m for m in imports() if m.startswith("gradlab.") and layer(m) not in LAYERS]
    assert loose == [], f"modules outside the layers {LAYERS}: {loose}"


def test_layers_import_only_downwards() -> None:
    wrong = []
    for module, deps in imports().items():
        here = layer(module)
        if here is None:
            continue
        for dep in deps:
            there = layer(dep)
            if there is not None and LAYERS.index(there) > LAYERS.index(here):
                wrong.append(f"{module} ({here}) imports {dep} ({there})")
    assert wrong == [], "\n".join(wrong)


def test_runs_never_import_lesson_or_views() -> None:
    """The engine records facts: no words, no pictures, and nothing of URL parameters."""
    wrong = [
        f"{m} imports {d}"
        for m, deps in imports().items()
        if layer(m) == "runs"
        for d in deps
        if layer(d) in ("lesson", "views") or d == "gradlab.settings.links"
    ]
    assert wrong == []


def _runners_imported(path: Path) -> list[str]:
    """The training and staging functions a file imports: `train`, `run_stages` (anywhere in it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("gradlab.runs.train", "gradlab.runs.stages"):
            found += [f"{module_name(path)}: {node.module}.{a.name}" for a in node.names if a.name in RUNNERS]
        elif isinstance(node, ast.Import):
            found += [f"{module_name(path)}: {a.name}" for a in node.names if a.name == "gradlab.runs.train"]
    return found


RUNNERS = ("train", "run_stages")


def test_lesson_and_views_run_no_training() -> None:
    """Words and pictures are written from runs they are handed (the pages fetch them from the shared caches)."""
    files = [p for top in ("lesson", "views") for p in (ROOT / "gradlab" / top).rglob("*.py")]
    assert [hit for p in files for hit in _runners_imported(p)] == []
    # The check sees imports inside functions: ui/cache.py imports both where it computes.
    assert len(_runners_imported(ROOT / "ui" / "cache.py")) == 2


def test_gradlab_never_imports_streamlit_or_ui() -> None:
    wrong = []
    for path in (ROOT / "gradlab").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            wrong += [f"{module_name(path)}: {n}" for n in names if n.split(".")[0] in ("streamlit", "ui", "pages")]
    assert wrong == []


def test_settings_never_import_torch() -> None:
    """Static: no settings module names torch; at run time: importing all of them leaves torch unloaded."""
    static = []
    for path in (ROOT / "gradlab" / "settings").rglob("*.py"):
        src = path.read_text(encoding="utf-8")
        tree = ast.parse(src)
        for node in tree.body:  # a function-level `import torch` in config's device helpers is allowed
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                static += [f"{module_name(path)}: {m}" for m in mods if m.split(".")[0] in ("torch", "numpy")]
    assert static == []
    mods = sorted(module_name(p) for p in (ROOT / "gradlab" / "settings").rglob("*.py"))
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in mods)
    code += "from gradlab.settings.config import RunConfig\nfrom gradlab.settings.stability import stable_limit\n"
    code += "stable_limit(RunConfig())\nprint('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _cycle() -> list[str] | None:
    graph = imports()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                return [*stack[stack.index(d) :], d]
            if d not in state and (found := visit(d)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle() -> None:
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


@pytest.mark.parametrize("planted", ["cycle", "upward"])
def test_the_checks_can_fail(planted: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A planted cycle and a planted upward import are caught (the rules are not vacuous)."""
    graph = {m: set(d) for m, d in imports().items()}
    if planted == "cycle":
        graph["gradlab.fmt"].add("gradlab.views.charts")
        graph["gradlab.views.charts"].add("gradlab.fmt")
    else:
        graph["gradlab.runs.train"].add("gradlab.lesson.divergence")
    monkeypatch.setattr(sys.modules[__name__], "imports", lambda: graph)
    if planted == "cycle":
        assert _cycle() is not None
    else:
        with pytest.raises(AssertionError):
            test_layers_import_only_downwards()
