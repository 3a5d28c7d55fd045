"""Specialties intent: the kinds of one role a page lists ("Backend Engineering (Database)")."""

from __future__ import annotations

from bot.answer import Answer, Source
from bot.compose import counted, echo, focus_lines, lines_text, link, need_role, source_footer, view_source
from bot.knowledge import Line, SectionView
from bot.page_names import SPECIALTY_HEADING
from bot.query import Query
from bot.resolve import RoleRef
from bot.router import intent

LISTED_NAME_WORDS = 4  # "Go-to-market: provide data insights ...": a name is a few words before the colon


@intent(
    "specialties",
    patterns={
        r"\bspecialt(?:y|ies)\b|\bspecialit(?:y|ies)\b|\bspeciali[sz]ations?\b|\bspecialisms?\b": 4,
    },
    phrases=[
        'what are the specialties of {role}',
        'what specialties does {family} have',
        '{role} specialties',
        'which specialties are there for {role}',
        'is there a {topic} specialty for {role}',
        'what can {role} specialize in',
        '{role} specializations',
        'what specialisms does {role} have',
    ],
    examples=["what are the specialties of a backend engineer?", "is there a database specialty for backend engineers?"],
    order=50,
)
def specialties(query: Query) -> Answer:
    """Specialties: the kinds of a role its page lists, or whether one of them is a given kind."""
    res = query.resolution
    asked: RoleRef | None = None
    if res.status == "family" and res.family:
        page_id, page, url, family = res.family.page_id, res.family.page, res.family.page_url, res.family.name
    else:
        role = need_role(query)
        if isinstance(role, Answer):
            return role
        asked = role
        page_id, page, url, family = role.page_id, role.page, role.page_url, role.family
    kinds = query.kb.specialties_on(page_id)
    described = query.kb.specialty_sections(page_id)
    source = Source(page=page, heading=family, url=url)
    topic = query.decision.topic if query.decision else ""
    # the page, named after the role asked about when it is one ("*Backend Engineer* is on the ... page, which")
    page_of = f"*{asked.name}* is on the *{family}* page, which" if asked and asked.name != family else f"the *{family}* page"
    if not kinds:
        if described:
            return _described(query, described, topic, page_of, asked)
        # the page may still describe kinds of work in other words, under other headings
        text = f"I found no specialty roles on the *{family}* page; the page itself may say more.\n{source_footer([source])}"
        return Answer(query.intent, "not_documented", text, sources=[source], question=query.text)
    # the specialties that are roles, then those the page only describes ("### Red Team" and a list)
    every = [(r.name, r.url) for r in kinds] + [(view.heading, view.url) for view in described]
    listing = "\n".join(f"• {link(name, where)}" for name, where in every)
    names = _named([name for name, _ in every], topic)
    named = None if names is None else [name for name, _ in every if name in names]
    if named is None:
        head = f"{capitalized(page_of)} lists {counted(len(every), 'specialty', 'specialties')}:"
    elif named:
        head = f"Yes, {page_of} lists {' and '.join(f'*{name}*' for name in named)}. All of its specialties:"
    else:
        head = f"{capitalized(page_of)} lists no specialty for “{echo(topic)}”. Its specialties:"
    status = "not_documented" if named == [] else "answered"
    text = f"{head}\n{listing}\n{source_footer([source])}"
    roles = list(dict.fromkeys([*([asked.name] if asked else []), *(r.name for r in kinds)]))
    return Answer(query.intent, status, text, roles=roles, sources=[source], question=query.text)


def _listed(view: SectionView) -> list[SectionView]:
    """A list straight under the specialties heading ("## Functional Specialties", then "- Product:
    provide insights for ..."): each item is a specialty, named by its words before a colon."""
    if not SPECIALTY_HEADING.match(view.heading.strip()):
        return [view]
    parts = []
    for line in view.lines:
        name, colon, rest = line.text.partition(":")
        named = bool(colon) and 0 < len(name.split()) <= LISTED_NAME_WORDS
        parts.append(SectionView(kind=view.kind, heading=name.strip() if named else line.text, url=view.url, page=view.page,
                                 lines=[Line(rest.strip(), 0, None)] if named and rest.strip() else []))
    return parts


def _described(query: Query, described: list[SectionView], topic: str, page_of: str, asked: RoleRef | None) -> Answer:
    """Specialties a page describes without making them roles ("### Domestic" under the Tax page's
    "## Specialties", a list and no sections): each with its text, or the one a {topic} names."""
    pairs = [(part, view) for view in described for part in _listed(view)]
    described = [part for part, _ in pairs]
    origin = {id(part): view for part, view in pairs}  # a listed specialty's source is its list's heading
    names = _named([view.heading for view in described], topic)
    named = None if names is None else [v for v in described if v.heading in names]
    shown = named or described
    if named == []:  # none is the one asked about: their names are enough
        body = "\n".join(f"• *{view.heading}*" for view in shown)
    else:
        body = "\n".join(f"*{view.heading}*\n{lines_text(view.lines)}" for view in shown)
    if named is None:
        head = f"{capitalized(page_of)} describes {counted(len(described), 'specialty', 'specialties')}:"
    elif named:
        head = f"Yes, {page_of} describes {' and '.join(f'*{v.heading}*' for v in named)}:"
    else:
        head = f"{capitalized(page_of)} describes no specialty for “{echo(topic)}”. Its specialties:"
    sources = [view_source(origin[id(view)], asked) for view in shown]
    status = "not_documented" if named == [] else "answered"
    text = f"{head}\n{body}\n{source_footer(sources)}"
    return Answer(query.intent, status, text, roles=[asked.name] if asked else [], sources=sources, question=query.text)


def capitalized(text: str) -> str:
    """A sentence's first letter upper case ("the *Tax* page" -> "The *Tax* page"; "*X* ..." as it is)."""
    return text[:1].upper() + text[1:]


def _named(names: list[str], topic: str) -> set[str] | None:
    """The specialties' names a {topic} names ("is there a *database* specialty"), found as the
    requirements' yes/no finds a word in a line; None when no topic was asked."""
    lines = focus_lines([Line(name, 0, None) for name in names], topic)
    return None if lines is None else {line.text for line in lines}
