"""Career ladder intent."""

from bot.answer import Answer
from bot.compose import section_intent
from bot.query import Query
from bot.router import intent


@intent(
    "career_ladder",
    patterns={
        r"\bcareer\b": 3,
        r"\bladder\b|\bnext (?:step|level|role|move)\b": 3,
        r"\bcomes? (?:after|next)\b|\bwhat(?:'s| is| comes)? next\b|\b(?:what|who)(?:'s| is)? (?:after|above)\b|\bnext after\b": 3,
        r"\bpromot|\bprogress(?:ion)?\b|\bgrow(?:th)? into\b|\bmove up\b|\badvance(?:ment)?\b": 2.5,
    },
    phrases=[
        'what comes after {role}',
        'what is next after {role}',
        'what is after {role}',
        'next step after {role}',
        'next step for {role}',
        'next level after {role}',
        'what comes next for {role}',
        'career path for {role}',
        'career ladder for {role}',
        '{role} career ladder',
        'how do i get promoted from {role}',
        'where can {role} go next',
        'what is the level above {role}',
        'what role comes after {role}',
        'what is the next role for {role}',
        'what comes before {role}',
        'how does {role} progress',
    ],
    examples=["What's the career ladder for Inside Sales, Mid-Market?", "next step after sales ops analyst"],
    order=45,
)
def career_ladder(query: Query) -> Answer:
    """Career ladder: where a role leads next."""
    return section_intent(query, "career_ladder")
