"""The pure parts of class votes: GradLab's questions as room questions, the vote charts, the join QR code."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradlab.lesson.prompts import b_grad_value, grad_before_backward, loss_direction, share_sign, w_grad_signs
from gradlab.lesson.room_questions import MIN_BOUND, from_prompt, from_quiz, number_bounds
from gradlab.probes.sample import trace_sample
from gradlab.rooms.errors import VoteRejected
from gradlab.rooms.question import LETTERS, MAX_OPTIONS, Question, check_vote, letter
from gradlab.rooms.state import Tally
from gradlab.runs.stages import run_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from gradlab.settings.stability import stable_limit
from gradlab.views.join_qr import qr_svg
from gradlab.views.vote_charts import BAR, bin_counts, number_bins, round_specs
from tests.quizruns import fresh_quiz

CARD = RunConfig()


def _prompts() -> list:
    run, trace = run_stages(CARD), train(CARD.with_(lr=0.05, epochs=5))
    s = trace_sample(train(CARD), 1, 0)
    return [
        grad_before_backward(run),
        w_grad_signs(run, CARD.y, CARD.X),
        b_grad_value(run, CARD.y),
        share_sign(s),
        loss_direction(trace, 3, stable_limit(CARD)),
    ]


def test_letters_name_every_option_a_room_can_have():
    assert [letter(i) for i in range(MAX_OPTIONS)] == list(LETTERS) == list("ABCDEFGH")
    with pytest.raises(IndexError):
        letter(MAX_OPTIONS)


@pytest.mark.parametrize("p", _prompts(), ids=lambda p: p.pid)
def test_a_pages_prediction_becomes_a_room_question_with_pytorchs_answer(p):
    asked = from_prompt(p)
    q, answer = asked.question, asked.answer
    assert q.prompt == p.question and answer.answer == p.answer and answer.why == p.why
    answer.check(q)  # the store accepts it
    if p.options:
        assert q.kind == "choice" and q.options == tuple(p.options.values())
        right = list(p.options)[answer.option]
        assert p.judge(right).correct  # the revealed option is the one the page judges right
        assert sum(p.judge(k).correct for k in p.options) == 1
    else:
        assert q.kind == "number" and answer.value == pytest.approx(float(p.answer))
        assert check_vote(q, answer.value) == answer.value  # the right answer can be voted


def test_a_question_id_changes_with_the_answer_not_with_the_call():
    run = run_stages(CARD)
    assert from_prompt(b_grad_value(run, CARD.y)).question_id == from_prompt(b_grad_value(run, CARD.y)).question_id
    other = run_stages(CARD.with_(w0=(1.0, 1.0)))
    assert from_prompt(b_grad_value(other, CARD.y)).question_id != from_prompt(b_grad_value(run, CARD.y)).question_id


@pytest.mark.parametrize(
    ("actual", "bound"), [(-13.0, MIN_BOUND), (0.0, MIN_BOUND), (2.5e4, 1e7), (-3e9, 1e12), (math.nan, MIN_BOUND)]
)
def test_number_bounds_are_wide_and_hold_the_answer(actual, bound):
    low, high = number_bounds(actual)
    assert (low, high) == (-bound, bound)
    if math.isfinite(actual):
        assert low < actual < high and high >= 100 * abs(actual)


def test_a_quiz_question_keeps_its_options_in_the_pages_order():
    quiz = fresh_quiz(CARD)
    for n, q in enumerate(quiz, start=1):
        asked = from_quiz(q, n)
        assert asked.question.prompt == f"{n}. {q.prompt}" and asked.question.options == q.options
        assert asked.answer.option == q.answer and asked.answer.answer == q.right
        asked.answer.check(asked.question)
    assert len({from_quiz(q, 1).question_id for q in quiz}) == len(quiz)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200))
def test_every_number_falls_in_exactly_one_bin_and_bins_are_few(values):
    bins = number_bins(values)
    assert 1 <= len([b for b in bins if math.isfinite(b.low) and math.isfinite(b.high)]) <= 8
    assert len(bins) <= 10
    for v in values:
        assert sum(b.holds(v) for b in bins) == 1, (v, [(b.low, b.high) for b in bins])
    assert sum(bin_counts(values, bins)) == len(values)


def test_a_wild_answer_goes_to_an_open_bin_instead_of_squashing_the_rest():
    values = [-13, -12.5, -13, -14, -11, -13.5, -12, -13, 1e6]
    bins = number_bins(values)
    assert bins[-1].label == f"above {bins[-2].high:g}" and bin_counts(values, bins)[-1] == 1
    assert all(b.high - b.low <= 1 for b in bins[:-1])  # the class's answers keep fine bins


def _choice() -> Question:
    return Question("q", "choice", "What is w.grad?", ("None", "zeros", "values"))


def test_choice_charts_mark_no_answer_share_one_axis_and_say_every_count():
    tallies = [Tally(1, 5, counts=(1, 4, 0)), Tally(2, 5, counts=(4, 1, 0))]
    first, second = round_specs(_choice(), tallies, present=True)
    for spec, counts in ((first, (1, 4, 0)), (second, (4, 1, 0))):
        text = json.dumps(spec)
        assert "NaN" not in text and "Infinity" not in text and "condition" not in text
        assert spec["layer"][0]["mark"]["color"] == BAR
        assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 4]
        said = re.findall(r"([A-H]) \(([^)]*)\) (\d+)", spec["description"])
        assert said == [(letter(i), o, str(n)) for i, (o, n) in enumerate(zip(_choice().options, counts, strict=True))]
        assert "no answer marked" in spec["description"]
        assert spec["config"]["axis"]["labelFontSize"] == 26


def test_number_charts_share_their_bins():
    q = Question("n", "number", "b.grad?", low=-100, high=100)
    tallies = [Tally(1, 3, values=(-13.0, -12.0, 5.0)), Tally(2, 3, values=(-13.0, -13.0, -12.5))]
    first, second = round_specs(q, tallies)
    assert first["description"].startswith("Histogram") and second["description"].startswith("Histogram")
    bins = lambda spec: re.findall(r"(-?[\d.]+ to -?[\d.]+|below \S+|above \S+): \d+", spec["description"])  # noqa: E731
    assert bins(first) == bins(second) and bins(first)


def test_the_qr_code_is_a_standard_qr_of_the_link_with_it_as_its_name():
    url = "http://192.168.1.20:8501/Join?room=K7PQ2M9"
    svg = qr_svg(url, 240)
    assert svg.startswith("<svg") and f"<title>QR code of the join link {url}</title>" in svg
    width = int(re.search(r'width="(\d+)"', svg).group(1))
    assert 160 <= width <= 240
    hostile = qr_svg('http://x/"><script>alert(1)</script>')
    assert "<script>" not in hostile  # a title is escaped


def test_a_vote_from_a_phone_is_an_index_or_a_number_and_nothing_else():
    q = from_prompt(b_grad_value(run_stages(CARD), CARD.y)).question
    for value in ("<b>-13</b>", math.nan, math.inf, 2e6, True, None):
        with pytest.raises(VoteRejected) as err:
            check_vote(q, value)
        assert "<b>" not in str(err.value)
