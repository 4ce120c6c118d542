"""Each `.grad` pitfall reports what PyTorch really did, checked against hand-derived answers, and shows the very
code it ran."""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import threading
import warnings
from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab.lesson.pitfall_prompts import BEHAVIOUR_WORDS, QUESTION, pitfall_prompt
from gradlab.probes import pitfall_code
from gradlab.probes.pitfalls import BEHAVIOURS, PITFALLS, PitfallOutcome, run_all, run_pitfall
from gradlab.runs.code import FORWARD, LOSS
from gradlab.settings.config import RunConfig
from tests.pytorch_text import backward_twice, inplace_on_a_leaf, nonleaf_grad, pytorch_says

CARD = RunConfig()
CARD_GRAD = [-37.5, -50.5]  # 2/N·Xᵀ(ŷ−y) on the card, by hand
_NUM = re.compile(r"-?\d+(?:\.\d*)?(?:e[+-]?\d+)?")


def values(text: str, prefix: str) -> list[float]:
    """The numbers inside `tensor(...)` on the first line of text that starts with prefix."""
    line = next(ln for ln in text.splitlines() if ln.startswith(prefix))
    inside = line.split("tensor(", 1)[1].split(")", 1)[0].split(", device", 1)[0]
    return [float(v) for v in _NUM.findall(inside)]


def number(text: str, name: str) -> float:
    """The plain number after `name = ` in text."""
    return float(re.search(rf"\b{re.escape(name)} = ({_NUM.pattern})", text).group(1))


def hand_grad(config: RunConfig, w: list[float] | None = None, b: float | None = None) -> list[float]:
    """2/N·Xᵀ(Xw + b − y) in float64, independent of autograd."""
    w = list(config.w0) if w is None else w
    b = config.b0 if b is None else b
    res = [sum(x * wi for x, wi in zip(row, w)) + b - t for row, t in zip(config.X, config.y)]
    n = config.n_samples
    return [2 / n * sum(row[f] * r for row, r in zip(config.X, res)) for f in range(config.n_features)]


def broadcast_loss(config: RunConfig) -> float:
    """mean over all (i, j) of (ŷ_i − y_j)², what (N,) minus (N, 1) computes."""
    y_hat = [sum(x * wi for x, wi in zip(row, config.w0)) + config.b0 for row in config.X]
    return sum((p - t) ** 2 for p in y_hat for t in config.y) / config.n_samples**2


@pytest.fixture(scope="module")
def card() -> dict[str, PitfallOutcome]:
    return {o.key: o for o in run_all(CARD)}


def test_keys_are_unique_and_cover_the_eight_mistakes() -> None:
    assert len(set(PITFALLS)) == len(PITFALLS) >= 8
    assert {
        "inplace_outside_no_grad",
        "to_after_requires_grad",
        "out_of_place_update",
        "backward_twice",
        "nonleaf_grad",
        "forgot_zero_grad",
        "step_before_backward",
        "broadcast_shape",
    } <= set(PITFALLS)


def _grad_fn(t: torch.Tensor) -> str:
    return type(t.grad_fn).__name__


def python_says(mistake: Callable[[], object]) -> str:
    """Python's own words for an error it raises here."""
    try:
        mistake()
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    raise AssertionError("no error was raised")


