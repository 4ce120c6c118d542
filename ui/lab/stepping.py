"""Grad Lab ②: step-through training, one sub-step or epoch at a time, with play/pause.

What has run is revealed as it runs: the loss chart grows epoch by epoch, the landscape shows the update
−lr·.grad that was taken, and before each epoch the learner predicts whether its loss goes up or down.

The tab keeps one `StepThrough` under one session key. The engine (`gradlab.runs.stepper.Stepper`) advances
only in event handlers: the buttons' callbacks, and `_on_tick` while Play runs, before anything is drawn.
Where training stands is read once per run into a `Shown`, which the metrics and charts draw from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from gradlab.fmt import num, vec
from gradlab.lesson.divergence import explain, warn
from gradlab.lesson.prompts import loss_direction
from gradlab.lesson.sentences import loss_at_epoch
from gradlab.lesson.stepping import restart_note, substep_result
from gradlab.runs.stepper import Stepper
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig
from gradlab.settings.stability import stable_limit
from ui.cache import show_chart
from ui.cookie import saving
from ui.panels import divergence_box
from ui.predictions import lettered, note, options_list, show_verdict

STEP_LOG_SHOWN = 12
PLAY_INTERVAL_S = 0.8
# Play stops by itself after this long: a forgotten tab would otherwise cost the shared server a rerun
# every PLAY_INTERVAL_S for hours (10,000 epochs at 0.8 s is about 2.2 hours).
PLAY_LIMIT_S = 120.0
STATE = "lab_step"  # session key: this session's StepThrough, the tab's only one
PLAY_STOPPED = (
    f"Play stopped by itself after {PLAY_LIMIT_S / 60:.0f} minutes, so that a forgotten tab does not keep "
    "the shared server busy. Press ▶ Play to go on from here."
)


@dataclass
class StepThrough:
    """Everything tab ② keeps for a session: the engine, Play, and the up-or-down predictions."""

    stepper: Stepper
    run: int = 0  # one per fresh engine: a new run's prediction widgets and progress notes are new ones
    guesses: dict[int, str] = field(default_factory=dict)  # epoch → the learner's "up" or "down"
    playing: bool = False
    play_started: float | None = None  # time.monotonic() when Play was pressed
    play_note: str | None = None  # why Play stopped by itself
    clicked: bool = False  # a control of the panel caused this run, so it is not a Play tick
    restarted: str | None = None  # why a settings change started the run again; said until the next click

    def reset(self, cfg: RunConfig) -> None:
        """A fresh engine for `cfg`; Play stops and the predictions start over (the one place that resets)."""
        self.stepper = Stepper(cfg)
        self.run += 1
        self.guesses = {}
        self.playing, self.play_started, self.play_note = False, None, None

    def clicked_now(self) -> None:
        """A control of the panel caused this run: not a Play tick, and the restart has been seen."""
        self.clicked, self.restarted = True, None

    def stop_playing(self, note: str | None = None) -> None:
        self.playing, self.play_started, self.play_note = False, None, note

    def guess_key(self, epoch: int) -> str:
        """The widget key of the up-or-down question before `epoch` in this run."""
        return f"lab_step_guess_{epoch}_{self.run}"


def _state(cfg: RunConfig) -> StepThrough:
    """This session's step-through for these settings (started afresh when they changed)."""
    state: StepThrough | None = st.session_state.get(STATE)
    if state is None:
        state = StepThrough(Stepper(cfg))
        st.session_state[STATE] = state
    elif state.stepper.config != cfg:
        note = restart_note(state.stepper.config, cfg)
        state.reset(cfg)
        state.restarted = note
    return state


# --- event handlers: the only code that advances the engine ------------------------------------------------
def _step(state: StepThrough, whole_epoch: bool) -> None:
    if whole_epoch:
        state.stepper.step_epoch()
    else:
        state.stepper.advance()
    state.clicked_now()


def _toggle_play(state: StepThrough) -> None:
    if state.playing:
        state.stop_playing()
    else:
        state.playing, state.play_started, state.play_note = True, time.monotonic(), None
    state.clicked_now()


def _reset(state: StepThrough) -> None:
    state.reset(state.stepper.config)
    state.clicked_now()


def _guess(state: StepThrough, epoch: int) -> None:
    choice = st.session_state.get(state.guess_key(epoch))
    if choice is not None:
        state.guesses[epoch] = choice
    state.clicked_now()


