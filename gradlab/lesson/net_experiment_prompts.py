"""Grad Lab ⑧'s questions, one before each network experiment's outcome, built from the run it will reveal.

Each answer is read from the probe's facts (`gradlab.probes.net_experiments`, `gradlab.probes.net_backward`):
which `.grad` is None, which parameters moved, how the accumulated `.grad` compares with the full batch's, whether
backward() raised. Each `why` states what that run did, with its numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from gradlab.fmt import num, vec
from gradlab.lesson.guess import Verdict, check_choice
from gradlab.lesson.prompts import Prompt
from gradlab.probes.net_backward import AutogradGrad, VectorJacobian, VersionCounter
from gradlab.probes.net_common import largest, max_diff
from gradlab.probes.net_experiments import Accumulation, Detach, Freeze

PAGE = "Grad Lab"
LISTED = 8  # at most this many numbers written out in a why (a class vote's why has at most 1000 characters)
REL_TOL = 1e-5  # float32 sums in another order agree to this share of the largest |entry|


def same(diff: float | None, scale: float) -> bool:
    """Whether a largest difference is float32 rounding: at most REL_TOL·max(1, scale)."""
    return diff is not None and diff <= REL_TOL * max(1.0, scale)


def _judge(actual: str, why: str, options: Mapping[str, str], guess: str) -> Verdict:
    if guess not in options:
        raise ValueError(f"guess: {guess!r} is not one of {tuple(options)}")
    v = check_choice(guess, actual, why)
    return Verdict(v.correct, options[guess], options[actual], why)


def _prompt(pid: str, question: str, options: dict[str, str], actual: str, why: str, signature: object) -> Prompt:
    if actual not in options:
        raise ValueError(f"actual: {actual!r} is not one of {tuple(options)}")
    return Prompt(
        pid=pid,
        page=PAGE,
        question=question,
        options=options,
        judge=partial(_judge, actual, why, options),
        answer=options[actual],
        why=why,
        signature=signature,
    )


def _grad_state(grad: tuple[float, ...] | None) -> str:
    if grad is None:
        return "None"
    return "zeros" if not any(grad) else "values"


FREEZE_OPTIONS = {
    "None_still": "hidden.weight.grad is None, and hidden.weight never changes",
    "zeros_still": "hidden.weight.grad is all zeros, and hidden.weight never changes",
    "values_moves": "hidden.weight.grad holds values, and hidden.weight changes anyway",
    "error": "opt.step() raises an error: a frozen parameter was handed to the optimizer",
}


def freeze_prompt(f: Freeze) -> Prompt:
    """Before the frozen layer's outcome: hidden.weight.grad after backward(), and whether SGD moves it."""
    actual = f"{_grad_state(f.grads['hidden.weight'])}_{'moves' if f.moved['hidden.weight'] else 'still'}"
    options = dict(FREEZE_OPTIONS)
    options.setdefault(actual, actual.replace("_", ", ").replace("still", "never changes"))
    out_moved = [n for n in ("out.weight", "out.bias") if f.moved[n]]
    loss = f"the loss went from {num(f.losses[0])} to {num(f.losses[-1])}"
    why = (
        "requires_grad_(False) sets requires_grad=False on hidden.weight and hidden.bias, so backward() computes "
        f"no gradient for them: hidden.weight.grad is {vec(f.grads['hidden.weight'])} after it. "
        f"SGD's step() skips every parameter whose .grad is None: in {f.steps} steps the hidden layer "
        f"{'changed' if f.moved['hidden.weight'] or f.moved['hidden.bias'] else 'never changed'}, while "
        f"{' and '.join(out_moved) or 'no parameter of the output layer'} did, and {loss}."
    )
    return _prompt(
        "lab_net_freeze",
        f"model.hidden.requires_grad_(False), then {f.steps} steps of SGD over model.parameters(). What happens?",
        options,
        actual,
        why,
        (actual, f.losses[0], f.losses[-1], f.steps),
    )


DETACH_OPTIONS = {
    "None": "None",
    "zeros": "a tensor of zeros",
    "values": "gradient values, as without detach()",
    "error": "backward() raises an error",
}


