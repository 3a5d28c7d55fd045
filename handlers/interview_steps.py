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
        r"\btake[- ]home\b|\bquestionnaire\b|\binterview(?:ing)? (?:rounds?|loop|panel)\b|\brounds?\b|\bloop\b|\bassessments?\b": 3,
        r"\b(?:coding|technical|written|skills?) (?:tests?|challenges?|exercises?|assignments?)\b": 3,
        r"\bsteps?\b|\bstages?\b|\bprocess\b": 1,
    },
    phrases=[
        'what are the interview steps for {role}',
        'interview process for {role}',
        'hiring process for {role}',
        'how do we hire {role}',
        'how do they hire for {role}',
        'how do you hire a {role}',
        'how many interview rounds for {role}',
        'interview loop for {role}',
        'who interviews for {role}',
        'who is the hiring manager for {role}',
        'who interviews {role} candidates',
        'is there a take home test for {role}',
        'is there a technical interview for {role}',
        'is there a coding test for {role}',
        'does {role} have a take home assignment',
        'what is in the questionnaire for {role}',
        'questionnaire questions for {role}',
        'screening call for {role}',
        'how long is the interview process for {role}',
        'how do i apply for {role}',
        'what happens after the screening call for {role}',
    ],
    examples=["What are the interview steps for Inside Sales, Mid-Market?", "hiring process for sales ops analyst"],
    order=20,
)
def interview_steps(query: Query) -> Answer:
    """Interview steps: the hiring process, in order."""
    return section_intent(query, "hiring_process")
