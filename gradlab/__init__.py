"""GradLab: PyTorch's `.grad` on a tiny linear model, every number from real autograd.

The package re-exports nothing: import from its modules. Settings, bounds, formatting and URL parsing
(`config`, `links`, `userdata`, `fmt`) load without torch; the computing modules import it.
"""
