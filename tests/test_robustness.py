"""Odd input gets a valid answer, never a traceback."""

from __future__ import annotations

import pytest

from bot.answer import STATUSES

ODD = [
    "",
    "   ",
    "?",
    "!!!",
    "x" * 10_000,
    "who does the " + "sales " * 2_000 + "report to?",
    "grade 99999999999999999999",
    "grade -1",
    "<@U123> <#C456|general> <!here> <!subteam^S1|@team> <https://example.com|link>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "who does the 🦄 report to? 👀",
    "\x00\x01\x02 responsibilities",
    "Wer ist der Manager? 你好 مرحبا",
    "SELECT * FROM roles; --",
    'requirements for "Sr." (Sales) [Ops] {Analyst}',
    "search",
    "which roles need",
    "search \"\"",
    "search AND OR NOT NEAR",
    "what's grade seven hundred",
    "\n\n\nwho reports to the manager, sales operations\n\n",
]


@pytest.mark.parametrize("question", ODD)
def test_odd_questions_get_a_valid_answer(ask, question):
    answer = ask(question)
    assert answer.status in STATUSES
    assert answer.text.strip()
    assert "Traceback" not in answer.text
    assert "<!here>" not in answer.text and "@here" not in answer.text
    assert len(answer.text) < 20_000


def test_empty_question_gets_help(ask):
    assert ask("").intent == "help"
