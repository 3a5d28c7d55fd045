"""Performance indicators intent."""

from bot.answer import Answer
from bot.compose import section_intent
from bot.query import Query
from bot.router import intent


@intent(
    "performance_indicators",
    patterns={
        r"\bperformance indicators?\b|\bkpis?\b|\bpis?\b": 4,
        r"\bmetrics?\b|\bmeasured\b|\bmeasure(?:s|d)? (?:on|by)\b|\bevaluated\b|\bsuccess\b": 2.5,
        r"\bperformance\b|\btargets?\b|\bquota\b|\bgoals?\b": 1.5,
    },
    phrases=[
        'how is {role} measured',
        'what are the kpis for {role}',
        'performance indicators for {role}',
        '{role} kpis',
        'what metrics does {role} have',
        'how is {role} evaluated',
        'how do we measure {role}',
        'what are {role} targets',
        'what are the pis for {role}',
        'how is success measured for {role}',
        'primary kpi of {role}',
    ],
    examples=["KPIs for the Sales Operations Analyst", "how is an ISR measured?"],
    order=40,
)
def performance_indicators(query: Query) -> Answer:
    """Performance indicators: how a role is measured."""
    return section_intent(query, "performance_indicators")
