"""`python -m bench [NAME ...] [--quick] [--only NAME[,NAME]]`: every figure beside its baseline from the same run.

Timings are printed, never asserted. The table goes to stdout; a full run also writes it to bench/latest.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import Row, loadavg, log

Measure = Callable[[dict[str, float], bool], list[Row]]
ORDER = (
    "train",
    "net",
    "apptest",
    "roundtrip",
    "coldstart",
    "memory",
    "largest",
    "load",
    "capacity",
    "replicas",
    "class",
)
NEEDS = {"largest": ("train", "coldstart")}  # largest is reported as ratios to these
LATEST = Path(__file__).resolve().parent / "latest.md"


def _measures() -> dict[str, Measure]:
    # Imported here so that `--help` and a bad --only answer without loading torch or Playwright.
    from bench.apptest_bench import apptest
    from bench.browser_bench import coldstart, largest, memory, roundtrip
    from bench.capacity_bench import capacity, class_votes_in_process
    from bench.load_bench import load
    from bench.net_bench import net_measure
    from bench.replicas_bench import class_votes_on_redis, replicas
    from bench.train_bench import train_measure

    return {
        "train": train_measure,
        "net": net_measure,
        "apptest": apptest,
        "roundtrip": roundtrip,
        "coldstart": coldstart,
        "memory": memory,
        "largest": largest,
        "load": load,
        "capacity": capacity,
        "replicas": replicas,
        # The class pattern alone (capacity and replicas include it): in process on one core, then on Redis.
        "class": lambda ctx, quick: class_votes_in_process(ctx, quick) + class_votes_on_redis(ctx, quick),
    }


def _selected(only: str | None) -> list[str]:
    if not only:
        return list(ORDER)
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    unknown = wanted - set(ORDER)
    if unknown:
        raise SystemExit(f"--only: unknown {', '.join(sorted(unknown))}; choose from {', '.join(ORDER)}")
    for name in list(wanted):
        added = set(NEEDS.get(name, ())) - wanted
        if added:
            log(f"{name} is reported against {', '.join(sorted(added))}: running it too")
            wanted |= added
    return [name for name in ORDER if name in wanted]


def table(rows: list[Row]) -> str:
    lines = ["| # | measure | GradLab | baseline | ratio | target |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.num} | {r.measure} | {r.gradlab} | {r.baseline} | {r.ratio} | {r.target} |" for r in rows]
    return "\n".join(lines)


def _environment() -> str:
    import streamlit
    import torch

    return (
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads, defaults), Streamlit {streamlit.__version__}, "
        "Chromium /usr/bin/chromium headless"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a smoke run, not for reporting")
    parser.add_argument("names", nargs="*", metavar="NAME", help="the same as --only NAME,NAME")
    parser.add_argument("--only", metavar="NAME[,NAME]", help=f"run a subset of: {', '.join(ORDER)}")
    args = parser.parse_args(argv)
    args.only = ",".join(filter(None, [args.only, *args.names])) or None
    names = _selected(args.only)
    measures = _measures()

    ctx: dict[str, float] = {}
    rows: list[Row] = []
    started, load_before = time.perf_counter(), loadavg()
    for name in names:
        log(f"{name} …")
        t0 = time.perf_counter()
        try:
            rows += measures[name](ctx, args.quick)
        except Exception as err:  # one broken measure must not hide the others
            log(f"{name} failed: {type(err).__name__}: {err}")
            rows.append(Row("!", f"{name}: failed ({type(err).__name__})", "n/a", "n/a", "n/a", "—"))
        log(f"{name} took {time.perf_counter() - t0:.1f} s")
    took, load_after = time.perf_counter() - started, loadavg()
    log(f"all measures took {took:.0f} s; 1-minute load average {load_before} before, {load_after} after")

    out = table(rows)
    flags = (" --quick" if args.quick else "") + (f" --only {','.join(names)}" if args.only else "")
    smoke = " (a smoke run: few repeats, not for reporting)" if args.quick else ""
    header = (
        f"Benchmarks from `python -m bench{flags}`{smoke}: {_environment()}; {took:.0f} s in all, 1-minute load "
        f"average {load_before} before and {load_after} after (other work on the machine skews absolute times; "
        "each ratio compares figures taken in the same run).\n\n"
    )
    if args.quick or args.only:  # a partial or smoke table must not replace the full one
        log(f"{LATEST.name} left as it was: only a full run (no --quick, no --only) writes it")
    else:
        LATEST.write_text(header + out + "\n")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
