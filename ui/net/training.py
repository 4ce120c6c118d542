"""Training Trace for the network (`model=net`): the loss and each parameter's `.grad` norm per epoch, the hidden
units' saturation, the local stable limit, divergence named from the loss, the table, a gradient check, downloads.

Every number and sentence comes from `gradlab` (the run, `net_observations`, `net_saturation`, `net_curvature`,
`net_verify`); this module only lays them out.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.fmt import num
from gradlab.lesson.net_observations import (
    local_limit_text,
    net_divergence,
    net_loop_text,
    saturating_lr_text,
    saturation_text,
)
from gradlab.probes.net_saturation import SCAN_EPOCHS, saturating_lrs, saturation
from gradlab.probes.net_verify import NetGradCheck, check_epoch_net
from gradlab.runs.trace import Trace
from gradlab.settings.links import format_lr, lr_options
from ui.cache import (
    chart_spec,
    get_net_curvature,
    get_saturation_scan,
    get_trace,
    net_chart_spec,
    trace_table,
)
from ui.guide import Experiment
from ui.panels import CHECK_EPOCH_DEFAULT, downloads, headline
from ui.render import number_columns, text_frame, thinned_caption
from ui.sidebar import Settings

LOSS_LOG = "tt_net_log"  # widget keys of this page's network panels
SCAN = "tt_net_scan"
SCAN_LABEL = "Find a learning rate that saturates the hidden units"
CHECK = "tt_net_check"


def _chart(spec: dict) -> None:
    st.vega_lite_chart(spec, width="stretch", theme=None)  # the spec carries its own theme and accessible name


def divergence_box(trace: Trace) -> None:
    """Divergence named from the loss itself: an error where the run was stopped, a warning where it rose above its
    start (the network has no single stable limit to compare the learning rate with)."""
    gone = net_divergence(trace)
    if gone is None:
        return
    text = f"**{gone.headline}** {gone.reason}\n\n{gone.advice}"
    if gone.stopped:
        st.error(text + f"\n\nThe table and charts end at epoch {len(trace):,}.", icon=":material/warning:")
    else:
        st.warning(text, icon=":material/trending_up:")


def charts(trace: Trace, present: bool) -> None:
    """The loss (with its log switch), each parameter's gradient norm, and the hidden units' tanh slope."""

    @st.fragment
    def loss_panel() -> None:
        chart = st.container()
        log = st.toggle("Log scale for the loss and the gradient norms", key=LOSS_LOG, value=trace.config.epochs > 20)
        with chart:
            _chart(chart_spec(trace, "loss", log=log, present=present))
            # Side by side on a screen; one under the other on a projector, where large type needs the width.
            left, right = (st.container(), st.container()) if present else st.columns(2)
            with left:
                _chart(net_chart_spec(trace, "grad_norms", log=log, present=present))
            with right:
                _chart(net_chart_spec(trace, "tanh_slope", present=present))

    loss_panel()
    st.caption(
        ("Below" if present else "Right")
        + ": backward() multiplies the gradient reaching each hidden unit h = tanh(z) by tanh's slope 1 − h²; "
        "the chart shows its mean over the samples. Near 0 (the dotted line), |h| is close to 1 and the unit passes "
        "almost no gradient on to hidden.weight and hidden.bias."
    )


def findings(trace: Trace) -> None:
    """Saturation in this run, and why the curvature-based stable limit is local for a network."""
    st.header("What the numbers say")
    with st.container(key="tt-net-findings"):
        for line in saturation_text(saturation(trace)):
            st.markdown(f"- {line}")
        start, end = get_net_curvature(trace)
        st.markdown(f"- {local_limit_text(start, end, trace.config.lr)}")


def scan_panel(trace: Trace) -> Experiment:
    """Find, on this data, a learning rate at which every hidden unit saturates and the loss stalls; the page's
    experiment is to set it (no fragment: the page's *Try this* at the end follows what the scan found)."""
    lrs = lr_options()
    label = f"{SCAN_LABEL}: train {SCAN_EPOCHS} epochs at each of the sidebar's {len(lrs)} rates"
    if not st.toggle(label, key=SCAN):
        return Experiment(f"Turn on *{SCAN_LABEL}* above, then set the rate it names.")
    with st.spinner(f"Training {len(lrs)} runs of {SCAN_EPOCHS} epochs…"):
        scan = get_saturation_scan(trace.config)
    st.markdown(saturating_lr_text(scan, SCAN_EPOCHS))
    found = saturating_lrs(scan)
    if not found:
        return Experiment(
            "Set zeroing to *never* and watch each parameter's ‖.grad‖: it is now a running sum.", {"zeroing": "never"}
        )
    lr = found[0]
    return Experiment(
        f"Set lr = {format_lr(lr)} and {SCAN_EPOCHS} epochs, the scan's smallest rate that saturates every hidden "
        "unit, and watch 1 − h² fall to 0 and the hidden layer's ‖.grad‖ vanish in the charts above.",
        {"lr": lr, "epochs": SCAN_EPOCHS},
    )


def table(trace: Trace, present: bool) -> None:
    """The epoch-by-epoch table: every entry of every parameter and its .grad, the norms, the observation."""
    st.header("Epoch by epoch")
    rows = 40 if present else 500
    frame, thinned = trace_table(trace, rows, present=present)
    if thinned:
        st.caption(thinned_caption(len(trace), len(frame), rows))
    if present:  # epoch, loss, each ‖p.grad‖ and the observation: a plain table, large type applies
        st.table(text_frame(frame))
    else:
        height = min(38 + 35 * len(frame), 460)
        st.dataframe(frame, hide_index=True, column_config=number_columns(frame), width="stretch", height=height)


def check_frame(check: NetGradCheck, *, present: bool = False) -> pd.DataFrame:
    """One row per parameter entry: the run's float32 .grad, float64 autograd, finite differences, the differences
    (`present`: float32 autograd beside finite differences only, which fit a projector's width in large type)."""
    frame = pd.DataFrame(
        {
            "entry": [f"{r.param}.grad[{', '.join(map(str, r.index))}]" for r in check.rows],
            "autograd (float32)": [repr(r.autograd32) for r in check.rows],
            "autograd (float64)": [repr(r.autograd64) for r in check.rows],
            "finite differences": [repr(r.finite_diff) for r in check.rows],
            "|64 − 32|": [num(r.autograd_diff, 3) for r in check.rows],
            "rounding bound": [num(r.rounding_bound, 3) for r in check.rows],
        }
    )
    return frame[["entry", "autograd (float32)", "finite differences"]] if present else frame


@st.fragment
def check_panel(trace: Trace, present: bool) -> None:
    """Autograd's `.grad` of every parameter entry beside float64 autograd, finite differences and gradcheck."""
    st.header("Check the gradients")
    if not st.toggle("Compare autograd with float64 autograd, finite differences and gradcheck", key=CHECK):
        return
    epoch = st.number_input("Epoch to check", 1, len(trace), CHECK_EPOCH_DEFAULT, step=1, key=f"{CHECK}_{len(trace)}")
    check = check_epoch_net(trace, int(epoch))
    st.markdown(
        f"At epoch {int(epoch)}'s parameters (on **{check.device}**): a fresh float32 `backward()`, the same in "
        "float64, and central finite differences in float64, on the same float32 values of X, y and the parameters."
    )
    st.table(check_frame(check, present=present))
    verdict = "passes" if check.gradcheck_all else "fails"
    text = (
        f"torch.autograd.gradcheck in float64 {verdict} for all four parameters together. "
        + (
            "Every float32 entry is within its rounding bound of float64 autograd."
            if check.autograd_agrees
            else "Some float32 entries differ from float64 autograd by more than their rounding bound."
        )
        + (
            " Every finite difference is within its truncation and rounding bound of float64 autograd."
            if check.finite_diff_agrees
            else " Some finite differences differ from float64 autograd by more than their bound."
        )
    )
    (st.caption if check.agrees else st.warning)(text)
    if trace.config.zeroing == "never" and int(epoch) > 1:
        st.info(
            "Zeroing is set to *never*: the table's `.grad` columns are the running sum of every epoch's gradient, "
            "while this check is one fresh backward() at this epoch's parameters."
        )


def training_trace(settings: Settings) -> Experiment | None:
    """The whole Training Trace page body for model=net; returns the page's experiment (None: the page's own)."""
    cfg, present = settings.config, settings.present
    trace = get_trace(cfg)
    st.markdown(net_loop_text(cfg))
    divergence_box(trace)
    if len(trace) == 0:
        st.info(
            "The first epoch already overflowed float32, so there is nothing to chart, tabulate or download.",
            icon=":material/info:",
        )
        return None
    headline(trace)
    charts(trace, present)
    findings(trace)
    experiment = scan_panel(trace)
    table(trace, present)
    downloads(trace)
    check_panel(trace, present)
    return experiment
