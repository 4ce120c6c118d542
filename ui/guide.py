"""The guided path: page order, a *Next* link and one concrete experiment at the end of every page."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from ui.settings_state import set_settings, settings_now

VISITED = "gl_visited"  # the page titles seen this session
# The one sentence that introduces the card, wherever a page first mentions it (a visitor may never have seen it).
CARD_INTRO = "a learning card: a one-page summary of `.grad` whose printed numbers were written by hand"


@dataclass(frozen=True)
class Experiment:
    """One thing to try, and the settings it needs (a button sets them)."""

    text: str
    settings: dict[str, object] = field(default_factory=dict)


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
            "In ① click forward + loss, backward(), then forward + backward() again: .grad doubles. Then zero it."
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


# Grad Lab's experiment follows its open tab: each tab has its own thing to try.
LAB_EXPERIMENTS: dict[str, Experiment] = {
    "lifecycle": PATH[4].experiment,
    "stepping": Experiment(
        "Set lr = 0.05, above the stable limit, and step: predict each epoch's direction, and watch the red "
        "arrow −lr·.grad overshoot the bottom of the valley.",
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
        "the row 2, 2, 0), then pick it on Prediction Trace at epoch 1: its share of every .grad is 0."
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


def next_step(label: str, experiment: Experiment | None = None) -> None:
    """One experiment to try on this page (the page's own, unless given), and the link to the next page."""
    i = step_for(label)
    here, following = PATH[i], PATH[(i + 1) % len(PATH)]
    todo = experiment or here.experiment
    with st.container(border=True, key="gl-next"):
        st.markdown(f":material/science: **Try this:** {todo.text}")
        if todo.settings:
            shown = ", ".join(f"{k} = {v}" for k, v in todo.settings.items())
            done = settings_now(list(todo.settings)) == todo.settings
            st.button(
                f"{shown}: already set" if done else f"Set {shown}",
                key=f"gl_try_{i}",
                on_click=set_settings,
                args=(todo.settings,),
                disabled=done,
            )
        st.page_link(
            following.path, label=f"Next: {following.label} — {following.blurb}", icon=":material/arrow_forward:"
        )
