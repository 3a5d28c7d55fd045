"""Requirements intent."""

from bot.answer import Answer
from bot.compose import section_intent
from bot.query import Query
from bot.router import intent


@intent(
    "requirements",
    patterns={
        r"\brequirements?\b|\breqs?\b|\bquals\b": 3,
        r"\bqualifications?\b|\bqualified\b": 3,
        r"\bskills?\b|\bskillset\b": 2.5,
        r"\bexperience\b.*\b(?:need|needed|required|necessary)\b": 2.5,
        r"\bwhat (?:do|does|would|will) (?:i|you|one|someone|a candidate|candidates|they) need\b": 2.5,
        r"\bmust[- ]haves?\b|\bnice[- ]to[- ]haves?\b|\blooking for\b|\bdegree\b|\bprerequisites?\b": 2,
        r"\bneed(?:ed)? to (?:have|know)\b|\bwhat does it take\b|\bbackground\b": 1.5,
    },
    examples=["requirements for the Associate Sales Operations Analyst", "what skills does an ISR need?"],
    order=35,
)
def requirements(query: Query) -> Answer:
    """Requirements: what a role asks of candidates."""
    return section_intent(query, "requirements")