@pytest.mark.parametrize(
    ("key", "kind", "phrases"),
    [
        pytest.param("inplace_outside_no_grad", "error", lambda: [pytorch_says(inplace_on_a_leaf)], id="inplace-error"),
        pytest.param(
            "to_after_requires_grad",
            "warning",
            lambda: [
                "w.is_leaf = False",
                _grad_fn(torch.tensor([0.5], dtype=torch.float64, requires_grad=True).to(torch.float32)),
                "w.grad = None",
                pytorch_says(nonleaf_grad),
            ],
            id="to-device-none-grad",
        ),
        pytest.param(
            "out_of_place_update",
            "warning",
            lambda: ["step 1: w.is_leaf = False, w.grad = None", pytorch_says(nonleaf_grad)],
            id="out-of-place-none-grad",
        ),
        pytest.param("backward_twice", "error", lambda: [pytorch_says(backward_twice)], id="backward-twice-error"),
        pytest.param(
            "nonleaf_grad", "warning", lambda: [pytorch_says(nonleaf_grad), "y_hat.grad = None"], id="nonleaf-warning"
        ),
        pytest.param("forgot_zero_grad", "silent", lambda: ["step 0: w.grad", "step 1: w.grad"], id="no-zero"),
        pytest.param(
            "broadcast_shape",
            "silent",
            lambda: ["(y_hat - y).shape = (4, 4)", "no error or warning was raised"],
            id="broadcast",
        ),
    ],
)
def test_card_outcome_is_pytorchs_own(
    card: dict[str, PitfallOutcome], key: str, kind: str, phrases: Callable[[], list[str]]
) -> None:
    outcome = card[key]
    assert outcome.behaviour == kind
    for phrase in phrases():  # PyTorch's own words, produced here by the same mistake on fresh tensors
        assert phrase in outcome.outcome, phrase
    assert "Triggered internally" not in outcome.outcome


def test_after_an_out_of_place_update_the_next_update_fails_in_python_as_the_why_says(
    card: dict[str, PitfallOutcome],
) -> None:
    assert python_says(lambda: CARD.lr * None).startswith("TypeError")  # lr * w.grad with w.grad None
    assert "lr * None is a TypeError" in card["out_of_place_update"].why


def test_inplace_fix_updates_the_leaf(card: dict[str, PitfallOutcome]) -> None:
    fixed = card["inplace_outside_no_grad"].fixed_outcome
    expected = [w - CARD.lr * g for w, g in zip(CARD.w0, CARD_GRAD)]
    assert values(fixed, "w = ") == pytest.approx(expected, abs=1e-4)
    assert values(fixed, "b = ") == pytest.approx([CARD.b0 - CARD.lr * -13.0], abs=1e-4)  # b.grad is -13
    assert "w.is_leaf = True" in fixed and "w.grad = tensor([0., 0.]), b.grad = tensor(0.)" in fixed
    fix = card["inplace_outside_no_grad"].fix_code
    assert "lr = 0.01" in fix.splitlines()[0] and "with torch.no_grad():\n        w -= lr * w.grad" in fix


@pytest.mark.parametrize(
    ("key", "line"),
    [
        pytest.param("to_after_requires_grad", "w.grad = ", id="to-device"),
        pytest.param("backward_twice", "step 1: ", id="backward-twice"),
    ],
)
def test_fix_gives_the_hand_gradient(card: dict[str, PitfallOutcome], key: str, line: str) -> None:
    assert values(card[key].fixed_outcome, line) == pytest.approx(CARD_GRAD, abs=1e-4)


def test_to_device_demo_says_why_it_changes_dtype(card: dict[str, PitfallOutcome]) -> None:
    outcome = card["to_after_requires_grad"]
    assert ".to(device, torch.float32)" in outcome.wrong_code
    assert "requires_grad=True, device=device" in outcome.fix_code
    assert "dtype" in outcome.why and "w.is_leaf = True" in outcome.fixed_outcome


def test_out_of_place_fix_keeps_a_leaf_with_the_next_gradient(card: dict[str, PitfallOutcome]) -> None:
    fixed = card["out_of_place_update"].fixed_outcome
    w1 = [w - CARD.lr * g for w, g in zip(CARD.w0, CARD_GRAD)]
    b1 = CARD.b0 - CARD.lr * -13.0  # b moves too
    assert "step 1: w.is_leaf = True" in fixed
    assert values(fixed, "step 1:") == pytest.approx(hand_grad(CARD, w1, b1), abs=1e-4)
    assert values(fixed, "step 1:") != pytest.approx(hand_grad(CARD, w1), abs=1e-4)  # b's step changes w.grad


