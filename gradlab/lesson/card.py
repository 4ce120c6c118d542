"""The seed card's printed figures, kept only to show where they differ from real autograd."""

from __future__ import annotations

from dataclasses import dataclass

from gradlab.fmt import num, vec
from gradlab.runs.stages import run_stages
from gradlab.runs.train import train
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


@dataclass(frozen=True)
class CardRow:
    """One quantity: what the card prints and what PyTorch computes."""

    quantity: str
    card: str
    pytorch: str


def compare_with_card(config: RunConfig) -> list[CardRow] | None:
    """Card vs PyTorch for the card's setup; None when the data or initial weights differ."""
    if not config.is_card_setup:
        return None
    base = RunConfig(device=config.device, zeroing=config.zeroing, update=config.update)
    run = run_stages(base)
    losses = train(base.with_(lr=CARD_LR, epochs=5, zeroing="zero")).loss
    pytorch = {
        "predictions": f"{vec(run.predictions)} — a non-leaf with grad_fn=<AddBackward0>",
        "loss": num(run.loss),
        "w.grad": vec(run.w_grad),
        "b.grad": f"{num(run.b_grad)} (a 0-d tensor, like b)",
        "losses, epochs 1–5 at lr 0.01": ", ".join(f"{v:.2f}" for v in losses),
    }
    return [CardRow(k, CARD_PRINTS[k], pytorch[k]) for k in CARD_PRINTS]