def detach_prompt(d: Detach) -> Prompt:
    """Before detach()'s outcome: what backward() leaves in model.hidden.weight.grad."""
    actual = _grad_state(d.detached_grads["hidden.weight"])
    diff = d.out_grad_diff["out.weight"]
    why = (
        f"h.detach() returns h's values as a new tensor with no grad_fn (requires_grad={d.h_requires_grad}, "
        f"is_leaf={d.h_is_leaf}): backward() stops there, so nothing reaches model.hidden and its .grad is "
        f"{vec(d.detached_grads['hidden.weight'])}. out.weight.grad is "
        + (
            f"what it is without detach() (largest difference {num(diff)}): out's gradient needs only h's values."
            if diff is not None and same(diff, largest({"w": d.grads["out.weight"]}))
            else f"{vec(d.detached_grads['out.weight'])}."
        )
    )
    return _prompt(
        "lab_net_detach",
        "h = model.act(model.hidden(X)).detach(), then the loss of model.out(h) and backward(). "
        "What is model.hidden.weight.grad?",
        DETACH_OPTIONS,
        actual,
        why,
        (actual, d.detached_grads["out.weight"]),
    )


def accumulation_options(k: int) -> dict[str, str]:
    """The choices for the accumulated .grad, with this k written in."""
    return {
        "equal": "equal to the full batch's .grad",
        "k_times": f"{k}× the full batch's .grad",
        "over_k": f"1/{k} of the full batch's .grad",
        "last": "only the last micro-batch's gradient",
    }


def _terms(values: tuple[float, ...]) -> str:
    """A sum written out term by term, or only its total beyond LISTED terms (a room's why is bounded)."""
    total = num(sum(values))
    if len(values) > LISTED:
        return f"the {len(values)} terms add up to {total}"
    return " + ".join(num(x) for x in values) + f" = {total}"


def _rows(n: int) -> str:
    return "1 row" if n == 1 else f"{n} rows"


def accumulated_vs_full(a: Accumulation) -> str:
    """How the accumulated .grad compares with the full batch's: "equal", "k_times", "over_k" or "other"."""
    scale = largest(a.full_grads) * a.k
    for key, factor in (("equal", 1.0), ("k_times", float(a.k)), ("over_k", 1.0 / a.k)):
        if all(same(max_diff(a.accumulated[n], a.full_grads[n], factor), scale) for n in a.full_grads):
            return key
    return "other"


def accumulation_prompt(a: Accumulation) -> Prompt:
    """Before the accumulation's outcome: the accumulated .grad against one full-batch backward()."""
    actual = accumulated_vs_full(a)
    options = accumulation_options(a.k)
    options.setdefault(actual, "none of these")
    split = f"{a.k} micro-batches of {_rows(a.rows)}"
    largest_diff = max((d for d in a.grad_diff.values() if d is not None), default=0.0)
    if a.divided:
        step = max((d for d in a.step_diff.values() if d is not None), default=0.0)
        why = (
            f"backward() adds into .grad. The mean over all {a.k * a.rows} rows is the average of the {a.k} "
            f"micro-batch means, so the {a.k} losses divided by {a.k} add up to the full batch's loss "
            f"({_terms(a.micro_losses)}; the full batch's: {num(a.full_loss)}) and their gradients to its "
            f"gradient (largest difference {num(largest_diff)}: float32 rounding). The one opt.step() then lands "
            f"where one full-batch step does (largest difference {num(step)})."
        )
        question = f"{split}, each loss divided by {a.k}, backward() after each, no zeroing in between. Then .grad is…"
    else:
        why = (
            f"Each micro-batch's loss is a mean over its own {_rows(a.rows)}, on the scale of the full batch's, so "
            f"the {a.k} gradients add up to {a.k}× the full batch's (largest difference from {a.k}× it: "
            f"{num(largest_diff)}). The one opt.step() is then {a.k}× as long: the step of lr = {a.k}·{num(a.lr)} "
            f"= {num(a.k * a.lr)} on the full batch."
        )
        question = f"The same {split}, but without dividing each loss by {a.k}. Then .grad is…"
    return _prompt(
        f"lab_net_accumulate_{'divided' if a.divided else 'not_divided'}",
        question,
        options,
        actual,
        why,
        (a.k, a.divided, actual, a.full_loss),
    )


