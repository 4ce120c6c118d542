"""Walking backward() node by node: every value against float64 algebra and finite differences; the panel in AppTest."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings

from gradlab.fmt import vec
from gradlab.probes.chain import ChainWalk, walk_at, walk_backward
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.views.chain_dot import CURRENT, chain_dot, chain_text, leaf_grad
from tests.apptest import open_page
from tests.strategies import points
from ui.lab import TAB

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CARD = RunConfig()
GRAD_FNS = ("MeanBackward0", "PowBackward0", "SubBackward0", "AddBackward0", "MvBackward0")
ACC = "torch::autograd::AccumulateGrad"
# The tensor each grad_fn's forward operation produced: its upstream is the gradient of the loss w.r.t. it.
PRODUCES = {"PowBackward0": "squared", "SubBackward0": "residual", "AddBackward0": "y_hat", "MvBackward0": "xw"}


def expected(cfg: RunConfig, w: tuple[float, ...], b: float) -> dict[str, np.ndarray]:
    """Every gradient of the walk, derived by hand in float64 from the float32 inputs."""
    X = np.asarray(cfg.X, np.float32).astype(float)
    y = np.asarray(cfg.y, np.float32).astype(float)
    w64, b64 = np.asarray(w, np.float32).astype(float), float(np.float32(b))
    r = X @ w64 + b64 - y
    n = len(y)
    d_res = 2 / n * r
    return {"squared": np.full(n, 1 / n), "residual": d_res, "y_hat": d_res, "xw": d_res,
            "w": X.T @ d_res, "b": np.array([d_res.sum()])}  # fmt: skip


def finite_diff(cfg: RunConfig, w: tuple[float, ...], b: float, h: float = 1e-6) -> np.ndarray:
    """Central differences of the float64 loss over [w, b]."""
    X, y = np.asarray(cfg.X, np.float32).astype(float), np.asarray(cfg.y, np.float32).astype(float)
    theta = np.array([*np.asarray(w, np.float32), np.float32(b)], dtype=float)

    def loss(t: np.ndarray) -> float:
        return float(np.mean((X @ t[:-1] + t[-1] - y) ** 2))

    return np.array([(loss(theta + h * e) - loss(theta - h * e)) / (2 * h) for e in np.eye(len(theta))])


def flows(walk: ChainWalk) -> dict[str, tuple[float, ...]]:
    """What each node of the first backward() sent, by target (leaves: their .grad after AccumulateGrad)."""
    return {f.target: f.autograd for s in walk.steps if s.kind != "again" for f in s.flows}


def check_walk(cfg: RunConfig, w: tuple[float, ...], b: float) -> None:
    walk = walk_backward(cfg, w, b)
    want = expected(cfg, w, b)
    got = flows(walk)
    scale = 1 + max(float(np.abs(v).max()) for v in want.values())
    for target, value in want.items():
        np.testing.assert_allclose(got[target], value, rtol=1e-5, atol=1e-5 * scale, err_msg=target)
    fd = finite_diff(cfg, w, b)
    np.testing.assert_allclose([*got["w"], *got["b"]], fd, rtol=1e-4, atol=1e-4 * scale)
    for step in walk.steps:
        assert step.agrees, (step.node, [(f.target, f.max_diff, f.tolerance) for f in step.flows])
        for f in step.flows:
            if f.retained is not None:  # retain_grad() kept exactly what the node sent
                assert f.retained == f.autograd
    again = {f.target: f for f in walk.steps[-1].flows}
    for leaf in ("w", "b"):
        assert again[leaf].before == got[leaf] == again[leaf].incoming
        np.testing.assert_array_equal(again[leaf].autograd, 2 * np.asarray(got[leaf]))  # g + g is exact


def test_card_walk_names_order_and_numbers():
    walk = walk_backward(CARD)
    names = [s.node for s in walk.steps]
    assert names[0] == "MeanBackward0" and walk.steps[0].upstream == (1.0,)
    assert sorted(names[:-1]) == sorted([*GRAD_FNS, ACC, ACC]) and walk.steps[-1].kind == "again"
    got = flows(walk)
    assert got["squared"] == (0.25,) * 4 and got["residual"] == (-1.75, -2.75, -3.75, -4.75)
    assert got["w"] == (-37.5, -50.5) and got["b"] == (-13.0,)
    again = {f.target: f.autograd for f in walk.steps[-1].flows}
    assert again == {"w": (-75.0, -101.0), "b": (-26.0,)}
    assert all(f.exact for s in walk.steps for f in s.flows)  # on the card, float32 is exact here
    check_walk(CARD, CARD.w0, CARD.b0)


def test_each_node_receives_what_an_earlier_node_sent():
    walk = walk_backward(CARD, (1.25, 0.5), -0.75)
    sent_by: dict[str, tuple[int, tuple[float, ...]]] = {}
    for s in walk.steps[:-1]:
        if s.node in PRODUCES:
            number, value = sent_by[PRODUCES[s.node]]
            assert number < s.number and s.upstream == value
        if s.kind == "accumulate":
            number, value = sent_by[s.flows[0].target]
            assert number < s.number and s.flows[0].incoming == value and s.flows[0].before is None
        for f in s.flows:
            sent_by.setdefault(f.target, (s.number, f.autograd))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points())
def test_any_point_matches_the_hand_derivation_and_finite_differences(point):
    check_walk(*point)


def test_a_subnormal_product_agrees_within_float32s_subnormal_step():
    """Found by hypothesis: X holding float32's smallest subnormal, whose product with the upstream rounds to 0 in
    float32 while the float64 hand value is 7e-46; float32 cannot be closer, so the walk must call it agreeing."""
    tiny = float(torch.finfo(torch.float32).smallest_normal * torch.finfo(torch.float32).eps)
    cfg = RunConfig(X=((0.0,), (tiny,)), y=(1.0, 0.5), w0=(0.0,), b0=0.0)
    check_walk(cfg, (0.0,), 0.0)


def test_every_value_that_depends_on_the_point_changes_with_it():
    a, b = walk_backward(CARD), walk_backward(CARD, (1.25, 0.5), -0.75)
    fa, fb = flows(a), flows(b)
    assert fa["squared"] == fb["squared"]  # 1/N whatever the weights
    for target in ("residual", "y_hat", "xw", "w", "b"):
        assert fa[target] != fb[target], target
    assert a.loss != b.loss and a.steps[-1].flows != b.steps[-1].flows


def test_walk_at_uses_the_epochs_weights_and_names_a_bad_epoch():
    trace = train(CARD.with_(epochs=3))
    walk = walk_at(trace, 2)
    assert walk.w == tuple(float(v) for v in trace.w[1]) and walk.b == float(trace.b[1])
    assert walk.loss == pytest.approx(float(trace.loss[1]), rel=1e-6)
    with pytest.raises(ValueError, match="epoch: 4 is out of range"):
        walk_at(trace, 4)


def test_the_picture_marks_the_current_node_and_shows_each_leafs_grad():
    walk = walk_backward(CARD)
    assert chain_dot(walk, 0).count(CURRENT) == 0 and "loss = 47.25" in chain_dot(walk, 0)
    for pos, step in enumerate(walk.steps[:-1], start=1):
        dot = chain_dot(walk, pos)
        assert dot.count(CURRENT) == 1 and f'{step.node_id} [label="{step.short_name}' in dot
        assert "penwidth=4" in dot.split(f"  {step.node_id} [")[1].split("\n")[0]
    acc_b = next(i for i, s in enumerate(walk.steps, start=1) if s.kind == "accumulate" and s.flows[0].target == "b")
    assert leaf_grad(walk, "b", acc_b - 1) is None and leaf_grad(walk, "b", acc_b) == (-13.0,)
    last = len(walk.steps)
    assert chain_dot(walk, last).count(CURRENT) == 2  # both AccumulateGrad nodes add again
    assert "w.grad = [-75, -101]" in chain_dot(walk, last) and "b.grad = -26" in chain_text(walk, last)


def graph_tab(query: dict[str, str] | None = None):
    at = open_page("grad_lab", query, run=False)
    at.session_state[TAB] = "④ Autograd graph"
    return at.run()


def now(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_panel_walks_forward_back_and_restarts_with_pytorchs_values():
    at = graph_tab()
    walk = walk_backward(CARD)
    assert not at.exception
    assert now(at) == {"w.grad now": "None", "b.grad now": "None"}
    assert at.button(key="lab_chain_back").disabled
    for pos, step in enumerate(walk.steps, start=1):
        at.button(key="lab_chain_next").click().run()
        assert any(f"Step {pos} of {len(walk.steps)}" in m.value for m in at.markdown)
        table = at.table[0].value
        assert table.index.name == step.short_name
        assert "✓ equal" in set(table["value"])
    assert at.button(key="lab_chain_next").disabled
    assert now(at) == {"w.grad now": "[-75, -101]", "b.grad now": "-26"}
    history = at.table[1].value
    assert list(history.index) == list(range(len(walk.steps), 0, -1))  # newest first
    at.button(key="lab_chain_back").click().run()
    assert now(at) == {"w.grad now": "[-37.5, -50.5]", "b.grad now": "-13"}
    at.button(key="lab_chain_restart").click().run()
    assert now(at) == {"w.grad now": "None", "b.grad now": "None"}


def test_another_epoch_restarts_the_walk_at_its_weights():
    at = graph_tab()
    for _ in range(8):
        at.button(key="lab_chain_next").click().run()
    at.slider(key="lab_graph_5").set_value(3).run()
    assert now(at) == {"w.grad now": "None", "b.grad now": "None"}
    for _ in range(7):
        at.button(key="lab_chain_next").click().run()
    walk = walk_at(train(CARD), 3)
    w_after = flows(walk)["w"]
    assert now(at)["w.grad now"] == vec(w_after)
    assert w_after != (-37.5, -50.5)


def test_a_walks_steps_are_built_by_field_name():
    """ChainStep, ChainWalk and Flow take keywords only: eleven positional arguments cannot be swapped silently."""
    step = walk_backward(CARD).steps[0]
    with pytest.raises(TypeError):
        type(step)(*(getattr(step, f) for f in step.__dataclass_fields__))
    assert type(step)(**{f: getattr(step, f) for f in step.__dataclass_fields__}) == step
