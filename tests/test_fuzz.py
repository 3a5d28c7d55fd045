"""Property-based fuzzing (hypothesis): no page and no question makes Rolecall crash."""

from __future__ import annotations

import logging
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import STATUSES
from bot.engine import Engine
from bot.parse import parse_page

APOLOGY = "Sorry, something went wrong"

ROLE_WORDS = ["Senior", "Sr.", "Manager,", "Sales", "Operations", "Analyst", "Director", "(Channel)", "Engineer", "-", "&", "Staff"]
role_name = st.lists(st.sampled_from(ROLE_WORDS), min_size=1, max_size=5).map(" ".join)
heading = st.builds(
    lambda level, name, suffix: "#" * level + " " + name + suffix,
    st.integers(1, 6),
    role_name,
    st.sampled_from(["", " Responsibilities", " Requirements", " Job Grade", " Levels", "", " Hiring Process"]),
)
sentence = st.one_of(
    st.builds(lambda a, b: f"The {a} reports to the {b}.", role_name, role_name),
    st.builds(lambda a, n: f"The {a} is a [grade {n}](/handbook/x/)", role_name, st.integers(-5, 99)),
    st.builds(lambda a: f"- Extends that of the {a} Responsibilities", role_name),
    st.builds(lambda a: f"You will report to [{a}](/job-families/x/).", role_name),
    st.text(max_size=80),
)
fragment = st.one_of(
    heading,
    sentence,
    st.builds(lambda t: f"- {t}", st.text(max_size=40)),
    st.builds(lambda t, d: "  " * d + f"1. {t}", st.text(max_size=40), st.integers(0, 4)),
    st.sampled_from(["<%= partial('x') %>", "<div class='x'>", "</div>", "| a | b |", "|---|---|", "| [Senior](#s) | [Grade 7](x) |",
                     "```", "{::options parse_block_html='true' /}", "<a name='x'></a>", "***", "> quote", "---"]),
)
front_matter = st.one_of(
    st.just('---\ntitle: "Sales Operations Roles"\n---\n'),
    st.builds(lambda t: f"---\ntitle: {t}\n---\n", st.text(max_size=30)),
    st.just("---\ntitle: [unclosed\n---\n"),
    st.just("---\n- a list\n---\n"),
    st.just(""),
    st.just("---\nlayout: job_page\n---\n"),
)
page_text = st.builds(lambda fm, parts: fm + "\n".join(parts), front_matter, st.lists(fragment, max_size=40))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=page_text)
def test_any_markdown_page_parses_or_is_reported(tmp_path: Path, text: str):
    path = tmp_path / "fuzz--page.md"
    path.write_text(text, encoding="utf-8")
    page, problems = parse_page(path)
    assert all(isinstance(p.line, int) and p.line >= 1 and p.message for p in problems)
    if page is not None:
        assert page.title and page.roles
        for section in page.sections:
            assert all(item.line >= 1 for item in section.items)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000))
def test_any_bytes_parse_or_are_reported(tmp_path: Path, data: bytes):
    path = tmp_path / "bytes.md"
    path.write_bytes(b'---\ntitle: "X Roles"\n---\n' + data)
    page, problems = parse_page(path)
    assert page is not None or problems


def test_huge_and_empty_pages(tmp_path: Path):
    huge = tmp_path / "huge.md"
    huge.write_text('---\ntitle: "Huge Roles"\n---\n' + "### Senior Analyst\n\n- item\n" * 20_000)
    page, problems = parse_page(huge)
    assert page is not None and problems == []
    empty = tmp_path / "empty.md"
    empty.write_text("")
    assert parse_page(empty)[0] is None


slack_markup = st.sampled_from(["<@U123ABC>", "<#C0123|general>", "<!here>", "<!channel>", "<!subteam^S1|@team>",
                                "<https://x.y|a link>", "&amp;", "&lt;", "*bold*", "_it_", "`code`", "\n", "  "])
question = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(["who", "does", "the", "report", "to", "grade", "7", "sales", "ops", "sr", "analyst",
                                         "manager", "what", "responsibilities", "of", "which", "roles", "need", "zuora", "?"]),
                       slack_markup, st.text(max_size=10)), max_size=30).map(" ".join),
    st.text(min_size=5000, max_size=10_000),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=question, follow_up=st.booleans())
def test_any_question_gets_a_valid_answer(engine: Engine, caplog, q: str, follow_up: bool):
    with caplog.at_level(logging.ERROR):
        answer = engine.ask(q, last_role="Sales Operations Analyst" if follow_up else None)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert answer.status in STATUSES and not answer.text.startswith(APOLOGY)
    assert answer.text.strip()
    assert "<!here>" not in answer.text and "<!channel>" not in answer.text and "@here" not in answer.text
    assert set(answer.to_dict()) == {"intent", "status", "roles", "text", "sources", "choices", "question"}
