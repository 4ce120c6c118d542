"""Data Flow and Home's worked example for the network (`model=net`): `model = Net()` through backward(), asked first.

Every number comes from `gradlab.runs.net_stages.run_net_stages` and `gradlab.probes.net_backward.non_leaf`
(cached in `ui.cache`); the questions from `gradlab.lesson.net_prompts`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.fmt import num
from gradlab.lesson.net_prompts import net_data_flow_prompts, shape_text
from gradlab.lesson.prompts import Prompt
from gradlab.lesson.sentences import nested, net_first_pass_code, net_slope_example, run_it_note
from gradlab.probes.net_backward import NonLeaf
from gradlab.runs.net_code import H_GRAD, H_HOOK, H_RETAIN, NET_BACKWARD, net_step_script
from gradlab.runs.net_stages import NetStageRun
from ui.cache import get_net_graph, get_net_stages, get_non_leaf
from ui.predictions import committed, gate
from ui.render import show_graph, stage_box
from ui.sidebar import Settings


def _prompts(run: NetStageRun, facts: NonLeaf) -> dict[int, list[Prompt]]:
    return net_data_flow_prompts(run, facts)


def net_data_flow(settings: Settings) -> None:
    """The network's five stages, each after its questions; then every .grad, h.grad and the hook, the graph, code."""
    cfg, present = settings.config, settings.present
    run, facts = get_net_stages(cfg), get_non_leaf(cfg)
    asks = _prompts(run, facts)
    for stage in run.stages:
        if not all(gate(p, predict=settings.predict, present=present) for p in asks.get(stage.number, [])):
            return
        stage_box(stage, present=present, wide_code=True)
        if stage.number < len(run.stages):
            st.markdown("<div style='text-align:center;font-size:2rem'>↓</div>", unsafe_allow_html=True)
    grads_section(run)
    non_leaf_section(run, facts)
    with st.expander("The backward graph behind stage 5", expanded=not present):
        st.markdown(
            "`loss.backward()` walks this graph from the loss down to the leaves. Blue boxes are `grad_fn` nodes, "
            "the operations autograd recorded in the forward pass; green boxes are the model's parameters. Each "
            "yellow `AccumulateGrad` node **adds** into its parameter's `.grad`, which is why gradients accumulate."
        )
        show_graph(get_net_graph(cfg), present=present)
    with st.expander("Show the code: the five stages in one block", expanded=False):
        st.code(net_step_script(cfg, run.device), language="python", wrap_lines=True)
        st.caption(run_it_note(run.device))


def grads_section(run: NetStageRun) -> None:
    """The loss, and each parameter's .grad beside its parameter's shape (read from the tensors themselves)."""
    with st.container(border=True, key="net_grads"):
        st.header("Each parameter's `.grad`, shaped like its parameter")
        c1, c2 = st.columns(2)
        c1.metric("loss", num(run.loss))
        c2.metric("out.bias.grad", nested(run.grads["out.bias"], run.grad_shapes["out.bias"]))
        same = all(run.grad_shapes[n] == run.shapes[n] for n in run.shapes)
        st.markdown(
            "One `backward()` filled the `.grad` of all four parameters, each summed over the "
            f"{run.config.n_samples} samples. "
            + (
                "Every `.grad` has exactly its parameter's shape:"
                if same
                else "**Not every `.grad` has its parameter's shape:**"
            )
        )
        table = pd.DataFrame(
            {
                "parameter": [f"model.{n}" for n in run.shapes],
                "parameter shape": [shape_text(s) for s in run.shapes.values()],
                ".grad shape": [shape_text(run.grad_shapes[n]) for n in run.shapes],
                ".grad": [nested(run.grads[n], run.grad_shapes[n]) for n in run.shapes],
            }
        ).set_index("parameter")
        st.table(table)


def _h_frame(values: tuple[float, ...], n: int) -> pd.DataFrame:
    """h.grad (N, 3) as a table: one row per sample, one column per hidden unit."""
    units = len(values) // n
    return pd.DataFrame(
        {f"unit {j}": [num(values[r * units + j]) for r in range(n)] for j in range(units)},
        index=pd.Index([f"sample {r + 1}" for r in range(n)], name="h.grad"),
    )


