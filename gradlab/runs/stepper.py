"""Step-through training: one epoch as six visible sub-steps on live tensors."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from gradlab.fmt import num, vec
from gradlab.runs.code import UPDATE, epoch_code, one_line
from gradlab.runs.grads import update, zero_grads
from gradlab.runs.live import live
from gradlab.runs.model import forward, mse
from gradlab.runs.trace import Stop
from gradlab.runs.train import first_nonfinite, nonfinite_names, record
from gradlab.settings.config import RunConfig

LOG_LIMIT = 120

SUBSTEPS: tuple[tuple[str, str], ...] = tuple((name, one_line(c)) for name, c in epoch_code(RunConfig()).items())


@dataclass(frozen=True)
class SubStep:
    """One sub-step that ran: its epoch, name, code and what it produced."""

    epoch: int
    name: str
    code: str
    result: str


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

    def advance(self) -> SubStep | None:
        """Run the next sub-step; None once all epochs ran (or the run was stopped)."""
        if self.finished:
            return None
        name, code = SUBSTEPS[self.next_index]
        result = {
            "forward": self._forward,
            "loss": self._loss,
            "backward": self._backward,
            "read .grad": self._read_grad,
            "update": self._update,
            "zero": self._zero,
        }[name]()
        if name == "zero":
            code = _zero_code(self.config)
        elif name == "update" and self.opt is not None:
            code = one_line(UPDATE["sgd"])
        step = SubStep(self.epoch, name, code, result)
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

    def _forward(self) -> str:
        self._y_hat = forward(self.X, self.w, self.b)
        return f"y_hat = {_vec(self._y_hat)}"

    def _loss(self) -> str:
        assert self._y_hat is not None
        self._loss_t = mse(self._y_hat, self.y)
        self.losses.append(float(self._loss_t.detach().item()))
        return f"loss = {num(self.losses[-1])}"

    def _backward(self) -> str:
        assert self._loss_t is not None
        self._loss_t.backward()
        return "gradients flowed back to the leaves w and b"

    def _read_grad(self) -> str:
        assert self.w.grad is not None and self.b.grad is not None
        assert self._loss_t is not None and self._y_hat is not None
        said = f"w.grad = {_vec(self.w.grad)}, b.grad = {num(self.b.grad.item())}"
        # The epoch's record, checked by train()'s own rule: a run stops at the first inf or NaN.
        row = record(self._loss_t, self.w, self.b, self._y_hat)
        if first_nonfinite(row.view(1, -1)) is not None:
            values = row.cpu().double().numpy()
            self.stop = Stop(self.epoch, nonfinite_names(values, self.config.n_features), float(values[0]))
        return said

    def _update(self) -> str:
        update((self.w, self.b), self.config.lr, self.opt)
        return f"w = {_vec(self.w)}, b = {num(self.b.detach().item())}"

    def _zero(self) -> str:
        zero_grads((self.w, self.b), self.config.zeroing, self.opt)
        if self.config.zeroing == "never":
            return ".grad kept: the next backward() will add to it"
        return ".grad is None" if self.w.grad is None else ".grad is zeros"


def _zero_code(config: RunConfig) -> str:
    return one_line(epoch_code(config)["zero"])


def _vec(t: torch.Tensor) -> str:
    return vec(t.detach().cpu().reshape(-1).tolist())