def _on_tick(state: StepThrough) -> None:
    """While Play runs, each run of the panel that no control of it caused is a tick: one epoch.

    Play ends when the run has finished or after PLAY_LIMIT_S, with a note saying why.
    """
    clicked, state.clicked = state.clicked, False
    if not state.playing or clicked:
        return
    if state.play_started is not None and time.monotonic() - state.play_started >= PLAY_LIMIT_S:
        state.stop_playing(PLAY_STOPPED)
        return
    state.stepper.step_epoch()
    if state.stepper.finished:
        state.stop_playing()


# --- what is shown ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shown:
    """Where training stands on this run, for the metrics and the charts alike.

    The engine gives the position and the live `.grad` (its latest sub-step's record). Each epoch's numbers
    (the last-loss metric, the loss chart, the step on the landscape, the verdicts) come from the cached trace
    at that position, so a metric and a chart never show two sources; the engine reproduces the trace exactly
    (tests/test_lesson_parts.py), and its sub-step log shows its own records.
    """

    epoch: int  # the epoch the next sub-step belongs to
    ran: int  # epochs whose loss has been computed: the loss chart's last point
    completed: int  # epochs whose update has run: the step drawn on the landscape
    backward_epoch: int  # the latest epoch whose backward() has run (0: none)
    last_loss: float | None
    w_grad: tuple[float, ...] | None  # .grad now (None: .grad is None)
    b_grad: float | None
    finished: bool
    asking: int | None  # the epoch whose direction is to be predicted now


def _shown(stepper: Stepper, trace: Trace) -> Shown:
    ran = len(stepper.losses)
    if ran == 0:
        last_loss = None
    elif ran > len(trace) and trace.stop is not None:  # the epoch that overflowed, which the trace leaves out
        last_loss = trace.stop.loss
    else:
        last_loss = float(trace.loss[min(ran, len(trace)) - 1])
    latest = stepper.log[-1] if stepper.log else None
    e = stepper.epoch
    at_start = not stepper.finished and stepper.next_index == 0 and 2 <= e <= len(trace)
    return Shown(
        epoch=min(e, stepper.config.epochs),
        ran=ran,
        completed=stepper.completed_epochs,
        backward_epoch=stepper.backward_epoch,
        last_loss=last_loss,
        w_grad=None if latest is None else latest.w_grad,
        b_grad=None if latest is None else latest.b_grad,
        finished=stepper.finished,
        asking=e if at_start else None,
    )


def stepper_panel(cfg: RunConfig, trace: Trace, *, present: bool = False, predict: bool = True) -> None:
    """Training one sub-step or one epoch at a time, with play/pause, revealed as it runs."""
    declared = _state(cfg).playing  # the fragment's timer is declared by a full run of the page
    stable = stable_limit(cfg)

    @st.fragment(run_every=PLAY_INTERVAL_S if declared else None)
    @saving  # a click here reruns only this panel: an up-or-down prediction it judged is kept all the same
    def body() -> None:
        state = _state(cfg)
        _on_tick(state)
        if state.playing != declared:
            st.rerun(scope="app")  # Play started or stopped: only a full run can start or stop the timer
        _draw(state, _shown(state.stepper, trace), trace, stable, present=present, predict=predict)

    body()