def non_leaf_section(run: NetStageRun, facts: NonLeaf) -> None:
    """h.grad after backward() (None, with PyTorch's warning), after h.retain_grad(), and a hook on h."""
    n = run.config.n_samples
    with st.container(border=True, key="net_non_leaf"):
        st.header("`h.grad`: a hidden activation keeps no `.grad`")
        leaf = "a leaf" if facts.is_leaf else f"not a leaf: its grad_fn is `{facts.grad_fn}`"
        got = "None" if facts.grad_without_retain is None else "a tensor"
        st.markdown(
            f"h = tanh(z) is {leaf}. After `{NET_BACKWARD}`, reading `h.grad` gives **{got}**"
            + (", and PyTorch warns:" if facts.warning else ".")
        )
        st.code(f"{NET_BACKWARD}\n{H_GRAD}", language="python", wrap_lines=True)
        if facts.warning:
            st.code(facts.warning, language="text", wrap_lines=True)
        left, right = st.columns(2)
        with left:
            st.markdown("A fresh forward pass with `h.retain_grad()` before `backward()`: `h.grad` holds the gradient.")
            st.code(f"{H_RETAIN}\n{NET_BACKWARD}\nh.grad", language="python", wrap_lines=True)
            if facts.retained is None:
                st.markdown("`h.grad` is still None.")
            else:
                st.table(_h_frame(facts.retained, n))
        with right:
            st.markdown("A hook on h: autograd calls it with h's gradient as `backward()` passes through h.")
            st.code(f"{H_HOOK}\n{NET_BACKWARD}", language="python", wrap_lines=True)
            if facts.hooked is None:
                st.markdown("The hook was not called.")
            elif facts.hook_matches_retained:
                st.markdown("The hook received exactly the tensor `h.grad` holds (left), once.")
            else:
                st.table(_h_frame(facts.hooked, n))
        diffs = [d for d in facts.param_grad_diff.values() if d is not None]
        if diffs and max(diffs) == 0:
            st.caption("`retain_grad()` and the hook change no parameter's `.grad`: all four are identical either way.")
        elif diffs:
            st.caption(f"With `retain_grad()`, the parameters' `.grad` differ by up to {num(max(diffs))}.")


def net_worked_example(settings: Settings) -> None:
    """Home, with the network: the first pass of `model = Net()`; its `.grad` values wait for Data Flow's questions."""
    cfg = settings.config
    run, facts = get_net_stages(cfg), get_non_leaf(cfg)
    reveal = not settings.predict or all(committed(p) is not None for ps in _prompts(run, facts).values() for p in ps)
    st.header("The worked example, live: the network")
    st.caption(
        f"The first forward and backward pass of `model = Net()` (device: {run.device}). It depends only on the "
        "data and the network's fixed starting values; the learning rate, epochs, zeroing and update rule matter "
        "from the first update on."
    )
    c1, c2, c3 = st.columns(3)
    c1.metric("loss", num(run.loss))
    c2.metric("out.bias.grad", nested(run.grads["out.bias"], run.grad_shapes["out.bias"]) if reveal else "?")
    c3.metric("hidden.weight.grad shape", shape_text(run.grad_shapes["hidden.weight"]) if reveal else "?")
    if not reveal:
        who = "the room votes" if settings.present else "you predict"
        st.info(
            "**Predict first.** Data Flow asks about `h.grad`, the shape of `hidden.weight.grad` and the sign of "
            f"an entry of `out.weight.grad` before it shows them: {who} there, then these numbers appear here too.",
            icon=":material/psychology:",
        )
        st.page_link("pages/1_Data_Flow.py", label="Open Data Flow and predict", icon=":material/arrow_forward:")
    example = net_slope_example(run) if reveal else None
    if example is not None:
        st.markdown(example)
    st.code(net_first_pass_code(run, reveal=reveal), language="python", wrap_lines=True)