def test_retain_grad_fix_gives_dloss_dyhat(card: dict[str, PitfallOutcome]) -> None:
    fixed = card["nonleaf_grad"].fixed_outcome
    y_hat = [sum(x * w for x, w in zip(row, CARD.w0)) + CARD.b0 for row in CARD.X]
    expected = [2 / CARD.n_samples * (p - t) for p, t in zip(y_hat, CARD.y)]  # [-1.75, ..., -4.75]
    assert values(fixed, "y_hat.grad = ") == pytest.approx(expected, abs=1e-4)
    assert "y_hat.retain_grad()\n    loss = " in card["nonleaf_grad"].fix_code  # before backward()


def test_forgetting_to_zero_doubles_the_gradient(card: dict[str, PitfallOutcome]) -> None:
    outcome = card["forgot_zero_grad"]
    assert values(outcome.outcome, "step 0:") == pytest.approx(CARD_GRAD)
    assert values(outcome.outcome, "step 1:") == pytest.approx([-75.0, -101.0])
    assert values(outcome.fixed_outcome, "step 1:") == pytest.approx(CARD_GRAD)
    assert "w.grad.zero_()" in outcome.fix_code


def _printed(outcome: str) -> list[float]:
    """The losses the loop printed ("step 0: loss = 47.2500"), in order."""
    return [float(m.group(1)) for line in outcome.splitlines() if (m := re.fullmatch(r"step \d+: loss = (\S+)", line))]


def _plain_sgd(config: RunConfig, *, step_first: bool) -> list[float]:
    """The same loop written here in plain PyTorch, so the lesson's outcome is checked against PyTorch itself."""
    X, y = torch.tensor(config.X), torch.tensor(config.y)
    w, b = torch.tensor(config.w0, requires_grad=True), torch.tensor(config.b0, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=config.lr)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = ((X @ w + b - y) ** 2).mean()
        if step_first:
            opt.step()
        loss.backward()
        if not step_first:
            opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("config", [CARD, RunConfig(lr=0.05)], ids=["card", "lr-0.05"])
def test_step_before_backward_never_moves_the_weights_and_the_fix_trains(config: RunConfig) -> None:
    outcome = run_pitfall("step_before_backward", config)
    stuck = _printed(outcome.outcome)
    assert len(stuck) == 3 and stuck == [stuck[0]] * 3  # the loss never changes
    assert stuck == pytest.approx(_plain_sgd(config, step_first=True), abs=5e-5)  # printed with 4 decimals
    assert f"w = {torch.tensor(config.w0, requires_grad=True)}" in outcome.outcome  # the weights never moved
    assert "no error or warning was raised" in outcome.outcome
    trained = _printed(outcome.fixed_outcome)
    assert trained == pytest.approx(_plain_sgd(config, step_first=False), abs=5e-5) and trained[1] != trained[0]
    assert outcome.wrong_code.index("opt.step()") < outcome.wrong_code.index("loss.backward()")
    assert outcome.fix_code.index("loss.backward()") < outcome.fix_code.index("opt.step()")
    assert f"lr = {config.lr!r}" in outcome.wrong_code.splitlines()[0] and "SGD([w, b], lr=lr)" in outcome.wrong_code


def test_broadcast_is_silently_wrong_and_the_fix_is_right(card: dict[str, PitfallOutcome]) -> None:
    outcome = card["broadcast_shape"]
    # At the card's weights every ŷ is −0.5, so the (4, 4) loss equals 47.25 by chance; w.grad does not.
    assert number(outcome.outcome, "loss") == pytest.approx(broadcast_loss(CARD))
    assert values(outcome.outcome, "loss = ") != pytest.approx(CARD_GRAD)
    assert "by chance" in outcome.outcome
    assert number(outcome.fixed_outcome, "loss") == 47.25
    assert values(outcome.fixed_outcome, "loss = ") == pytest.approx(CARD_GRAD)
    assert "(y_hat - y).shape = (4,)" in outcome.fixed_outcome
    assert "y = y.view(-1, 1)  # shape (N, 1)" in outcome.wrong_code


