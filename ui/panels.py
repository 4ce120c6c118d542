"""Panels shared by several pages: gradient check, loss landscape, downloads, divergence."""

from __future__ import annotations

from functools import partial

import streamlit as st

from gradlab.fmt import num
from gradlab.lesson.divergence import explain, warn
from gradlab.probes.verify import check_epoch, explain_check
from gradlab.runs.trace import Trace
from gradlab.views.export import to_csv, to_markdown, to_script
from ui.cache import show_chart
from ui.render import grad_check_frame

# The gradient check opens at the first epoch on every page: the card's own gradients, and always finite.
CHECK_EPOCH_DEFAULT = 1


def divergence_box(trace: Trace) -> None:
    """Name divergence as soon as it starts (a warning), and say plainly where a run was stopped (an error).

    The network has no single stable limit: its divergence is named from the loss itself
    (`gradlab.lesson.net_observations.net_divergence`).
    """
    if trace.config.is_net:
        from gradlab.lesson.net_observations import net_divergence

        d = net_divergence(trace)
        if d is not None:
            (st.error if d.stopped else st.warning)(
                f"**{d.headline}** {d.reason}\n\n{d.advice}", icon=":material/warning:" if d.stopped else None
            )
        return
    stopped, warning = explain(trace), warn(trace)
    if warning is not None:
        st.warning(
            f"**{warning.headline}** {warning.reason}" + ("" if stopped else f"\n\n{warning.advice}"),
            icon=":material/trending_up:",
        )
    if stopped is not None:
        st.error(
            f"**Training diverged at epoch {stopped.epoch}:** {stopped.reason}. The run was stopped there, and the "
            f"table and charts end at epoch {len(trace)}.\n\n{stopped.advice}",
            icon=":material/warning:",
        )


def grad_check_panel(trace: Trace, epoch: int) -> None:
    """Autograd vs analytic vs finite differences at one epoch's weights."""
    check = check_epoch(trace, epoch)
    st.markdown(
        f"At epoch {epoch}'s weights (on **{check.device}**): autograd's `.grad` in float32, the hand-derived "
        "gradient 2/N·Xᵀ(ŷ−y) and 2/N·Σ(ŷ−y), and central finite differences; the last two in float64, on the "
        "same float32 values of X, y, w and b that autograd uses."
    )
    st.table(grad_check_frame(check))
    (st.caption if check.agrees else st.warning)("\n\n".join(explain_check(check)))
    if trace.config.zeroing == "never" and epoch > 1:
        st.info(
            "Zeroing is set to *never*: the Training Trace's `.grad` column is the running sum of every epoch's "
            "gradient, while this check is one fresh backward() at this epoch's weights."
        )


def landscape_panel(trace: Trace, epoch: int, present: bool) -> None:
    """The loss over (w1, w2) at the epoch's b, with the path so far and the −.grad arrow."""
    if trace.config.n_features != 2:
        st.info("The landscape needs exactly two features.")
        return
    show_chart(trace, "landscape", epoch=epoch, present=present)
    never = trace.config.zeroing == "never"
    if never:
        st.caption(
            "Zeroing is *never*: the arrow follows the accumulated .grad the update really used, the running sum "
            "of every gradient so far, which need not point downhill."
        )
    st.caption(f"The slice is taken at epoch {epoch}'s bias, b = {num(trace.b[epoch - 1], 4)}.")
    arrow = (
        "the direction of the update w ← w − lr·.grad."
        if never
        else "the steepest way down from this point: `.grad` points uphill, and the update w ← w − lr·.grad "
        "steps against it."
    )
    st.caption(
        f"Dark = low loss. The white line is the path of (w1, w2) so far; the red arrow points along −.grad, {arrow} "
        "(b is held at this epoch's value, so the slice changes a little as b learns.)"
    )


def downloads(trace: Trace) -> None:
    """CSV, a standalone PyTorch script, and a Markdown summary of the run, each made only when clicked."""
    with st.popover("Download this run: CSV, PyTorch script, Markdown", icon=":material/download:", width="stretch"):
        st.download_button(
            "Download the trace as CSV", partial(to_csv, trace), "gradlab_trace.csv", "text/csv", width="stretch"
        )
        st.download_button(
            "Download as a PyTorch script",
            partial(to_script, trace.config),
            "gradlab_run.py",
            "text/x-python",
            width="stretch",
            help="A self-contained script (torch only) that reproduces this run: with the same PyTorch on the same "
            "kind of device it prints the same numbers.",
        )
        st.download_button(
            "Download a Markdown summary",
            partial(to_markdown, trace),
            "gradlab_summary.md",
            "text/markdown",
            width="stretch",
        )


def headline(trace: Trace) -> None:
    """Training Trace's headline figures, for either model: start loss, the last epoch's loss (before its update) and
    the loss after the last update, named side by side; epochs to loss < 0.01 and the last ‖.grad‖. On a projector
    they and the loss chart below fit one screen (1280×720)."""
    from gradlab.lesson.net_observations import net_loss_after_help
    from gradlab.lesson.observations import convergence_text, summary
    from gradlab.lesson.sentences import loss_after_help, loss_after_updates, loss_at_epoch, loss_at_epoch_help
    from gradlab.runs.trace import CONVERGED_LOSS

    net = trace.model == "net"
    head = summary(trace)
    after = head["after_loss"]
    after_help = (net_loss_after_help if net else loss_after_help)(trace, None if after is None else float(after))
    with st.container(key="tt-headline"):
        c1, c2, c3, c4, c5 = st.columns(5)
        c1.metric("start loss", num(head["start_loss"]))
        # The last row's loss and the loss after the last update are different numbers: both named, side by side.
        c2.metric(loss_at_epoch(len(trace)), num(head["end_loss"]), help=loss_at_epoch_help(trace))
        c3.metric(loss_after_updates(len(trace)), "stopped" if after is None else num(after), help=after_help)
        reached, reached_help = convergence_text(trace)
        c4.metric(f"epochs to loss < {CONVERGED_LOSS:g}", reached, help=reached_help)
        c5.metric(
            "final ‖.grad‖",
            num(head["final_grad_norm"], 4),
            help="‖every parameter's .grad together‖₂ after the last backward()." if net else None,
        )
