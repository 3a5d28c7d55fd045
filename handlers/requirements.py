"""Requirements intent."""

import re

from bot.answer import Answer
from bot.compose import bold, section_answer, section_intent
from bot.query import Query
from bot.resolve import RoleRef
from bot.router import intent


NICE_TO_HAVE = re.compile(r"\bnice[- ]to[- ]haves?\b|\bpreferred\b|\bbonus\b|\bdesir(?:able|ed)\b|\bpluses\b", re.I)
LOCATION = re.compile(r"\b(?:remote(?:ly)?|on[- ]?site|in[- ]office|hybrid|relocat\w*|travel\w*|time ?zones?)\b", re.I)


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
        r"\bhow (?:do|can|would|does) (?:i|you|one|someone|a person|people) (?:become|qualify)\b|\bhow to (?:become|qualify)\b": 2.5,
        LOCATION.pattern: 2.5,
    },
    phrases=[
        'what are the requirements for {role}',
        'what does {role} need',
        'what do i need to apply for {role}',
        'what skills does {role} need',
        'what qualifications does {role} need',
        'does {role} need {topic}',
        'does {role} have to {topic}',
        'do {role} need {topic}',
        'is {topic} required for {role}',
        'is {topic} needed for {role}',
        'does {role} require {topic}',
        'how many years of experience does {role} need',
        'how many years does {role} need',
        'how much experience does {role} need',
        'how much travel for {role}',
        'does {role} travel',
        'which {topic} should {role} know',
        'which {topic} does {role} need',
        'what should {role} know',
        'must {role} be {topic}',
        'does {role} need to be {topic}',
        'can {role} be remote',
        'what background does {role} need',
        'what does it take to be {role}',
        'how do i become {role}',
        'how to become {role}',
        'nice to have for {role}',
        'preferred qualifications for {role}',
        'what experience is needed for {role}',
        'what tools does {role} use',
        'which tools should {role} know',
    ],
    examples=["requirements for the Associate Sales Operations Analyst", "what skills does an ISR need?"],
    order=35,
)
def requirements(query: Query) -> Answer:
    """Requirements: what a role asks of candidates."""
    where = LOCATION.search(query.own_words)
    if where and query.decision is not None and not query.decision.topic:
        # "is the BDR remote?": the place is the topic, looked for in the requirements
        query.decision.topics[query.intent] = where.group(0)
    if NICE_TO_HAVE.search(query.own_words):
        answer = nice_to_haves(query)
        if answer is not None:
            return answer
        return section_intent(query, "requirements", lead=lambda role: f"The page lists no nice-to-haves of {bold(role)} apart from its requirements:")
    return section_intent(query, "requirements", more=lambda role: nice_to_have_hint(query, role))


def nice_to_haves(query: Query) -> Answer | None:
    """"nice to haves for X": the page's own list of them. None when the role has none, and the
    requirements are answered instead (pages without that list put "a plus" lines there)."""
    res = query.resolution
    if res.status != "one" or res.role is None:
        return None
    view = query.kb.section(res.role, "nice_to_have")
    return section_answer(query, res.role, view, "nice_to_have") if view is not None and view.lines else None


def nice_to_have_hint(query: Query, role: RoleRef) -> str:
    """The requirements answer says when the page also lists nice-to-haves: they are not
    requirements, so they are not mixed in, but a candidate or recruiter wants to know of them."""
    view = query.kb.section(role, "nice_to_have")
    if view is None or not view.lines:
        return ""
    return f"The page also lists nice-to-haves for {bold(role)}: ask “nice to haves for {role.name}”."
