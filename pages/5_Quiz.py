"""Quiz: the card's question, concept checks, questions on your data, and live ones that follow the settings."""

from __future__ import annotations

from ui.layout import finish, page

settings = page(
    "Quiz",
    "Pick an option and press *Check*: your first checked answer to each question is the one that scores; you may "
    "then retry and read why. "
    "Questions marked :red-badge[LIVE] change with the sidebar settings they name, and questions marked "
    ":blue-badge[from your data] follow the data set on Grad Lab; their answers come from real autograd.",
    step="Quiz",
)

# The lesson's modules, and with them PyTorch, load after the sidebar and title are on screen.
from ui.cache import get_quiz
from ui.quiz_panel import question_card, score_bar

questions = get_quiz(settings.config)  # the network's quiz for model=net
score_bar(questions, settings.present)
for n, q in enumerate(questions, start=1):
    question_card(n, q, settings.present)
finish("Quiz")
