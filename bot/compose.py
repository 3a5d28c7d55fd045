"""Building blocks handlers share to word their answers the same way.

Every answer names the role it is about in bold, quotes the page's own words,
and ends with a link to where they were read. Asking "which one?" and saying
"I don't know that role" are worded here once, so every intent behaves alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.answer import Answer, Choice, Source
from bot.knowledge import Line, ReportsTo, SectionView
from bot.names import ROLE_ACRONYMS
from bot.query import Query
from bot.render import defuse_mentions
from bot.resolve import Resolution, RoleRef, asked_phrase

MAX_ECHO = 80
FOCUS_STOPWORDS = frozenset("a an the to be of in on for and or with any some have has do does is are it they which what who how".split())
KIND_NAMES = {
    "responsibilities": "responsibilities",
    "requirements": "requirements",
    "hiring_process": "hiring process",
    "performance_indicators": "performance indicators",
    "career_ladder": "career ladder",
    "grade": "job grade",
    "overview": "overview",
    "nice_to_have": "nice-to-haves",
}
PLURAL_KINDS = frozenset({"responsibilities", "requirements", "performance_indicators", "nice_to_have"})  # "… apply", not "applies"


def echo(text: str) -> str:
    """User text repeated back: one line, bounded, unable to ping anyone."""
    text = " ".join(text.split())
    if len(text) > MAX_ECHO:
        text = text[: MAX_ECHO - 1].rstrip() + "…"
    return defuse_mentions(text.replace("*", "").replace("[", "(").replace("]", ")"))


def counted(count: int, word: str, many: str = "") -> str:
    """"1 role", "3 roles", "2 job families": a count with its noun, singular for one; ``many`` is
    the plural when adding "s" is not it."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def bold(role: RoleRef) -> str:
    return f"*{role.name}*"


def link(label: str, url: str) -> str:
    label = label.replace("[", "(").replace("]", ")")
    return f"[{label}]({url})"


def manager_link(edge: ReportsTo, plain: str = "{}") -> str:
    """Whom a role reports to, linked: to the indexed role, else to the page's own link, else as
    written (``plain`` formats that case, e.g. bold)."""
    if edge.target_role:
        return link(edge.target_role.name, edge.target_role.url)
    if edge.target_url:
        return link(edge.target, edge.target_url)
    return plain.format(edge.target)


def role_source(role: RoleRef, heading: str | None = None, url: str | None = None) -> Source:
    return Source(page=role.page, heading=heading or role.name, url=url or role.url)


def view_source(view: SectionView, role: RoleRef | None) -> Source:
    page = role.page if role else view.page
    return Source(page=page, heading=view.heading, url=view.url)


def source_footer(sources: list[Source], titles: dict[str, str] | None = None) -> str:
    """"Source: <link>" lines, one per distinct URL."""
    seen: list[str] = []
    parts: list[str] = []
    for s in sources:
        if s.url in seen:
            continue
        seen.append(s.url)
        parts.append(link(s.heading, s.url))
    return ("Source: " + ", ".join(parts)) if parts else ""


def lines_text(lines: list[Line]) -> str:
    """Section lines as bullets/numbers, nesting shown by indentation, in page order."""
    out: list[str] = []
    for line in lines:
        indent = "    " * line.depth
        if line.note or line.paragraph:
            out.append(f"{indent}{line.text}")
        elif line.number is not None:
            out.append(f"{indent}{line.number}. {line.text}")
        else:
            out.append(f"{indent}• {line.text}")
    return "\n".join(out)


def section_answer(query: Query, role: RoleRef, view: SectionView | None, kind: str, more: str = "", lead: str = "") -> Answer:
    """The standard answer for "<kind> of <role>": the lines, where they came from, or what is missing;
    ``more`` is a line pointing at what else the page has on it, before the source, ``lead`` a
    line before it all (why this section answers what was asked)."""
    name = KIND_NAMES.get(kind, kind)
    if view is None or not view.lines:
        own = own_text(query, role)
        said = said_instead(own, name)
        if said:
            return not_documented(query, role, f"The handbook page for {bold(role)} has no {name} section; under its heading it says:\n{said}")
        described = described_role(own) if kind == "responsibilities" else ""
        if described:
            # "what does a growth PM do": the page has no duties listed, but says what the role is
            return not_documented(query, role, f"The handbook page for {bold(role)} has no {name} section; it describes the role:\n{described}")
        return not_documented(query, role, f"The handbook page for {bold(role)} has no {name} section.")
    if view.family_wide:
        verb = "apply" if kind in PLURAL_KINDS else "applies"
        intro = f"{bold(role)} has no {name} of its own; the *{role.family}* family's {name} {verb} to it:"
    elif view.from_overview:
        intro = f"The page lists no separate {name} for {bold(role)}; under its heading it says:"
    else:
        intro = f"{name[0].upper() + name[1:]} of {bold(role)}:"
    source = view_source(view, role)
    focus = focus_lines(view.lines, query.decision.topic if query.decision else "")
    body = lines_text(view.lines)
    if focus is not None:
        topic = echo(query.decision.topic)
        if focus:
            intro = f"Yes, the {name} of {bold(role)} mention “{topic}”:\n{lines_text(focus)}\nAll of its {name}:"
        else:
            intro = f"The {name} of {bold(role)} don't mention “{topic}”. All of its {name}:"
    text = "\n".join([*([lead] if lead else []), intro, body, *([more] if more else []), source_footer([source])])
    status = "not_documented" if focus == [] else "answered"  # "does X need Kubernetes?": the page doesn't say
    return Answer(query.intent, status, text, roles=[role.name], sources=[source], question=query.text)


