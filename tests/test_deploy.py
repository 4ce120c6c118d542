"""The self-hosted stack as files: Dockerfile, .dockerignore and deploy/compose.yaml.

No Docker engine runs on the development machine or in CI, so these tests read the files as data and apply
the rules that Docker and Compose apply to them. The Dockerfile's health check runs for real against a local
HTTP server. The nginx configuration itself runs in tests/e2e/test_replicas.py.
"""

from __future__ import annotations

import http.server
import json
import os
import posixpath
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_requirements import environment, torch_for

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "deploy" / "compose.yaml"
TEMPLATE = ROOT / "deploy" / "nginx" / "gradlab.conf.template"
RUNTIME_DIRS = ("pages", "ui", "gradlab")  # what the app imports and reads at run time
RUNTIME_FILES = {"streamlit_app.py", "requirements.txt", ".streamlit/config.toml"}


# --- Dockerfile ---------------------------------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        word, _, args = (pending + line).partition(" ")
        out.append((word.upper(), args.strip()))
        pending = ""
    return out


def args_of(name: str) -> list[str]:
    return [args for word, args in instructions() if word == name]


def test_torch_is_installed_once_with_everything_else_from_requirements_txt():
    runs = " && ".join(args_of("RUN"))
    installs = [m.strip() for m in re.findall(r"pip install ([^&;|]*)", runs)]
    assert installs == ["-r requirements.txt"], installs
    assert "index-url" not in runs and "torch==" not in runs and "torch @" not in runs


