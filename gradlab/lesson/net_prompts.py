"""The questions Data Flow asks before it reveals the network's `.grad`, built from the run it will reveal.

Each is a `gradlab.lesson.prompts.Prompt`, like the linear model's: the shape of hidden.weight.grad, whether
h.grad is None after backward(), and the sign of a chosen entry of a parameter's `.grad`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from gradlab.fmt import num
from gradlab.lesson.guess import SIGNS, Verdict, check_choice, check_sign, check_value, sign_of
from gradlab.lesson.prompts import Prompt
from gradlab.probes.net_backward import NonLeaf
from gradlab.probes.net_sample import NetSample
from gradlab.runs.net_stages import NetStageRun

PAGE = "Data Flow"


def shape_text(shape: tuple[int, ...]) -> str:
    """(3, 2) → "[3, 2]", as PyTorch prints torch.Size; () → "[] (0-d)"."""
    return "[" + ", ".join(str(d) for d in shape) + "]" if shape else "[] (0-d)"


def _choice_judge(actual: str, why: str, options: Mapping[str, str], guess: str) -> Verdict:
    v = check_choice(guess, actual, why)
    return Verdict(v.correct, options.get(guess, guess), options[actual], why)


def _sign_judge(actual: float, shown: str, why: str, guess: str) -> Verdict:
    return check_sign(guess, actual, shown, why)


def _value_judge(actual: float, shown: str, why: str, guess: str) -> Verdict:
    try:
        number = float(guess)
    except ValueError:
        number = float("nan")
    return check_value(number, actual, shown, why)


def hidden_weight_grad_shape(run: NetStageRun) -> Prompt:
    """Before stage 5: the shape of `model.hidden.weight.grad`."""
    shape = run.shapes["hidden.weight"]
    n_out, n_in = shape
    n = run.config.n_samples
    candidates = [shape, (n_in, n_out), (n, n_out), (n_out,), (n_in,)]
    options: dict[str, str] = {}
    for c in candidates:
        if shape_text(c) not in options and len(options) < 4:
            options[shape_text(c)] = shape_text(c)
    actual = shape_text(shape)
    why = (
        f"A parameter's .grad always has the parameter's own shape. nn.Linear({n_in}, {n_out}) stores its weight as "
        f"(out_features, in_features) = ({n_out}, {n_in}), so hidden.weight.grad is {actual} too: one entry per "
        f"weight, each summed over the {n} samples (z and h are [{n}, {n_out}])."
    )
    return Prompt(
        pid="df_net_hidden_shape",
        page=PAGE,
        question="After backward(), what shape will model.hidden.weight.grad have?",
        options=options,
        judge=partial(_choice_judge, actual, why, options),
        answer=actual,
        why=why,
        signature=(actual, n),
    )


def h_grad_after_backward(facts: NonLeaf) -> Prompt:
    """Before stage 5's h is shown: what is `h.grad` right after `loss.backward()`?"""
    actual = "None" if facts.grad_without_retain is None else "values"
    options = {
        "None": "None",
        "values": "a tensor of gradient values, shaped like h",
        "zeros": "a tensor of zeros",
    }
    warned = f" Reading it makes PyTorch warn: {facts.warning}" if facts.warning else ""
    why = (
        f"h = tanh(z) is not a leaf (its grad_fn is {facts.grad_fn}). backward() passes the gradient through h to the "
        "parameters but keeps .grad only on leaves, unless h.retain_grad() was called before backward()." + warned
    )
    return Prompt(
        pid="df_net_h_grad",
        page=PAGE,
        question="h = model.act(model.hidden(X)) takes part in the loss. Right after loss.backward(), what is h.grad?",
        options=options,
        judge=partial(_choice_judge, actual, why, options),
        answer=options[actual],
        why=why,
        signature=(actual, facts.warning),
    )


def _formula(name: str, index: tuple[int, ...]) -> str:
    """The chain rule for one entry of a parameter's .grad, summed over the samples r (ŷ and h of sample r)."""
    if name == "out.bias":
        return "2/N·Σ(ŷ − y)"
    if name == "out.weight":
        return f"2/N·Σ(ŷ − y)·h[r, {index[1]}]"
    j = index[0]
    factor = f"(ŷ − y)·out.weight[0, {j}]·(1 − h[r, {j}]²)"
    if name == "hidden.bias":
        return f"2/N·Σ{factor}"
    return f"2/N·Σ{factor}·X[r, {index[1]}]"


