"""Runs cold-start checks in fresh children of one interpreter (used by tests/test_cold_start.py).

Reads {"heavy": [...], "before": [[name, code], ...], "warm": code, "after": [[name, code], ...]} on stdin and
prints {name: answer} as JSON, where each check's code leaves its answer in `result` (or the answer is
{"error": traceback}). The "before" checks start from a bare interpreter. Then this interpreter runs "warm" (it
imports Streamlit and the light modules every page needs, and must not load a heavy one), and the "after"
checks start from there. Each check runs in a forked child, so it starts without what the other checks loaded;
where there is no fork, in a fresh interpreter instead (then without the warm-up).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback

AT_ONCE = 2  # children at a time: the machines this runs on have two cores or more


def run(code: str, heavy: list[str]) -> dict:
    scope = {"sys": sys, "HEAVY": tuple(heavy)}
    try:
        exec(code, scope)
        return scope["result"]
    except BaseException:
        return {"error": traceback.format_exc()[-2000:]}


def start(code: str, heavy: list[str]) -> tuple[int, int]:
    """Fork a child that runs one check and writes its answer (well under a pipe's buffer) to a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report, and leave without the parent's exit handlers
        os.close(read)
        with os.fdopen(write, "w") as out:
            out.write(json.dumps(run(code, heavy)))
        os._exit(0)
    os.close(write)
    return pid, read


def answer(read: int) -> dict:
    with os.fdopen(read) as got:
        text = got.read()
    return json.loads(text) if text else {"error": "the child died without an answer"}


def isolated(checks: list[list[str]], heavy: list[str], at_once: int) -> dict[str, dict]:
    """Each check's answer, from a forked child (at most `at_once` at a time) or a fresh interpreter."""
    if not hasattr(os, "fork"):
        results = {}
        for name, code in checks:
            job = json.dumps({"heavy": heavy, "checks": [[name, code]], "here": True})
            done = subprocess.run([sys.executable, __file__], input=job, capture_output=True, text=True, check=False)
            ok = done.returncode == 0
            results[name] = json.loads(done.stdout.splitlines()[-1])[name] if ok else {"error": done.stderr}
        return results
    results, waiting, running = {}, list(checks), {}
    while waiting or running:
        while waiting and len(running) < at_once:
            name, code = waiting.pop(0)
            pid, read = start(code, heavy)
            running[pid] = (name, read)
        pid, _ = os.wait()
        name, read = running.pop(pid)
        results[name] = answer(read)
    return results


def main() -> None:
    sys.path.insert(0, os.getcwd())  # the repository root, as for `python -c` there (not this file's folder)
    job = json.loads(sys.stdin.read())
    heavy = job["heavy"]
    if job.get("here"):  # started by isolated() where there is no fork: run in this fresh interpreter
        print(json.dumps({name: run(code, heavy) for name, code in job["checks"]}))
        return
    results = isolated(job["before"], heavy, AT_ONCE)
    if hasattr(os, "fork"):  # shared by every forked child from here on
        warm = run(job["warm"], heavy)
        loaded = [m for m in heavy if m in sys.modules]
        if "error" in warm or loaded:
            results["warm-up"] = warm if "error" in warm else {"error": f"the warm-up loaded {loaded}"}
    results |= isolated(job["after"], heavy, AT_ONCE)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
