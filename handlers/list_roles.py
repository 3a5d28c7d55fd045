"""List-roles intent: every role, or the levels of one family."""

from __future__ import annotations

from bot.answer import Answer, Source
from bot.compose import clarify, echo, link, source_footer
from bot.names import tokens
from bot.query import Query
from bot.router import intent

MAX_FAMILIES_EXPANDED = 12


def narrow(query: Query, family_name: str, roles: list) -> list:
    """The family's roles whose names have every role word of the question beyond the family's own."""
    extra = {w for w in query.kb.resolver.query_words(query.clean) if w} - set(tokens(family_name))
    if not extra:
        return []
    return [r for r in roles if extra <= set(tokens(r.name))]


@intent(
    "list_roles",
    patterns={
        r"\b(?:list|show|all|every|which|what)\b.*\b(?:roles|jobs|positions|titles|families|openings)\b": 2.5,
        r"\blevels? (?:of|in|for|within)\b|\bwhat levels\b|\blevels\b": 3,
        r"\broles (?:in|of|on|within)\b|\bjob famil(?:y|ies)\b|\bfamil(?:y|ies)\b": 2.5,
        r"^\s*(?:list|roles|list roles|all roles)\s*[?.!]*\s*$": 5,
    },
    phrases=[
        'list roles',
        'list all roles',
        'what roles are there',
        'list roles in {family}',
        'roles in the {family} family',
        'what levels are there in {family}',
        'levels in {family}',
        'what levels does {family} have',
        'what roles are on the {family} page',
        'list the {family} roles',
        'which roles are in {family}',
        'what jobs are in {family}',
        'show me every role',
    ],
    examples=["list roles", "what levels are there in Sales Operations?", "roles in the sales ops family"],
    order=55,
)
def list_roles(query: Query) -> Answer:
    """Roles: every role I know, or the levels of one family."""
    kb = query.kb
    res = query.resolution
    family = res.family if res.status == "family" else None
    if family is None and res.status == "one" and res.role and res.span != "(follow-up)":
        family = kb.family_of(res.role)
    if family is None and res.status == "ambiguous" and len({c.page_id for c in res.choices}) == 1:
        family = kb.family_of(res.choices[0])
    if family is None and res.status == "ambiguous":
        return clarify(query, res)
    if family:
        roles = kb.family_roles(family)
        header = f"The *{family.name}* family has {len(roles)} roles:"
        narrowed = narrow(query, family.name, roles)
        if narrowed and len(narrowed) < len(roles):
            # "list the sales ops analyst levels": the analysts of the family, not all 17 roles
            words = " ".join(w for w in query.kb.resolver.query_words(query.clean) if w and w not in tokens(family.name))
            header = f"{len(narrowed)} of the {len(roles)} roles in the *{family.name}* family match “{echo(words)}”:"
            roles = narrowed
        lines = [header]
        for role in roles:
            grades = kb.grade_of(role)
            grade = f" (grade {' or '.join(str(g.grade) for g in grades)})" if grades else ""
            lines.append(f"• {link(role.name, role.url)}{grade}")
        source = Source(page=family.page, heading=family.name, url=family.page_url)
        lines.append(source_footer([source]))
        return Answer(query.intent, "answered", "\n".join(lines), roles=[r.name for r in roles], sources=[source], question=query.text)
    by_family: dict[str, list] = {}
    for role in kb.roles.values():
        by_family.setdefault(role.family, []).append(role)
    total = len(kb.roles)
    lines = [f"I know {total} roles in {len(by_family)} job families:"]
    if len(by_family) <= MAX_FAMILIES_EXPANDED:
        for fam, roles in by_family.items():
            if len(roles) == 1 and roles[0].name == fam:
                lines.append(f"• {link(fam, roles[0].url)}")
            else:
                lines.append(f"• *{fam}*: " + ", ".join(r.name for r in roles))
    else:
        for fam, roles in sorted(by_family.items()):
            lines.append(f"• *{fam}* ({len(roles)})")
        lines.append("Ask “roles in <family>” for the levels of one family.")
    return Answer(query.intent, "answered", "\n".join(lines), roles=[], sources=[], question=query.text)
