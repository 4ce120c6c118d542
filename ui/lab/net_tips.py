"""Grad Lab's thing to try on each tab when the sidebar's model is the network (`ui.guide.LAB_EXPERIMENTS` holds
the linear model's); a tab without an entry here keeps its linear one."""

from __future__ import annotations

from ui.guide import Experiment

NET_LAB_EXPERIMENTS: dict[str, Experiment] = {
    "lifecycle": Experiment(
        "In ① click forward + loss and loss.backward(), then optimizer.zero_grad(set_to_none=False) and "
        "model.zero_grad(), predicting what every .grad holds after each. Then click optimizer.step() between "
        "forward + loss and loss.backward()."
    ),
    "stepping": Experiment(
        "Set lr = 0.5 and step: predict each epoch's direction before its loss is shown; a step −lr·.grad this "
        "long can overshoot.",
        {"lr": 0.5},
    ),
    "landscape": Experiment("Switch the sidebar's Model to the linear model to see its loss landscape."),
    "graph": Experiment(
        "Move the epoch slider: the graph keeps its nodes, one AccumulateGrad per parameter, while the gradients "
        "flowing through them change."
    ),
    "check": Experiment(
        "Set zeroing to *never* and check epoch 3: float64 autograd and finite differences still agree with one "
        "fresh backward() at epoch 3's parameters, while the Training Trace's .grad holds the running sum.",
        {"zeroing": "never"},
    ),
    "pitfalls": Experiment(
        "Open *A frozen layer still handed to the optimizer*: predict whether hidden.weight moves after "
        "requires_grad_(False), then compare with the fix."
    ),
}
