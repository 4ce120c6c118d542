"""The class's votes as the projector shows them: bars per option, or a histogram of numbers; no answer marked.

One chart per round, each with the same vote axis (and for numbers the same bins), so two rounds drawn side
by side compare at a glance. Text is the page's size (`views.style`), projector-sized in presentation mode;
every spec carries its description as the chart's accessible name. Specs hold only finite numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt

from gradlab.fmt import num
from gradlab.rooms.question import Question, letter
from gradlab.rooms.state import Tally
from gradlab.views.style import FONT, INK, body_px, title_px

Spec = dict[str, Any]
BAR = "#1d4ed8"  # one colour for every option: no option looks like the answer
MOST_BINS = 8
_FENCE = 3.0  # numbers beyond Tukey's far fences (3 × IQR past the quartiles) go to open-ended end bins
_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Bin:
    """A bar of a histogram: [low, high), the last finite one closed; `low` −inf / `high` +inf: open-ended."""

    low: float
    high: float
    last: bool = False

    def holds(self, x: float) -> bool:
        if math.isinf(self.high):  # "above": the last finite bin keeps its own top edge
            return x > self.low
        return self.low <= x < self.high or (self.last and x == self.high)

    @property
    def label(self) -> str:
        if math.isinf(self.low):
            return f"below {num(self.high)}"
        if math.isinf(self.high):
            return f"above {num(self.low)}"
        return f"{num(self.low)} to {num(self.high)}"


def _nice_width(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is at least `raw` (> 0)."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in _NICE if m * power >= raw * (1 - 1e-12))


def _quantile(xs: Sequence[float], q: float) -> float:
    pos = (len(xs) - 1) * q
    i = int(pos)
    return xs[i] if i + 1 >= len(xs) else xs[i] + (xs[i + 1] - xs[i]) * (pos - i)


def number_bins(values: Sequence[float], most: int = MOST_BINS) -> list[Bin]:
    """Bins of nice width (1, 2, 2.5 or 5 × 10^k) covering `values`, at most `most` finite ones.

    A few wild numbers (beyond 3 × IQR past the quartiles, with 8 or more votes) go into "below"/"above"
    bins, so one typed 1e6 does not squash everyone else's answers into one bar. [] for no values.
    """
    xs = sorted(float(v) for v in values if math.isfinite(v))
    if not xs:
        return []
    inner = xs
    if len(xs) >= 8:
        q1, q3 = _quantile(xs, 0.25), _quantile(xs, 0.75)
        low_fence, high_fence = q1 - _FENCE * (q3 - q1), q3 + _FENCE * (q3 - q1)
        inner = [x for x in xs if low_fence <= x <= high_fence] or xs
    lo, hi = inner[0], inner[-1]
    width = _nice_width((hi - lo) / most if hi > lo else max(abs(lo), 1.0) / 10)
    while True:
        first = math.floor(lo / width)
        count = max(1, math.ceil(hi / width) - first)
        if count <= most:
            break
        width = _nice_width(width * 1.01)  # rounding the ends outwards can add a bin: widen a step
    edges = [(first + i) * width for i in range(count + 1)]
    bins = [Bin(edges[i], edges[i + 1], last=i == count - 1) for i in range(count)]
    if xs[0] < edges[0]:
        bins.insert(0, Bin(-math.inf, edges[0]))
    if xs[-1] > edges[-1]:
        bins.append(Bin(edges[-1], math.inf))
    return bins


def bin_counts(values: Sequence[float], bins: Sequence[Bin]) -> list[int]:
    """How many of `values` fall in each bin (every finite value falls in exactly one of `number_bins`' bins)."""
    return [sum(1 for v in values if b.holds(v)) for b in bins]


def _chart(rows: list[dict[str, Any]], x_title: str, y_max: int, title: str, description: str, present: bool) -> Spec:
    size = body_px(present)
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("bar:N", title=x_title, sort=alt.SortField("order"), axis=alt.Axis(labelAngle=0, labelLimit=220)),
        y=alt.Y(
            "votes:Q",
            title="votes",
            scale=alt.Scale(domain=[0, max(1, y_max)]),
            axis=alt.Axis(tickMinStep=1, format="d", tickCount=min(5, max(1, y_max))),
        ),
    )
    bars = base.mark_bar(color=BAR)
    counts = base.mark_text(dy=-size * 0.6, fontSize=size, color=INK, font=FONT).encode(text="votes:Q")
    height = 170 if present else 150  # the plot's own: with title and axes the chart fits beside its question
    chart = (
        alt.layer(bars, counts)
        .properties(
            height=height,
            title=alt.TitleParams(title, fontSize=title_px(present), anchor="start", color=INK, font=FONT),
            description=description,
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        )
        .configure(font=FONT)
        .configure_axis(
            labelFontSize=size,
            titleFontSize=size,
            labelColor=INK,
            titleColor=INK,
            domainColor=INK,
            tickColor=INK,
            titleFontWeight="normal",
        )
        .configure_view(stroke=None)
    )
    return chart.to_dict()


def _round_title(t: Tally) -> str:
    return f"Round {t.round}: {t.total} vote{'' if t.total == 1 else 's'}"


def choice_spec(question: Question, tally: Tally, *, y_max: int, present: bool = False) -> Spec:
    """Bars of one round's votes per option, lettered A, B, C … as the projector lists them."""
    rows = [
        {"bar": letter(i), "votes": n, "order": i, "option": label}
        for i, (label, n) in enumerate(zip(question.options, tally.counts, strict=True))
    ]
    said = ", ".join(f"{r['bar']} ({r['option']}) {r['votes']}" for r in rows)
    description = (
        f"Bar chart of the class's votes in round {tally.round}, no answer marked: {said}; {tally.total} votes."
    )
    return _chart(rows, "option", y_max, _round_title(tally), description, present)


def number_spec(tally: Tally, bins: Sequence[Bin], *, y_max: int, present: bool = False) -> Spec:
    """A histogram of one round's numbers over `bins` (shared by both rounds)."""
    counts = bin_counts(tally.values, bins)
    rows = [{"bar": b.label, "votes": n, "order": i} for i, (b, n) in enumerate(zip(bins, counts, strict=True))]
    said = ", ".join(f"{b.label}: {n}" for b, n in zip(bins, counts, strict=True))
    description = (
        f"Histogram of the class's numbers in round {tally.round}, no answer marked: {said}; {tally.total} votes."
    )
    return _chart(rows, "answer", y_max, _round_title(tally), description, present)


def round_specs(question: Question, tallies: Sequence[Tally], *, present: bool = False) -> list[Spec]:
    """One chart per round in `tallies`, on one vote axis (and one set of bins): side by side they compare."""
    if question.kind == "choice":
        y_max = max((max(t.counts, default=0) for t in tallies), default=0)
        return [choice_spec(question, t, y_max=y_max, present=present) for t in tallies]
    bins = number_bins([v for t in tallies for v in t.values])
    y_max = max((max(bin_counts(t.values, bins), default=0) for t in tallies), default=0)
    return [number_spec(t, bins, y_max=y_max, present=present) for t in tallies]
