"""Every session key in ui/ and the pages is a named constant of the module that owns that state.

A key written as a literal (`st.session_state["lab_x"]`, `ss.get(f"gl_{k}")`, `"gl_data" in st.session_state`)
is state without an owner: nothing says which module may change it, and a typo makes a second, silent key.
Widget keys (`key="..."`) are the widget's own and not checked here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Local names that hold st.session_state, or a mapping standing in for it (`apply_data(state, ...)`).
SESSION_NAMES = {"ss", "state", "session_state"}
LOOKUPS = {"get", "setdefault", "pop"}


def _session(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "session_state"
    return isinstance(node, ast.Name) and node.id in SESSION_NAMES


def _literal(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _key_of(node: ast.AST) -> ast.AST | None:
    """The key expression of a session-state access (`ss[k]`, `ss.get(k)`, `k in ss`), else None."""
    if isinstance(node, ast.Subscript) and _session(node.value):
        return node.slice
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _session(node.func.value):
        return node.args[0] if node.func.attr in LOOKUPS and node.args else None
    if isinstance(node, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
        return node.left if any(_session(c) for c in node.comparators) else None
    return None


def literal_keys(source: str) -> list[str]:
    """Each session-state access in `source` whose key is a string literal or f-string, as `line: code`."""
    found = [n for n in ast.walk(ast.parse(source)) if (key := _key_of(n)) is not None and _literal(key)]
    return [f"{n.lineno}: {ast.unparse(n)}" for n in found]  # type: ignore[attr-defined]


def app_files() -> list[Path]:
    return [ROOT / "streamlit_app.py", *sorted((ROOT / "ui").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]


def literal_keys_in_app() -> dict[str, list[str]]:
    found = {}
    for path in app_files():
        hits = literal_keys(path.read_text(encoding="utf-8"))
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    return found


def test_every_session_key_in_ui_and_pages_is_a_named_constant() -> None:
    assert literal_keys_in_app() == {}


@pytest.mark.parametrize(
    "planted",
    [
        pytest.param('st.session_state["lab_x"] = 1', id="subscript"),
        pytest.param('ss = st.session_state\nss.get("gl_y", 0)', id="get"),
        pytest.param('st.session_state.setdefault(f"lab_{n}", {})', id="f-string"),
        pytest.param('state.pop("gl_flash", None)', id="pop-on-a-state-mapping"),
        pytest.param('if "gl_data" in st.session_state:\n    pass', id="membership"),
        pytest.param('del st.session_state["gl_z"]', id="delete"),
    ],
)
def test_the_scan_finds_a_planted_literal_key(planted: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A literal key planted in a real module is reported (the check is not vacuous)."""
    target = ROOT / "ui" / "layout.py"
    original = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        text = original(self, *args, **kwargs)  # type: ignore[arg-type]
        return text + "\n" + planted + "\n" if self == target else text

    monkeypatch.setattr(Path, "read_text", read_text)
    found = literal_keys_in_app()
    assert list(found) == ["ui/layout.py"] and len(found["ui/layout.py"]) == 1


def test_named_keys_and_other_lookups_pass() -> None:
    clean = (
        "KEY = 'gl_k'\n"
        "st.session_state[KEY] = 1\n"
        "ss.get(SETTING[name])\n"
        "st.session_state.get(state.guess_key(3))\n"
        "options.get('lr')\n"  # not session state
        "st.button('x', key='lab_btn')\n"  # a widget key
    )
    assert literal_keys(clean) == []


def _owned_values(path: Path) -> set[str]:
    """The string values of module-level constants that this module uses as session keys."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            constants[target.id] = {value.value}
        elif isinstance(value, ast.Dict):  # SETTING = {"lr": "gl_lr", ...}
            constants[target.id] = {str(v.value) for v in value.values if isinstance(v, ast.Constant)}
    used: set[str] = set()
    for node in ast.walk(tree):
        key = _key_of(node)
        if isinstance(key, ast.Subscript):
            key = key.value  # SETTING[name]
        if isinstance(key, ast.Name) and key.id in constants:
            used |= constants[key.id]
    return used


def test_each_session_key_has_one_owner() -> None:
    """No two modules define the same session key: each piece of state is changed through its owner."""
    owners: dict[str, list[str]] = {}
    for path in app_files():
        for value in _owned_values(path):
            owners.setdefault(value, []).append(str(path.relative_to(ROOT)))
    shared = {key: where for key, where in owners.items() if len(where) > 1}
    assert shared == {}
    # The scan sees the owners it should (it is not vacuous):
    assert owners["gl_lr"] == owners["gl_data"] == owners["gl_flash"] == ["ui/settings_state.py"]
    assert owners["lab_step"] == ["ui/lab/stepping.py"] and owners["lab_lifecycle"] == ["ui/lab/lifecycle.py"]
    assert owners["lab_data_error"] == ["ui/lab/data.py"] and owners["gl_predictions"] == ["ui/predictions.py"]
