"""Grad Lab's pictures for a projector: the walk's neighbourhood drawing and short arithmetic, and the landscape's
layout (issue 19 §5). The browser checks are in tests/e2e/test_lab_projector.py."""

from __future__ import annotations

import re

import pytest

from gradlab.fmt import num, vec
from gradlab.probes.chain import walk_backward
from gradlab.probes.landscape import landscape_view
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.views.chain_dot import CURRENT, around, chain_dot, current_step
from gradlab.views.charts import LANDSCAPE_PLOT_PX, landscape_spec
from ui.lab.chain import _compact_frame, _step_frame

CARD = RunConfig()
WALK = walk_backward(CARD)


def boxes(dot: str) -> set[str]:
    return set(re.findall(r"^  (\w+) \[label=", dot, flags=re.M))


@pytest.mark.parametrize("pos", range(len(WALK.steps) + 1))
def test_the_neighbourhood_is_the_current_box_the_one_that_sent_to_it_and_those_it_sends_to(pos: int):
    now = current_step(WALK, pos)
    near = around(WALK, pos)
    if now is not None and now.kind == "again":
        assert near == {s.node_id for s in WALK.steps if s.kind == "accumulate"} | {"w", "b"}
    else:
        centre = "loss" if now is None else now.node_id
        senders = {a for a, b in WALK.edges if b == centre}
        targets = {b for a, b in WALK.edges if a == centre}
        assert near == {centre} | senders | targets and len(senders) <= 1
    dot = chain_dot(WALK, pos, present=True, neighbourhood=True)
    assert boxes(dot) == near  # nothing else is drawn
    assert dot.count(CURRENT) == (2 if now is not None and now.kind == "again" else (0 if now is None else 1))
    full = chain_dot(WALK, pos, present=True)
    for line in dot.splitlines():  # each box and edge drawn is drawn the same as in the whole picture
        if "[label=" in line or "->" in line:
            assert line in full.splitlines()


def test_the_neighbourhood_puts_the_sender_beside_the_current_box():
    add = next(i for i, s in enumerate(WALK.steps, start=1) if s.short_name == "AddBackward0")
    dot = chain_dot(WALK, add, neighbourhood=True)
    sender = next(a for a, b in WALK.edges if b == WALK.steps[add - 1].node_id)
    assert f"{{rank=same; {sender}; {WALK.steps[add - 1].node_id};}}" in dot
    assert "rank=same" not in chain_dot(WALK, add)  # the whole picture keeps its top-down ranks


@pytest.mark.parametrize("pos", range(1, len(WALK.steps) + 1))
def test_the_short_arithmetic_shows_autograds_values_and_whether_the_hand_values_agree(pos: int):
    step = WALK.steps[pos - 1]
    short, full = _compact_frame(step, WALK.n_samples), _step_frame(step, WALK.n_samples)
    assert short.index.name == full.index.name == step.short_name and len(short) < len(full)
    flows = [v for v in short["value"] if "by hand" in v]
    assert len(flows) == len(step.flows) and all("✓ by hand" in v for v in flows)  # the card's walk agrees
    for flow, shown in zip(step.flows, flows):
        sent = num(flow.autograd[0]) if len(flow.autograd) == 1 else vec(flow.autograd)
        assert shown == f"{sent} ✓ by hand"  # what autograd sent, as the full table shows it


@pytest.mark.parametrize("present", [False, True])
def test_the_landscape_colour_bar_stands_beside_the_plot(present: bool):
    spec = landscape_spec(landscape_view(train(CARD), 5), present=present)
    assert spec["height"] == LANDSCAPE_PLOT_PX[present]
    legend = spec["layer"][0]["encoding"]["color"]["legend"]
    assert legend["orient"] == "right" and legend["direction"] == "vertical"