def test_the_base_image_is_an_exact_release_of_a_python_that_gets_the_cpu_wheel():
    (base,) = args_of("FROM")
    found = re.fullmatch(r"python:(3\.\d+)\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base)
    assert found, f"{base}: pin an exact Python release (python:3.X.Y-slim-<debian>), not a moving tag"
    for machine in ("x86_64", "aarch64"):  # the image's Python gets the hashed CPU wheel on either machine
        torch = torch_for(environment(found.group(1), "linux", machine))
        assert torch.url is not None and "#sha256=" in torch.url, (base, machine, str(torch))


def test_the_image_installs_no_system_package_for_its_health_check():
    runs = " ".join(args_of("RUN"))
    assert not re.search(r"\b(apt-get|apt|apk|curl|wget)\b", runs), runs


def test_the_app_is_copied_as_root_and_run_by_a_user_who_cannot_write_it():
    steps = instructions()
    copies = [i for i, (word, _) in enumerate(steps) if word in ("COPY", "ADD")]
    users = [i for i, (word, _) in enumerate(steps) if word == "USER"]
    assert copies and users and users[-1] > copies[-1], "USER must come after the last COPY"
    assert steps[users[-1]][1] not in ("root", "0", "0:0")
    for i in copies:  # the files keep root as owner: no --chown, no --chmod
        assert not re.search(r"--ch(own|mod)", steps[i][1]), steps[i]


def test_the_port_is_configured_once_and_streamlit_reads_it_from_the_environment():
    env = " ".join(args_of("ENV"))
    assert re.search(r"\bSTREAMLIT_SERVER_PORT=8501\b", env), env
    (entrypoint,) = args_of("ENTRYPOINT")
    assert "server.port" not in entrypoint and "8501" not in entrypoint


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/_stcore/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[http.server.ThreadingHTTPServer, type[_Health]]]:
    handler = type("Handler", (_Health,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def health_check(port: int) -> int:
    """Exit status of the Dockerfile's HEALTHCHECK command with STREAMLIT_SERVER_PORT=port."""
    (check,) = args_of("HEALTHCHECK")
    cmd = json.loads(check[check.index("CMD") + 3 :])
    assert cmd[0] == "python", cmd  # the image's own Python: no curl, no extra package
    env = {**os.environ, "STREAMLIT_SERVER_PORT": str(port)}
    return subprocess.run([sys.executable, *cmd[1:]], env=env, capture_output=True, timeout=60).returncode


def test_the_health_check_asks_the_configured_port_and_fails_when_the_server_is_unhealthy(health_server):
    server, handler = health_server
    port = server.server_address[1]
    assert health_check(port) == 0
    handler.status = 503
    assert health_check(port) != 0
    server.shutdown()
    server.server_close()
    assert health_check(port) != 0  # nothing listens there any more


# --- .dockerignore --------------------------------------------------------------------------------------------


def _regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker matches it: `*` and `?` stay within a folder, `**` spans folders."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore() -> list[tuple[bool, re.Pattern[str]]]:
    """(is an exception `!`, pattern) for each rule, in order."""
    rules = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keep = line.startswith("!")
            pattern = posixpath.normpath(line.removeprefix("!").strip()).lstrip("/")
            rules.append((keep, _regex(pattern)))
    return rules


def in_image(path: str) -> bool:
    """Whether `docker build` sends this path: the last rule matching it or one of its folders decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    sent = True
    for keep, regex in dockerignore():
        if any(regex.fullmatch(p) for p in prefixes):
            sent = keep
    return sent


def repository_files() -> list[str]:
    files = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv")]
        files += [Path(folder, n).relative_to(ROOT).as_posix() for n in names]
    return files


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_app.py",
        "bench/__main__.py",
        "harness/server.py",
        ".ci/run",
        ".env",
        ".env.local",
        ".streamlit/secrets.toml",
        "secrets.toml",
        "gradlab/.env",
        "ui/__pycache__/layout.cpython-312.pyc",
        ".git/config",
        ".venv/bin/python",
        "artifacts/screenshots/x.png",
        "requirements-dev.txt",
        "pyproject.toml",
        "deploy/compose.yaml",
    ],
)
def test_dev_files_and_local_secrets_never_reach_the_image(path):
    assert not in_image(path)


def test_the_image_gets_exactly_the_files_the_app_runs_from():
    files = repository_files()
    runtime = {
        f
        for f in files
        if (f in RUNTIME_FILES or f.split("/")[0] in RUNTIME_DIRS) and "__pycache__" not in f and not f.endswith(".pyc")
    }
    assert runtime >= RUNTIME_FILES and any(f.startswith("gradlab/") for f in runtime)
    assert {f for f in files if in_image(f)} == runtime


# --- deploy/compose.yaml ----------------------------------------------------------------------------------------

BYTES = {"b": 1, "k": 2**10, "m": 2**20, "g": 2**30}


def compose() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (GradLab does not depend on it)")
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def app_services(services: dict) -> list[str]:
    return sorted(name for name, s in services.items() if "build" in s)


def limits(service: dict) -> tuple[float, int]:
    """(cpus, memory in bytes) of a service's resource limits."""
    found = service["deploy"]["resources"]["limits"]
    number, unit = re.fullmatch(r"(\d+)([bkmg])", str(found["memory"]).lower()).groups()
    return float(found["cpus"]), int(number) * BYTES[unit]


def exact_version(image: str) -> tuple[int, ...]:
    found = re.fullmatch(r"[a-z0-9./-]+:(\d+)\.(\d+)\.(\d+)(-[a-z0-9.]+)?(@sha256:[0-9a-f]{64})?", image)
    assert found, f"{image}: pin an exact release, not a moving tag"
    return tuple(int(found.group(i)) for i in (1, 2, 3))


def test_every_replica_gets_one_core_redis_and_starts_after_redis_is_healthy():
    services = compose()["services"]
    apps = app_services(services)
    assert len(apps) >= 2, apps
    for name in apps:
        app = services[name]
        assert app["depends_on"]["redis"]["condition"] == "service_healthy", name
        assert app["environment"]["GRADLAB_REDIS_URL"] == "redis://redis:6379/0", name
        cpus, memory = limits(app)
        assert cpus == 1.0 and memory >= 450 * 2**20, (name, cpus, memory)  # the README's sizing per replica
        assert "ports" not in app, name  # only the proxy is published


def test_the_proxy_waits_for_healthy_replicas_and_names_each_one_for_nginx_to_resolve_again():
    services = compose()["services"]
    proxy = services["proxy"]
    assert exact_version(proxy["image"]) >= (1, 27, 3), proxy["image"]  # `resolve` on upstream servers
    apps = app_services(services)
    assert {name: dep["condition"] for name, dep in proxy["depends_on"].items()} == dict.fromkeys(
        apps, "service_healthy"
    )
    lines = re.findall(r"server\s+([^;]+);", proxy["environment"]["GRADLAB_SERVERS"])
    servers = [line.split() for line in lines]
    # One line per replica under its own name (the consistent hash keys on the name), each re-resolved.
    assert sorted(s[0] for s in servers) == [f"{name}:8501" for name in apps], servers
    assert all("resolve" in s[1:] for s in servers), servers
    assert "./nginx/gradlab.conf.template:/etc/nginx/templates/default.conf.template:ro" in proxy["volumes"]
    template = TEMPLATE.read_text(encoding="utf-8")
    assert re.search(r"^resolver \S+ valid=\d+s", template, re.MULTILINE)  # a short cache: re-resolve often
    assert re.search(r"upstream gradlab \{\s*zone ", template)  # `resolve` needs the upstream in shared memory


def test_redis_is_pinned_healthchecked_bounded_unpersisted_and_not_published():
    redis = compose()["services"]["redis"]
    exact_version(redis["image"])
    assert "ports" not in redis
    assert redis["healthcheck"]["test"][:2] == ["CMD", "redis-cli"]
    _, memory = limits(redis)
    command = redis["command"]
    assert command[command.index("--save") + 1] == "" and command[command.index("--appendonly") + 1] == "no"
    maxmemory = int(command[command.index("--maxmemory") + 1].removesuffix("mb")) * 2**20
    assert maxmemory < memory  # Redis refuses writes before the container's limit is reached