def _draw(state: StepThrough, shown: Shown, trace: Trace, stable: float, *, present: bool, predict: bool) -> None:
    cfg = state.stepper.config
    if state.restarted:
        st.info(f"{state.restarted} Training starts again at epoch 1.", icon=":material/restart_alt:")
    if predict and not shown.finished and (warn(trace) or explain(trace)):
        # The divergence box quotes the losses to come: it would answer the up-or-down questions below.
        st.caption(
            "Whether this run diverges is for you to find out as you step: the Training Trace names it up "
            "front, and this tab does once the run has finished."
        )
    else:
        divergence_box(trace)
    waiting = False
    if shown.asking is not None and predict:
        prompt = loss_direction(trace, shown.asking, stable)
        if present:
            options = options_list(list(prompt.options or {}))
            st.markdown(f":material/groups: **Ask the room:** {prompt.question}\n\n{options}")
        else:
            st.radio(
                f"Predict first: {prompt.question}",
                options=list(prompt.options or {}),
                format_func=lettered({o: o for o in prompt.options or {}}).__getitem__,
                index=None,
                horizontal=True,
                key=state.guess_key(shown.asking),
                on_change=_guess,
                args=(state, shown.asking),
            )
            waiting = shown.asking not in state.guesses
    c1, c2, c3, c4 = st.columns(4)
    stop = shown.finished or waiting
    # Callbacks run before the next draw, so the prediction asked next is already for the epoch they lead to.
    c1.button("Next sub-step", key="lab_substep", width="stretch", disabled=stop, on_click=_step, args=(state, False))
    c2.button("Step one epoch", key="lab_epoch", width="stretch", disabled=stop, on_click=_step, args=(state, True))
    c3.button(
        "⏸ Pause" if state.playing else "▶ Play",
        key="lab_play",
        width="stretch",
        disabled=shown.finished,
        on_click=_toggle_play,
        args=(state,),
    )
    c4.button("Reset", key="lab_step_reset", width="stretch", on_click=_reset, args=(state,))
    if state.play_note:
        st.info(state.play_note, icon=":material/timer_off:")
    if waiting:
        st.caption("Pick *up* or *down* to step on (*Predict first* in the sidebar turns this off; Play skips it).")
    _now(shown, state.stepper, trace)
    _verdict(state, shown, trace, stable)
    left, right = st.columns(2)
    with left:
        if shown.ran:
            show_chart(trace, "loss_upto", epoch=min(shown.ran, len(trace)), present=present)
        else:  # an empty chart has no extent to draw (and Vega warns about it)
            st.caption("The loss chart grows here, one point per epoch, as you step.")
    with right:
        if state.playing:  # a landscape per tick would cost a class's server dearly
            st.caption("The loss landscape with the step −lr·.grad is drawn when you pause or step.")
        elif shown.completed >= 1 and cfg.n_features == 2 and predict and shown.asking is not None:
            # Where the update just taken landed answers "up or down?": the path stops at the epoch's point.
            show_chart(trace, "path", epoch=min(shown.completed, len(trace)), present=present)
            st.caption(
                f"The path up to epoch {shown.completed}'s weights. Where its update −lr·.grad landed answers the "
                "question, so it is drawn once the next sub-step runs."
            )
        elif shown.completed >= 1 and cfg.n_features == 2:
            show_chart(trace, "step", epoch=min(shown.completed, len(trace)), present=present)
            st.caption(
                "The red arrow is the update just taken, −lr·.grad, in (w1, w2); the slice is drawn at that epoch's b."
            )
        else:
            st.caption("After the first epoch's update, the loss landscape shows the step −lr·.grad here.")
    _log(state.stepper)


def _now(shown: Shown, stepper: Stepper, trace: Trace) -> None:
    """Where training stands, large: epoch, last loss, and the live .grad (and what the last backward() gave)."""
    epochs = stepper.config.epochs
    with st.container(key="gl-step-now"):  # a stable hook: presentation mode enlarges these numbers
        c1, c2, c3, c4 = st.columns([1, 1, 2, 1])
        c1.metric("epoch", f"{shown.epoch} of {epochs}")
        c2.metric(
            "last loss",
            "—" if shown.last_loss is None else num(shown.last_loss),
            help=None if not shown.ran else f"The {loss_at_epoch(shown.ran)}: its forward pass computed it.",
        )
        c3.metric("w.grad now", vec(shown.w_grad))
        c4.metric("b.grad now", num(shown.b_grad))
    e = shown.backward_epoch
    if 1 <= e <= len(trace) and shown.w_grad != tuple(trace.w_grad[e - 1]):
        # After the zero sub-step the live .grad no longer shows the gradient the update used.
        st.caption(
            f"Epoch {e}'s `backward()` gave w.grad = {vec(trace.w_grad[e - 1])}, b.grad = {num(trace.b_grad[e - 1])}; "
            "the update used it, then the zero sub-step ran."
        )
    if stepper.stop is not None:
        st.caption(f"Stopped: training diverged at epoch {stepper.stop.epoch}, where the Training Trace stops too.")
    elif shown.finished:
        st.caption(f"Finished: {shown.completed} epoch(s) ran.")


def _verdict(state: StepThrough, shown: Shown, trace: Trace, stable: float) -> None:
    """Once an epoch's loss is computed, the prediction made for it beside what happened."""
    e = shown.ran
    if e in state.guesses and 2 <= e <= len(trace):
        verdict = loss_direction(trace, e, stable).judge(state.guesses[e])
        note("Grad Lab", f"step-{state.run}-{e}", verdict)
        show_verdict(verdict)


def _log(stepper: Stepper) -> None:
    if not stepper.log:
        st.caption("Nothing has run yet: press *Next sub-step* to run the forward pass.")
        return
    recent = stepper.log[-STEP_LOG_SHOWN:][::-1]  # newest first
    st.markdown("**Sub-steps** (newest first)")
    st.table(
        pd.DataFrame(
            {
                "epoch": [s.epoch for s in recent],
                "sub-step": [s.name for s in recent],
                "code": [f"`{s.code}`" for s in recent],  # a code span: "# …" must not become a heading
                "result": [substep_result(s, stepper.config, stepper.stop) for s in recent],
            }
        )
    )
