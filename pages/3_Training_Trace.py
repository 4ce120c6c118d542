"""Training Trace: the loss, weights and gradients epoch by epoch, with observations."""

from __future__ import annotations

import streamlit as st

from ui.layout import finish, page

settings = page(
    "Training Trace",
    "The loss, the weights and their `.grad`, epoch by epoch. The table records what PyTorch produced at every "
    "epoch, and each observation is written from those numbers.",
    step="Training Trace",
)

if settings.config.is_net:  # the network's view of this page (issue 21)
    from ui.net.training import training_trace

    finish("Training Trace", training_trace(settings))
    st.stop()

# The lesson's modules, and with them PyTorch, load after the sidebar and title are on screen.
from gradlab.lesson.sentences import loop_text
from ui.cache import get_trace, show_chart, trace_table
from ui.panels import CHECK_EPOCH_DEFAULT, divergence_box, downloads, grad_check_panel, headline, landscape_panel
from ui.render import number_columns, text_frame, thinned_caption

cfg, present = settings.config, settings.present
trace = get_trace(cfg)
st.markdown(loop_text(cfg))
divergence_box(trace)  # above the numbers it explains, so that the numbers and the chart stay side by side

# The headline numbers and the loss chart sit together: on a projector both fit one screen (1280×720).
headline(trace)


@st.fragment
def loss_panel() -> None:
    chart = st.container()  # the chart first, right under the numbers; its scale switch below it
    log = st.toggle("Log scale for the loss", key="tt_log", value=cfg.epochs > 20)
    with chart:
        show_chart(trace, "loss", log=log, present=present)


loss_panel()
left, right = st.columns(2)
with left:
    show_chart(trace, "params", present=present)
with right:
    show_chart(trace, "grads", present=present)

st.header("Epoch by epoch")
rows = 40 if present else 500
frame, thinned = trace_table(trace, rows, present=present)
if thinned:
    st.caption(thinned_caption(len(trace), len(frame), rows))
if present or len(frame) <= 25:  # short or projected: a plain table, wrapped text, large type applies
    st.table(text_frame(frame))
else:
    height = min(38 + 35 * len(frame), 460)
    st.dataframe(frame, hide_index=True, column_config=number_columns(frame), width="stretch", height=height)
downloads(trace)


@st.fragment
def check_panel() -> None:
    st.header("Check the gradients")
    if not st.toggle("Compare autograd with the analytic gradient and finite differences", key="tt_check"):
        return
    epoch = st.number_input("Epoch to check", 1, len(trace), CHECK_EPOCH_DEFAULT, step=1, key=f"tt_check_{len(trace)}")
    grad_check_panel(trace, int(epoch))
    if st.toggle("Show the loss landscape at this epoch", key="tt_landscape"):
        landscape_panel(trace, int(epoch), present)


check_panel()
finish("Training Trace")
