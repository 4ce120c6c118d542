"""Grad Lab ① for the network: the `.grad` lifecycle on a live `nn.Module`, one real PyTorch operation per button."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import pandas as pd
import streamlit as st

from gradlab.fmt import num
from gradlab.lesson.guess import GRAD_OUTCOMES, GradOutcome, Verdict, check_choice, grad_outcome
from gradlab.runs.net_lifecycle import NET_ACTIONS, NetLabEvent, NetLifecycle
from gradlab.settings.config import RunConfig
from ui.lab.lifecycle import HISTORY_SHOWN, LAB_FIELDS
from ui.predictions import note, show_verdict

NET_STATE = "lab_net_lifecycle"  # session key: this session's NetLabState
WEIGHTS = "parameters"  # how the outcome's why names them


def grad_text(values: tuple[float, ...] | None, shape: tuple[int, ...]) -> str:
    """A `.grad` as a nested list of the parameter's shape ("None" for None), each entry to 6 significant digits."""
    if values is None:
        return "None"
    if len(shape) == 2:
        cols = shape[1]
        rows = [values[i : i + cols] for i in range(0, len(values), cols)]
        return "[" + ", ".join("[" + ", ".join(num(v) for v in r) + "]" for r in rows) + "]"
    return "[" + ", ".join(num(v) for v in values) + "]"


@dataclass(frozen=True)
class NetLastClick:
    event: NetLabEvent
    outcome: GradOutcome
    verdict: Verdict | None
    revealed: bool = False


@dataclass
class NetLabState:
    """Everything tab ① keeps for a session on the network."""

    lab: NetLifecycle
    last: NetLastClick | None = None
    guess_round: int = 0
    notes: int = 0
    restarted: bool = False

    @property
    def guess_key(self) -> str:
        return f"lab_net_guess_{self.guess_round}"


def _state(cfg: RunConfig) -> NetLabState:
    state: NetLabState | None = st.session_state.get(NET_STATE)
    if state is None:
        state = NetLabState(NetLifecycle(cfg))
        st.session_state[NET_STATE] = state
    elif any(getattr(state.lab.config, f) != getattr(cfg, f) for f in LAB_FIELDS if f not in ("w0", "b0", "update")):
        state.lab, state.last, state.restarted = NetLifecycle(cfg), None, True
    return state


def _run(state: NetLabState, action: str) -> None:
    """Button callback: run one operation, classify what it did to every .grad, judge the prediction."""
    guess = st.session_state.get(state.guess_key)
    before = state.lab.history[-1].flat if state.lab.history else None
    event = state.lab.run(action)
    outcome = grad_outcome(before, event.flat, ok=not event.raised, error=event.message, weights=WEIGHTS)
    verdict = None
    if guess is not None:
        v = check_choice(guess, outcome.key, outcome.why, also_right=outcome.also)
        verdict = Verdict(v.correct, GRAD_OUTCOMES[guess], outcome.shown(guess), outcome.why)
        state.notes += 1
        note("Grad Lab", f"net-lifecycle-{state.notes}", verdict)
    state.last = NetLastClick(event=event, outcome=outcome, verdict=verdict)
    state.guess_round += 1
    state.restarted = False


def _reveal(state: NetLabState) -> None:
    if state.last is not None:
        state.last = replace(state.last, revealed=True)


