"""Conversations as people have them: pronouns, another level of the same family, numbers, and a
context that keeps the exact role (page included). Every turn goes through Engine.ask with the
previous answer's context, exactly as `rolecall chat` and Slack threads pass it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer import Answer, Context
from bot.engine import Engine

from conftest import CORPUS


def converse(engine: Engine, *questions: str) -> list[Answer]:
    """Ask in order, carrying each answer's context to the next question (as chat does)."""
    context: Context | None = None
    answers = []
    for question in questions:
        answer = engine.ask(question, last_role=context)
        context = answer.context or context
        answers.append(answer)
    return answers


def test_another_level_of_the_same_family_keeps_the_question(quiet_engine):
    first, senior, associate = converse(
        quiet_engine, "who does the sales ops analyst report to", "and the senior one?", "what about the associate?"
    )
    assert first.roles == ["Sales Operations Analyst"]
    assert (senior.intent, senior.status, senior.roles) == ("reports_to", "not_documented", ["Sr. Sales Operations Analyst"])
    assert (associate.intent, associate.roles) == ("reports_to", ["Associate Sales Operations Analyst"])
    assert "reports to [Manager, Sales Operations](" in associate.text


def test_pronouns_and_no_role_at_all_stay_on_the_role(quiet_engine):
    overview, boss, hire, grade, after = converse(
        quiet_engine, "tell me about the associate sales ops analyst", "who is their boss?", "how do they hire for it?",
        "what grade is it?", "what comes after that?",
    )
    assert overview.roles == boss.roles == hire.roles == grade.roles == after.roles == ["Associate Sales Operations Analyst"]
    assert (boss.intent, hire.intent, grade.intent, after.intent) == ("reports_to", "interview_steps", "grade", "career_ladder")
    assert "is grade 5." in grade.text
    # the page's ladder says nothing yet; the next role up by grade is named
    assert "The next roles up in the *Sales Operations* family, by grade:" in after.text
    assert "[Sales Operations Analyst](https://about.gitlab.com/job-families/sales/sales-operations/#sales-operations-analyst) (grade 6)" in after.text


def test_a_level_after_a_family_answer_is_a_role_of_that_family(quiet_engine):
    family, director = converse(quiet_engine, "interview steps for sales operations", "and for the director?")
    assert family.roles == [] and family.context == Context("", "sales--sales-operations.md", "interview_steps")
    assert (director.intent, director.roles) == ("interview_steps", ["Director, Sales Operations"])


def test_a_new_role_switches_and_an_odd_question_is_not_about_the_old_one(quiet_engine):
    first, other, odd = converse(quiet_engine, "what grade is the associate sales ops analyst", "and the BDR's manager?", "what's the weather like?")
    assert other.roles == ["Business Development Representative"] and other.intent == "reports_to"
    assert odd.status == "unknown" and odd.roles == []


def test_the_context_round_trips_through_a_string_as_slack_stores_it(quiet_engine):
    answer = quiet_engine.ask("who does the sales ops analyst report to")
    stored = answer.context.encode()
    follow = quiet_engine.ask("and what grade is it?", last_role=stored)
    assert follow.roles == ["Sales Operations Analyst"] and "is grade 6." in follow.text
    # a plain role name, as buttons from before contexts carry, still works
    assert quiet_engine.ask("what grade is it?", last_role="Sales Operations Analyst").roles == ["Sales Operations Analyst"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout")
def test_a_follow_up_keeps_the_page_of_a_title_that_two_pages_define(tmp_path: Path):
    engine = Engine(CORPUS, tmp_path / "corpus.sqlite", question_log=False)
    pages = sorted({r.page for r in engine.kb.roles.values() if r.name == "Staff Backend Engineer"})
    assert len(pages) == 2
    for page in pages:
        first = engine.ask("what grade is it?", role="Staff Backend Engineer", role_page=page)
        assert first.context == Context("Staff Backend Engineer", page, "grade")
        follow = engine.ask("and who do they report to?", last_role=first.context)
        assert follow.roles == ["Staff Backend Engineer"]
        assert follow.sources[0].page == page


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout")
def test_another_page_s_version_of_the_role_by_its_distinguishing_word(tmp_path: Path):
    """'and the CTO one?' after the Chief of Staff to the CFO: the same role with that word swapped,
    although it is on another page; a grade stated as 'can be a grade 11 or a grade 12' is both."""
    engine = Engine(CORPUS, tmp_path / "corpus.sqlite", question_log=False)
    cfo, cto, ceo = converse(engine, "chief of staff to the cfo grade", "and the cto one?", "what about the ceo one?")
    assert cfo.roles == ["Chief of Staff to the CFO"] and "is grade 11 or 12." in cfo.text
    assert cfo.text.count("> The Chief of Staff to the CFO can be a grade 11 or a grade 12") == 1
    assert (cto.intent, cto.roles) == ("grade", ["Chief of Staff to the CTO"])
    assert (ceo.intent, ceo.roles) == ("grade", ["Chief of Staff to the CEO"]) and "is grade 12." in ceo.text


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout")
def test_another_level_on_its_own_pages_and_a_level_that_does_not_exist(tmp_path: Path):
    """The Staff Frontend Engineer has a page of its own, so its family holds no Senior: 'what about the
    senior one' is the Senior Frontend Engineer of the three pages that define it, not 'which of 180
    senior roles'. No page has a Principal Frontend Engineer: not found, with the levels that exist,
    rather than the *Principal Engineer*, another job that the lone word 'principal' names."""
    engine = Engine(CORPUS, tmp_path / "corpus.sqlite", question_log=False)
    staff, senior, principal = converse(engine, "what grade is a staff frontend engineer", "what about the senior one",
                                        "and the principal one?")
    assert set(staff.roles) == {"Staff Frontend Engineer"}  # on two pages, answered from both
    assert (senior.intent, senior.status) == ("grade", "answered")
    assert senior.text.startswith("*Senior Frontend Engineer* is on 3 pages:")
    assert "> The Senior Frontend Engineer is a grade 7." in senior.text
    assert (principal.intent, principal.status, principal.roles) == ("grade", "not_found", [])
    assert principal.text.startswith("I couldn't find a role matching “principal frontend engineer” in the handbook.\nDid you mean *")
    assert "Principal Engineer" not in principal.text