def stem(word: str) -> str:
    """A word without its ending, so "frameworks" finds "framework" and "travelling" "travel";
    never shorter than four letters ("salesforce" must not find "sales")."""
    if len(word) <= 5:
        return word
    short = re.sub(r"(?:ations?|ments?|ings?|ies|es|ed|s)$", "", word)
    return short if len(short) >= 4 else word


def initialisms(text: str) -> set[str]:
    """The initials of each run of capitalised words: "Based in San Francisco" has "sf"."""
    out = set()
    for run in re.findall(r"(?:[A-Z][\w-]*\s+)+[A-Z][\w-]*", text):
        out.add("".join(w[0] for w in run.split()).lower())
    return out


# "how many people does X manage", "what's the span of control of X", "how big is X's team": the
# size of its team, which direct reports and responsibilities answers add when the page gives it
TEAM_SIZE_ASKED = re.compile(r"\bhow many\b|\bteam size\b|\bspans? of control\b|\bhow (?:big|large)\b|\bsize of\b", re.I)

# Words a requirement uses in another sense than the one a recruiter asks about: "a high degree of
# accuracy" is no degree, so "does X need a degree?" is not answered yes from it.
OTHER_SENSE = re.compile(r"\bdegrees? of\b")


def focus_lines(lines: list[Line], topic: str) -> list[Line] | None:
    """The lines about a topic ("does X need Netsuite?"): each word of the topic, or its stem,
    occurs in the line. None when there is no topic to look for."""
    words = [w.lower() for w in re.findall(r"[A-Za-z0-9+#]+(?:-[A-Za-z0-9+#]+)*", topic) if w.lower() not in FOCUS_STOPWORDS]
    if not words:
        return None
    stems = [stem(w) for w in words]
    # a hyphenated term ("on-call") is found whole, hyphen or space between its parts, never by a part ("call")
    patterns = [re.compile(r"(?<![a-z0-9])" + r"[-\s]?".join(map(re.escape, s.split("-")))) for s in stems]
    scored: list[tuple[int, Line]] = []
    for line in lines:
        if line.note:
            continue
        text = line.text.lower()
        if "degree" in text:
            text = OTHER_SENSE.sub(" ", text)
        initials = initialisms(line.text)
        hits = sum(1 for stem, pattern in zip(stems, patterns) if pattern.search(text) or stem in initials)
        if hits:
            scored.append((hits, Line(line.text, 0, None, line.inherited_from)))
    best = max((h for h, _ in scored), default=0)
    if best < max(1, (len(stems) + 1) // 2):  # "live in SF": "San Francisco" is half of it, and enough
        return []
    return [line for hits, line in scored if hits == best]


def own_text(query: Query, role: RoleRef) -> list[Line]:
    """The lines under the role's own heading (its overview), none when it has none of its own."""
    view = query.kb.overview(role)
    return [] if view is None or view.family_wide else view.lines


def said_instead(own: list[Line], name: str) -> str:
    """Of the role's own lines (:func:`own_text`), those that speak of a section it lacks, quoted
    ("The responsibilities for a Compensation Analyst will be added at the time of a business need
    for this role."): the page does say something about them, and "no such section" alone hid it.
    The section's name is matched by its beginning ("responsibilit", "requireme"), so singulars count."""
    stem = re.compile(re.escape(name[: max(6, len(name) - 3)]), re.I)
    return "\n".join(f"> {line.text}" for line in own if stem.search(line.text))


DESCRIPTION_LINES = 2  # of the role's own text, quoted when it has no responsibilities section


def described_role(own: list[Line]) -> str:
    """The first of the role's own lines (:func:`own_text`), quoted; "" when it has none."""
    return "\n".join(f"> {line.text}" for line in [ln for ln in own if not ln.note][:DESCRIPTION_LINES])


def not_documented(query: Query, role: RoleRef, sentence: str) -> Answer:
    """The role exists but the page does not say: say which role and what is missing, link the page."""
    source = role_source(role)
    text = f"{sentence}\n{source_footer([source])}"
    return Answer(query.intent, "not_documented", text, roles=[role.name], sources=[source], question=query.text)


def choice_note(role: RoleRef, names: list[str]) -> str:
    """"(Sales Operations)" after a choice; the page too when two pages share the title."""
    parts = [role.family] if role.family != role.name else []
    if names.count(role.name) > 1:
        parts.append(role.page)
    return f" ({', '.join(parts)})" if parts else ""


def clarify(query: Query, res: Resolution) -> Answer:
    """Several roles fit equally well: ask, offering them as choices."""
    choices = [Choice(role=r.name, family=r.family, page=r.page) for r in res.choices]
    names = [r.name for r in res.choices]
    # two pages may define the same title: then the page tells them apart
    listing = "\n".join(f"{i}. {r.name}{choice_note(r, names)}" for i, r in enumerate(res.choices, 1))
    more = f"\n…and {res.too_many - len(res.choices)} more; add a word or two to narrow it down." if res.too_many else ""
    words = asked_phrase(query.clean, res.span) if res.span and res.span != "(follow-up)" else ""
    asked = f" “{echo(words)}”" if words else ""
    text = f"Which role do you mean by{asked}? Several match:\n{listing}{more}\nReply with a number or the role's name."
    return Answer(query.intent, "ambiguous", text, choices=choices, question=query.text)


def either(names: list[str]) -> str:
    """"*A*, *B* or *C*", with "; " between the names when one has a comma of its own: "*Intern,
    Frontend Engineer*, *Staff Frontend Engineer*" reads as three roles where there are two."""
    marked = [f"*{name}*" for name in names]
    if len(marked) < 2:
        return "".join(marked)
    between = "; " if any("," in name for name in names) else ", "
    return between.join(marked[:-1]) + " or " + marked[-1]


def unknown_role(query: Query, res: Resolution) -> Answer:
    """No role matched: say so, offer close names if any; never guess."""
    if res.span:
        spelled = ROLE_ACRONYMS.get(res.span.strip().lower())
        read_as = f" ({spelled})" if spelled else ""  # "TAM (technical account manager)": what was looked for
        text = f"I couldn't find a role matching “{echo(res.span)}”{read_as} in the handbook."
    else:
        text = "Which role do you mean? I couldn't tell from the question."
    if res.suggestions:
        text += f"\nDid you mean {either([r.name for r in res.suggestions])}?"
    text += "\nTry `list roles` to see every role I know."
    choices = [Choice(role=r.name, family=r.family, page=r.page) for r in res.suggestions]
    return Answer(query.intent, "not_found", text, choices=choices, question=query.text)


def need_role(query: Query) -> RoleRef | Answer:
    """The one role a question is about, or the answer that asks for it / says it is unknown."""
    res = query.resolution
    if res.status == "one" and res.role:
        return res.role
    if res.status == "ambiguous":
        return clarify(query, res)
    if res.status == "family" and res.family:
        roles = query.kb.family_roles(res.family)
        return clarify(query, Resolution("ambiguous", choices=roles[:8], span=res.span, too_many=len(roles) if len(roles) > 8 else 0))
    return unknown_role(query, res)


def family_section_answer(query: Query, res: Resolution, kind: str) -> Answer:
    """A section asked of a whole family ("interview steps for Sales Operations")."""
    family = res.family
    assert family is not None
    view = query.kb.family_section(family, kind)
    if view is None or not view.lines:
        roles = query.kb.family_roles(family)
        return clarify(query, Resolution("ambiguous", choices=roles[:8], span=res.span, too_many=len(roles) if len(roles) > 8 else 0))
    name = KIND_NAMES.get(kind, kind)
    source = Source(page=family.page, heading=view.heading, url=view.url)
    text = "\n".join([f"{name[0].upper() + name[1:]} for the *{family.name}* family (every role on that page):",
                      lines_text(view.lines), source_footer([source])])
    return Answer(query.intent, "answered", text, roles=[], sources=[source], question=query.text)


def section_intent(query: Query, kind: str, more: Callable[[RoleRef], str] | None = None, lead: Callable[[RoleRef], str] | None = None) -> Answer:
    """The whole behaviour of a "show me section X of role Y" intent; ``more`` and ``lead`` give,
    for the role, the lines :func:`section_answer` adds."""
    res = query.resolution
    if res.status == "family" and res.family:
        return family_section_answer(query, res, kind)
    role = need_role(query)
    if isinstance(role, Answer):
        return role
    return section_answer(query, role, query.kb.section(role, kind), kind, more(role) if more else "", lead(role) if lead else "")


def clarify_intent(query: Query, names: list[str]) -> Answer:
    """Two intents fit equally: ask which was meant, with an example of each, never pick one."""
    from bot.router import load_handlers

    registry = load_handlers()
    options = "\n".join(f"{i}. {registry[n].help} e.g. “{registry[n].examples[0]}”" for i, n in enumerate(names, 1))
    text = f"I can read “{echo(query.clean)}” more than one way. Did you mean:\n{options}\nAsk again in those words and I'll answer."
    return Answer(names[0], "ambiguous", text, question=query.text)
