"""Career ladder intent: the page's own ladder, and the next roles up in the family."""

from __future__ import annotations

import re

from bot.answer import Answer, Source
from bot.compose import KIND_NAMES, bold, link, need_role, section_answer, section_intent, source_footer
from bot.knowledge import Knowledge
from bot.names import tokens
from bot.query import Query
from bot.resolve import RoleRef
from bot.router import intent

# Levels in the order people climb them, for families whose pages state no grades.
LEVEL_ORDER = ("intern", "junior", "associate", "", "senior", "staff", "principal", "distinguished", "fellow")
MANAGER_ORDER = ("manager", "senior manager", "director", "senior director", "vp")
DOWN = re.compile(r"\b(?:before|below|beneath|previous|prior to|lower than)\b", re.I)  # the step down, not up


@intent(
    "career_ladder",
    patterns={
        r"\bcareer\b": 3,
        r"\bladder\b|\bnext (?:step|level|role|move)\b": 3,
        r"\bcomes? (?:after|next)\b|\bwhat(?:'s| is| comes)? next\b|\b(?:what|who)(?:'s| is)? (?:after|above)\b|\bnext after\b": 3,
        r"\b(?:role|level|job|position|title|step)s? (?:is |are |comes? |sits? )?(?:above|after)\b": 3,
        # "what comes before X", "which role is below X": the step down
        r"\bcomes? before\b|\bwhat(?:'s| is)? (?:before|below)\b|\b(?:role|level|job|position|title|step)s? (?:is |are |comes? |sits? )?(?:below|before)\b": 3,
        r"\bpromot|\bpromos?\b|\bprogress(?:ion)?\b|\bgrow(?:th)? into\b|\bmove up\b|\badvance(?:ment)?\b": 2.5,
        # "can a senior backend engineer become a manager": where the role leads, not what it needs
        r"\b(?:become|move into|switch to|transition (?:in)?to)\s+(?:an?\s+)?(?:people\s+)?(?:manager|management)\b|\bmanagement track\b": 3,
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
        'how does {role} progress',
        'which role is above {role}',
        'what is the role above {role}',
        'promo path for {role}',
        'can {role} become a manager',
        'can {role} move into management',
        'what comes before {role}',
        'which role is below {role}',
        'what is the level below {role}',
    ],
    examples=["What's the career ladder for Inside Sales, Mid-Market?", "next step after sales ops analyst"],
    order=45,
)
def career_ladder(query: Query) -> Answer:
    """Career ladder: where a role leads next (or, asked what comes before it, the step down)."""
    if query.resolution.status == "family":
        return section_intent(query, "career_ladder")
    role = need_role(query)
    if isinstance(role, Answer):
        return role
    kb = query.kb
    if DOWN.search(query.own_words):
        return roles_below(query, role)
    answer = section_answer(query, role, kb.section(role, "career_ladder"), "career_ladder")
    above = next_roles(kb, role)
    if not above:
        return answer
    basis = "grade" if kb.grade_of(role) else "level"
    listing = "\n".join(f"• {link(r.name, r.url)}{grade_note(kb, r)}" for r in above)
    nearest = f"The next roles up in the *{role.family}* family, by {basis}:\n{listing}"
    sources = [Source(page=r.page, heading=r.name, url=r.url) for r in above]
    if answer.status != "answered":
        text = f"The handbook page for {bold(role)} has no {KIND_NAMES['career_ladder']} section.\n{nearest}\n{source_footer([Source(role.page, role.name, role.url)] + sources)}"
        return Answer(query.intent, "answered", text, roles=[role.name], sources=[Source(role.page, role.name, role.url)] + sources, question=query.text)
    body, _, footer = answer.text.rpartition("\nSource: ")
    answer.sources = answer.sources + sources
    answer.text = f"{body}\n{nearest}\n{source_footer(answer.sources)}" if body else f"{answer.text}\n{nearest}"
    return answer


def roles_below(query: Query, role: RoleRef) -> Answer:
    """"What comes before the senior recruiter": the roles one step down on its page, by grade
    or, where the page states none, by level of the same work."""
    kb = query.kb
    below = next_roles(kb, role, down=True)
    source = Source(role.page, role.name, role.url)
    if not below:
        text = f"I found no role one step below {bold(role)} on its page ({role.family}).\n{source_footer([source])}"
        return Answer(query.intent, "not_documented", text, roles=[role.name], sources=[source], question=query.text)
    basis = "grade" if kb.grade_of(role) else "level"
    listing = "\n".join(f"• {link(r.name, r.url)}{grade_note(kb, r)}" for r in below)
    sources = [source] + [Source(page=r.page, heading=r.name, url=r.url) for r in below]
    text = f"The roles one step below {bold(role)}{grade_note(kb, role)} in the *{role.family}* family, by {basis}:\n{listing}\n{source_footer(sources)}"
    return Answer(query.intent, "answered", text, roles=[role.name], sources=sources, question=query.text)


def grade_note(kb: Knowledge, role: RoleRef) -> str:
    grades = kb.grade_of(role)
    return f" (grade {' or '.join(str(g.grade) for g in grades)})" if grades else ""


def next_roles(kb: Knowledge, role: RoleRef, down: bool = False) -> list[RoleRef]:
    """The roles one step up from ``role`` on its own page (``down``: one step down): the nearest
    grade above (below) its grade, or, where the page states no grades, the next level of the same
    work ("Senior X" -> "Staff X", "Manager, X" -> "Senior Manager, X")."""
    family = [r for r in kb.family_roles_of(role) if r.id != role.id]
    own = [g.grade for g in kb.grade_of(role)]
    sign = -1 if down else 1  # a step down is a step up the negated scale
    if own:
        mine = sign * (min(own) if down else max(own))
        graded = [(sign * (max if down else min)(g.grade for g in kb.grade_of(r)), r) for r in family if kb.grade_of(r)]
        beyond = [(grade, r) for grade, r in graded if grade > mine]
        if not beyond:
            return []
        step = min(grade for grade, _ in beyond)
        return [r for grade, r in beyond if grade == step]
    rank, work = level_of(role.name)
    if rank is None:
        return []
    ladder = [(level_of(r.name), r) for r in family]
    same_work = [(sign * lvl, r) for (lvl, w), r in ladder if w == work and lvl is not None and sign * lvl > sign * rank]
    found = []
    if same_work:
        step = min(lvl for lvl, _ in same_work)
        found = [r for lvl, r in same_work if lvl == step]
    if rank == LEVEL_ORDER.index("senior") and not down:  # a senior individual contributor may also move into management
        first_manager = len(LEVEL_ORDER)
        found += [r for (lvl, _), r in ladder if lvl == first_manager and r not in found]
    return found


def level_of(name: str) -> tuple[int | None, frozenset[str]]:
    """A name's rung (individual contributors first, then managers) and the words of its work."""
    words = tokens(name)
    text = " ".join(words)
    work = frozenset(w for w in words if w not in {"intern", "junior", "associate", "intermediate", "senior", "staff", "principal",
                                                   "distinguished", "fellow", "manager", "director", "vp"})
    for i, level in reversed(list(enumerate(MANAGER_ORDER))):
        if f" {level} " in f" {text} " and (level != "manager" or "senior manager" not in text):
            return len(LEVEL_ORDER) + i, work
    for i, level in reversed(list(enumerate(LEVEL_ORDER))):
        if level and level in words:
            return i, work
    return LEVEL_ORDER.index(""), work
