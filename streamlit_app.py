"""GradLab home: what .grad is, a live worked example, and where to go next."""

from __future__ import annotations

import streamlit as st

from gradlab.fmt import num, vec
from ui.cache import get_stages
from ui.layout import page
from ui.sidebar import PAGES

settings = page(
    "GradLab: PyTorch's .grad, live",
    "An interactive lesson on one tiny model, **ŷ = Xw + b** with a mean-squared-error loss, on the learning "
    "card's 4 samples × 2 features or on your own data. Every number below is computed by real PyTorch "
    "autograd, right now.",
)
st.subheader("What is `.grad`?")
st.markdown(
    "After `loss.backward()`, every leaf tensor created with `requires_grad=True` holds in `.grad` the "
    "derivative of the loss with respect to itself: how much the loss would rise per unit increase of "
    "that parameter. Training moves each parameter a small step *against* its `.grad`."
)
st.code(
    "loss.backward()          # autograd fills .grad on every leaf with requires_grad=True\n"
    "with torch.no_grad():\n"
    "    w -= lr * w.grad     # a small step against the gradient\n"
    "w.grad.zero_()           # .grad accumulates: clear it before the next backward()",
    language="python",
)

# The live numbers go here, but are computed last: on a cold server PyTorch takes about a second to
# import, and by then the rest of the page is already on screen.
live = st.container()

st.info(
    "**Key insight.** `.grad` stores the gradient of the loss with respect to each parameter. "
    "It guides how to update the weights to reduce the error, and it *accumulates*: "
    "read it after `backward()`, update under `torch.no_grad()`, then zero it before the next step.",
    icon=":material/lightbulb:",
)

st.subheader("How to use GradLab")
st.markdown(
    "- **Sidebar:** learning rate, epochs, device, how gradients are zeroed and the update rule. "
    "Every page follows these settings, and the address bar keeps them, so a copied link opens the same view.\n"
    "- **Presentation mode** enlarges everything for a projector (or add `?present=1` to a link).\n"
    "- Start with the data flow, then watch training, follow one prediction, experiment in the lab, "
    "and finish with the quiz."
)
cols = st.columns(len(PAGES) - 1)
for col, (path, label, icon, blurb) in zip(cols, PAGES[1:], strict=True):
    with col:
        st.page_link(path, label=label, icon=icon)
        st.caption(blurb)

with live:
    run = get_stages(settings.config)
    st.subheader("The worked example, live")
    st.caption(
        f"First forward and backward pass with the current settings (device: {run.device}). "
        "Change the data on the Grad Lab page; change the learning rate and epochs in the sidebar."
    )
    c1, c2, c3 = st.columns(3)
    c1.metric("loss", num(run.loss))
    c2.metric("w.grad", vec(run.w_grad))
    c3.metric("b.grad", num(run.b_grad))
    st.code(
        "y_hat = X @ w + b\nloss = ((y_hat - y) ** 2).mean()\nloss.backward()\n"
        f"w.grad  # {vec(run.w_grad)}\nb.grad  # {num(run.b_grad)}",
        language="python",
    )
