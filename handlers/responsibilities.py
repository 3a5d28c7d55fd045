"""Responsibilities intent."""

from bot.answer import Answer
from bot.compose import section_intent
from bot.query import Query
from bot.router import intent


@intent(
    "responsibilities",
    patterns={
        r"\bresponsib": 3,
        r"\bduties\b": 3,
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
    """Responsibilities: what a role does."""
    return section_intent(query, "responsibilities")