VERSION_OPTIONS = {
    "error": "backward() raises an error",
    "old": "backward() runs: .grad at the old out.weight",
    "new": "backward() runs: .grad at the updated out.weight",
}


def version_prompt(v: VersionCounter) -> Prompt:
    """Before the version counter's outcome: what backward() does after out.weight was updated in place."""
    actual = "error" if v.error is not None else "old"
    why = (
        "The forward pass saved out.weight: backward() needs it to pass the gradient on from ŷ to h. The in-place "
        f"update raised out.weight's version counter from {v.version_after_forward} to {v.version_at_backward}; "
        "backward() checks the saved tensor's version and "
        + ("refuses" if v.error is not None else "ran anyway")
        + (": no .grad was written." if all(g is None for g in v.grads_after_error.values()) else ".")
        + " In the linear model ŷ = Xw + b the graph saves X, not w, so the same kind of update passes silently "
        "and backward() adds the gradient at the old weights."
    )
    return _prompt(
        "lab_net_version",
        "loss = mse_loss(model(X), y); then out.weight is updated in place under torch.no_grad(); then "
        "loss.backward(). What happens?",
        VERSION_OPTIONS,
        actual,
        why,
        (actual, v.version_after_forward),
    )


AUTOGRAD_GRAD_OPTIONS = {
    "None": "None",
    "values": "the gradient, as backward() would put there",
    "zeros": "a tensor of zeros",
}


def autograd_grad_prompt(g: AutogradGrad) -> Prompt:
    """Before torch.autograd.grad's outcome: model.out.bias.grad afterwards."""
    actual = _grad_state(g.grads_after["out.bias"])
    untouched = all(x is None for x in g.grads_after.values())
    diff = max((d for d in g.diff.values() if d is not None), default=0.0)
    why = (
        f"torch.autograd.grad returns the gradients as a tuple (out.bias's is {vec(g.returned['out.bias'])}) and "
        + ("writes nothing into .grad: every .grad is still None. " if untouched else "")
        + f"They are what loss.backward() puts into .grad on a fresh model (largest difference {num(diff)})."
    )
    return _prompt(
        "lab_net_autograd_grad",
        "grads = torch.autograd.grad(loss, list(model.parameters())). Afterwards, what is model.out.bias.grad?",
        AUTOGRAD_GRAD_OPTIONS,
        actual,
        why,
        (actual, g.returned["out.bias"]),
    )


VJP_OPTIONS = {
    "equal": "the same .grad as mse_loss(y_hat, y).backward()",
    "different": "different .grad values",
    "error": "an error: y_hat is not a scalar",
}


def vjp_prompt(j: VectorJacobian) -> Prompt:
    """Before backward(gradient=v)'s outcome: its .grad against the loss's backward()."""
    diff = max((d for d in j.diff.values() if d is not None), default=0.0)
    actual = "equal" if same(diff, largest(j.loss_grads)) else "different"
    shape = ", ".join(map(str, j.y_hat_shape))
    why = (
        "y_hat.backward(gradient=v) computes the vector-Jacobian product vᵀ·∂ŷ/∂θ for every parameter θ. With "
        f"v = ∂loss/∂ŷ = 2/N·(ŷ − y){' = ' + vec(j.v) if len(j.v) <= LISTED else ''}, the chain rule makes that "
        "the loss's gradient "
        f"(largest difference {num(diff)})."
    )
    if j.no_gradient_error is not None:
        error = j.no_gradient_error.rstrip(".")
        why += f" Without gradient=, y_hat.backward() on y_hat of shape ({shape}) raises {error}."
    return _prompt(
        "lab_net_vjp",
        "v = 2/N·(ŷ − y), mse_loss's gradient with respect to ŷ. y_hat.backward(gradient=v): how does each "
        ".grad compare?",
        VJP_OPTIONS,
        actual,
        why,
        (actual, j.v),
    )
