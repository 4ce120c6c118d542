"""Grad Lab ② for the network: step through the run one epoch at a time, each parameter's `.grad` and the loss, with
the question "up or down?" asked before each new loss is shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.fmt import num
from gradlab.lesson.net_step_prompts import net_loss_direction
from gradlab.runs.trace import Trace
from ui.lab.net_lifecycle import grad_text
from ui.predictions import committed, gate

EPOCH = "lab_net_step_epoch"  # session key: (the run's config repr, the epoch shown)


def _epoch(trace: Trace) -> int:
    kept = st.session_state.get(EPOCH)
    if not kept or kept[0] != repr(trace.config):
        return 1
    return min(max(int(kept[1]), 1), len(trace))


def _go(trace: Trace, epoch: int) -> None:
    st.session_state[EPOCH] = (repr(trace.config), min(max(epoch, 1), len(trace)))


def params_frame(trace: Trace, epoch: int) -> pd.DataFrame:
    """Each parameter at the start of `epoch` and its `.grad` after that epoch's backward()."""
    i = trace.index(epoch)
    rows = []
    for name in trace.names:
        value, grad = trace.params[name][i], trace.grads[name][i]
        shape = tuple(value.shape)
        rows.append(
            {
                "parameter": name,
                "shape": str(shape),
                "value": grad_text(tuple(value.reshape(-1).tolist()), shape),
                ".grad": grad_text(tuple(grad.reshape(-1).tolist()), shape),
                "‖.grad‖": num(float(trace.grad_norms[name][i])),
            }
        )
    return pd.DataFrame(rows).set_index("parameter")


def net_stepper_panel(trace: Trace, *, present: bool = False, predict: bool = True) -> None:
    """Previous / Next through the epochs of the run; before a new loss, the learner predicts up or down."""
    epoch = _epoch(trace)
    cfg = trace.config
    step = "`optimizer.step()`" if cfg.update == "sgd" else "`p -= lr * p.grad` for each parameter under `no_grad`"
    zero = {
        "zero": "`optimizer.zero_grad(set_to_none=False)`" if cfg.update == "sgd" else "`p.grad.zero_()`",
        "none": "`optimizer.zero_grad()`" if cfg.update == "sgd" else "`p.grad = None`",
        "never": "no zeroing (`.grad` keeps adding up)",
    }[cfg.zeroing]
    st.markdown(
        f"The sidebar's run of `model = Net()`, one epoch at a time ({len(trace)} epochs recorded). Each epoch runs "
        f"`y_hat = model(X)`, the loss, `loss.backward()`, {step}, then {zero}. Before each new loss, say "
        "whether it goes up or down."
    )
    asking = net_loss_direction(trace, epoch) if epoch > 1 else None
    # While this epoch's up-or-down is open, stepping on would show its loss (the answer) above the next question.
    waiting = predict and asking is not None and committed(asking) is None
    with st.container(horizontal=True, gap="small"):
        st.button(
            "◀ Previous epoch", key="lab_net_step_prev", disabled=epoch <= 1, on_click=_go, args=(trace, epoch - 1)
        )
        st.button(
            "Next epoch ▶",
            key="lab_net_step_next",
            disabled=epoch >= len(trace) or waiting,
            help="Answer up or down first (or Reveal it to the room)." if waiting else None,
            on_click=_go,
            args=(trace, epoch + 1),
            type="primary",
        )
        st.button("Restart", key="lab_net_step_restart", disabled=epoch == 1, on_click=_go, args=(trace, 1))
    if epoch > 1:
        prev = trace.index(epoch - 1)
        st.markdown(f"**Epoch {epoch - 1}:** loss = {num(float(trace.loss[prev]))}; the update used this `.grad`:")
        st.table(params_frame(trace, epoch - 1))
        assert asking is not None
        if not gate(asking, predict=predict, present=present):
            return  # the loss of this epoch waits for the prediction
    i = trace.index(epoch)
    st.markdown(f"**Epoch {epoch}:** loss = {num(float(trace.loss[i]))}")
    st.table(params_frame(trace, epoch))
    if trace.stop is not None and epoch == len(trace):
        stop = trace.stop
        st.warning(
            f"The run stopped at epoch {stop.epoch}: {' and '.join(stop.nonfinite)} became inf or NaN in float32 "
            f"(loss = {num(stop.loss)}), so epoch {len(trace)} is the last one recorded."
        )
