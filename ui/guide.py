"""The guided path: page order, a *Next* link and one concrete experiment at the end of every page."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import streamlit as st

from gradlab.settings.links import DEFAULTS, format_lr
from ui.lab import TAB, TABS
from ui.settings_state import set_settings, settings_now

VISITED = "gl_visited"  # the page titles seen this session
TRIALS = "gl_trials"  # the settings a *Try this* button changed and that still hold its value: {name: Trial}
LAB_MOVED = "gl_lab_moved"  # the label of the tab Grad Lab's *Next* opened on this run: bring it into view
# A script with no user text (a tab label is ours): the newly opened tab's bar scrolls into view (base.css keeps it
# clear of the header) and its label takes the keyboard focus. The label makes each script new to the browser, so
# that two *Next* presses in a row each run theirs.
_SHOW_TAB = """<script>
setTimeout(() => {
  const label = %s;
  const tabs = document.querySelectorAll('.st-key-gl-lab-tabs [role="tab"]');
  const tab = [...tabs].find((t) => t.innerText.trim() === label);
  if (tab) {
    document.querySelector(".st-key-gl-lab-tabs").scrollIntoView({block: "start"});
    tab.focus({preventScroll: true});
  }
}, 60);
</script>"""
# The one sentence that introduces the card, wherever a page first mentions it (a visitor may never have seen it).
CARD_INTRO = "a learning card: a one-page summary of `.grad` whose printed numbers were written by hand"


@dataclass(frozen=True)
class Experiment:
    """One thing to try, and the settings it needs (a button sets them)."""

    text: str
    settings: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Trial:
    """A setting an experiment changed: the value it set, the value before it, and where its button was."""

    value: object
    before: object
    source: str


@dataclass(frozen=True)
class Step:
    """One page on the path: where it is, and what to try before moving on."""

    path: str
    label: str
    icon: str
    blurb: str
    experiment: Experiment


# In the order of the idea: one pass, one sample, many epochs, hands on, check yourself.
PATH: tuple[Step, ...] = (
    Step(
        "streamlit_app.py",
        "Home",
        ":material/home:",
        "what .grad is",
        Experiment("Open Data Flow and commit to a prediction before it reveals w.grad."),
    ),
    Step(
        "pages/1_Data_Flow.py",
        "Data Flow",
        ":material/account_tree:",
        "one pass, five stages",
        Experiment(
            "Set the learning rate to 0.05: nothing on this page changes. One forward and backward pass does not "
            "use the learning rate; only the update does.",
            {"lr": 0.05},
        ),
    ),
    Step(
        "pages/2_Prediction_Trace.py",
        "Prediction Trace",
        ":material/search:",
        "one sample's share of .grad",
        Experiment(
            "Pick row 4: with the card's data at epoch 1, its share of w1.grad is the largest in size. Larger "
            "features and larger errors pull harder."
        ),
    ),
    Step(
        "pages/3_Training_Trace.py",
        "Training Trace",
        ":material/trending_down:",
        "many epochs",
        Experiment(
            "Set zeroing to *never*: .grad becomes a running sum and the loss swings instead of falling steadily.",
            {"zeroing": "never"},
        ),
    ),
    Step(
        "pages/4_Grad_Lab.py",
        "Grad Lab",
        ":material/science:",
        "click through .grad",
        Experiment(
            "In ① click forward + loss, backward(), then forward + backward() again, and before each click predict "
            "what .grad will hold. Then zero it."
        ),
    ),
    Step(
        "pages/5_Quiz.py",
        "Quiz",
        ":material/quiz:",
        "check yourself",
        Experiment("Back to the start to see your progress."),
    ),
)


# With the network (`model=net`), a page whose own experiment speaks of w and b tries this instead (issue 21).
NET_EXPERIMENTS: dict[str, Experiment] = {
    "Home": Experiment("Open Data Flow and commit to a prediction before it reveals the network's .grad."),
    "Prediction Trace": Experiment(
        "Pick row 4: with the card's data at epoch 1, its share of out.bias.grad, 2/N·(ŷ − y), is the largest in "
        "size. Its prediction misses its target by the most."
    ),
}


# Grad Lab's experiment follows its open tab: each tab has its own thing to try.
LAB_EXPERIMENTS: dict[str, Experiment] = {
    "lifecycle": PATH[4].experiment,
    "stepping": Experiment(
        "Set lr = 0.05, above the stable limit, and step: predict each epoch's direction before it is shown, and "
        "watch where the red arrow −lr·.grad lands.",
        {"lr": 0.05},
    ),
    "landscape": Experiment(
        "Set lr = 0.05: the path no longer runs down the valley; it jumps from side to side, further out each time.",
        {"lr": 0.05},
    ),
    "graph": Experiment(
        "Walk backward() node by node to the end: the last step runs backward() again, and each AccumulateGrad "
        "adds into .grad a second time."
    ),
    "check": Experiment(
        "Set zeroing to *never* and check epoch 3: autograd still agrees with the analytic gradient at epoch 3's "
        "weights, while the Training Trace's .grad column holds the running sum of epochs 1 to 3.",
        {"zeroing": "never"},
    ),
    "pitfalls": Experiment(
        "Open *Calling opt.step() before loss.backward()*: predict what its three steps do, then compare the loss "
        "they print with the fix's."
    ),
    "data": Experiment(
        "Add a row that the starting weights already predict exactly (with the card's w = [0.5, -0.5] and b = 0, "
        "the row 2, 2, 0), then pick it on Prediction Trace at epoch 1 and predict the sign of its share of w1.grad."
    ),
    "network": Experiment(
        "Open *Gradient accumulation on purpose*: predict .grad for k micro-batches with and without dividing each "
        "loss by k, then pick another k (the card's 4 rows split into 2 or 4) and predict again."
    ),
}


def visit(label: str) -> None:
    """Remember that this page was opened in this session."""
    seen: set[str] = st.session_state.setdefault(VISITED, set())
    seen.add(label)


def visited() -> set[str]:
    return set(st.session_state.get(VISITED, set()))


def step_for(label: str) -> int:
    return next(i for i, s in enumerate(PATH) if s.label == label)


def _value(name: str, value: object) -> str:
    """A setting's value as the sidebar shows it: 0.01, never."""
    return format_lr(float(value)) if name == "lr" else str(value)  # type: ignore[arg-type]


