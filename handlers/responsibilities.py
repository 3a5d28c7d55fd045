"""Responsibilities intent."""

from bot.answer import Answer
from bot.compose import TEAM_SIZE_ASKED, section_intent
from bot.query import Query
from bot.resolve import RoleRef
from bot.router import intent


@intent(
    "responsibilities",
    patterns={
        r"\bresponsib": 3,
        r"\bduties\b": 3,
        r"\bteam size\b|\bspans? of control\b": 3,
        r"\bwhat (?:does|do|will|would) (?:a|an|the|our)?\b.*\b(?:do|doing)\b": 2.5,
        r"\bday[- ]to[- ]day\b|\bday in the life\b": 2.5,
        r"\bjob description\b|\bjd\b": 2,
        r"\btasks?\b|\bin charge of\b|\bown(?:s)?\b|\bexpected to do\b|\bwork on\b": 1.5,
    },
    phrases=[
        'what are the responsibilities of {role}',
        'what does {role} do',
        'what do {role} do',
        '{role} responsibilities',
        'duties of {role}',
        'what is {role} responsible for',
        'what will {role} work on',
        'what is {role} day to day',
        'job description of {role}',
        'what does {role} own',
        'how many people does {role} manage',
        'how many teams does {role} manage',
        'how big is {role} team',
        'what is the span of control of {role}',
        'what are {role} tasks',
        'what would i do as {role}',
        'does {role} do {topic}',
        'is {role} responsible for {topic}',
        'does {role} work on {topic}',
    ],
    examples=["What are the responsibilities of a Sales Operations Analyst?", "what does the sr sales ops manager do"],
    order=30,
)
def responsibilities(query: Query) -> Answer:
    """Responsibilities: what a role does.

    Asked how big its team is, also what the page says of that outside them (a family's "Span of
    Control" section)."""
    if not TEAM_SIZE_ASKED.search(query.own_words):
        return section_intent(query, "responsibilities")
    return section_intent(query, "responsibilities", more=lambda role: team_note(query, role))


def team_note(query: Query, role: RoleRef) -> str:
    """The lines sizing the role's team that its responsibilities do not already hold."""
    view = query.kb.section(role, "responsibilities")
    shown = {line.text for line in view.lines} if view else set()
    lines = [line for line in query.kb.team_lines(role) if line not in shown]
    return "About its team its page also says:\n" + "\n".join(f"> {line}" for line in lines) if lines else ""
