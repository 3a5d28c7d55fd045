"""Compare intent: how two roles differ (grades, reporting lines, what one asks or does that the other does not)."""

from __future__ import annotations

import re

from bot.answer import Answer, Source
from bot.compose import bold, clarify, manager_link, source_footer, unknown_role
from bot.knowledge import Knowledge, Line
from bot.query import Query
from bot.resolve import Resolution, RoleRef
from bot.router import intent

MAX_DIFFERENCES = 6  # lines shown per side and section; the rest are counted
# Where a question puts the second role: strongest first, so "Trust and Safety vs X" splits at "vs".
SEPARATORS = (r"\bvs\.?|\bversus\b|\bcompared (?:to|with)\b|\bdiffer(?:s|ent)? (?:from|than)\b"
              r"|\b(?:above|below|outranks?)\b|\b(?:higher|lower|more senior|less senior|senior|junior|bigger)\s+(?:than|to)\b",
              r"\bfrom\b|\bto\b|\bwith\b", r"\band\b|\bor\b|&")
# "is a staff data engineer above a senior data engineer", "which is higher, X or Y": which ranks higher
RANK = re.compile(r"\b(?:above|below|higher|lower|more senior|less senior|senior to|junior to|outranks?)\b", re.I)
RANK_LEAD = re.compile(r"^\s*(?:which|who)\s+(?:one\s+|role\s+)?(?:is|ranks?)\s+(?:higher|more senior|senior|bigger|above)\s*[,:]?\s*", re.I)
COMPARE_WORDS = re.compile(
    r"^\s*(?:what(?:'s| is| are)?\s+(?:the\s+)?|how\s+(?:is|does|do)\s+(?:a|an|the)?\s*)?"
    r"(?:(?:key\s+|main\s+)?differences?\s+(?:between|of)\s+|compare\s+|comparison\s+(?:of|between)\s+|diff\s+)?(?:the\s+|a\s+|an\s+)?",
    re.I,
)
TAIL_WORDS = re.compile(r"\s+(?:differ|different|compare|comparison)\s*[?!.]*\s*$|\s*[?!.]+\s*$", re.I)


@intent(
    "compare",
    patterns={
        r"\bvs\.?\b|\bversus\b": 4,
        r"\b(?:is|are)\s+(?:a|an|the)?\s*\S.*\b(?:above|below|higher than|lower than|more senior than|less senior than|senior to|junior to)\s+(?:a|an|the)?\s*\S"
        r"|^\s*(?:which|who)\s+(?:one\s+)?(?:is|ranks?)\s+(?:higher|more senior|senior|bigger)\b.*\bor\b": 4,
        r"\bcompare\b|\bcomparison\b|\bcompared (?:to|with)\b": 4,
        r"\bdifferences?\b|\bdiffer(?:s|ent)?\b": 3.5,
    },
    phrases=[
        "what is the difference between {role} and {role}",
        "difference between {role} and {role}",
        "{role} vs {role}",
        "compare {role} and {role}",
        "compare {role} with {role}",
        "how is {role} different from {role}",
        "how does {role} differ from {role}",
        "{role} compared to {role}",
    ],
    examples=["Sales Operations Analyst vs Sr. Sales Operations Analyst", "difference between the BDR and the SDR"],
    order=50,
)
def compare(query: Query) -> Answer:
    """Compare: how two roles differ (grade, manager, responsibilities, requirements)."""
    pair = two_roles(query)
    if isinstance(pair, Answer):
        return pair
    first, second = pair
    kb = query.kb
    lines = [rank_line(kb, first, second)] if RANK.search(query.clean) else []
    lines.append(f"{bold(first)} ({first.family}) vs {bold(second)} ({second.family}):")
    lines.append("• Grade: " + "; ".join(f"{r.name}: {grades(kb, r)}" for r in (first, second)))
    lines.append("• Reports to: " + "; ".join(f"{r.name}: {manager(kb, r)}" for r in (first, second)))
    for kind, name in (("responsibilities", "Responsibilities"), ("requirements", "Requirements")):
        ours, theirs = section_texts(kb, first, kind), section_texts(kb, second, kind)
        if ours is None and theirs is None:
            continue
        for role, mine, other in ((first, ours, theirs), (second, theirs, ours)):
            only = [ln for ln in (mine or []) if key(ln) not in {key(o) for o in (other or [])}]
            lines.extend(difference_lines(name, role, only, mine is None))
    sources = [Source(page=r.page, heading=r.name, url=r.url) for r in (first, second)]
    lines.append(source_footer(sources))
    return Answer(query.intent, "answered", "\n".join(lines), roles=[first.name, second.name], sources=sources, question=query.text)


