"""The `.grad` lifecycle on the network, hands on: each action is one real PyTorch operation on a live `Net`.

The network's counterpart of `gradlab.runs.lifecycle`: `model.zero_grad()` and `optimizer.zero_grad()` (both
`set_to_none=True` by default in PyTorch 2.x: `.grad` becomes None) beside `optimizer.zero_grad(set_to_none=False)`
(zeros), and `optimizer.step()`, with `optimizer = torch.optim.SGD(model.parameters(), lr=lr)` created once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from gradlab.fmt import num
from gradlab.runs.lifecycle import Did, _no_loss_yet
from gradlab.runs.net import Net, make_net, mse, net_data
from gradlab.runs.net_code import NET_BACKWARD, NET_LOSS
from gradlab.settings.config import RunConfig, resolve_device

Grads = dict[str, tuple[float, ...] | None]  # parameter name → its .grad flattened, or None

NET_FORWARD_LINE = "y_hat = model(X)"
NET_OPTIMIZER = "optimizer = torch.optim.SGD(model.parameters(), lr=lr)"
NET_ACTIONS: dict[str, str] = {
    "forward": "forward + loss",
    "backward": "loss.backward()",
    "backward_again": "forward + backward() again",
    "model_zero": "model.zero_grad()",
    "opt_zero": "optimizer.zero_grad()",
    "opt_zero_false": "optimizer.\u200bzero_grad(set_to_none=False)",  # a narrow button wraps after the dot
    "step": "optimizer.step()",
    "reset": "reset",
}
NET_CODE: dict[str, str] = {
    "forward": f"{NET_FORWARD_LINE}\n{NET_LOSS}",
    "backward": NET_BACKWARD,
    "backward_again": f"{NET_FORWARD_LINE}  # a fresh forward pass, a fresh graph\n{NET_LOSS}\n"
    f"{NET_BACKWARD}  # no zeroing: adds to .grad",
    "model_zero": "model.zero_grad()  # set_to_none=True by default: every .grad becomes None",
    "opt_zero": "optimizer.zero_grad()  # set_to_none=True by default: every .grad becomes None",
    "opt_zero_false": "optimizer.zero_grad(set_to_none=False)  # keeps each .grad tensor, filled with zeros",
    "step": f"{NET_OPTIMIZER}  # created once\noptimizer.step()  # p -= lr * p.grad, under no_grad, for each p",
    "reset": "model = Net().to(device)  # and the starting values, as on Data Flow\n" + NET_OPTIMIZER,
}


@dataclass(frozen=True)
class NetLabEvent:
    """What one click did on the network: the action, the code that ran, PyTorch's answer and every `.grad`."""

    action: str
    code: str
    ok: bool
    message: str
    loss: float | None  # the loss of the current parameters (None before a forward pass or after an update)
    grads: Grads  # by named_parameters() name
    raised_by: str | None = None

    @property
    def raised(self) -> bool:
        return self.raised_by is not None

    @property
    def flat(self) -> tuple[float, ...] | None:
        """All four `.grad` in named_parameters() order as one tuple; None when any `.grad` is None."""
        if any(g is None for g in self.grads.values()):
            return None
        return tuple(v for g in self.grads.values() for v in g or ())


def grads_of(net: Net) -> Grads:
    return {
        n: None if p.grad is None else tuple(p.grad.detach().cpu().reshape(-1).tolist())
        for n, p in net.named_parameters()
    }


