"""Reports-to intent."""

import re

from rapidfuzz.distance import DamerauLevenshtein

from bot.answer import Answer, Source
from bot.compose import bold, manager_link, need_role, not_documented, source_footer
from bot.query import Query
from bot.router import intent


# A sentence about a reporting line that could not be read as a fact ("report so the Director, ...").
OR_WORD = re.compile(r"\bor\b")
VERB_TO = re.compile(r"\b([a-z]{5,9})\s+(?:directly\s+)?(?:in)?to\s+the\b", re.I)


def misspelled_report(line: str) -> bool:
    """A line whose verb before "to the" is one or two letters from "reports" ("resorts to the
    Manager, Tax"): quoted, never read as a fact, when the page states no reporting line."""
    return any(0 < DamerauLevenshtein.distance(verb.lower(), "reports") <= 2 for verb in VERB_TO.findall(line))
REPORTING_LINE = re.compile(r"\breport(?:s|ing)?\s+(?:in)?to\b|\breports?\s+(?:so|the|into)\b", re.I)


@intent(
    "reports_to",
    patterns={
        r"\bwho (?:does|do|will|would|should|did)\b.*\breport(?:s|ing)?\b": 3,
        r"\breports?\s+(?:in)?to\s+(?:whom|who)\b|\bto whom\b": 3,
        r"\b(?:manager|mgr|boss|supervisor|line manager|lead) (?:of|for)\b|'s (?:manager|mgr|boss|supervisor)\b": 2,
        r"\breporting (?:line|structure|chain|to)\b|\breports? up\b|\bwho manages\b|\bwho supervises\b|\bwho oversees\b": 2.5,
        r"\breport(?:s|ing)?\s+(?:in)?to\b|\breport\b": 1,
    },
    phrases=[
        'who does {role} report to',
        'who do {role} report to',
        "who is {role}'s manager",
        'who is the manager of {role}',
        'who is the mgr of {role}',
        "who is {role}'s boss",
        'who is the boss',
        'who is their boss',
        'who is their manager',
        'who manages {role}',
        'who is {role} line manager',
        'who does {role} work for',
        '{role} reports to whom',
        '{role} reports to',
        'who is above {role}',
        'who supervises {role}',
        'who oversees {role}',
        'who is {role} supervisor',
        'reporting line of {role}',
        'who would {role} report into',
        'where does {role} sit in the org',
        'where does {role} fit in the org chart',
    ],
    examples=["Who does the Associate Sales Operations Analyst report to?", "sr sales ops analyst's manager?"],
    order=10,
)
def reports_to(query: Query) -> Answer:
    """Reports to: who a role reports to."""
    role = need_role(query)
    if isinstance(role, Answer):
        return role
    edges = query.kb.reports_to(role)
    if not edges:
        said = [line for line in query.kb.lines_mentioning(role, "report") if REPORTING_LINE.search(line)][:2]
        if not said:  # "The Senior Tax Analyst resorts to the Manager, Tax": a reporting line misspelled
            said = [line for line in query.kb.lines_mentioning(role, "to the") if misspelled_report(line)][:2]
        quotes = "".join(f"\n> {line}" for line in said)
        lead = "doesn't say who it reports to" + ("; about reporting it says:" if said else ".")
        return not_documented(query, role, f"The handbook page for {bold(role)} {lead}{quotes}")
    lines: list[str] = []
    sources = [Source(page=role.page, heading=role.name, url=role.url)]
    # managers one sentence names as alternatives ("the Director or VP, Alliances") are one line, one quote
    by_sentence: dict[tuple[str, int], list[str]] = {}
    for n, edge in enumerate(edges):
        key = (edge.sentence, -1) if OR_WORD.search(edge.sentence) else (edge.sentence, n)
        by_sentence.setdefault(key, []).append(manager_link(edge, '*{}*'))
    for (sentence, _), managers in by_sentence.items():
        named = managers[0] if len(managers) == 1 else f"{', '.join(managers[:-1])} or {managers[-1]}"
        lines.append(f"{bold(role)} reports to {named}.")
        lines.append(f"> {sentence}")
    text = "\n".join(lines + [source_footer(sources)])
    return Answer(query.intent, "answered", text, roles=[role.name], sources=sources, question=query.text)