def test_broadcast_loss_differs_when_predictions_differ() -> None:
    config = RunConfig(w0=(1.0, 0.0))
    outcome = run_pitfall("broadcast_shape", config)
    right = sum((row[0] - t) ** 2 for row, t in zip(config.X, config.y)) / config.n_samples
    assert number(outcome.outcome, "loss") == pytest.approx(broadcast_loss(config))
    assert number(outcome.outcome, "loss") != pytest.approx(right)
    assert number(outcome.fixed_outcome, "loss") == pytest.approx(right)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(RunConfig(lr=0.05), id="lr-0.05"),
        pytest.param(RunConfig(X=((1.0, 2.0),), y=(3.0,)), id="one-row"),
        pytest.param(RunConfig(X=((1.0,), (2.0,), (-3.0,)), y=(1.0, 0.0, 2.0), w0=(0.3,), b0=1.5), id="one-feature"),
        pytest.param(RunConfig(device="cuda"), id="cuda-or-cpu-fallback"),
    ],
)
def test_run_all_on_other_configs(config: RunConfig) -> None:
    outcomes = run_all(config)
    assert [o.key for o in outcomes] == list(PITFALLS)
    for o in outcomes:
        assert o.behaviour in BEHAVIOURS
        assert all(isinstance(v, str) and v for v in vars(o).values())
    by_key = {o.key: o for o in outcomes}
    for shown in (by_key["inplace_outside_no_grad"].fix_code, by_key["out_of_place_update"].wrong_code):
        assert shown.splitlines()[0].endswith(f"lr = {config.lr!r}")  # the values it ran with
    assert "w -= lr * w.grad" in by_key["inplace_outside_no_grad"].fix_code
    assert "w = w - lr * w.grad" in by_key["out_of_place_update"].wrong_code
    assert by_key["backward_twice"].behaviour == "error"
    assert by_key["nonleaf_grad"].behaviour == "warning"
    if config.device == "cpu":
        zero = by_key["forgot_zero_grad"]
        assert values(zero.outcome, "step 0:") == pytest.approx(hand_grad(config), abs=1e-4)
        doubled = [2 * g for g in values(zero.outcome, "step 0:")]
        assert values(zero.outcome, "step 1:") == pytest.approx(doubled, abs=2e-4)


def test_one_row_broadcast_happens_to_match() -> None:
    outcome = run_pitfall("broadcast_shape", RunConfig(X=((1.0, 2.0),), y=(3.0,)))
    assert "(y_hat - y).shape = (1, 1)" in outcome.outcome and "happens to equal" in outcome.outcome
    assert outcome.behaviour == "works"  # read from the run: with one row the mistake gives the right numbers


def test_unknown_key_raises_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="no_such_pitfall"):
        run_pitfall("no_such_pitfall", CARD)


def test_no_warning_escapes_and_filters_are_restored() -> None:
    filters = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_all(CARD)
    assert caught == []
    assert warnings.filters == filters


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param(torch.no_grad, id="no-grad"),
        pytest.param(torch.inference_mode, id="inference-mode"),
        pytest.param(torch.enable_grad, id="grad-on"),
    ],
)
def test_grad_mode_is_forced_on_inside_and_restored(card: dict[str, PitfallOutcome], mode: object) -> None:
    with mode():
        before = (torch.is_grad_enabled(), torch.is_inference_mode_enabled())
        outcomes = run_all(CARD)
        assert (torch.is_grad_enabled(), torch.is_inference_mode_enabled()) == before
    assert {o.key: o for o in outcomes} == card


def test_same_config_gives_the_same_outcomes(card: dict[str, PitfallOutcome]) -> None:
    assert run_all(CARD) == list(card.values())


