"""Small renderers that turn gradlab results into Streamlit elements (no arithmetic here)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from gradlab.fmt import PRECISE_DIGITS, num
from gradlab.lesson.card import CardRow
from gradlab.probes.graph import AutogradGraph
from gradlab.probes.verify import GradCheck
from gradlab.runs.stages import Stage
from gradlab.runs.tensors import TensorInfo
from gradlab.runs.trace import Trace, downsample
from gradlab.views.graph_dot import graph_dot, graph_text
from gradlab.views.table import epoch_table

if TYPE_CHECKING:  # what st.column_config.*Column returns; Streamlit names the type only in this module
    from streamlit.elements.lib.column_types import ColumnConfig

TABLE_ROWS = 500


def tensor_table(infos: tuple[TensorInfo, ...] | list[TensorInfo], *, present: bool = False) -> pd.DataFrame:
    """Autograd facts of tensors, one row each, as text for st.table; `present` (a projector) keeps the essentials."""
    columns: dict[str, list[str]] = {
        "tensor": [t.name for t in infos],
        "shape": [t.shape_text for t in infos],
        "dtype / device": [f"{t.dtype} / {t.device}" for t in infos],
        "requires_grad": [str(t.requires_grad) for t in infos],
        "is_leaf": [str(t.is_leaf) for t in infos],
        "grad_fn": [t.grad_fn or "None" for t in infos],
        ".grad": [t.grad if t.grad is not None else "None" for t in infos],
    }
    if present:
        del columns["dtype / device"]  # requires_grad stays: it is what the lesson teaches
    return pd.DataFrame(columns).set_index("tensor")


def show_tensors(infos: tuple[TensorInfo, ...] | list[TensorInfo], *, present: bool = False) -> None:
    """Each tensor as PyTorch prints it, then the table of its autograd facts."""
    for t in infos:
        st.code(f"{t.name}\n{t.text}", language="python", wrap_lines=True)
        if t.note:
            st.caption(t.note)
    st.table(tensor_table(infos, present=present))


def head_rows(max_rows: int) -> int:
    """How many first epochs a thinned table keeps whole."""
    return min(50, max_rows // 2)


def thinned_caption(epochs: int, rows: int, max_rows: int) -> str:
    """What a thinned table keeps, in the words of `gradlab.runs.trace.downsample`, which chose its rows."""
    return (
        f"{epochs:,} epochs: showing {rows} rows: the first {head_rows(max_rows)} epochs, the last, and in between, "
        "for each stretch of epochs, the rows where the loss and the gradient norm are lowest and highest. "
        "The CSV download has every epoch."
    )


def trace_frame(trace: Trace, max_rows: int = TABLE_ROWS, *, present: bool = False) -> tuple[pd.DataFrame, bool]:
    """The trace table, thinned to at most `max_rows` rows (see `thinned_caption`).

    The observation, a sentence, comes last so the numbers stay side by side; `present` (a projector) keeps the
    loss and the gradients, which the charts above do not show digit by digit.
    """
    df = epoch_table(trace)
    idx = downsample(len(df), [trace.loss, trace.grad_norm], max_rows, head=head_rows(max_rows))
    cols = [c for c in df.columns if c != "observation"]
    if present:
        # the linear model's w1.grad … b.grad; the network's 13 entries would not fit: its grad_norm (the chart
        # above the table draws each parameter's)
        grads = ["grad_norm"] if trace.model == "net" else [c for c in cols if c.endswith(".grad")]
        cols = ["epoch", "loss", *grads]
    df = df[[*cols, "observation"]]
    return df.iloc[idx].reset_index(drop=True), len(idx) < len(df)


def text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The same table as text (six significant digits) for st.table, which large type can style."""
    return df.astype(object).map(lambda v: num(v) if isinstance(v, float) else str(v))


def number_columns(df: pd.DataFrame) -> dict[str, ColumnConfig]:
    """Six significant digits for every float column; a wide observation column."""
    cfg: dict[str, ColumnConfig] = {
        c: st.column_config.NumberColumn(c, format="%.6g") for c in df.columns if df[c].dtype.kind == "f"
    }
    if "observation" in df.columns:
        cfg["observation"] = st.column_config.TextColumn("observation", width=460)
    if "epoch" in df.columns:
        cfg["epoch"] = st.column_config.NumberColumn("epoch", format="%d")
    return cfg


def grad_check_frame(check: GradCheck) -> pd.DataFrame:
    """Gradient check rows as text with full precision."""
    return pd.DataFrame(
        {
            "parameter": [r.param for r in check.rows],
            "autograd .grad (float32)": [num(r.autograd, PRECISE_DIGITS) for r in check.rows],
            "analytic 2/N·Xᵀ(ŷ−y) (float64)": [num(r.analytic, PRECISE_DIGITS) for r in check.rows],
            "finite differences (float64)": [num(r.finite_diff, PRECISE_DIGITS) for r in check.rows],
            "|analytic − autograd|": [num(r.analytic_diff, 3) for r in check.rows],
            "|finite diff − analytic|": [num(r.finite_diff_diff, 3) for r in check.rows],
        }
    ).set_index("parameter")


def show_graph(graph: AutogradGraph, *, present: bool = False) -> None:
    """The backward graph as a picture, with the same graph in words for screen readers (visually hidden).

    Node text is at the page's body size (gradlab.views.style), so it reads like the text around it.
    """
    st.graphviz_chart(graph_dot(graph, present=present))
    st.markdown(f'<p class="gl-sr-only">{html.escape(graph_text(graph))}</p>', unsafe_allow_html=True)


def stage_box(stage: Stage, *, present: bool = False, wide_code: bool = False) -> None:
    """One data-flow stage: what it does, its PyTorch line, the tensors it produced and their autograd facts.

    `wide_code` puts the description and code across the whole box, then the tensors two abreast (the network's
    lines are long).
    """
    with st.container(border=True):
        st.header(f"{stage.number}. {stage.title}")
        about = f"{stage.description}\n\n**{stage.input_shape} → {stage.output_shape}**"
        if wide_code:
            st.markdown(about)
            st.code(stage.code, language="python", wrap_lines=True)
            cols = st.columns(2)
            for i, t in enumerate(stage.tensors):
                with cols[i % 2]:
                    _tensor_text(t)
        else:
            left, right = st.columns([1, 1])
            with left:
                st.markdown(about)
                st.code(stage.code, language="python", wrap_lines=True)
            with right:
                for t in stage.tensors:
                    _tensor_text(t)
        st.table(tensor_table(stage.tensors, present=present))


def _tensor_text(t: TensorInfo) -> None:
    st.code(f"{t.name}\n{t.text}", language="python", wrap_lines=True)
    if t.note:
        st.caption(t.note)


def card_table(rows: list[CardRow]) -> pd.DataFrame:
    """What the card prints beside what PyTorch computes."""
    return pd.DataFrame(
        {
            "quantity": [r.quantity for r in rows],
            "the card prints": [r.card for r in rows],
            "PyTorch computes": [r.pytorch for r in rows],
        }
    ).set_index("quantity")
