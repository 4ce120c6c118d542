"""The lesson's words and questions, written from runs and probes.

Sentences, observations, divergence in words, the quiz, predictions and a learner's progress.
"""