def start_trial(source: str, changes: Mapping[str, object]) -> None:
    """Button callback: set an experiment's settings, remembering what each was before (for *Back to …*).

    A setting already in an experiment keeps its first `before`, so *Back* returns to the lesson's own value.
    """
    trials: dict[str, Trial] = st.session_state.setdefault(TRIALS, {})
    now = settings_now(list(changes))
    for name, value in changes.items():
        before = trials[name].before if name in trials else now[name]
        trials[name] = Trial(value, before, source)
    set_settings(changes)


def end_trials() -> None:
    """Button callback: every experiment's setting back to its value before the experiment."""
    trials: dict[str, Trial] = st.session_state.pop(TRIALS, {})
    set_settings({name: t.before for name, t in trials.items()})


def trials() -> dict[str, Trial]:
    """The experiments' settings that still hold the experiment's value (final for this run).

    A setting changed since, by hand, a link or *Reset settings*, is no longer an experiment: it is dropped here.
    """
    kept: dict[str, Trial] = st.session_state.get(TRIALS, {})
    now = settings_now(list(kept))
    still = {name: t for name, t in kept.items() if now[name] == t.value and t.value != t.before}
    if still != kept:
        st.session_state[TRIALS] = still
    return still


def experiment_banner() -> None:
    """Under the title of every page: the settings an experiment changed, and one click back to the lesson's."""
    active = trials()
    if not active:
        return
    sources = " and ".join(sorted({t.source for t in active.values()}))
    said = ", ".join(
        f"**{name} = {_value(name, t.value)}** ("
        + ("the lesson's default is" if t.before == DEFAULTS.get(name) else "before the experiment it was")
        + f" {_value(name, t.before)})"
        for name, t in active.items()
    )
    back = ", ".join(f"{name} {_value(name, t.before)}" for name, t in active.items())
    with st.container(border=True, horizontal=True, vertical_alignment="center", key="gl-experiment"):
        st.markdown(f":material/science: **Experiment from {sources}:** {said}.", width="stretch")
        st.button(f"Back to {back}", key="gl_trial_back", on_click=end_trials, icon=":material/undo:", width="content")


def _lab_next() -> tuple[str, str] | None:
    """Grad Lab: the tab after the open one, as (label, name), or None on the last tab."""
    labels = list(TABS.values())
    opened = st.session_state.get(TAB, labels[0])
    i = labels.index(opened) if opened in labels else 0
    return None if i + 1 == len(labels) else (labels[i + 1], list(TABS)[i + 1])


def _open_tab(label: str) -> None:
    """Button callback: select a Grad Lab tab (the tab bar reads its state before it is drawn)."""
    st.session_state[TAB] = label
    st.session_state[LAB_MOVED] = label


def next_step(label: str, experiment: Experiment | None = None) -> None:
    """One experiment to try on this page (the page's own, unless given), and the link to the next page.

    On Grad Lab, *Next* walks the tabs ① → ⑦ and then leaves for the Quiz.
    """
    i = step_for(label)
    here, following = PATH[i], PATH[(i + 1) % len(PATH)]
    todo = experiment or here.experiment
    lab_next = _lab_next() if label == "Grad Lab" else None
    source = label if label != "Grad Lab" else f"Grad Lab {st.session_state.get(TAB, next(iter(TABS.values())))}"
    moved = st.session_state.pop(LAB_MOVED, None)
    if moved is not None:  # the *Next* below was pressed: the new tab starts at its top
        with st.container(key="gl-lab-moved"):
            st.html(_SHOW_TAB % json.dumps(moved), unsafe_allow_javascript=True)
    with st.container(border=True, key="gl-next"):
        st.markdown(f":material/science: **Try this:** {todo.text}")
        if todo.settings:
            shown = ", ".join(f"{k} = {v}" for k, v in todo.settings.items())
            done = settings_now(list(todo.settings)) == todo.settings
            st.button(
                f"{shown}: already set" if done else f"Set {shown}",
                key=f"gl_try_{i}",
                on_click=start_trial,
                args=(source, todo.settings),
                disabled=done,
            )
        if lab_next is not None:
            st.button(
                f"Next: {lab_next[0]}",
                key="gl_lab_next",
                on_click=_open_tab,
                args=(lab_next[0],),
                icon=":material/arrow_forward:",
                type="tertiary",
            )
        else:
            st.page_link(
                following.path, label=f"Next: {following.label} — {following.blurb}", icon=":material/arrow_forward:"
            )
