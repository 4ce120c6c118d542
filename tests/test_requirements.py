"""requirements.txt is the file Community Cloud installs: the CPU build of torch on Linux, everything else pinned.

What each platform gets is stated at the top of requirements.txt and in the README's Deploy section; these
tests evaluate the file's markers for each platform, as pip and uv do.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import os
import re
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
from packaging.requirements import Requirement
from packaging.utils import parse_wheel_filename
from packaging.version import Version

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"
CPU_WHEELS = "https://download.pytorch.org/whl/cpu/"
TORCH = Version("2.13.0")


def requirements() -> list[Requirement]:
    lines = REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in (raw.split(" #", 1)[0].strip() for raw in lines) if line and line[0] != "#"]


def environment(python: str, platform: str = "linux", machine: str = "x86_64") -> dict[str, str]:
    """Marker variables of a CPython on that system (what pip and uv evaluate the markers against)."""
    system = {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}[platform]
    return {
        "python_version": python,
        "python_full_version": f"{python}.4",
        "sys_platform": platform,
        "platform_system": system,
        "platform_machine": machine,
        "os_name": "nt" if platform == "win32" else "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }


def torch_for(env: dict[str, str]) -> Requirement:
    """The one torch line that applies in this environment."""
    applies = [r for r in requirements() if r.name == "torch" and (r.marker is None or r.marker.evaluate(env))]
    assert len(applies) == 1, (env, [str(r) for r in applies])
    return applies[0]


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
@pytest.mark.parametrize("python", ["3.12", "3.13"])
def test_linux_on_python_312_and_313_gets_the_cpu_wheel_for_its_python(python, machine):
    torch = torch_for(environment(python, "linux", machine))
    assert torch.url is not None and torch.url.startswith(CPU_WHEELS)
    name, version, _, tags = parse_wheel_filename(unquote(urldefrag(torch.url).url.rsplit("/", 1)[1]))
    assert name == "torch" and version.local == "cpu" and Version(version.public) == TORCH
    cp = "cp" + python.replace(".", "")
    assert any(t.interpreter == cp and t.abi == cp and t.platform.endswith(f"_{machine}") for t in tags), tags
    assert all(t.platform.startswith("manylinux") for t in tags)


def test_every_direct_url_carries_the_sha256_of_its_wheel():
    urls = [r.url for r in requirements() if r.url is not None]
    assert len(urls) == 4
    digests = [re.fullmatch(r"[^#]+\.whl#sha256=([0-9a-f]{64})", url) for url in urls]
    assert all(digests), urls  # pip and uv refuse a download whose SHA-256 differs
    assert len({d.group(1) for d in digests}) == len(urls)  # one wheel, one digest


@pytest.mark.parametrize("python", ["3.10", "3.11", "3.14"])
def test_linux_on_other_pythons_gets_the_plain_pin(python):
    # From PyPI alone that is the CUDA build (requirements.txt and the README say so). This project's machines
    # run 3.11 with a local wheel folder in pip's configuration, which holds the CPU wheel.
    torch = torch_for(environment(python))
    assert torch.url is None and str(torch.specifier) == f"=={TORCH}"


@pytest.mark.parametrize(
    ("python", "platform", "machine"),
    list(
        itertools.product(
            ["3.10", "3.11", "3.12", "3.13", "3.14"],
            ["linux", "darwin", "win32"],
            ["x86_64", "aarch64", "arm64", "AMD64", "ARM64"],
        )
    ),
)
def test_exactly_one_torch_line_applies_everywhere(python, platform, machine):
    torch = torch_for(environment(python, platform, machine))
    if torch.url is None:
        assert str(torch.specifier) == f"=={TORCH}"
    else:  # only where a CPU wheel for that very Python and machine is named
        assert platform == "linux" and python in ("3.12", "3.13") and machine in ("x86_64", "aarch64")


def test_every_other_line_is_pinned():
    others = [r for r in requirements() if r.name != "torch"]
    assert {r.name for r in others} >= {"streamlit", "pandas", "altair", "numpy"}
    for r in others:
        assert r.url is None and r.marker is None, str(r)
        (spec,) = r.specifier
        assert spec.operator == "==" and "*" not in spec.version, str(r)


def test_the_pins_are_the_versions_the_tests_run_with():
    pins = {r.name: next(iter(r.specifier)).version for r in requirements() if r.name != "torch"}
    found = {name: importlib.metadata.version(name) for name in pins}
    other = [f"{name}=={pin} (found {found[name]})" for name, pin in pins.items() if found[name] != pin]
    if other and os.environ.get("CI") != "true":  # CI installs requirements.txt itself: there a mismatch fails
        pytest.skip("the pinned versions are not the ones installed here: " + ", ".join(other))
    assert other == [], "requirements.txt pins other versions than the tests ran with"
