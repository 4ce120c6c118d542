"""Grad Lab ①: the `.grad` lifecycle, one real PyTorch operation per button. State is per session."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.config import RunConfig
from gradlab.fmt import num, vec
from gradlab.lifecycle import GradLifecycle, action_labels
from ui.render import show_tensors

HISTORY_SHOWN = 12


def _same_setup(a: RunConfig, b: RunConfig) -> bool:
    """Equal apart from the epoch count (the lab does not depend on it)."""
    return a.with_(epochs=b.epochs) == b


def _lab(cfg: RunConfig) -> GradLifecycle:
    lab: GradLifecycle | None = st.session_state.get("lab_lifecycle")
    if lab is None or not _same_setup(lab.config, cfg):
        if lab is not None:
            st.toast("Settings changed: the lab restarted with fresh tensors.")
        lab = GradLifecycle(cfg)
        st.session_state["lab_lifecycle"] = lab
    return lab


def lifecycle_panel(cfg: RunConfig) -> None:
    """Buttons that each run one real PyTorch operation, and what .grad looks like after it."""
    lab = _lab(cfg)
    st.markdown(
        "Click the operations in any order and watch `w.grad` and `b.grad`: **None**, values, doubled values, "
        "zeros… Try *backward()* twice in a row, or *forward + backward() again* without zeroing."
    )
    labels = action_labels(lab.config)
    actions = list(labels.items())
    for row in (actions[:3], actions[3:6], actions[6:]):
        for col, (action, label) in zip(st.columns(3), row, strict=False):
            if col.button(label, key=f"lab_btn_{action}", width="stretch"):
                lab.run(action)
    last = lab.history[-1] if lab.history else None
    if last is not None:
        (st.success if last.ok else st.error)(f"**{labels[last.action]}** — {last.message}")
        st.code(last.code, language="python")
    show_tensors(list(lab.tensors()))
    if lab.history:
        rows = lab.history[-HISTORY_SHOWN:]
        first = len(lab.history) - len(rows) + 1
        st.markdown("**History**")
        st.table(
            pd.DataFrame(
                {
                    "#": range(first, first + len(rows)),
                    "operation": [labels[e.action] for e in rows],
                    "ok": ["✓ yes" if e.ok else "✗ no" for e in rows],
                    "loss": [num(e.loss) for e in rows],
                    "w.grad": [vec(e.w_grad) for e in rows],
                    "b.grad": [num(e.b_grad) for e in rows],
                }
            ).set_index("#")
        )
