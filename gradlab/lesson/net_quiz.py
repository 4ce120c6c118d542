"""Quiz questions on the network: concepts of `nn.Module` gradients, questions fixed by the data, and live ones
that follow the sidebar settings they name.

Written from runs it is handed (`NetQuizRuns`, fetched from the shared caches by the page), like
`gradlab.lesson.quiz`; it trains nothing itself. Each answer key is checked against plain PyTorch in
tests/test_net_quiz.py.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from gradlab.fmt import num
from gradlab.lesson.net_observations import net_divergence
from gradlab.lesson.quiz import ACCUMULATE_EPOCHS, CONCEPTS, Question, _concept, _numeric, _ordinal
from gradlab.probes.net_saturation import SCAN_EPOCHS, saturation
from gradlab.runs.net_stages import NetStageRun
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig
from gradlab.settings.links import format_lr

NET_CONCEPTS: tuple[Question, ...] = (
    _concept(
        "net_named",
        "For model = Net() (hidden = nn.Linear(2, 3), act = nn.Tanh(), out = nn.Linear(3, 1)), which names does "
        "model.named_parameters() give?",
        "hidden.weight, hidden.bias, out.weight, out.bias",
        (
            "hidden, act, out",
            "hidden.weight, act.weight, out.weight",
            "weight, bias",
        ),
        "Each nn.Linear holds a weight and a bias; named_parameters() names them by the attribute path. nn.Tanh has "
        "no parameters.",
    ),
    _concept(
        "net_grad_shape",
        "After loss.backward(), what shape does model.hidden.weight.grad have (hidden = nn.Linear(2, 3))?",
        "[3, 2], the shape of hidden.weight",
        ("[2, 3]", "[N, 3], one row per sample", "[3], one number per unit"),
        "A parameter's .grad always has the parameter's shape. nn.Linear(2, 3) stores its weight as "
        "(out_features, in_features) = (3, 2); the samples are summed over.",
    ),
    _concept(
        "net_h_grad",
        "With h = model.act(model.hidden(X)) in the forward pass, what is h.grad right after loss.backward()?",
        "None: h is not a leaf, and keeps .grad only after h.retain_grad()",
        (
            "The gradient of the loss with respect to h",
            "A tensor of zeros shaped like h",
            "It raises a RuntimeError",
        ),
        "backward() passes the gradient through h on its way to the parameters but keeps .grad only on leaves. "
        "Reading h.grad makes PyTorch warn; call h.retain_grad() before backward() to keep it, or register a hook.",
    ),
    _concept(
        "net_zero_grad",
        "What does model.zero_grad() do to every parameter's .grad by default (PyTorch 2)?",
        "Sets it to None (set_to_none=True)",
        ("Fills it with zeros", "Sets the parameters themselves to zero", "Nothing until optimizer.step()"),
        "Since PyTorch 2.0, model.zero_grad() and optimizer.zero_grad() both default to set_to_none=True: .grad "
        "becomes None, and the next backward() creates it afresh. zero_grad(set_to_none=False) fills it with zeros.",
    ),
    _concept(
        "net_freeze",
        "After model.hidden.requires_grad_(False), a forward pass and loss.backward(): what is "
        "model.hidden.weight.grad?",
        "None",
        ("A tensor of zeros", "The same gradient as without freezing", "It raises a RuntimeError"),
        "A parameter with requires_grad=False is not tracked, so backward() computes no gradient for it and its "
        ".grad stays None; out.weight and out.bias still get theirs.",
    ),
    _concept(
        "net_detach",
        "y_hat = model.out(model.act(model.hidden(X)).detach()). After loss.backward(), which parameters have a .grad?",
        "Only out.weight and out.bias",
        ("All four", "Only hidden.weight and hidden.bias", "None of them"),
        "detach() returns h cut from the graph: no gradient flows back past it into the hidden layer, whose .grad "
        "stays None.",
    ),
)


@dataclass(frozen=True)
class NetQuizRuns:
    """The runs a quiz on the network is written from: its five stages and four training runs (`net_trace_configs`)."""

    stages: NetStageRun  # run_net_stages(config): the first forward and backward pass
    trace: Trace  # train(config): the loss after all the epochs set
    one_update: Trace  # one epoch, zeroed: the parameters after one update
    never_zeroed: Trace  # ACCUMULATE_EPOCHS epochs, never zeroed: .grad as a running sum
    zeroed: Trace  # the same epochs, zeroed: each step's own gradient, a wrong option beside the sum
    long: Trace  # SCAN_EPOCHS epochs, zeroed: whether the hidden units saturate at this lr

    def __post_init__(self) -> None:
        if self.stages.config != self.trace.config:
            raise ValueError(f"stages: a run of {self.stages.config!r} where the quiz needs {self.trace.config!r}")
        for name, config in net_trace_configs(self.trace.config).items():
            got = getattr(self, name).config
            if got != config:
                raise ValueError(f"{name}: a run of {got!r} where the quiz needs {config!r}")

    @property
    def config(self) -> RunConfig:
        return self.trace.config


def net_trace_configs(config: RunConfig) -> dict[str, RunConfig]:
    """The config of each training run a quiz on the network needs, by its `NetQuizRuns` field."""
    if config.model != "net":
        raise ValueError("config: the network quiz needs model='net'; the linear quiz is gradlab.lesson.quiz")
    k = ACCUMULATE_EPOCHS
    return {
        "trace": config,
        "one_update": config.with_(epochs=1, zeroing="zero"),
        "never_zeroed": config.with_(epochs=k, zeroing="never"),
        "zeroed": config.with_(epochs=k, zeroing="zero"),
        "long": config.with_(epochs=SCAN_EPOCHS, zeroing="zero"),
    }


NET_TRACE_FIELDS = tuple(f.name for f in fields(NetQuizRuns) if f.name != "stages")


def net_data_questions(run: NetStageRun) -> tuple[Question, ...]:
    """Numeric questions fixed by the data (the network's start is fixed), not by the sidebar settings."""
    loss, g = run.loss, run.grads["out.bias"][0]
    n = run.config.n_samples
    return (
        _numeric(
            "net_data_loss",
            "What is the network's loss in its first forward pass?",
            num(loss),
            [num(loss * 2), num(loss / 4), num(loss**0.5), num(loss * n)],
            f"mean((ŷ − y)²) over the {n} samples, with ŷ = out(tanh(hidden(X))) at the start: {num(loss)}.",
            from_data=True,
        ),
        _numeric(
            "net_data_out_bias",
            "What is model.out.bias.grad after the first backward()?",
            f"[{num(g)}]",
            [f"[{num(-g)}]", f"[{num(2 * g)}]", f"[{num(g / 2)}]", "[0]"],
            f"out.bias.grad = 2/N·Σ(ŷ − y) = {num(g)}, a tensor of shape [1] like out.bias.",
            from_data=True,
        ),
    )


def _words(config: RunConfig) -> str:
    rule = "torch.optim.SGD" if config.update == "sgd" else "p -= lr * p.grad under no_grad"
    return f"lr = {format_lr(config.lr)}, update {rule}"


def net_live_questions(runs: NetQuizRuns) -> tuple[Question, ...]:
    """Questions on the network whose right answers change with the sidebar settings they name."""
    config, start = runs.config, runs.stages
    lr = format_lr(config.lr)
    qs: list[Question] = []

    # 1. out.bias after one update: depends on lr.
    g = start.grads["out.bias"][0]
    after = runs.one_update.final_params
    right = f"[{num(float(after['out.bias'][0]))}]" if after is not None else "It overflows to inf/NaN"
    qs.append(
        _numeric(
            "live_net_update",
            f"With {_words(config)}, what is model.out.bias after one update from the start ([0])?",
            right,
            [f"[{num(config.lr * g)}]", "[0]", f"[{num(-g)}]", f"[{num(g)}]"],
            f"out.bias − lr·out.bias.grad = 0 − {lr}·({num(g)}) = {right}.",
            depends_on=("lr",),
        )
    )

    # 2. The loss of the last epoch set: depends on lr, epochs and zeroing.
    trace, never = runs.trace, config.zeroing == "never"
    zero_words = "never zeroing .grad" if never else "zeroing .grad every step"
    gone = net_divergence(trace)
    if gone is not None and gone.stopped:
        right = f"No number: the run is stopped at epoch {gone.epoch}"
        why = f"{gone.headline} {gone.reason}"
        cands = [num(trace.start_loss, 4), "0"]
    else:
        right = num(trace.end_loss, 4)
        why = (
            f"Epoch {config.epochs:,}'s forward pass, after {config.epochs - 1:,} update"
            f"{'s' if config.epochs != 2 else ''} at lr = {lr}, {zero_words}, gives a loss of {num(trace.end_loss)}."
        )
        cands = [num(trace.start_loss, 4), num(trace.end_loss * 10, 4), num(trace.end_loss / 10, 4), "0"]
    qs.append(
        _numeric(
            "live_net_loss",
            f"With {_words(config)} and {zero_words}, what is the network's loss in the forward pass of epoch "
            f"{config.epochs:,}?",
            right,
            cands,
            why,
            depends_on=("lr", "epochs", "zeroing"),
        )
    )

    # 3. Do the hidden units saturate at this lr? Depends on lr.
    options, pick, why = _saturation_answer(runs.long, lr)
    prompt = (
        f"Train the network for {SCAN_EPOCHS:,} epochs at lr = {lr}, zeroing .grad every step. What happens to its "
        "hidden units (saturated: the mean over the samples of tanh's slope 1 − h² below 0.01)?"
    )
    qs.append(Question("live_net_saturates", prompt, options, pick, why, depends_on=("lr",)))  # options in fixed order

    # 4. .grad when it is never zeroed: depends on lr.
    acc, k = runs.never_zeroed, ACCUMULATE_EPOCHS
    if len(acc) == k:
        summed = f"[{num(float(acc.grads['out.bias'][k - 1][0]))}]"
        cands = [f"[{num(g)}]", f"[{num(k * g)}]"]
        if len(runs.zeroed) == k:
            cands.insert(0, f"[{num(float(runs.zeroed.grads['out.bias'][k - 1][0]))}]")
        qs.append(
            _numeric(
                "live_net_accumulated",
                f"A loop at lr = {lr} runs forward → backward() → update but never zeroes .grad. What is "
                f"model.out.bias.grad right after the {_ordinal(k)} backward()?",
                summed,
                cands,
                f"Each backward() added its own gradient at the weights of that step; after {k} steps out.bias.grad "
                f"is their sum, {summed}.",
                depends_on=("lr",),
            )
        )
    return tuple(qs)


def _saturation_answer(long: Trace, lr: str) -> tuple[tuple[str, ...], int, str]:
    """The options, the right one's index and why, for what a SCAN_EPOCHS run does to the hidden units."""
    options = [
        "Every hidden unit saturates and the loss stalls",
        "Some hidden units saturate",
        "No hidden unit saturates",
        "The numbers overflow to inf/NaN and the run stops",
    ]
    if long.stop is not None:
        return (
            tuple(options),
            3,
            f"At lr = {lr} a number overflowed float32 at epoch {long.stop.epoch}: the run stopped.",
        )
    sat = saturation(long)
    if sat.saturated_and_stalled:
        why = (
            f"At lr = {lr} every unit's mean over the samples of 1 − h² stays below {sat.threshold:g} from epoch "
            f"{sat.all_saturated_from}, and the loss stalls from epoch {sat.stall_from} at {sat.end_loss:.4g}."
        )
        return tuple(options), 0, why
    if sat.saturated_units:
        names = ", ".join(f"h[:, {j}]" for j in sat.saturated_units)
        why = f"At lr = {lr} the units {names} end saturated (mean of 1 − h² below {sat.threshold:g})"
        if sat.all_saturated_from is not None:  # all of them, but the loss still moves
            options[1] = "Every hidden unit saturates, but the loss does not stall"
            why += ", but the loss does not stall"
        return tuple(options), 1, why + "."
    low = min(u.slope_end for u in sat.units)
    return tuple(options), 2, f"At lr = {lr} each unit's mean over the samples of 1 − h² ends at {low:.3g} or more."


def build_net_quiz(runs: NetQuizRuns) -> tuple[Question, ...]:
    """All questions on the network: the card's first, the network's concepts, its data, and the live ones."""
    return (CONCEPTS[0], *NET_CONCEPTS, *net_data_questions(runs.stages), *net_live_questions(runs))
