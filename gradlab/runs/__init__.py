"""Runs on real tensors: the model, live leaves, `.grad` operations, training, stages, step-through, the lab.

Records facts only: never imports `gradlab.lesson` or `gradlab.views`.
"""
