"""Role overview intent: what the handbook says about a role, in brief."""

from __future__ import annotations

import re

from bot.answer import Answer, Source
from bot.compose import KIND_NAMES, bold, clarify, counted, echo, lines_text, link, manager_link, need_role, source_footer
from bot.query import Query
from bot.resolve import Resolution
from bot.router import intent

MAX_OVERVIEW_LINES = 6
# What job-family pages do not say, asked of a role: answered with what the page does state.
UNSTATED = re.compile(
    r"\b(?:benefits?|perks?|pto|vacation|holidays?|parental leave|headcount|how many (?:people|of them|openings)|open (?:roles|positions|reqs?)|"
    r"openings?|vacanc(?:y|ies)|visa|sponsorship)\b"
    r"|\bhow many\b(?!.*\b(?:roles|jobs|job families|families|titles|levels)\b).*\b(?:are there|do we have|work here)\b",
    re.I,
)
ASKABLE = ("responsibilities", "requirements", "hiring_process", "performance_indicators", "career_ladder")


@intent(
    "role_overview",
    patterns={
        r"\btell me (?:about|more)\b|\boverview\b|\bdescribe\b|\bsummar(?:y|ise|ize)\b|\bexplain\b": 2.5,
        r"\bwhat(?:'s| is) (?:a|an|the)\b|\bwho is (?:a|an)\b|\babout the\b|\binfo\b|\bdetails\b": 1,
        UNSTATED.pattern: 3,
    },
    phrases=[
        'tell me about {role}',
        'what is {role}',
        'who is {role}',
        'overview of {role}',
        'describe {role}',
        'info on {role}',
        'what is the {role} role',
        'details of {role}',
        'summary of {role}',
        'what team is {role} on',
        'which department is {role} in',
        'link to {role} page',
        'where can i read about {role}',
    ],
    examples=["Tell me about the Sales Operations Analyst - Sales Tech Stack role", "overview of BDR"],
    order=60,
)
def role_overview(query: Query) -> Answer:
    """Overview: a role in brief (grade, reporting line, what the page covers)."""
    res = query.resolution
    if res.status == "family" and res.family:
        return family_overview(query, res)
    role = need_role(query)
    if isinstance(role, Answer):
        return role
    unstated = UNSTATED.search(query.own_words)
    if unstated:
        topic = "headcount" if unstated.group(0).lower().startswith("how many") else unstated.group(0)
        return not_stated(query, role, topic)
    kb = query.kb
    lines = [f"{bold(role)} ({role.family})"]
    grades = kb.grade_of(role)
    if grades:
        lines.append("• Job grade: " + " or ".join(str(g.grade) for g in grades))
    for edge in kb.reports_to(role):
        lines.append(f"• Reports to: {manager_link(edge)}")
    reports = kb.direct_reports(role)
    if reports:
        lines.append("• Direct reports: " + ", ".join(r.name for r, _ in reports))
    intro = kb.overview(role)
    if intro and intro.lines:
        paragraphs = [ln for ln in intro.lines if not ln.note][:MAX_OVERVIEW_LINES]
        lines.append(lines_text(paragraphs))
    available = [KIND_NAMES[k] for k in ASKABLE if kb.section(role, k)]
    if available:
        lines.append("You can ask about its " + ", ".join(available) + ".")
    source = Source(page=role.page, heading=role.name, url=role.url)
    lines.append(source_footer([source]))
    return Answer(query.intent, "answered", "\n".join(lines), roles=[role.name], sources=[source], question=query.text)


def not_stated(query: Query, role, topic: str) -> Answer:
    """"What are the benefits for X?": job-family pages do not say; say so, and what the page does state."""
    kb = query.kb
    facts = []
    grades = kb.grade_of(role)
    if grades:
        facts.append("job grade " + " or ".join(str(g.grade) for g in grades))
    managers = [e.target_role.name if e.target_role else e.target for e in kb.reports_to(role)]
    if managers:
        facts.append("reports to " + ", ".join(managers))
    stated = f" It states: {'; '.join(facts)}." if facts else ""
    source = Source(page=role.page, heading=role.name, url=role.url)
    text = f"The handbook page for {bold(role)} doesn't say anything about {echo(topic.lower())}.{stated}\n{source_footer([source])}"
    return Answer(query.intent, "not_documented", text, roles=[role.name], sources=[source], question=query.text)


def family_overview(query: Query, res: Resolution) -> Answer:
    family = res.family
    assert family is not None
    roles = query.kb.family_roles(family)
    if not roles:
        return clarify(query, Resolution("ambiguous", span=res.span))
    lines = [f"The *{family.name}* family has {counted(len(roles), 'role')}:"]
    for role in roles:
        grades = query.kb.grade_of(role)
        grade = f", grade {' or '.join(str(g.grade) for g in grades)}" if grades else ""
        lines.append(f"• {link(role.name, role.url)}{grade}")
    intro = query.kb.family_overview(family)
    if intro and intro.lines:
        lines.insert(0, lines_text([ln for ln in intro.lines if not ln.note][:2]))
    source = Source(page=family.page, heading=family.name, url=family.page_url)
    lines.append(source_footer([source]))
    return Answer(query.intent, "answered", "\n".join(lines), roles=[r.name for r in roles], sources=[source], question=query.text)
