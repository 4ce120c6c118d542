"""Grad Lab ⑧: inside an nn.Module. Six experiments on the network, each run for real; with *Predict first* on,
the learner (or the room) says what will happen before PyTorch's outcome is shown.

The experiments always run on the network (`gradlab.runs.net.Net`), whichever model the sidebar has.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from gradlab.fmt import num, vec
from gradlab.lesson import net_experiment_prompts as ask
from gradlab.probes.net_common import Grads
from gradlab.probes.net_experiment_code import source
from gradlab.probes.net_experiments import Accumulation, NetLab, micro_batch_counts
from gradlab.settings.config import RunConfig
from ui.cache import get_accumulation, get_net_lab
from ui.predictions import gate

K_WIDGET = "lab_net_k"  # the widget key of the accumulation's micro-batch count
DIGITS = 4  # significant digits in the tables: six entries of hidden.weight fit a projector's column


def _grad(g: tuple[float, ...] | None) -> str:
    return vec(g, DIGITS)


def _table(rows: dict[str, dict[str, str]]) -> None:
    """One row per parameter (the index: its `named_parameters()` name)."""
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "parameter"
    st.table(frame, hide_index=False)  # plain DOM text: large type on a projector


def _why(text: str, predict: bool) -> None:
    if not predict:  # with a prediction, its verdict has said why
        st.markdown(f"**Why.** {text}")


def _freeze(lab: NetLab, predict: bool, present: bool) -> None:
    f = lab.freeze
    st.code(source("freeze"), language="python", wrap_lines=True)
    prompt = ask.freeze_prompt(f)
    if not gate(prompt, predict=predict, present=present):
        return
    _table(
        {
            n: {
                "requires_grad": str(f.requires_grad[n]),
                ".grad after the first backward()": _grad(f.grads[n]),
                f"changed in {f.steps} steps": "yes" if f.moved[n] else "no",
            }
            for n in f.requires_grad
        }
    )
    st.markdown(f"The loss of the first forward pass: {num(f.losses[0])}; of the last: {num(f.losses[-1])}.")
    _why(prompt.why, predict)


def _detach(lab: NetLab, predict: bool, present: bool) -> None:
    d = lab.detach
    st.code(source("detach"), language="python", wrap_lines=True)
    prompt = ask.detach_prompt(d)
    if not gate(prompt, predict=predict, present=present):
        return
    _table(
        {
            n: {".grad without detach()": _grad(d.grads[n]), ".grad with h.detach()": _grad(d.detached_grads[n])}
            for n in d.grads
        }
    )
    _why(prompt.why, predict)


def _accumulation_table(a: Accumulation) -> None:
    full = "full batch's .grad" if a.divided else f"{a.k}× the full batch's .grad"
    _table(
        {
            n: {
                full: _grad(None if g is None else tuple(a.scale * x for x in g)),
                f".grad after {a.k} backward()": _grad(a.accumulated[n]),
                "largest difference": num(a.grad_diff[n]),
            }
            for n, g in a.full_grads.items()
        }
    )
    step = max((d for d in a.step_diff.values() if d is not None), default=0.0)
    st.markdown(
        f"After the one `opt.step()`, the weights differ from those after one full-batch step by at most {num(step)}."
    )


def _accumulate(cfg: RunConfig, predict: bool, present: bool) -> None:
    counts = micro_batch_counts(cfg.n_samples)
    if not counts:
        st.info("Your data has one row: it cannot be split into micro-batches.", icon=":material/info:")
        return
    k = st.radio(f"Micro-batches k (each of N/k rows; N = {cfg.n_samples})", counts, horizontal=True, key=K_WIDGET)
    st.code(source("accumulate"), language="python", wrap_lines=True)
    for divide in (True, False):
        a = get_accumulation(cfg, int(k), divide)
        st.markdown(f"**With `divide_by_k={divide}`**")
        prompt = ask.accumulation_prompt(a)
        if not gate(prompt, predict=predict, present=present):
            return  # the case without dividing waits for this one
        _accumulation_table(a)
        _why(prompt.why, predict)


def _version(lab: NetLab, predict: bool, present: bool) -> None:
    v = lab.version
    st.code(source("version"), language="python", wrap_lines=True)
    prompt = ask.version_prompt(v)
    if not gate(prompt, predict=predict, present=present):
        return
    st.markdown(
        f"out.weight's version counter: {v.version_after_forward} when the forward pass saved it, "
        f"{v.version_at_backward} at backward(). PyTorch says:"
    )
    st.code(v.error or "(no error)", language="text", wrap_lines=True)
    _why(prompt.why, predict)
    st.markdown("**The fix:** call `loss.backward()` before the update. Then each `.grad` is:")
    _table({n: {".grad": _grad(g)} for n, g in v.fixed_grads.items()})


def _autograd_grad(lab: NetLab, predict: bool, present: bool) -> None:
    g = lab.autograd_grad
    st.code(source("autograd_grad"), language="python", wrap_lines=True)
    prompt = ask.autograd_grad_prompt(g)
    if not gate(prompt, predict=predict, present=present):
        return
    _table(
        {
            n: {
                "returned by autograd.grad": _grad(g.returned[n]),
                ".grad afterwards": _grad(g.grads_after[n]),
                "loss.backward()'s .grad": _grad(g.backward_grads[n]),
            }
            for n in g.returned
        }
    )
    _why(prompt.why, predict)


def _vjp(lab: NetLab, predict: bool, present: bool) -> None:
    j = lab.vjp
    st.code(source("vjp"), language="python", wrap_lines=True)
    prompt = ask.vjp_prompt(j)
    if not gate(prompt, predict=predict, present=present):
        return
    _table(_pair(j.vjp_grads, j.loss_grads, "y_hat.backward(gradient=v)", "mse_loss(y_hat, y).backward()"))
    if j.no_gradient_error:
        st.markdown("And `y_hat.backward()` without `gradient=`:")
        st.code(j.no_gradient_error, language="text", wrap_lines=True)
    _why(prompt.why, predict)


def _pair(a: Grads, b: Grads, left: str, right: str) -> dict[str, dict[str, str]]:
    return {n: {left: _grad(a[n]), right: _grad(b[n])} for n in a}


EXPERIMENTS: dict[str, str] = {
    "freeze": "Freeze the hidden layer: requires_grad_(False)",
    "detach": "detach() the hidden activation",
    "accumulate": "Gradient accumulation on purpose",
    "version": "The version counter: an in-place update before backward()",
    "autograd_grad": "torch.autograd.grad leaves .grad alone",
    "vjp": "backward(gradient=v) on the non-scalar ŷ",
}


def network_tab(cfg: RunConfig, *, predict: bool = True, present: bool = False) -> None:
    """Each experiment in its own expander: the code, the question, then what PyTorch really did."""
    if not cfg.is_net:
        st.info(
            "These experiments always run on the network (`Net`: nn.Linear(2, 3), tanh, nn.Linear(3, 1)), on the "
            "sidebar's data; the linear model you picked is not used here.",
            icon=":material/info:",
        )
    try:
        net = cfg.with_(model="net")
        lab = get_net_lab(net)
    except ValueError as err:
        st.warning(f"The network cannot run on this data: {err}.", icon=":material/warning:")
        return
    st.markdown(
        "Each experiment runs on a fresh `Net` at its starting values. Read the code and predict what happens; "
        "then you see what PyTorch really did."
        if predict
        else "Each experiment runs on a fresh `Net` at its starting values; you see the code and what PyTorch did."
    )
    shown: dict[str, Callable[[], None]] = {
        "freeze": lambda: _freeze(lab, predict, present),
        "detach": lambda: _detach(lab, predict, present),
        "accumulate": lambda: _accumulate(net, predict, present),
        "version": lambda: _version(lab, predict, present),
        "autograd_grad": lambda: _autograd_grad(lab, predict, present),
        "vjp": lambda: _vjp(lab, predict, present),
    }
    for key, title in EXPERIMENTS.items():
        with st.expander(title, expanded=False):
            shown[key]()
