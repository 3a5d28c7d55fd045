"""Interview steps (hiring process) intent."""

from bot.answer import Answer
from bot.compose import section_intent
from bot.query import Query
from bot.router import intent


@intent(
    "interview_steps",
    patterns={
        r"\binterview": 3,
        r"\bhiring (?:process|steps?|stages?|loop|flow)\b|\bhiring\b": 2.5,
        r"\b(?:recruiting|recruitment|application|selection|screening) (?:process|steps?|stages?)\b|\bscreening\b": 3,
        r"\bhow (?:do|does|would|will) (?:we|you|i|one|someone|a candidate|candidates) (?:get )?(?:hire|hired|apply)\b": 3,
        r"\bsteps?\b|\bstages?\b|\bprocess\b": 1,
    },
    examples=["What are the interview steps for Inside Sales, Mid-Market?", "hiring process for sales ops analyst"],
    order=20,
)
def interview_steps(query: Query) -> Answer:
    """Interview steps: the hiring process, in order."""
    return section_intent(query, "hiring_process")
