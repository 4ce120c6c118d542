"""GradLab home: what .grad is, a live worked example, your progress, and where to go next."""

from __future__ import annotations

import streamlit as st

from gradlab.lesson.sentences import net_step_code, step_code
from ui.guide import CARD_INTRO, NET_EXPERIMENTS
from ui.layout import finish, page

settings = page(
    "GradLab: PyTorch's .grad, live",
    "An interactive lesson on one tiny model, **ŷ = Xw + b** with a mean-squared-error loss. It starts from the "
    f"4 samples × 2 features of {CARD_INTRO}; you can also use your own data. Every number below is computed "
    "by real PyTorch autograd, right now.",
    step="Home",
    net_intro="An interactive lesson on PyTorch's `.grad`. The sidebar's model is the small network `Net`: "
    "2 inputs → `nn.Linear(2, 3)` → tanh → `nn.Linear(3, 1)`, written as an `nn.Module`, with a mean-squared-error "
    f"loss on the 4 samples × 2 features of {CARD_INTRO} (or your own data). The lesson's other model, the card's "
    "ŷ = Xw + b, is one click away in the sidebar. Every number below is computed by real PyTorch autograd, right now.",
)
st.header("What is `.grad`?")
st.markdown(
    "After the first `loss.backward()`, each leaf tensor that has `requires_grad=True` and that the loss depends "
    "on holds in `.grad` the derivative of the loss with respect to that tensor: for each entry, the slope of the "
    "loss as that one number changes, right at its current value. For a small change Δ the loss changes by about "
    "`.grad`·Δ; for a large one the slope itself changes. Training moves each parameter a small step "
    "*against* its `.grad`."
)
st.code(net_step_code() if settings.config.is_net else step_code(), language="python", wrap_lines=True)

# The live numbers go here, but are computed last: on a cold server PyTorch takes about a second to
# import, and by then the rest of the page is already on screen.
live = st.container()

st.info(
    "**Key insight.** After `backward()`, `.grad` stores the gradient of the loss with respect to each "
    "parameter. It points the way the loss rises fastest, so a small enough step *against* a nonzero "
    "`.grad` lowers the loss; and it *accumulates*: read it after `backward()`, update under `torch.no_grad()`, "
    "then clear it before the next `backward()`.",
    icon=":material/lightbulb:",
)

st.header("The path through the lesson")
st.markdown(
    "Predict first, then see PyTorch's answer: Data Flow, Prediction Trace and Grad Lab ask for your prediction "
    "before they reveal a result (*Predict first* in the sidebar turns this off). *Presentation mode* enlarges "
    "everything for a projector and turns predictions into *Ask the room* votes (or add `?present=1` to a link). "
    "The sidebar settings stay in the address bar, so a copied link opens the same view."
)
path_box = st.container()

with live:
    if settings.config.is_net:  # the network's first pass (issue 21): ui/net/flow.py
        from ui.net.flow import net_worked_example

        net_worked_example(settings)
    else:
        from gradlab.fmt import num, vec
        from gradlab.lesson.prompts import data_flow_prompts
        from gradlab.lesson.sentences import first_pass_code, slope_example
        from ui.cache import get_stages
        from ui.predictions import committed

        cfg = settings.config
        run = get_stages(cfg)
        # These numbers are the answers to Data Flow's questions about backward(): with *Predict first* on, they wait
        # until those questions were answered (or, projected, revealed to the room) there.
        reveal = not settings.predict or all(committed(p) is not None for p in data_flow_prompts(run, cfg)[5])
        st.header("The worked example, live")
        st.caption(
            f"The first forward and backward pass (device: {run.device}). It depends only on the data and the "
            "starting weights, which you can change on Grad Lab → *Your data*; the learning rate, epochs, zeroing "
            "and update rule matter from the first update on."
        )
        c1, c2, c3 = st.columns(3)
        c1.metric("loss", num(run.loss))
        c2.metric("w.grad", vec(run.w_grad) if reveal else "?")
        c3.metric("b.grad", num(run.b_grad) if reveal else "?")
        if not reveal:
            who = "the room votes" if settings.present else "you predict"
            st.info(
                f"**Predict first.** Data Flow asks what `backward()` puts into `w.grad` and `b.grad` before it shows "
                f"them: {who} there, then these numbers appear here too.",
                icon=":material/psychology:",
            )
            st.page_link("pages/1_Data_Flow.py", label="Open Data Flow and predict", icon=":material/arrow_forward:")
        example = slope_example(run) if reveal else None
        if example is not None:
            st.markdown(example)
        st.code(first_pass_code(run, reveal=reveal), language="python", wrap_lines=True)

with path_box:
    from ui.progress import progress_panel

    progress_panel(settings.config, present=settings.present)
    finish("Home", NET_EXPERIMENTS["Home"] if settings.config.is_net else None)
