"""Experiments on a run: gradient checks, nudges, the loss landscape, one sample's share, graphs, pitfalls."""