def grad_entry_sign(run: NetStageRun, name: str = "out.weight", index: tuple[int, ...] = (0, 0)) -> Prompt:
    """Before stage 5: the sign of one entry of a parameter's `.grad` (an IndexError names the parameter's shape)."""
    value = run.grad_at(name, index)
    sign = sign_of(value)
    where = f"{name}.grad[{', '.join(map(str, index))}]"
    residual = [p - t for p, t in zip(run.predictions, run.config.y, strict=True)]
    lows = sum(r < 0 for r in residual)
    why = (
        f"{where} = {_formula(name, index)} over the samples r = {num(value)}, so it is {sign}. "
        f"Here {lows} of the {len(residual)} predictions are below their targets (ŷ − y < 0)."
    )
    return Prompt(
        pid=f"df_net_sign_{name}_{'_'.join(map(str, index))}",
        page=PAGE,
        question=f"After backward(), will {where} be negative, zero or positive?",
        options={k: k for k in SIGNS},
        judge=partial(_sign_judge, value, num(value), why),
        answer=sign,
        why=why,
        signature=(name, index, value),
    )


def net_data_flow_prompts(run: NetStageRun, facts: NonLeaf) -> dict[int, list[Prompt]]:
    """Data Flow's questions on the network, by the stage each is asked before.

    What h.grad holds after backward() is asked before stage 3, whose table already calls h a non-leaf that keeps
    no .grad; the shape of hidden.weight.grad and the sign of out.weight.grad[0, 0] before stage 5, which shows
    every .grad. Home's worked example shows these answers too, so it reads them.
    """
    return {3: [h_grad_after_backward(facts)], 5: [hidden_weight_grad_shape(run), grad_entry_sign(run)]}


# --- Prediction Trace: one sample's share of a .grad entry (gradlab.probes.net_sample.NetSample) ----------------

TRACE_PAGE = "Prediction Trace"
SHARE_PARAM, SHARE_INDEX = "out.weight", (0, 0)  # the entry whose share is asked: 2/N·(ŷ − y)·h[0]


def _share_of(s: NetSample, name: str, index: tuple[int, ...]) -> float:
    shape = s.shapes[name]
    flat = 0
    for i, n in zip(index, shape, strict=True):
        flat = flat * n + i
    return s.share[name][flat]


def _share_why(s: NetSample, name: str, index: tuple[int, ...]) -> str:
    value = _share_of(s, name, index)
    where = f"{name}.grad[{', '.join(map(str, index))}]"
    if name == "out.weight":
        j = index[1]
        return (
            f"This sample's share of {where} is 2/N·(ŷ − y)·h[{j}]: 2/N is positive, ŷ − y = {num(s.residual)} is "
            f"{sign_of(s.residual)} and h[{j}] = {num(s.h[j])} is {sign_of(s.h[j])}, so the share is {num(value)}."
        )
    return f"This sample's share of {where} is {num(value)} ({_formula(name, index).replace('Σ', '')} for this sample)."


def net_share_sign(s: NetSample, name: str = SHARE_PARAM, index: tuple[int, ...] = SHARE_INDEX) -> Prompt:
    """Prediction Trace, before the shares are shown: the sign of this sample's share of one `.grad` entry."""
    value = _share_of(s, name, index)
    sign = sign_of(value)
    where = f"{name}.grad[{', '.join(map(str, index))}]"
    why = _share_why(s, name, index)
    return Prompt(
        pid=f"pt_net_sign_{name}_{'_'.join(map(str, index))}",
        page=TRACE_PAGE,
        question=f"This sample's share of {where}: negative, zero or positive?",
        options={k: k for k in SIGNS},
        judge=partial(_sign_judge, value, "", why),
        answer=sign,
        why=why,
        signature=(s.epoch, s.row, name, index, value),
    )


def net_value_is_asked(
    s: NetSample, sign_guess: str | None, name: str = SHARE_PARAM, index: tuple[int, ...] = SHARE_INDEX
) -> bool:
    """Whether the value is still worth asking after the sign: not when the share is exactly zero, nor when the
    learner's sign guess was "zero" (a value, already judged)."""
    return _share_of(s, name, index) != 0 and sign_guess != "zero"


def net_share_value(s: NetSample, name: str = SHARE_PARAM, index: tuple[int, ...] = SHARE_INDEX) -> Prompt:
    """Prediction Trace, after the sign: the value of this sample's share of one `.grad` entry."""
    value = _share_of(s, name, index)
    shown = num(value)
    where = f"{name}.grad[{', '.join(map(str, index))}]"
    formula = "2/N·(ŷ − y)·h[0]" if (name, index) == ("out.weight", (0, 0)) else _formula(name, index)
    return Prompt(
        pid=f"pt_net_value_{name}_{'_'.join(map(str, index))}",
        page=TRACE_PAGE,
        question=f"And its value? The share of {where} is {formula}; the steps above show ŷ − y and h.",
        options=None,
        judge=partial(_value_judge, value, shown, _share_why(s, name, index)),
        answer=shown,
        why=_share_why(s, name, index),
        signature=(s.epoch, s.row, name, index, value),
    )