def two_roles(query: Query) -> tuple[RoleRef, RoleRef] | Answer:
    """The two roles asked about, split where the question puts the second ("X vs Y", "between X
    and Y"); a bare level on one side ("senior vs staff backend engineer") is read in the other's family."""
    body = TAIL_WORDS.sub("", COMPARE_WORDS.sub("", RANK_LEAD.sub("", query.clean, count=1), count=1))
    resolver = query.kb.resolver
    missing: Resolution | None = None  # a side that names no role, beside one that does
    for separator in SEPARATORS:
        for match in re.finditer(separator, body, re.I):
            left, right = body[: match.start()].strip(" ,"), body[match.end():].strip(" ,")
            if not left or not right:
                continue
            a, b = one_title(resolver.resolve(left)), one_title(resolver.resolve(right))
            if a.status == "one" and b.status != "one" and a.role:
                b = resolver.sibling(right, a.role, query.kb.family_roles_of(a.role)) or b
            if b.status == "one" and a.status != "one" and b.role:
                a = resolver.sibling(left, b.role, query.kb.family_roles_of(b.role)) or a
            if a.status == "one" and b.status == "one" and a.role and b.role:
                if a.role.id == b.role.id:
                    continue
                return a.role, b.role
            unclear = next((r for r in (a, b) if r.status in ("ambiguous", "family")), None)
            if unclear is not None and all(r.status != "none" for r in (a, b)):
                if unclear.status == "family" and unclear.family:
                    roles = query.kb.family_roles(unclear.family)
                    unclear = Resolution("ambiguous", choices=roles[:8], span=unclear.span)
                return clarify(query, unclear)
            if missing is None and {a.status, b.status} & {"none"} and {a.status, b.status} - {"none"}:
                missing = a if a.status == "none" else b
    if missing is not None and missing.span:
        # "difference between csm and tam": say which one is not in the handbook, not both as one
        return unknown_role(query, missing)
    text = "Which two roles should I compare? For example: “Sales Operations Analyst vs Sr. Sales Operations Analyst”."
    res = query.resolution
    if res.status == "none" and res.span:
        return unknown_role(query, res)
    return Answer(query.intent, "unknown", text, question=query.text)


def rank_line(kb: Knowledge, first: RoleRef, second: RoleRef) -> str:
    """Which of two roles ranks higher, by the job grades their pages state; no grade, no verdict."""
    ours, theirs = kb.grade_of(first), kb.grade_of(second)
    if len(ours) != 1 or len(theirs) != 1:
        missing = [r.name for r, g in ((first, ours), (second, theirs)) if len(g) != 1]
        return f"I can't rank them by grade: the handbook states no single grade for {' or '.join(f'*{m}*' for m in missing)}."
    a, b = ours[0].grade, theirs[0].grade
    if a == b:
        return f"Neither, by grade: both are grade {a}."
    high, low = (first, second) if a > b else (second, first)
    return f"*{high.name}* ranks higher: grade {max(a, b)}, against grade {min(a, b)} for *{low.name}*."


def one_title(res: Resolution) -> Resolution:
    """A title on several pages is still one role to compare: the first page's."""
    if res.status == "ambiguous" and res.choices and len({c.name for c in res.choices}) == 1:
        return Resolution("one", role=res.choices[0], span=res.span)
    return res


def grades(kb: Knowledge, role: RoleRef) -> str:
    found = kb.grade_of(role)
    return " or ".join(str(g.grade) for g in found) if found else "not stated"


def manager(kb: Knowledge, role: RoleRef) -> str:
    edges = kb.reports_to(role)
    if not edges:
        return "not stated"
    return ", ".join(manager_link(e) for e in edges)


def section_texts(kb: Knowledge, role: RoleRef, kind: str) -> list[str] | None:
    """The section's lines as a role has them (inherited ones included), or None when it has none."""
    view = kb.section(role, kind)
    if view is None:
        return None
    return [ln.text for ln in view.lines if not ln.note and not is_extends(ln)]


def is_extends(line: Line) -> bool:
    return line.text.lower().lstrip().startswith("extends")


def key(text: str) -> str:
    """Lines compared as words: case, punctuation and links do not make two lines differ."""
    return " ".join(re.findall(r"[a-z0-9+#%$]+", re.sub(r"\(https?://[^)]*\)", "", text.lower())))


def difference_lines(name: str, role: RoleRef, only: list[str], missing: bool) -> list[str]:
    if missing:
        return [f"• {name}: the page states none for {role.name}."]
    if not only:
        return [f"• {name}: {role.name} has nothing the other does not."]
    shown = only[:MAX_DIFFERENCES]
    out = [f"• {name} only {role.name} has ({len(only)}):"] + [f"    • {echo_line(t)}" for t in shown]
    if len(only) > len(shown):
        out.append(f"    • …and {len(only) - len(shown)} more")
    return out


def echo_line(text: str) -> str:
    return text if len(text) <= 200 else text[:197].rstrip() + "…"

