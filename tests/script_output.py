"""Read back what an exported GradLab script prints (gradlab.views.export.to_script), for the tests that run it."""

from __future__ import annotations

import re

_EPOCH_LINE = re.compile(
    r"epoch (?P<epoch>\d+) loss (?P<loss>\S+) w \[(?P<w>[^\]]*)\] b (?P<b>\S+) "
    r"w\.grad \[(?P<w_grad>[^\]]*)\] b\.grad (?P<b_grad>\S+)"
)
_FINAL_LINE = re.compile(r"final w \[(?P<w>[^\]]*)\] b (?P<b>\S+)")
_DIVERGED_LINE = re.compile(r"diverged at epoch (?P<epoch>\d+): .*")


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def parse_script_output(text: str) -> list[dict]:
    """The script's per-epoch lines as dicts: epoch, loss, w, b, w_grad, b_grad."""
    rows = []
    for line in text.splitlines():
        if m := _EPOCH_LINE.fullmatch(line.strip()):
            row = {k: _floats(v) if k in ("w", "w_grad") else float(v) for k, v in m.groupdict().items()}
            rows.append(row | {"epoch": int(m["epoch"])})
    return rows


def parse_script_end(text: str) -> dict:
    """The script's closing lines: final_w, final_b, and diverged_at (None when it ran to the end)."""
    end: dict = {"final_w": None, "final_b": None, "diverged_at": None}
    for line in text.splitlines():
        if m := _FINAL_LINE.fullmatch(line.strip()):
            end["final_w"], end["final_b"] = _floats(m["w"]), float(m["b"])
        elif m := _DIVERGED_LINE.fullmatch(line.strip()):
            end["diverged_at"] = int(m["epoch"])
    return end