def net_lifecycle_panel(cfg: RunConfig, *, predict: bool = True, present: bool = False) -> None:
    """Buttons that each run one real PyTorch operation on `model` and `optimizer`; every `.grad` under them."""
    try:
        state = _state(cfg)
    except ValueError as err:  # data without the 2 features the hidden layer takes
        st.error(f"The network cannot run on this data: {err}.", icon=":material/error:")
        return
    lab = state.lab
    if state.restarted:
        st.info("A setting the lab uses changed. The lab started again with a fresh model.")
    if not present:
        st.markdown(
            "Each button runs real PyTorch code on your own `model = Net()` and "
            "`optimizer = torch.optim.SGD(model.parameters(), lr=lr)`. Watch every parameter's `.grad`: "
            "compare `model.zero_grad()` and `optimizer.zero_grad()` (both default to `set_to_none=True`) with "
            "`optimizer.zero_grad(set_to_none=False)`, and try `loss.backward()` after `optimizer.step()`."
        )
    guess = None
    if predict and not present:
        guess = st.radio(
            "Predict first: what will the parameters' .grad be after the operation you click next?",
            options=list(GRAD_OUTCOMES),
            format_func=GRAD_OUTCOMES.__getitem__,
            index=None,
            horizontal=True,
            key=state.guess_key,
        )
    waiting = predict and not present and guess is None
    actions = list(NET_ACTIONS.items())
    with st.container(key="gl-lab-buttons", horizontal=present, gap="small"):
        places: list[Any] = [st] * len(actions) if present else [col for _ in (1, 2) for col in st.columns(4)]
        width: Literal["content", "stretch"] = "content" if present else "stretch"
        for place, (action, label) in zip(places, actions, strict=False):
            place.button(
                label, key=f"lab_net_btn_{action}", width=width, disabled=waiting, on_click=_run, args=(state, action)
            )
    if waiting:
        st.caption("Pick a prediction to enable the buttons (*Predict first* in the sidebar turns this off).")
    if _result(state, present):
        _history(lab, hide_latest=True)
        return
    with st.expander("The parameters as named_parameters() gives them", expanded=not present):
        _params_table(lab)
    _history(lab)


def _params_table(lab: NetLifecycle) -> None:
    rows = []
    for name, p in lab.named().items():
        g = None if p.grad is None else tuple(p.grad.detach().cpu().reshape(-1).tolist())
        rows.append(
            {
                "name": name,
                "shape": str(tuple(p.shape)),
                "requires_grad": p.requires_grad,
                "is_leaf": p.is_leaf,
                "value": grad_text(tuple(p.detach().cpu().reshape(-1).tolist()), tuple(p.shape)),
                ".grad": grad_text(g, tuple(p.shape)),
            }
        )
    st.table(pd.DataFrame(rows).set_index("name"))


def _result(state: NetLabState, present: bool) -> bool:
    """The last operation's result; True while it waits for the room's *Reveal*."""
    lab, last = state.lab, state.last
    shapes = {n: tuple(p.shape) for n, p in lab.named().items()}
    if last is None:
        cols = st.columns(4)
        for col, (name, p) in zip(cols, lab.named().items(), strict=True):
            col.metric(f"{name}.grad", "None" if p.grad is None else "a tensor")
        return False
    event, verdict = last.event, last.verdict
    with st.container(border=True, key="gl-lab-result"):
        if present and not last.revealed:
            done = NET_ACTIONS[event.action]
            with st.container(horizontal=True, vertical_alignment="center"):
                st.markdown(f":material/groups: **Ask the room:** after *{done}*, what is every `.grad` now?")
                st.button("Reveal", key="lab_net_reveal", on_click=_reveal, args=(state,), type="primary")
            st.markdown(" · ".join(f"**{label}**" for label in GRAD_OUTCOMES.values()))
            return True
        st.metric(
            "loss",
            "—" if event.loss is None else num(event.loss),
            help="The loss of the current parameters. — until “forward + loss” computes it (again, after a step).",
        )
        st.table(
            pd.DataFrame(
                {"parameter": list(event.grads), ".grad": [grad_text(g, shapes[n]) for n, g in event.grads.items()]}
            ).set_index("parameter")
        )
        (st.success if event.ok else st.error if event.raised else st.warning)(event.message)
        who = event.raised_by or "PyTorch"
        if verdict is not None:
            show_verdict(verdict, answered_by=who)
        elif present:
            st.info(f"{who}: **{GRAD_OUTCOMES[last.outcome.key]}**. {last.outcome.why}")
        st.code(event.code, language="python", wrap_lines=True)
    return False


def _history(lab: NetLifecycle, *, hide_latest: bool = False) -> None:
    history = lab.history[:-1] if hide_latest else lab.history
    if not history:
        return
    rows = history[-HISTORY_SHOWN:][::-1]
    last = len(history)
    st.markdown("**History** (newest first)")
    st.table(
        pd.DataFrame(
            {
                "click": range(last, last - len(rows), -1),
                "operation": [NET_ACTIONS[e.action] for e in rows],
                "ok": ["✓ yes" if e.ok else "✗ error" if e.raised else "⚠ silent" for e in rows],
                "loss": ["—" if e.loss is None else num(e.loss) for e in rows],
                "out.bias.grad": ["None" if e.grads["out.bias"] is None else num(e.grads["out.bias"][0]) for e in rows],
            }
        ).set_index("click"),
        hide_index=False,
    )