@dataclass
class NetLifecycle:
    """A live `Net`, its data and its optimizer for one learner; every method is one named PyTorch operation."""

    config: RunConfig
    history: list[NetLabEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._fresh()

    def _fresh(self) -> None:
        self.device, self.device_note = resolve_device(self.config.device)
        self.X, self.y = net_data(self.config, self.device)  # ValueError unless 2 features
        self.model = make_net(self.device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.config.lr)
        self.loss: torch.Tensor | None = None
        self.moved = False  # the parameters changed since the last forward pass

    def named(self) -> dict[str, torch.nn.Parameter]:
        return dict(self.model.named_parameters())

    def run(self, action: str) -> NetLabEvent:
        """Perform one action by name (see NET_ACTIONS) and log it."""
        operation = NET_OPERATIONS.get(action)
        if operation is None:
            raise ValueError(f"action: {action!r} is unknown; choose one of {tuple(NET_ACTIONS)}")
        with torch.inference_mode(False), torch.enable_grad():
            did = operation(self)
        event = NetLabEvent(
            action=action,
            code=NET_CODE[action],
            ok=did.ok,
            message=did.message,
            loss=None if self.loss is None or self.moved else float(self.loss.detach().item()),
            grads=grads_of(self.model),
            raised_by=did.raised_by,
        )
        self.history = [] if action == "reset" else [*self.history, event]
        return event

    def _forward(self) -> Did:
        self.loss = mse(self.model(self.X), self.y)
        self.moved = False
        return Did.done(f"loss = {num(self.loss.detach().item())}; the graph is ready for backward()")

    def _backward(self) -> Did:
        if self.loss is None:
            return _no_loss_yet()
        had = [n for n, p in self.named().items() if p.grad is not None]
        try:
            self.loss.backward()
        except RuntimeError as err:  # PyTorch's own error: a freed graph, or a saved tensor changed in place
            hint = ""
            if "inplace operation" in str(err):
                hint = (
                    " optimizer.step() changed the parameters in place after this graph was recorded; the graph "
                    "saved out.weight to compute the gradient for h, and PyTorch's version counter noticed. "
                    "Run “forward + loss” after every step."
                )
            if self.moved and not hint:
                hint = " The parameters moved since that forward pass, so its loss is stale anyway."
            return Did.error(f"RuntimeError: {err}{hint}", by="PyTorch")
        if had:
            return Did.done("backward() ADDED this loss's gradient to every existing .grad")
        return Did.done("backward() created .grad for all four parameters (they were None)")

    def _backward_again(self) -> Did:
        self._forward()
        return self._backward()

    def _model_zero(self) -> Did:
        self.model.zero_grad()
        return self._zeroed("model.zero_grad()", default_set_to_none(torch.nn.Module.zero_grad))

    def _opt_zero(self) -> Did:
        self.optimizer.zero_grad()
        return self._zeroed("optimizer.zero_grad()", default_set_to_none(torch.optim.Optimizer.zero_grad))

    def _opt_zero_false(self) -> Did:
        self.optimizer.zero_grad(set_to_none=False)
        return self._zeroed("optimizer.zero_grad(set_to_none=False)", None)

    def _zeroed(self, call: str, default: bool | None) -> Did:
        """What a zero_grad call left in .grad, read from the parameters (and its default from its signature)."""
        grads = [p.grad for p in self.model.parameters()]
        said = "" if default is None else f" (its set_to_none defaults to {default} in PyTorch {torch.__version__})"
        if all(g is None for g in grads):
            return Did.done(f"{call} left every .grad None{said}; the next backward() allocates new tensors")
        if all(g is not None and not g.any() for g in grads):
            return Did.done(f"{call} kept every .grad tensor and filled it with zeros{said}")
        return Did.done(f"{call} ran{said}")

    def _step(self) -> Did:
        before = {n: p.detach().clone() for n, p in self.named().items()}
        self.optimizer.step()
        moved = [n for n, p in self.named().items() if not torch.equal(p.detach(), before[n])]
        if moved:
            self.moved = True  # the last loss (and its graph) now describes the old parameters
        skipped = [n for n, p in self.named().items() if p.grad is None]
        lr = f"lr = {num(self.config.lr)}"
        if skipped and not moved:
            return Did.silent(
                "It ran without an error, but no parameter moved: torch.optim.SGD silently skips every parameter "
                "whose .grad is None. Call backward() first."
            )
        still = [n for n in self.named() if n not in moved]
        if not still:
            return Did.done(f"Every parameter moved by −lr·.grad ({lr}); .grad itself is unchanged")
        why = "; ".join(f"{n}: {_why_still(p)}" for n, p in self.named().items() if n in still)
        return Did.done(f"{', '.join(moved) or 'No parameter'} moved by −lr·.grad ({lr}); not moved: {why}")

    def _reset(self) -> Did:
        self._fresh()
        return Did.done("a fresh model at its starting values and a new optimizer; every .grad is None")


def default_set_to_none(fn: Callable[..., object]) -> bool:
    """The default of a zero_grad's `set_to_none`, read from its signature in the installed PyTorch."""
    return bool(inspect.signature(fn).parameters["set_to_none"].default)


def _why_still(p: torch.Tensor) -> str:
    if p.grad is None:
        return ".grad is None"
    if not p.grad.any():
        return ".grad is zero"
    return "−lr·.grad is smaller than float32 can add"


NET_OPERATIONS: dict[str, Callable[[NetLifecycle], Did]] = {
    "forward": NetLifecycle._forward,
    "backward": NetLifecycle._backward,
    "backward_again": NetLifecycle._backward_again,
    "model_zero": NetLifecycle._model_zero,
    "opt_zero": NetLifecycle._opt_zero,
    "opt_zero_false": NetLifecycle._opt_zero_false,
    "step": NetLifecycle._step,
    "reset": NetLifecycle._reset,
}
