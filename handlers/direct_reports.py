"""Direct-reports intent."""

import re

from bot.answer import Answer, Source
from bot.compose import TEAM_SIZE_ASKED, bold, link, need_role, not_documented, source_footer
from bot.resolve import asked_phrase
from bot.query import Query
from bot.router import intent

# "how many people report to the VP of ...": the same list, counted
HOW_MANY = re.compile(r"\bhow many\b", re.I)


@intent(
    "direct_reports",
    patterns={
        r"\bwho (?:reports|report|is reporting|are reporting)\s+(?:in)?to\b": 4,
        r"\b(?:which|what) (?:roles?|positions?|jobs?|people|titles?)\b.*\breport(?:s|ing)?\s+(?:in)?to\b": 4,
        r"\bdirect reports?\b|\breportees?\b|\breports of\b|\b(?:his|her|their|its)'? reports\b|'s reports\b": 4,
        r"\bhow many (?:people|roles|positions|reports|direct reports|team members|employees|engineers|persons)\b.*\breport(?:s|ing)?\s+(?:in)?to\b": 4,
        r"\bwho (?:does|do)\b.*\bmanage\b|\bwho works? (?:for|under)\b|\bwho(?:'s| is) (?:on|in) (?:the )?team of\b|\bteam under\b": 3,
    },
    phrases=[
        'who reports to {role}',
        'who reports into {role}',
        'which roles report to {role}',
        'what roles report to {role}',
        'direct reports of {role}',
        'who are {role} direct reports',
        'who does {role} manage',
        'who works for {role}',
        'who is on {role} team',
        'which positions report to {role}',
        'who is under {role}',
        'team of {role}',
        'how many people report to {role}',
        'how many direct reports does {role} have',
        'is {role} a people manager',
        'does {role} manage people',
        'does {role} have direct reports',
        'does {role} manage a team',
    ],
    examples=["Who reports to the Manager, Sales Operations?", "direct reports of the director of sales ops"],
    order=15,
)
def direct_reports(query: Query) -> Answer:
    """Direct reports: which roles report to a role."""
    res = query.resolution
    if res.status != "one":
        named = named_only_as_manager(query)
        if named is not None:
            return named
    role = need_role(query)
    if isinstance(role, Answer):
        return role
    reports = query.kb.direct_reports(role)
    team = query.kb.team_lines(role) if TEAM_SIZE_ASKED.search(query.own_words) else []
    said = "\n".join(f"> {line}" for line in team)
    if not reports and team:
        # "how many people does the Director of X manage": no role names it as its manager, but its page sizes its team
        source = Source(page=role.page, heading=role.name, url=role.url)
        text = f"No page lists the roles that report to {bold(role)}; about its team its page says:\n{said}\n{source_footer([source])}"
        return Answer(query.intent, "answered", text, roles=[role.name], sources=[source], question=query.text)
    if not reports:
        unmatched = _named_as_written(query)
        if unmatched:
            # "who reports to the VP, Customer Success": the role resolved, but the sentences naming the
            # manager as asked matched no role when the index was linked; they are the answer's facts
            return _listing(query, f"No page says that a role reports to {bold(role)} itself, but these roles report "
                                   f"to *{unmatched[0][2]}*, which the index did not match to any role:", unmatched)
        return not_documented(query, role, f"No page in the handbook says that any role reports to {bold(role)}.")
    count = len(reports)
    counted = f"{count} role{' reports' if count == 1 else 's report'} to {bold(role)} on the handbook's pages:"
    lines = [counted if HOW_MANY.search(query.own_words) else f"These roles report to {bold(role)}:"]
    sources: list[Source] = []
    for report, sentence in reports:
        lines.append(f"• {link(report.name, report.url)}: “{sentence}”")
        sources.append(Source(page=report.page, heading=report.name, url=report.url))
    if team:
        lines.append(f"About its team its page says:\n{said}")
    text = "\n".join(lines + [source_footer(sources)])
    return Answer(query.intent, "answered", text, roles=[role.name], sources=sources, question=query.text)


def named_only_as_manager(query: Query) -> Answer | None:
    """"Who reports to the VP, Corporate Controller?" where no page defines that role: the roles
    whose reports-to sentence names it. None when no sentence names what was asked."""
    reports = _named_as_written(query)
    if not reports:
        return None
    return _listing(query, f"No page defines *{reports[0][2]}*, but these roles report to it:", reports)


def _named_as_written(query: Query) -> list:
    """The roles whose reports-to sentence names what was asked and matched no role in the index."""
    asked = asked_phrase(query.clean)
    return query.kb.reporting_to_name(asked) if asked else []


def _listing(query: Query, intro: str, reports: list) -> Answer:
    lines = [intro]
    sources: list[Source] = []
    for report, sentence, _ in reports:
        lines.append(f"• {link(report.name, report.url)}: “{sentence}”")
        sources.append(Source(page=report.page, heading=report.name, url=report.url))
    text = "\n".join(lines + [source_footer(sources)])
    return Answer(query.intent, "answered", text, roles=[r.name for r, _, _ in reports], sources=sources, question=query.text)
