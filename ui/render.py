"""Small renderers that turn gradlab results into Streamlit elements (no arithmetic here)."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from gradlab.fmt import num
from gradlab.graph import AutogradGraph
from gradlab.table import epoch_table
from gradlab.tensors import TensorInfo
from gradlab.trace import Trace, downsample
from gradlab.verify import GradCheck

TABLE_ROWS = 500


def tensor_table(infos: tuple[TensorInfo, ...] | list[TensorInfo]) -> pd.DataFrame:
    """Autograd facts of tensors, one row each, as text for st.table."""
    return pd.DataFrame(
        {
            "tensor": [t.name for t in infos],
            "shape": [t.shape_text for t in infos],
            "dtype / device": [f"{t.dtype} / {t.device}" for t in infos],
            "requires_grad": [str(t.requires_grad) for t in infos],
            "is_leaf": [str(t.is_leaf) for t in infos],
            "grad_fn": [t.grad_fn or "None" for t in infos],
            ".grad": [t.grad if t.grad is not None else "None" for t in infos],
        }
    ).set_index("tensor")


def show_tensors(infos: tuple[TensorInfo, ...] | list[TensorInfo]) -> None:
    """Each tensor as PyTorch prints it, then the table of its autograd facts."""
    for t in infos:
        st.code(f"{t.name}\n{t.text}", language="python", wrap_lines=True)
        if t.note:
            st.caption(t.note)
    st.table(tensor_table(infos))


def trace_frame(trace: Trace, max_rows: int = TABLE_ROWS) -> tuple[pd.DataFrame, bool]:
    """The trace table, thinned to at most `max_rows` rows (first, last, turning points kept)."""
    df = epoch_table(trace)
    idx = downsample(len(df), [trace.loss, trace.grad_norm], max_rows, head=min(50, max_rows // 2))
    first = ["epoch", "loss", "observation"]  # the sentence next to the number it describes
    df = df[first + [c for c in df.columns if c not in first]]
    return df.iloc[idx].reset_index(drop=True), len(idx) < len(df)


def text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The same table as text (six significant digits) for st.table, which large type can style."""
    return df.astype(object).map(lambda v: num(v) if isinstance(v, float) else str(v))


def number_columns(df: pd.DataFrame) -> dict[str, st.column_config.Column]:
    """Six significant digits for every float column; a wide observation column."""
    cfg: dict[str, st.column_config.Column] = {
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
            "autograd .grad (float32)": [num(r.autograd, 9) for r in check.rows],
            "analytic 2/N·Xᵀ(ŷ−y) (float64)": [num(r.analytic, 9) for r in check.rows],
            "finite differences (float64)": [num(r.finite_diff, 9) for r in check.rows],
            "|analytic − autograd|": [f"{r.analytic_diff:.2e}" for r in check.rows],
            "|finite diff − analytic|": [f"{r.finite_diff_diff:.2e}" for r in check.rows],
        }
    ).set_index("parameter")


def show_graph(graph: AutogradGraph) -> None:
    """The backward graph as a picture, with the same graph in words for screen readers (visually hidden)."""
    st.graphviz_chart(graph.dot)
    st.markdown(f'<p class="gl-sr-only">{html.escape(graph.as_text())}</p>', unsafe_allow_html=True)
