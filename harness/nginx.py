"""Debian's nginx on a loopback port, configured with the committed deploy/nginx template, in a temp prefix."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from harness.server import free_port, stop_group, wait_health

NGINX = Path("/usr/sbin/nginx")
TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "gradlab.conf.template"
# The access log names the replica (upstream address) that served each request, and the request's
# affinity cookie, so that a test can follow one learner across replicas.
ACCESS_FORMAT = '$gradlab_affinity $upstream_addr $status "$request"'

_MAIN = """{user}worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format gradlab '{access}';
    access_log {dir}/access.log gradlab;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/gradlab.conf;
}}
"""


def missing_nginx() -> str | None:
    """Why nginx cannot run here, or None."""
    if not NGINX.is_file() or not os.access(NGINX, os.X_OK):
        return f"{NGINX} is missing (apt-get install -y nginx)"
    return None


def render(port: int, upstreams: Sequence[str]) -> str:
    """The committed template with its two placeholders filled, as the nginx image's envsubst would.

    Plain `server 127.0.0.1:port;` lines: Debian's nginx (1.22) has no `resolve`, which deploy/compose.yaml's
    lines add (nginx 1.27.3 or later); the template is the same for both.
    """
    servers = " ".join(f"server {u};" for u in upstreams)
    return TEMPLATE.read_text().replace("${GRADLAB_PORT}", f"127.0.0.1:{port}").replace("${GRADLAB_SERVERS}", servers)


class Proxy:
    """nginx in the foreground, in its own temp prefix, in front of `upstreams` ("127.0.0.1:port")."""

    def __init__(self, upstreams: Sequence[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="gradlab-nginx-"))
        (self.dir / "gradlab.conf").write_text(render(self.port, upstreams))
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers need the temp prefix the master made
        (self.dir / "nginx.conf").write_text(_MAIN.format(user=user, dir=self.dir, access=ACCESS_FORMAT))
        cmd = [str(NGINX), "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-g", "daemon off;"]
        self._stderr = (self.dir / "stderr.log").open("wb")  # closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._stderr, start_new_session=True)

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Until the proxy answers /_stcore/health through to a replica."""
        wait_health(self.proc, self.url, timeout, 0.05, self.errors, f"nginx on port {self.port}")

    def access_log(self) -> list[tuple[str, str, str, str]]:
        """(affinity id, replica address, status, request line) for every request so far."""
        path = self.dir / "access.log"
        rows = []
        for line in path.read_text().splitlines() if path.exists() else []:
            cookie, upstream, status, request = line.split(" ", 3)
            rows.append((cookie, upstream, status, request.strip('"')))
        return rows

    def errors(self) -> str:
        return "".join(
            (self.dir / name).read_text(errors="replace")[-2000:]
            for name in ("stderr.log", "error.log")
            if (self.dir / name).exists()
        )

    def stop(self) -> None:
        """Graceful stop (SIGQUIT), then SIGKILL; the temp prefix is removed."""
        stop_group(self.proc, signal.SIGQUIT)
        self._stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def proxy(upstreams: Sequence[str]) -> Iterator[Proxy]:
    """A ready proxy for the `with` block, stopped afterwards."""
    p = Proxy(upstreams)
    try:
        p.wait_ready()
        yield p
    finally:
        p.stop()
