"""List-roles intent: every role, or the levels of one family."""

from __future__ import annotations

from bot.answer import Answer, Source
from bot.compose import clarify, counted, echo, link, source_footer
from bot.names import tokens
from bot.knowledge import Knowledge
from bot.query import Query
from bot.resolve import asked_phrase
from bot.router import intent

MAX_FAMILIES_EXPANDED = 12


def narrow(words: list[str], family_name: str, roles: list) -> list:
    """The family's roles whose names have every role word of the question beyond the family's own."""
    extra = set(words) - set(tokens(family_name))
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
        r"\bhow many (?:\S+ )*?(?:roles|jobs|job families|families|titles|levels)\b(?!.*\breport)": 3,
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
        'what kind of roles are in {family}',
        'what kinds of {family} roles are there',
        'what types of {family} roles are there',
        'what sort of jobs does {family} have',
        'what {family} roles do we have',
        'what {family} positions do we have',
        'do we have any {family} roles',
        'how many job families are there',
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
    words = role_words(query)  # read once: the resolver's reading of the question's role words
    named: list | None = None  # every role holding them all, found only when it decides something
    if bare_name(query, words):
        named = roles_named_with(kb, words)
        if len({r.page_id for r in named}) > 1:
            family = None  # "what analyst roles are there": every analyst, not the one role named "Analyst"
    department = kb.department_named(query.clean) if family is None and res.status in ("none", "ambiguous", "one") else None
    if department is not None and not set(words) <= {w for phrase in department.phrases for w in phrase}:
        department = None  # "list the product designer roles": the designers, not the whole Product department
    if department is not None:
        # "list the finance roles": no family of that name, but the pages the department files
        text = by_family(kb.department_roles(department), f"The *{department.name}* department has")
        return Answer(query.intent, "answered", text, roles=[], sources=[], question=query.text)
    if family is None and res.status in ("ambiguous", "one"):
        named = roles_named_with(kb, words) if named is None else named
    else:
        named = []
    if len({r.page_id for r in named}) == 1:
        family = kb.family_of(named[0])  # "list the product designer roles": the one family holding them
    elif named:
        # "types of security roles": a word many families share names a kind of role, not one role
        text = by_family(named, f"For “{echo(asked_phrase(query.clean, ' '.join(words)))}” I know")
        return Answer(query.intent, "answered", text, roles=[], sources=[], question=query.text)
    if family is None and res.status == "ambiguous":
        return clarify(query, res)
    if family:
        source = Source(page=family.page, heading=family.name, url=family.page_url)
        return listing(query, kb.family_roles(family), family.name, source, words)
    if res.status == "one" and res.role and res.span != "(follow-up)":
        # "executive assistant levels": a page of one role has no family to list, but is no
        # question about every role either
        role = res.role
        return listing(query, kb.family_roles_of(role), role.family, Source(page=role.page, heading=role.family, url=role.page_url), words)
    text = by_family(list(kb.roles.values()), "I know")
    return Answer(query.intent, "answered", text, roles=[], sources=[], question=query.text)


def listing(query: Query, roles: list, name: str, source: Source, words: list[str]) -> Answer:
    """The roles of one family (or one page), with their grades; those a question's further
    words pick out when they pick out some."""
    header = f"The *{name}* family has {counted(len(roles), 'role')}:"
    narrowed = narrow(words, name, roles)
    if narrowed and len(narrowed) < len(roles):
        # "list the sales ops analyst levels": the analysts of the family, not all 17 roles
        beyond = " ".join(w for w in words if w not in tokens(name))
        header = f"{len(narrowed)} of the {len(roles)} roles in the *{name}* family match “{echo(beyond)}”:"
        roles = narrowed
    lines = [header]
    for role in roles:
        grades = query.kb.grade_of(role)
        grade = f" (grade {' or '.join(str(g.grade) for g in grades)})" if grades else ""
        lines.append(f"• {link(role.name, role.url)}{grade}")
    lines.append(source_footer([source]))
    return Answer(query.intent, "answered", "\n".join(lines), roles=[r.name for r in roles], sources=[source], question=query.text)


def role_words(query: Query) -> list[str]:
    """The question's role words as the resolver reads them (corrected, question words left out)."""
    return [w for w in query.kb.resolver.query_words(query.clean) if w]


def bare_name(query: Query, words: list[str]) -> bool:
    """The question names its role by one bare word ("analyst") that is also the role's whole name:
    in a list question that may be a kind of role, if several families hold it."""
    res = query.resolution
    return (res.status == "one" and res.role is not None and res.span != "(follow-up)" and len(words) == 1
            and tuple(tokens(res.role.name)) == tuple(words))


def roles_named_with(kb: Knowledge, words: list[str]) -> list:
    """Every role whose name or family holds all the question's role words: "security roles" is a
    kind of role spread over families, not one role to pick."""
    wanted = set(words)
    if not wanted:
        return []
    return [r for r in kb.roles.values() if wanted <= set(tokens(r.name)) | set(tokens(r.family))]


def by_family(roles: list, lead: str) -> str:
    """Roles grouped by family under "<lead> N roles in M job families:": each family's names
    when there are few families, else each family with its count and a hint to ask for one."""
    families: dict[str, list] = {}
    for role in roles:
        families.setdefault(role.family, []).append(role)
    lines = [f"{lead} {counted(len(roles), 'role')} in {counted(len(families), 'job family', 'job families')}:"]
    if len(families) <= MAX_FAMILIES_EXPANDED:
        for fam, members in families.items():
            if len(members) == 1 and members[0].name == fam:
                lines.append(f"• {link(fam, members[0].url)}")
            else:
                lines.append(f"• *{fam}*: " + ", ".join(r.name for r in members))
    else:
        for fam, members in sorted(families.items()):
            lines.append(f"• *{fam}* ({len(members)})")
        lines.append("Ask “roles in <family>” for the levels of one family.")
    return "\n".join(lines)
