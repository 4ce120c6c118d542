"""The seed card's printed figures, kept only to show where they differ from real autograd."""

from __future__ import annotations

from dataclasses import dataclass

from gradlab.fmt import num, vec
from gradlab.runs.stages import StageRun
from gradlab.runs.trace import Trace
from gradlab.settings.config import RunConfig

# What the hand-written card prints for its own setup. They are wrong: compare_with_card shows PyTorch's beside them.
CARD_PRINTS: dict[str, str] = {
    "predictions": "[0.5, 1.5, 2.5, 3.5] (shown with requires_grad=True)",
    "loss": "10.25",
    "w.grad": "[-7.0, -10.0]",
    "b.grad": "[-3.0] (shape [1])",
    "losses, epochs 1–5 at lr 0.01": "10.25, 2.56, 0.64, 0.16, 0.04",
}
CARD_LR = 0.01
CARD_EPOCHS = 5


@dataclass(frozen=True)
class CardRow:
    """One quantity: what the card prints and what PyTorch computes."""

    quantity: str
    card: str
    pytorch: str


def card_run(config: RunConfig) -> RunConfig | None:
    """The run whose losses the card prints: its setup at lr 0.01 for 5 epochs, zeroed; None for other data."""
    if not config.is_card_setup:
        return None
    return RunConfig(lr=CARD_LR, epochs=CARD_EPOCHS, device=config.device, update=config.update)


def compare_with_card(stages: StageRun, losses: Trace) -> list[CardRow] | None:
    """Card vs PyTorch: the first pass of the card's setup and the run of `card_run`; None for other data.

    The caller hands over both runs (the pages from their caches): the lesson trains nothing itself.
    """
    expected = card_run(stages.config)
    if expected is None:
        return None
    if losses.config != expected:
        raise ValueError(f"losses: a run of {losses.config!r} where the card's figures need {expected!r}")
    pytorch = {
        "predictions": f"{vec(stages.predictions)} — a non-leaf with grad_fn=<AddBackward0>",
        "loss": num(stages.loss),
        "w.grad": vec(stages.w_grad),
        "b.grad": f"{num(stages.b_grad)} (a 0-d tensor, like b)",
        "losses, epochs 1–5 at lr 0.01": ", ".join(f"{v:.2f}" for v in losses.loss),
    }
    return [CardRow(k, CARD_PRINTS[k], pytorch[k]) for k in CARD_PRINTS]
