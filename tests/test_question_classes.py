"""Classes of questions beyond "<section> of <role>", each phrased as people type them, answered
from the seed pages (and real corpus pages where the shape only occurs there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine

from conftest import CORPUS, write_page

COMPENSATION = "https://about.gitlab.com/handbook/total-rewards/compensation/compensation-calculator/#gitlab-job-grades"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside this checkout")
    return Engine(CORPUS, tmp_path_factory.mktemp("corpus") / "corpus.sqlite", question_log=False)


# --- "who reports to X" where X is only ever someone's manager ----------------------------


def test_who_reports_to_a_manager_no_page_defines(quiet_ask):
    answer = quiet_ask("which roles report to the worldwide director of commercial mid-market?")
    assert (answer.intent, answer.status) == ("direct_reports", "answered")
    assert answer.text.startswith("No page defines *Worldwide Director of Commercial Mid-Market*, but these roles report to it:")
    assert answer.roles == ["Inside Sales, Mid-Market"]


def test_a_defined_role_is_not_confused_with_a_same_worded_one(quiet_ask):
    """'Director, Sales Operations' and 'Director of Sales Operations' are two roles on two pages."""
    answer = quiet_ask("who reports to the director, sales operations?")
    assert answer.roles == ["Director, Sales Operations"]
    assert "Sales Administrator" not in answer.text


# --- topics: yes / no from the requirements ------------------------------------------------


def test_does_a_role_need_a_tool_quotes_the_line(quiet_ask):
    answer = quiet_ask("does the ISR need Zuora?")
    assert (answer.intent, answer.status) == ("requirements", "answered")
    assert answer.text.startswith("Yes, the requirements of *Inside Sales, Mid-Market* mention “Zuora”:\n• Comfort using Zuora, Salesforce\n")


def test_is_a_skill_required_phrased_the_other_way_round(quiet_ask):
    answer = quiet_ask("is salesforce required for the inside sales rep?")
    assert answer.status == "answered" and "• Comfort using Zuora, Salesforce" in answer.text


def test_a_skill_the_page_does_not_mention_is_not_documented_and_the_list_is_shown(quiet_ask):
    answer = quiet_ask("does the isr need kubernetes")
    assert (answer.intent, answer.status) == ("requirements", "not_documented")
    assert answer.text.startswith("The requirements of *Inside Sales, Mid-Market* don't mention “kubernetes”. All of its requirements:")
    assert "• Comfort using Zuora, Salesforce" in answer.text


def test_remote_and_location_are_looked_for_not_guessed(quiet_ask):
    answer = quiet_ask("is the BDR remote?")
    assert (answer.intent, answer.status) == ("requirements", "not_documented")
    assert "don't mention “remote”" in answer.text


def test_a_place_written_as_initials_matches_the_words(tmp_path: Path):
    pages = tmp_path / "pages"
    pages.mkdir()
    write_page(pages, "ops--office-lead.md", "---\ntitle: Office Lead\n---\n\n## Requirements\n\n- Based in San Francisco\n- Ten years of experience\n")
    engine = Engine(pages, tmp_path / "i.sqlite", question_log=False)
    answer = engine.ask("does the office lead have to live in SF?")
    assert answer.status == "answered"
    assert "mention “live in SF”:\n• Based in San Francisco\n" in answer.text


# --- what pages don't say -----------------------------------------------------------------


def test_pay_is_not_documented_but_the_grade_and_its_link_are_given(quiet_ask):
    answer = quiet_ask("how much does a sales ops analyst make?")
    assert (answer.intent, answer.status) == ("grade", "not_documented")
    assert "The handbook page for *Sales Operations Analyst* doesn't state pay." in answer.text
    assert "It states the job grade: 6." in answer.text
    assert f"[compensation calculator]({COMPENSATION})" in answer.text


def test_benefits_and_headcount_say_what_the_page_does_state(quiet_ask):
    benefits = quiet_ask("what are the benefits for the manager, sales ops?")
    assert benefits.status == "not_documented"
    assert "doesn't say anything about benefits. It states: job grade 8; reports to Director, Sales Operations." in benefits.text
    headcount = quiet_ask("how many sales ops analysts are there?")
    assert headcount.status == "not_documented" and "about headcount" in headcount.text


# --- comparisons ---------------------------------------------------------------------------


def test_compare_two_levels_names_grades_managers_and_what_only_one_has(quiet_ask):
    answer = quiet_ask("sales ops analyst vs sr sales ops analyst")
    assert (answer.intent, answer.status) == ("compare", "answered")
    assert answer.roles == ["Sales Operations Analyst", "Sr. Sales Operations Analyst"]
    assert "• Grade: Sales Operations Analyst: 6; Sr. Sales Operations Analyst: 7" in answer.text
    assert "• Responsibilities only Sr. Sales Operations Analyst has (4):\n    • Lead and facilitate forecast calls" in answer.text
    assert "• Requirements only Sales Operations Analyst has (3):\n    • Intermediate experience in strategic thinking" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "what's the difference between the manager, sales ops and the director of sales ops",
        "compare the mgr, sales ops with the director, sales ops",
        "how is the sales ops manager different from the sales ops director",
    ],
)
def test_compare_in_other_words(quiet_ask, question: str):
    answer = quiet_ask(question)
    assert answer.intent == "compare"
    assert set(answer.roles) == {"Manager, Sales Operations", "Director, Sales Operations"}
    assert "Manager, Sales Operations: 8" in answer.text and "Director, Sales Operations: 10" in answer.text


def test_compare_with_one_role_asks_for_the_other(quiet_ask):
    answer = quiet_ask("compare the BDR")
    assert answer.intent == "compare" and answer.status == "unknown"
    assert "Which two roles should I compare?" in answer.text


# --- never guess -----------------------------------------------------------------------------


def test_two_intents_that_fit_equally_are_asked_back(quiet_ask):
    answer = quiet_ask("responsibilities and requirements of the BDR")
    assert answer.status == "ambiguous"
    assert "Did you mean:\n1. Responsibilities" in answer.text and "\n2. Requirements" in answer.text


def test_slack_group_and_channel_labels_are_not_role_words(quiet_ask):
    answer = quiet_ask("<!subteam^S1|@recruiters> <!channel|channel> who does the associate sales ops analyst report to?")
    assert answer.roles == ["Associate Sales Operations Analyst"]
    assert quiet_ask("<!subteam^S1|@recruiters> what grade is it?").status != "answered"


# --- grades by family word, on real pages ----------------------------------------------------


def test_which_roles_of_a_family_word_are_at_a_grade_lists_them_all(corpus: Engine):
    answer = corpus.ask("which security research roles are grade 8?")
    assert answer.intent == "grade" and answer.status == "answered"
    assert all("Security Research" in name for name in answer.roles) and len(answer.roles) >= 2


# --- acronyms and short names derived from the index ------------------------------------------


@pytest.mark.parametrize(
    "question, role",
    [
        ("senior tmm grade", "Senior Technical Marketing Manager"),  # initials of a page's own title
        ("who does an AR specialist report to", "Accounts Receivable Specialist"),  # picked by the other words
        ("what grade is the VP of TA", "VP, Talent Acquisition"),
        ("the IT manager reports to whom", "Manager, IT"),  # "IT" beside role words is not the pronoun
        ("vp infra requirements", "VP of Infrastructure"),  # a clipped word
    ],
)
def test_short_names_the_pages_define(corpus: Engine, question: str, role: str):
    answer = corpus.ask(question)
    assert answer.roles == [role], (answer.status, answer.text[:200])


def test_a_table_acronym_gives_way_when_the_words_of_the_work_say_so(corpus: Engine):
    answer = corpus.ask("who does the technical enablement pm report to")
    assert {c.role for c in answer.choices} | set(answer.roles) <= {
        "Senior Technical Enablement Program Manager", "Senior Technical Enablement Program Manager Responsbilities"}
    assert answer.roles or answer.choices
    assert corpus.ask("senior pm grade").roles == ["Senior Product Manager"]


def test_a_left_out_rank_word_is_no_match(corpus: Engine):
    """'SRE manager' is not the Site Reliability Engineer: no wrong confident answer."""
    answer = corpus.ask("who does the sre manager report to")
    assert answer.status == "not_found"


# --- what a page says when no fact could be read from it --------------------------------------


def test_a_role_without_a_readable_grade_or_manager_quotes_what_its_text_says(tmp_path: Path):
    pages = tmp_path / "pages"
    pages.mkdir()
    write_page(pages, "ops--intern.md", "---\ntitle: Operations Intern\n---\n\n"
               "The Operations Intern is not aligned to a job grade.\n\n"
               "The Operations Intern reports to them, as agreed each quarter.\n\n## Responsibilities\n\n- Help out\n")
    engine = Engine(pages, tmp_path / "i.sqlite", question_log=False)
    grade = engine.ask("what grade is the operations intern")
    assert grade.status == "not_documented"
    assert "doesn't state a job grade; about grades it says:\n> The Operations Intern is not aligned to a job grade." in grade.text
    boss = engine.ask("who does the operations intern report to")
    assert boss.status == "not_documented"
    assert "about reporting it says:\n> The Operations Intern reports to them, as agreed each quarter." in boss.text


def test_inherited_requirements_written_as_a_sentence_answer_yes_no(corpus: Engine):
    """The Senior Data Analyst's requirements 'extend the Data Analyst (Intermediate) role': Python is there."""
    answer = corpus.ask("does the senior data analyst need python")
    assert answer.status == "answered"
    assert answer.text.startswith("Yes, the requirements of *Senior Data Analyst* mention “python”:\n• Hands on experience working with Python")


def test_a_question_naming_no_role_asks_which_instead_of_echoing_its_own_words(quiet_ask):
    """'how much does it pay' has no role in it: ask which, never "no role matching 'pay'"."""
    answer = quiet_ask("how much does it pay")
    assert answer.status == "not_found" and answer.text.startswith("Which role do you mean? I couldn't tell from the question.")
    assert quiet_ask("compare").text.startswith("Which two roles should I compare?")
