"""Grad Lab ④, below the graph: walk backward() node by node, upstream × local = what each node sends on."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from gradlab.fmt import num, vec
from gradlab.probes.chain import ChainStep, ChainWalk, Flow
from gradlab.runs.trace import Trace
from gradlab.views.chain_dot import chain_dot, chain_text, current_step, leaf_grad
from gradlab.views.style import body_px
from ui.cache import get_walk

# Session keys, owned here.
POS = "lab_chain_pos"  # how many nodes of the walk have run (0: backward() has not started)
FOR = "lab_chain_for"  # the point (settings and epoch) the position belongs to: another one starts at 0
INTRO = (
    "The same graph, one node at a time, at epoch {epoch}'s weights with fresh leaves (`.grad` starts as None). "
    "Each `grad_fn` node multiplies the gradient arriving from above (*upstream*) by its own local derivative and "
    "passes the product on: the chain rule. Each `AccumulateGrad` adds what arrives into its leaf's `.grad`. Hooks "
    "on the nodes record what autograd really passed, in the order its engine ran them."
)
SHOWN = 6  # values of a long vector shown before "…"
_GRAPH_TEXT = "<style>.st-key-lab_chain_graph svg text {{font-size: {size}px !important;}}</style>"  # static CSS


def chain_section(trace: Trace, epoch: int, *, present: bool = False) -> None:
    """The Grad Lab section: an expander holding the walk at the epoch's weights."""
    box = st.expander("Walk backward() node by node", expanded=True, key="lab_chain_open", on_change="rerun")
    if box.open:
        with box:
            st.markdown(INTRO.format(epoch=epoch))
            try:
                walk = get_walk(trace, epoch)
            except ValueError as err:  # weights outside what the lesson accepts, e.g. far into a divergence
                st.info(f"No walk at this epoch: {err}", icon=":material/info:")
                return
            _panel(walk, f"{trace.config!r}@{epoch}", present)


def _move(by: int, last: int) -> None:
    """Button callback: relative to the stored position, so quick clicks each count."""
    st.session_state[POS] = min(max(int(st.session_state.get(POS, 0)) + by, 0), last)


def _restart() -> None:
    st.session_state[POS] = 0


def _panel(walk: ChainWalk, point: str, present: bool) -> None:
    if not math.isfinite(walk.loss):
        st.info(f"At these weights the loss is {num(walk.loss)} in float32: there is no gradient to walk.")
        return
    ss = st.session_state
    if ss.get(FOR) != point:  # another point or setting: start again at the loss
        ss[FOR], ss[POS] = point, 0
    last = len(walk.steps)
    pos = min(max(int(ss.get(POS, 0)), 0), last)
    c1, c2, c3 = st.columns(3)
    c1.button("Back", key="lab_chain_back", on_click=_move, args=(-1, last), disabled=pos == 0, width="stretch")
    c2.button(
        "Next node", key="lab_chain_next", on_click=_move, args=(1, last), disabled=pos == last, type="primary",
        width="stretch",
    )  # fmt: skip
    c3.button("Restart", key="lab_chain_restart", on_click=_restart, disabled=pos == 0, width="stretch")
    step = current_step(walk, pos)
    st.markdown(_headline(step, pos, last))
    if present:  # a projector: the buttons, the node and its arithmetic on one screen at 1280×720
        _projected(walk, step, pos)
    else:  # a screen: the whole graph beside the arithmetic
        now, picture = st.columns([3, 2], gap="medium")
        with now:
            _grads(walk, pos)
            _arithmetic(walk, step)
        with picture:
            _picture(walk, pos, present=False)
    if pos:
        st.markdown("**Steps so far, newest first**")
        st.table(_history_frame(walk.steps[:pos]), hide_index=False)  # the step numbers (a RangeIndex to pandas)


def _grads(walk: ChainWalk, pos: int, *, stacked: bool = False) -> None:
    """Each leaf's .grad after the steps so far, large."""
    with st.container(horizontal=not stacked, key="lab_chain_grads", gap="medium"):
        for leaf in ("w", "b"):
            st.metric(f"{leaf}.grad now", _grad(leaf_grad(walk, leaf, pos)), width="stretch")


def _arithmetic(walk: ChainWalk, step: ChainStep | None, *, compact: bool = False) -> None:
    """The current node's arithmetic (before the first node: where backward() starts), and why."""
    if step is None:
        st.markdown(
            f"`loss.backward()` on the scalar loss ({num(walk.loss)}) starts from d loss/d loss = 1. "
            "Press **Next node** to run the first node."
        )
        return
    st.table(_compact_frame(step, walk.n_samples) if compact else _step_frame(step, walk.n_samples))
    st.caption(step.why)


def _picture(walk: ChainWalk, pos: int, *, present: bool) -> None:
    """The walk's graph (projected: the current node and its neighbours), and the same in words, visually hidden."""
    with st.container(key="lab_chain_graph"):
        # Streamlit draws every graphviz text at a fixed ~10 px, whatever the DOT says; give it the DOT's size back.
        st.markdown(_GRAPH_TEXT.format(size=body_px(present)), unsafe_allow_html=True)
        st.graphviz_chart(chain_dot(walk, pos, present=present, neighbourhood=present))
        st.markdown(f'<p class="gl-sr-only">{html.escape(chain_text(walk, pos))}</p>', unsafe_allow_html=True)


