"""Step-through training: one epoch as six visible sub-steps on live tensors.

The engine records facts only: each sub-step's numbers and where a run stops. `gradlab.lesson.stepping` says
what a sub-step did in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from gradlab.runs.code import UPDATE, epoch_code, one_line
from gradlab.runs.grads import update, zero_grads
from gradlab.runs.live import live
from gradlab.runs.model import forward, mse
from gradlab.runs.trace import Stop
from gradlab.runs.train import first_nonfinite, nonfinite_names, record
from gradlab.settings.config import RunConfig

LOG_LIMIT = 120

SUBSTEPS: tuple[tuple[str, str], ...] = tuple((name, one_line(c)) for name, c in epoch_code(RunConfig()).items())


@dataclass(frozen=True, kw_only=True)
class SubStep:
    """One sub-step that ran: its epoch, name and code, and the numbers it left (float32 values as Python floats).

    Every sub-step records w, b and their `.grad` as they are right after it ran (`None`: `.grad` is None); the
    forward pass also records ŷ (N,), and the loss sub-step the loss.
    """

    epoch: int
    name: str
    code: str
    w: tuple[float, ...]  # (F,)
    b: float
    w_grad: tuple[float, ...] | None  # (F,)
    b_grad: float | None
    y_hat: tuple[float, ...] | None = None  # (N,), set by "forward"
    loss: float | None = None  # set by "loss"


@dataclass
class Stepper:
    """Training that advances one sub-step at a time; same numbers, and the same stop, as `train(config)`."""

    config: RunConfig
    log: list[SubStep] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        run = live(self.config)
        self.device, self.device_note = run.device, run.device_note
        self.X, self.y, self.w, self.b, self.opt = run.X, run.y, run.w, run.b, run.opt
        self.next_index = 0  # which sub-step runs next
        self.epoch = 1  # the epoch the next sub-step belongs to
        self.stop: Stop | None = None  # set where train() would stop: the epoch recorded an inf or NaN
        self._y_hat: torch.Tensor | None = None
        self._loss_t: torch.Tensor | None = None

    @property
    def finished(self) -> bool:
        return self.epoch > self.config.epochs or self.stop is not None

    @property
    def completed_epochs(self) -> int:
        return self.epoch - 1

    @property
    def backward_epoch(self) -> int:
        """The latest epoch whose backward() has run (0: none yet)."""
        return self.epoch if self.next_index > _BACKWARD else self.completed_epochs

    def advance(self) -> SubStep | None:
        """Run the next sub-step; None once all epochs ran (or the run was stopped)."""
        if self.finished:
            return None
        name, code = SUBSTEPS[self.next_index]
        made = _RUN[name](self)
        if name == "zero":
            code = _zero_code(self.config)
        elif name == "update" and self.opt is not None:
            code = one_line(UPDATE["sgd"])
        step = SubStep(
            epoch=self.epoch,
            name=name,
            code=code,
            w=_values(self.w),
            b=float(self.b.detach().item()),
            w_grad=None if self.w.grad is None else _values(self.w.grad),
            b_grad=None if self.b.grad is None else float(self.b.grad.item()),
            y_hat=_values(made) if name == "forward" and made is not None else None,
            loss=self.losses[-1] if name == "loss" else None,
        )
        self.log.append(step)
        del self.log[:-LOG_LIMIT]  # a long play-through keeps only the recent sub-steps
        self.next_index = (self.next_index + 1) % len(SUBSTEPS)
        if self.next_index == 0:
            self.epoch += 1
        return step

    def step_epoch(self) -> list[SubStep]:
        """Run the remaining sub-steps of the current epoch."""
        done: list[SubStep] = []
        start = self.epoch
        while not self.finished and self.epoch == start:
            step = self.advance()
            if step is None:
                break
            done.append(step)
        return done

    # Each sub-step returns the tensor it made, if any (the forward pass's ŷ).
    def _forward(self) -> torch.Tensor:
        self._y_hat = forward(self.X, self.w, self.b)
        return self._y_hat

    def _loss(self) -> None:
        assert self._y_hat is not None
        self._loss_t = mse(self._y_hat, self.y)
        self.losses.append(float(self._loss_t.detach().item()))

    def _backward(self) -> None:
        assert self._loss_t is not None
        self._loss_t.backward()

    def _read_grad(self) -> None:
        assert self.w.grad is not None and self.b.grad is not None
        assert self._loss_t is not None and self._y_hat is not None
        # The epoch's record, checked by train()'s own rule: a run stops at the first inf or NaN.
        row = record(self._loss_t, self.w, self.b, self._y_hat)
        if first_nonfinite(row.view(1, -1)) is not None:
            values = row.cpu().double().numpy()
            self.stop = Stop(self.epoch, nonfinite_names(values, self.config.n_features), float(values[0]))

    def _update(self) -> None:
        update((self.w, self.b), self.config.lr, self.opt)

    def _zero(self) -> None:
        zero_grads((self.w, self.b), self.config.zeroing, self.opt)


# The one dispatch from a sub-step's name (SUBSTEPS) to the operation that runs it.
_RUN: dict[str, Callable[[Stepper], torch.Tensor | None]] = {
    "forward": Stepper._forward,
    "loss": Stepper._loss,
    "backward": Stepper._backward,
    "read .grad": Stepper._read_grad,
    "update": Stepper._update,
    "zero": Stepper._zero,
}
_BACKWARD = next(i for i, (name, _) in enumerate(SUBSTEPS) if name == "backward")


def _zero_code(config: RunConfig) -> str:
    return one_line(epoch_code(config)["zero"])


def _values(t: torch.Tensor) -> tuple[float, ...]:
    return tuple(t.detach().cpu().reshape(-1).tolist())
