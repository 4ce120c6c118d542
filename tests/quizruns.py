"""The quiz built from runs trained here, without the app's caches: an independent build to compare against."""

from __future__ import annotations

from gradlab.lesson.quiz import Question, QuizRuns, build_quiz, trace_configs
from gradlab.runs.stages import run_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig


def fresh_runs(config: RunConfig) -> QuizRuns:
    """Every run a quiz on `config` is written from, trained and staged right now."""
    return QuizRuns(stages=run_stages(config), **{name: train(c) for name, c in trace_configs(config).items()})


def fresh_quiz(config: RunConfig) -> tuple[Question, ...]:
    """The quiz on `config`, from fresh runs."""
    return build_quiz(fresh_runs(config))
