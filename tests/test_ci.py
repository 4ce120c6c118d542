"""CI runs exactly the README's test command, and every tool that command runs is pinned in requirements-dev.txt."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_test_command() -> str:
    """The one line of the bash block under the Quick start's "Run the tests" sentence."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^Run the tests\b.*?\n```bash\n(.*?)\n```", text, flags=re.MULTILINE | re.DOTALL)
    assert found is not None, "README.md has no bash block under 'Run the tests'"
    (line,) = found.group(1).splitlines()
    return line


def ci_command() -> str:
    """The last command line of .ci/run (comments and blank lines skipped)."""
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")][-1]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert ci_command() == readme_test_command()


def test_the_command_lints_type_checks_and_tests_with_pinned_tools() -> None:
    steps = [step.strip() for step in readme_test_command().split("&&")]
    assert steps[0] == "pip install -r requirements-dev.txt"
    words = [step.split() for step in steps[1:]]
    tools = {w[2] if w[:2] == ["python", "-m"] else w[0] for w in words}
    assert tools == {"ruff", "mypy", "pytest"}
    pinned = {
        line.split("==")[0].strip()
        for line in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert tools <= pinned, tools - pinned
