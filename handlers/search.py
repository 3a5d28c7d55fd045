"""Search intent: full-text search over every section (SQLite FTS5)."""

from __future__ import annotations

import re

from bot.answer import Answer, Source
from bot.compose import counted, echo, link
from bot.query import Query
from bot.router import intent

MAX_ROLES = 12
TERM = re.compile(
    r"\b(?:need|needs|needed|require|requires|required|requiring|mention|mentions|mentioning|use|uses|using|"
    r"involve|involves|ask for|asks for|work with|works with|experience with|experience in|knowledge of|"
    r"know|knows|search(?: for)?|find|look(?:ing)? for|with|about)\s+(?P<term>.+)$",
    re.IGNORECASE,
)


@intent(
    "search",
    patterns={
        r"\b(?:which|what|any|list)\b.*\b(?:roles?|jobs?|positions?|people|pages?|titles?)\b.*\b(?:needs?|requires?|mentions?|uses?|involves?|asks? for|works? with|experience with|knowledge of|knows?)\b": 4.5,
        r"^\s*(?:search|find)\b": 5,
        # "roles that require spanish": the question starts with what is looked for
        r"^\s*(?:roles?|jobs?|positions?)\s+(?:that|which|who)\s+(?:needs?|requires?|mentions?|uses?|involves?)\b": 4.5,
        r"\bwho (?:needs|uses|works with|knows|requires)\b|\bwhere (?:is|are|does)\b.*\bmention": 3.5,
        r"\bmentions?\b": 2,
        r"\binterviews? with\b|\bwho (?:handles|owns|runs|deals with|takes care of|is responsible for)\b": 2,
    },
    phrases=[
        'which roles need {topic}',
        'which roles use {topic}',
        'which roles mention {topic}',
        'who handles {topic}',
        'who owns {topic}',
        'who deals with {topic}',
        'who is responsible for {topic}',
        'who takes care of {topic}',
        'who runs {topic}',
        'who designs {topic}',
        'who helps with {topic}',
        'who helps out with {topic}',
        'who works with {topic}',
        'search {topic}',
        'find {topic}',
        'which roles work with {topic}',
        'which roles interview with {topic}',
        'which jobs involve {topic}',
        'what jobs need {topic}',
        'what roles require {topic}',
        'roles that require {topic}',
        'jobs that need {topic}',
        'find roles about {topic}',
        'roles about {topic}',
    ],
    examples=["Which roles need Zuora?", "search Salesforce"],
    order=70,
    topic_names_roles=True,
)
def search(query: Query) -> Answer:
    """Search: roles whose pages mention a word or tool."""
    term = extract_term(query.clean, query.decision.topic if query.decision else "")
    if not term:
        return Answer(query.intent, "unknown", "What should I search for? For example: “which roles need Zuora?”", question=query.text)
    rows = query.kb.search(term)
    kb = query.kb
    hits: dict[str, tuple[str, str, str, str]] = {}  # role or family -> (url, heading, quote, page)
    words = [w.lower() for w in re.findall(r"[A-Za-z0-9+#]+", term)]
    verbs = doing_words(query.clean, term)
    # "who designs the swag": the role that does it first, then those whose duties mention it,
    # then every other mention, each in full-text rank order
    rank = NEED_RANK if NEEDS.search(query.own_words) else DOING_RANK
    rows = sorted(rows, key=lambda row: (-mentions(row, verbs), rank.get(row["kind"], 2)))
    saying = 0  # roles whose quoted line has the words themselves, not just words of their stem
    for row in rows:
        role = kb.roles.get(row["role_id"]) if row["role_id"] else None
        page = kb.pages[row["page_id"]]
        name = role.name if role else f"{page['family']} (all roles)"
        if name in hits:
            continue
        quote, said = quote_of(row["items"], words)
        saying += said
        hits[name] = (role.url if role else page["url"], row["heading"], quote, page["path"])
        if len(hits) >= MAX_ROLES * 4:
            break
    if not hits:
        text = f"No role's page mentions “{echo(term)}”."
        return Answer(query.intent, "not_found", text, question=query.text)
    total = len(hits)
    lines = [match_header(total, saying, echo(term))]
    sources: list[Source] = []
    for name, (url, heading, quote, page) in list(hits.items())[:MAX_ROLES]:
        short = quote if len(quote) <= 160 else quote[:157].rstrip() + "…"
        lines.append(f"• {link(name, url)} ({heading}): “{short}”")
        sources.append(Source(page=page, heading=heading, url=url))
    if total > MAX_ROLES:
        lines.append(f"…and {total - MAX_ROLES} more. Add a word to narrow the search.")
    roles = [n for n in hits if n in {r.name for r in kb.roles.values()}]
    return Answer(query.intent, "answered", "\n".join(lines), roles=roles, sources=sources, question=query.text)