@settings(max_examples=25, deadline=None)
@given(
    lr=st.floats(0.001, 1.0),
    w0=st.tuples(st.integers(-8, 8), st.integers(-8, 8)).map(lambda t: (t[0] / 4, t[1] / 4)),
)
def test_any_config_runs_quietly_and_accumulates(lr: float, w0: tuple[float, float]) -> None:
    config = RunConfig(lr=lr, w0=w0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        by_key = {o.key: o for o in run_all(config)}
    assert caught == []
    zero = by_key["forgot_zero_grad"].outcome
    assert values(zero, "step 1:") == pytest.approx([2 * g for g in hand_grad(config)], rel=1e-3, abs=1e-3)


def test_warnings_from_another_thread_never_reach_an_outcome(card: dict[str, PitfallOutcome]) -> None:
    stop = threading.Event()
    sent = [0]

    def another_session() -> None:
        while not stop.is_set():
            warnings.warn("noise from another session", UserWarning, stacklevel=1)
            sent[0] += 1
            stop.wait(0.0002)  # about as often as a busy server, without starving the pitfalls of the GIL

    with warnings.catch_warnings(record=True) as passed_on:
        warnings.simplefilter("always")
        thread = threading.Thread(target=another_session, daemon=True)
        thread.start()
        try:
            runs = [run_all(CARD) for _ in range(3)]
        finally:
            stop.set()
            thread.join()
    assert sent[0] > 0
    for outcomes in runs:
        assert {o.key: o for o in outcomes} == card
        assert not any("noise" in text for o in outcomes for text in vars(o).values())
    assert {str(w.message) for w in passed_on} == {"noise from another session"}  # passed on, not swallowed


def _defined(shown: str) -> tuple[str, object]:
    """Run the code a pitfall shows and return the function it defines (name, function)."""
    space: dict[str, object] = {"torch": torch}
    exec(compile(shown, "<shown>", "exec"), space)
    return next((k, v) for k, v in space.items() if callable(v) and k != "torch" and not k.startswith("__"))


def test_the_code_shown_is_the_code_that_ran(card: dict[str, PitfallOutcome]) -> None:
    from gradlab.probes.stale_graph import stale_graph

    ran = set()
    lab = "# X, y, w, b, lr: the lab's\n" + stale_graph(CARD).code  # Grad Lab ①'s backward() after an update
    for shown in [lab, *(text for o in card.values() for text in (o.wrong_code, o.fix_code))]:
        if shown:
            assert shown.startswith("# ") and shown.count("\ndef ") == 1, shown
            name, _ = _defined(shown)  # the shown text is runnable Python that defines one function
            real = getattr(pitfall_code, name)  # the function of that name is the one the runner called
            assert shown.split("\n", 1)[1] == inspect.getsource(real).rstrip(), name
            ran.add(name)
    here = pitfall_code.__name__
    defined = {n for n, v in vars(pitfall_code).items() if callable(v) and getattr(v, "__module__", "") == here}
    assert ran == defined  # every function there is shown, and nothing else is


def test_a_shown_function_run_again_gives_the_same_outcome(card: dict[str, PitfallOutcome]) -> None:
    _, fn = _defined(card["forgot_zero_grad"].wrong_code)
    X, y = torch.tensor(CARD.X), torch.tensor(CARD.y)
    w, b = torch.tensor(CARD.w0, requires_grad=True), torch.tensor(CARD.b0, requires_grad=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(X, y, w, b)
    assert out.getvalue().splitlines() == card["forgot_zero_grad"].outcome.splitlines()


def test_the_pitfalls_spell_the_forward_pass_as_the_card_does() -> None:
    source = inspect.getsource(pitfall_code)
    lines = [ln.split("#")[0].strip() for ln in source.splitlines()]
    assert lines.count(FORWARD) >= 8 and lines.count(LOSS) >= 8
    assert not any("X @ w + b - y" in ln or ("y_hat =" in ln and ln != FORWARD) for ln in lines), "another spelling"


# --- each fix is the whole step for w and b, as plain PyTorch does it -----------------------------------------


def _fresh() -> tuple[torch.Tensor, ...]:
    X, y = torch.tensor(CARD.X), torch.tensor(CARD.y)
    return X, y, torch.tensor(CARD.w0, requires_grad=True), torch.tensor(CARD.b0, requires_grad=True)


def _plain_steps(steps: int, *, update: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The correct loop in plain PyTorch: forward, backward, (update w and b), zero both; returns w and b."""
    X, y, w, b = _fresh()
    for _ in range(steps):
        ((X @ w + b - y) ** 2).mean().backward()
        if update:
            with torch.no_grad():
                w -= CARD.lr * w.grad
                b -= CARD.lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w, b


@pytest.mark.parametrize(
    ("fix", "steps", "update"),
    [
        pytest.param(pitfall_code.update_in_place_under_no_grad, 1, True, id="inplace-fix"),
        pytest.param(pitfall_code.update_in_place_then_zero, 2, True, id="out-of-place-fix"),
        pytest.param(pitfall_code.backward_on_a_fresh_graph, 2, False, id="backward-twice-fix"),
        pytest.param(pitfall_code.two_steps_zeroing_each, 2, False, id="forgot-zero-fix"),
    ],
)
def test_each_fix_updates_and_clears_w_and_b_alike(fix: Callable[..., object], steps: int, update: bool) -> None:
    X, y, w, b = _fresh()
    names = inspect.signature(fix).parameters
    with contextlib.redirect_stdout(io.StringIO()):
        fix(**{k: v for k, v in {"X": X, "y": y, "w": w, "b": b, "lr": CARD.lr}.items() if k in names})
    plain_w, plain_b = _plain_steps(steps, update=update)
    torch.testing.assert_close(w.detach(), plain_w.detach())
    torch.testing.assert_close(b.detach(), plain_b.detach())  # b moved exactly as w's loop moves it
    assert w.is_leaf and b.is_leaf
    assert torch.equal(w.grad, torch.zeros(2)) and torch.equal(b.grad, torch.zeros(()))  # both cleared


def test_the_backward_twice_fix_gives_each_step_the_same_gradients(card: dict[str, PitfallOutcome]) -> None:
    lines = card["backward_twice"].fixed_outcome.splitlines()
    assert lines[0].replace("step 0", "step 1") == lines[1]  # b.grad was zeroed too, or it would read -26
    assert number(lines[1], "b.grad") == -13.0


# --- the prediction asked before each pitfall ---------------------------------------------------------------


def test_one_label_per_behaviour_and_they_read_after_a_letter() -> None:
    assert tuple(BEHAVIOUR_WORDS) == BEHAVIOURS
    assert all(label[0].isupper() and not label.endswith(".") for label in BEHAVIOUR_WORDS.values())
    assert "error" in QUESTION and "warning" in QUESTION and "work" in QUESTION


def test_each_pitfall_asks_and_judges_against_what_its_run_did(card: dict[str, PitfallOutcome]) -> None:
    expected = {
        "inplace_outside_no_grad": "error",
        "to_after_requires_grad": "warning",
        "out_of_place_update": "warning",
        "backward_twice": "error",
        "nonleaf_grad": "warning",
        "forgot_zero_grad": "silent",
        "step_before_backward": "silent",
        "broadcast_shape": "silent",
    }
    assert {k: o.behaviour for k, o in card.items()} == expected
    pids = set()
    for key, outcome in card.items():
        prompt = pitfall_prompt(outcome)
        pids.add(prompt.pid)
        assert prompt.options == BEHAVIOUR_WORDS and prompt.answer == BEHAVIOUR_WORDS[expected[key]]
        for guess in BEHAVIOURS:
            verdict = prompt.judge(guess)
            assert verdict.correct == (guess == expected[key])
            assert verdict.actual == BEHAVIOUR_WORDS[expected[key]] and verdict.why == outcome.why
        with pytest.raises(ValueError, match="guess"):
            prompt.judge("sideways")
    assert len(pids) == len(card)  # one question per pitfall, each kept apart


def test_the_errors_and_warnings_named_are_the_ones_plain_pytorch_gives() -> None:
    """Plain PyTorch, written here: the mistakes judged "error" raise, those judged "warning" warn and do not."""
    X, y, w, b = _fresh()
    loss = ((X @ w + b - y) ** 2).mean()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()
    X, y, w, b = _fresh()
    y_hat = X @ w + b
    ((y_hat - y) ** 2).mean().backward()
    with pytest.warns(UserWarning, match="not a leaf"):
        assert y_hat.grad is None
