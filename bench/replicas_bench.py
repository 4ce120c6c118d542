"""Replicas: the classroom script through nginx (the committed deploy/nginx config) to one and to two replicas.

On this 2-core machine the replicas are not pinned: they share both cores with the students and nginx, as
they would on a small self-hosted box. Each student's session is one WebSocket, so it stays on the replica
that accepted it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from bench.capacity_bench import (
    CLASS_PHONES,
    QUICK_CLASS_PHONES,
    Level,
    _describe,
    _students_on,
    class_rows,
    run_level,
    server_prefix,
)
from bench.class_votes import class_level, warm_class
from bench.common import Row, compared, gradlab_server, log, median, ms, p95
from harness.nginx import missing_nginx, proxy
from harness.redis import missing_redis, redis_server

SECRET = {"STREAMLIT_SERVER_COOKIE_SECRET": "gradlab-bench-the-same-secret-on-every-replica"}


def _through_proxy(replicas: int, n: int, seconds: float, ramp: float) -> Level:
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(gradlab_server(env=SECRET, prefix=server_prefix(pin=False)))
                   for _ in range(replicas)]  # fmt: skip
        p = stack.enter_context(proxy([f"127.0.0.1:{s.port}" for s in servers]))
        with _students_on(1):
            t0 = time.monotonic()
            lv = asyncio.run(run_level(p.url, servers, n, seconds, ramp, bare=False))
        _describe(f"GradLab ×{replicas} behind nginx", lv, time.monotonic() - t0)
        return lv


def class_votes_on_redis(ctx: dict[str, float], quick: bool) -> list[Row]:
    """The class pattern through nginx to two replicas sharing rooms in Redis (the projector and the phones land
    on either replica)."""
    missing = missing_nginx() or missing_redis()
    if missing:
        log(f"class votes on Redis: skipped, {missing}")
        return [Row("9.10", f"class votes on Redis: skipped ({missing})", "n/a", "n/a", "n/a", "—")]
    phones = QUICK_CLASS_PHONES if quick else CLASS_PHONES
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(redis_server())
        env = {**SECRET, "GRADLAB_REDIS_URL": redis.url}
        servers = [stack.enter_context(gradlab_server(env=env, prefix=server_prefix(pin=False))) for _ in range(2)]
        p = stack.enter_context(proxy([f"127.0.0.1:{s.port}" for s in servers]))
        with _students_on(1):
            for _ in servers:  # a warm-up lands on either replica: one per replica, roughly
                asyncio.run(warm_class(p.url))
            cpu0, t0 = sum(s.cpu_s() for s in servers), time.monotonic()
            run = asyncio.run(class_level(p.url, phones))
            cpu, wall = sum(s.cpu_s() for s in servers) - cpu0, time.monotonic() - t0
        rss = sum(s.rss_mb() for s in servers)
    ctx["class_redis_p95"] = p95(run.to_projector())
    name = f"class votes ({phones} phones + projector, nginx → 2 replicas sharing Redis)"
    return class_rows("9.10", name, run, cpu, wall, rss)


def replicas(ctx: dict[str, float], quick: bool) -> list[Row]:
    """The same students through nginx to one replica, then to two; the ratio is the scaling."""
    missing = missing_nginx()
    if missing:
        log(f"replicas: skipped, {missing}")
        return [Row("9", f"replicas: skipped ({missing})", "n/a", "n/a", "n/a", "—")]
    n, seconds, ramp = (30, 10.0, 3.0) if quick else (100, 60.0, 10.0)
    one = _through_proxy(1, n, seconds, ramp)
    two = _through_proxy(2, n, seconds, ramp)
    name = f"replicas ({n} students through nginx; 2 replicas vs 1, GradLab column = 2)"
    throughput = (len(two.tally.latencies) / seconds, len(one.tally.latencies) / seconds)
    return [  # noqa: RUF005 - the class rows follow the table's own
        compared("9a", f"{name}: p50 action → end of its run", median(two.tally.latencies),
                 median(one.tally.latencies), ms),
        compared("9b", f"{name}: p95 action → end of its run", p95(two.tally.latencies),
                 p95(one.tally.latencies), ms),
        compared("9c", f"{name}: reruns served per second", *throughput, lambda x: f"{x:.1f}/s"),
        compared("9d", f"{name}: server CPU per rerun (all replicas)", two.cpu_per_rerun, one.cpu_per_rerun, ms),
    ] + class_votes_on_redis(ctx, quick)  # fmt: skip