def _projected(walk: ChainWalk, step: ChainStep | None, pos: int) -> None:
    """Projected: the leaves' .grad beside the current node's neighbourhood, then the node's arithmetic, short."""
    left, right = st.columns([1, 3], gap="medium")
    with left:
        _grads(walk, pos, stacked=True)
    with right:
        _picture(walk, pos, present=True)
    _arithmetic(walk, step, compact=True)
    if step is not None:
        with st.expander("Every number of this node: by hand and from autograd, side by side", expanded=False):
            st.table(_step_frame(step, walk.n_samples))


def _headline(step: ChainStep | None, pos: int, last: int) -> str:
    if step is None:
        return f"**Step 0 of {last}:** backward() has not started."
    if step.kind == "again":
        return f"**Step {pos} of {last}: `backward()` again (fresh forward)**: each `AccumulateGrad` adds again."
    if step.kind == "accumulate":
        return f"**Step {pos} of {last}:** `{step.short_name}` for the leaf `{step.flows[0].target}`"
    return f"**Step {pos} of {last}:** `{step.short_name}`, recorded by `{step.forward}`"


def _values(values: Sequence[float], n: int = 0) -> str:
    """A vector as text; a matrix when `n` rows are given; long ones cut after SHOWN values."""
    if n and len(values) > n:
        f = len(values) // n
        rows = [vec(values[i * f : (i + 1) * f]) for i in range(min(n, SHOWN))]
        return "[" + ", ".join(rows) + (", …]" if n > SHOWN else "]")
    if len(values) == 1:
        return num(values[0])
    return vec(values[:SHOWN])[:-1] + (", …]" if len(values) > SHOWN else "]")


def _grad(values: Sequence[float] | None) -> str:
    return "None" if values is None else _values(values)


def _check(flow: Flow) -> str:
    if flow.exact:
        return "✓ equal"
    if flow.agrees:
        return f"✓ equal to float32 rounding (largest difference {num(flow.max_diff, 2)})"
    return f"✗ differs by {num(flow.max_diff, 2)}, more than float32 rounding ({num(flow.tolerance, 2)})"


def _step_frame(step: ChainStep, n: int) -> pd.DataFrame:
    """The current node's arithmetic: upstream, local derivative, the hand result, and what autograd produced."""
    rows: list[tuple[str, str]] = []
    if step.kind == "grad_fn":
        rows += [(f"upstream: {step.upstream_label}", _values(step.upstream))]
        rows += [(f"× local: {step.local_label}", _values(step.local, n if step.short_name == "MvBackward0" else 0))]
        for flow in step.flows:
            rows += [(f"= d loss/d {flow.target}, by hand: {flow.formula}", _values(flow.hand))]
            rows += [(f"what {step.short_name} sent (autograd)", _values(flow.autograd))]
            rows += [("hand = autograd?", _check(flow))]
            if flow.retained is not None:
                rows += [(f"{flow.target}.grad (kept by retain_grad())", _values(flow.retained))]
    else:
        for flow in step.flows:
            leaf = flow.target
            rows += [(f"incoming d loss/d {leaf}", _grad(flow.incoming))]
            rows += [(f"{leaf}.grad before", _grad(flow.before))]
            rows += [(f"{leaf}.grad after, by hand: {flow.formula}", _values(flow.hand))]
            rows += [(f"{leaf}.grad after (autograd)", _values(flow.autograd))]
            rows += [("hand = autograd?", _check(flow))]
    return pd.DataFrame({"value": [v for _, v in rows]}, index=pd.Index([k for k, _ in rows], name=step.short_name))


def _agreed(flow: Flow) -> str:
    """Autograd's value, marked when the hand value agrees with it (else both)."""
    sent = _values(flow.autograd)
    return f"{sent} ✓ by hand" if flow.agrees else f"{sent} ✗ by hand: {_values(flow.hand)}"


def _compact_frame(step: ChainStep, n: int) -> pd.DataFrame:
    """The current node's arithmetic in a few rows (projected): upstream × local, and what each flow became,
    marked ✓ where the hand value agrees with autograd's."""
    rows: list[tuple[str, str]] = []
    if step.kind == "grad_fn":
        rows += [(f"upstream: {step.upstream_label}", _values(step.upstream))]
        rows += [(f"× local: {step.local_label}", _values(step.local, n if step.short_name == "MvBackward0" else 0))]
        rows += [(f"= d loss/d {flow.target}", _agreed(flow)) for flow in step.flows]
    else:
        for flow in step.flows:
            rows += [(f"incoming d loss/d {flow.target}", _grad(flow.incoming))]
            was = "was None: the incoming" if flow.before is None else f"{_grad(flow.before)} + incoming"
            rows += [(f"{flow.target}.grad after = {was}", _agreed(flow))]
    return pd.DataFrame({"value": [v for _, v in rows]}, index=pd.Index([k for k, _ in rows], name=step.short_name))


def _history_frame(steps: Sequence[ChainStep]) -> pd.DataFrame:
    rows = list(reversed(steps))
    return pd.DataFrame(
        {
            "step": [s.number for s in rows],
            "node": [s.short_name if s.kind != "again" else "backward() again" for s in rows],
            "result": ["; ".join(_result(s, f) for f in s.flows) for s in rows],
            "check": ["✓" if s.agrees else "✗" for s in rows],
        }
    ).set_index("step")


def _result(step: ChainStep, flow: Flow) -> str:
    name = f"{flow.target}.grad" if step.kind != "grad_fn" else f"d loss/d {flow.target}"
    return f"{name} = {_values(flow.autograd)}"
