"""Every phrase an intent declares, filled with real seed roles, routes to that intent by a margin
and still resolves the role: a new phrasing is one line in a handler plus this free test."""

from __future__ import annotations

import re

import pytest

from bot.router import MIN_SCORE, load_handlers


# Seed roles of different shapes: a comma name, an abbreviation-prone one, a single-role page.
ROLES = ["Manager, Sales Operations", "Associate Sales Operations Analyst", "Business Development Representative"]
FAMILY = "Sales Operations"
TOPIC = "Salesforce"
MARGIN = 0.5  # the winner beats the runner-up by at least this many points


def filled(phrase: str, role: str) -> str:
    return phrase.replace("{role}", f"the {role}").replace("{family}", FAMILY).replace("{n}", "7").replace("{topic}", TOPIC)


def cases() -> list[tuple[str, str, str]]:
    out = []
    for item in load_handlers().values():
        for words in item.phrases:
            phrase = " ".join(words)
            roles = ROLES if "{role}" in phrase else [""]
            for role in roles:
                out.append((item.name, phrase, role))
    return out


@pytest.mark.parametrize("intent, phrase, role", cases())
def test_every_phrase_routes_to_its_intent_and_keeps_the_role(quiet_engine, intent: str, phrase: str, role: str):
    question = filled(phrase, role)
    answer = quiet_engine.ask(question)
    decision = answer.decision
    assert decision.intent == intent, decision.explain()
    ranked = sorted(decision.scores.values(), reverse=True)
    assert ranked[0] >= MIN_SCORE
    if len(ranked) > 1:
        assert ranked[0] - ranked[1] >= MARGIN, decision.explain()
    if role and intent not in ("search", "compare"):
        assert role in answer.roles or role in answer.text, (question, answer.status, answer.text[:200])


def test_every_intent_declares_phrases_and_examples():
    for item in load_handlers().values():
        assert item.phrases, item.name
        assert item.examples and item.help, item.name


def test_the_readme_lists_every_intent_and_only_those():
    readme = (__import__("pathlib").Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("## What you can ask", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))
    assert listed == set(load_handlers())


@pytest.mark.parametrize(
    "question, intent",
    [
        ("who does the associate sales ops analyst reprot to?", "reports_to"),  # typo in a question word
        ("responsibilites of the manager, sales ops", "responsibilities"),
        ("what are the requirments for the BDR", "requirements"),
        ("how many interview rounds for the sales ops analyst", "interview_steps"),
        ("whats the interview loop for a BDR", "interview_steps"),
        ("is there a take-home for the sales ops analyst", "interview_steps"),
        ("what comes after the sales ops analyst", "career_ladder"),
        ("what's next for an associate sales ops analyst", "career_ladder"),
        ("who handles quote approvals", "search"),
        ("who owns the deal desk", "search"),
        ("how much does a sales ops analyst make", "grade"),
        ("sales ops analyst vs sr sales ops analyst", "compare"),
        ("what's the weather like?", "unknown"),
    ],
)
def test_phrasings_nobody_wrote_a_regex_for(quiet_ask, question: str, intent: str):
    assert quiet_ask(question).intent == intent


def test_role_words_never_vote_for_an_intent(quiet_ask):
    """'Interview' or 'performance' inside a role name must not pull the question to those intents."""
    answer = quiet_ask("who does the Sales Operations Analyst - Sales Tech Stack report to")
    assert answer.intent == "reports_to"
    assert "{role}" in answer.decision.masked and "stack" not in answer.decision.masked.lower()


def test_explain_names_the_intent_scores_and_the_masked_role(quiet_ask):
    text = quiet_ask("who does the sr sales ops analyst report to").decision.explain()
    assert text.startswith("intent: reports_to (")
    assert "question as scored: who does the {role} report to" in text
    assert "role words (masked): analyst operation sale senior" in text


@pytest.mark.parametrize(
    "question, role, intent",
    [
        ("who does the assocaite sales operatins analyst reprot to", "Associate Sales Operations Analyst", "reports_to"),
        ("responsibilites of the sr slaes ops anlyst", "Sr. Sales Operations Analyst", "responsibilities"),
        ("waht grade is the mangaer, sales opertions", "Manager, Sales Operations", "grade"),
    ],
)
def test_several_typos_in_one_question_still_find_the_role_and_the_intent(quiet_ask, question: str, role: str, intent: str):
    answer = quiet_ask(question)
    assert (answer.intent, answer.roles) == (intent, [role])