DOING_RANK = {"responsibilities": 0, "overview": 1}
NEED_RANK = {"requirements": 0, "nice_to_have": 1}
NEEDS = re.compile(r"\b(?:needs?|needed|requires?|required|requirements?|skills?|experience)\b", re.I)
DOING = re.compile(r"^\s*who\s+(?:is\s+|are\s+)?(\w+)", re.I)


def doing_words(text: str, term: str) -> list[str]:
    """The verb of a "who <does> <topic>" question ("designs" -> "design"), to rank who does it."""
    match = DOING.match(text)
    if not match or match.group(1).lower() in ("does", "do", "the", "responsible", "in", "on"):
        return []
    verb = match.group(1).lower()
    stem = verb[:-1] if verb.endswith("s") and not verb.endswith("ss") else verb
    return [stem[:6]] if stem and stem not in term.lower() else []


def match_header(total: int, saying: int, term: str) -> str:
    """"N roles mention X" only when their lines have the words: the full-text search also
    matches other forms of a word ("productivity" for "product"), said as such."""
    roles = counted(total, "role")
    if saying == total:
        return f"{roles} mention “{term}”:"
    if saying == 0:
        return f"No role's page has “{term}” itself; {roles} {'have' if total != 1 else 'has'} words of the same stem:"
    return f"{roles} match “{term}”: {saying} mention it, {total - saying} only words of the same stem:"


def mentions(row, stems: list[str]) -> int:
    """How many of the stems a row's lines contain."""
    if not stems:
        return 0
    text = " ".join(row["items"]).lower()
    return sum(1 for stem in stems if stem in text)


def quote_of(lines: list[str], words: list[str]) -> tuple[str, bool]:
    """The line of a matched section to quote (the first with all the words, else with any, else
    with a word beginning like each: the stem's first letters), and whether the section's lines
    have every word itself, as a word (singular or plural), which is what "mention" claims. The
    full-text search matches porter stems, so a section may only have another form of a word
    ("productivity" for "product", "operations" for "operational")."""
    lowered = [line.lower() for line in lines]
    text = "\n".join(lowered)
    said = all(re.search(rf"(?<![a-z0-9])(?:{'|'.join(map(re.escape, word_forms(w)))})(?![a-z0-9])", text) for w in words)
    begins = [re.compile(rf"(?<![a-z0-9]){re.escape(w[:4])}") for w in words]
    for test in (lambda low: all(w in low for w in words), lambda low: any(w in low for w in words),
                 lambda low: all(p.search(low) for p in begins)):
        for line, low in zip(lines, lowered):
            if test(low):
                return line, said
    return "", said


def word_forms(word: str) -> list[str]:
    """A searched word and its plural or singular ("check", "checks"), longest first."""
    forms = [word + "es", word + "s", word]
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    return [f for f in forms if f]


def extract_term(text: str, topic: str = "") -> str:
    """The thing searched for: "which roles need Zuora?" -> "Zuora"; "who handles DMCA requests"
    -> the router's {topic}, "DMCA requests"."""
    match = TERM.search(text)
    if not match and topic:
        return topic
    if not match and re.search(r"\b(?:need|needs|require|requires|mention|mentions|use|uses|search|find)\W*$", text, re.I):
        return ""  # "which roles need" with nothing after: ask what to look for
    term = match.group("term") if match else text
    # "find roles about onboarding": what is found is not what is looked for
    term = re.sub(r"^(?:roles?|jobs?|positions?)\s+(?:about|with|for|on|mentioning|needing|using)\s+", "", term.strip(), flags=re.I)
    term = re.sub(r"^(?:a|an|the|experience (?:with|in)|knowledge of)\s+", "", term, flags=re.I)
    return term.strip(" ?!.\"'“”")
