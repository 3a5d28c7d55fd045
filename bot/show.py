"""``rolecall show``: the outline the parser built for one page, so a wrong answer can be traced
to what was read (or not read) without a debugger.

The page is parsed again here (it is cheap), because the reasons behind heading decisions are
not worth storing in the index; what only the index knows (where an inherited section comes
from, which role a reports-to target is) is looked up there.
"""

from __future__ import annotations

from pathlib import Path

from bot.engine import Engine
from bot.page_model import Page, Section
from bot.parse import parse_page

DOUBTFUL = 100.0  # a kind decided by a fuzzy match, or no kind at all, is shown with its reason


def find_page(engine: Engine, what: str) -> tuple[Path, str | None] | None:
    """A page file by name (or path), else the page of the role ``what`` names; with that role."""
    as_path = Path(what)
    for candidate in (as_path, engine.seeds_dir / what, engine.seeds_dir / f"{what}.md"):
        if candidate.is_file():
            return candidate, None
    kb = engine.kb
    wanted = what.strip().lower()
    exact = [r for r in kb.roles.values() if r.name.lower() == wanted]
    role = exact[0] if exact else None
    if role is None:
        found = kb.resolver.resolve(what)
        role = found.role if found.status == "one" else None
        if role is None and found.status == "family" and found.family:
            return engine.seeds_dir / found.family.page, None
    if role is None:
        return None
    return engine.seeds_dir / role.page, role.name


def outline(engine: Engine, what: str) -> dict | None:
    """The outline as data (``--json`` prints it as is); None when no page or role matches."""
    found = find_page(engine, what)
    if found is None:
        return None
    path, role_name = found
    shown = _display(engine, path)
    page, problems = parse_page(path, base_url=engine.base_url, display_path=shown)
    if page is None:
        return {"page": shown, "problems": [str(p) for p in problems], "roles": [], "family_sections": []}
    inherits = _inheritance(engine, page)
    roles = []
    for role in page.roles.values():
        roles.append({
            "name": role.name,
            "line": role.line,
            "group": role.group,
            "aliases": sorted(role.aliases),
            "grades": [{"grade": _number(g.grade), "line": g.line, "sentence": g.sentence} for g in page.grades if g.role == role.name],
            "reports_to": [{"target": r.target, "line": r.line, "sentence": r.sentence, "dotted": r.dotted}
                           for r in page.reports if r.role == role.name],
            "sections": [_section(s, inherits) for s in page.sections if s.owner == role.name],
        })
    return {
        "page": shown,
        "title": page.title,
        "family": page.family,
        "url": page.url,
        "single_role": page.single_role,
        "asked_role": role_name,
        "roles": roles,
        "family_sections": [_section(s, inherits) for s in page.sections if s.owner is None],
        "problems": [str(p) for p in problems],
        "suspicions": [str(p) for p in page.suspicions],
    }


def _display(engine: Engine, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(engine.seeds_dir.resolve()))
    except ValueError:
        return str(path)


def _number(grade: float) -> int | float:
    return int(grade) if float(grade).is_integer() else grade


def _inheritance(engine: Engine, page: Page) -> dict[int, str]:
    """Line of each "Extends" item -> where its items come from, as the index resolved it."""
    kb = engine.kb
    page_id = next((pid for pid, row in kb.pages.items() if row["path"] == page.path), None)
    sources: dict[int, str] = {}
    for fact in page.extends:
        row = kb.extends.get((page_id, fact.line)) if page_id is not None else None
        kind = fact.target_kind or fact.kind
        if row is not None and row["target_family"]:
            sources[fact.line] = f"{page.family} (all roles), {kind}"
        elif row is not None and row["target_role_id"] in kb.roles:
            target = kb.roles[row["target_role_id"]]
            where = "" if target.page == page.path else f" on {target.page}"
            sources[fact.line] = f"{target.name}{where}, {kind}"
        else:
            sources[fact.line] = f"'{fact.target}' (no such role found)"
    return sources


def _section(section: Section, inherits: dict[int, str]) -> dict:
    out = {
        "kind": section.kind,
        "heading": section.heading,
        "line": section.line,
        "items": len(section.items),
        "inherits_from": [inherits[i.line] for i in section.items if i.line in inherits],
    }
    if section.score < DOUBTFUL or section.kind == "other":
        out["reason"] = section.reason
    return out


def render(data: dict) -> str:
    """The outline as text, one fact a line, with the file line each came from."""
    lines = [f"{data['page']}: {data.get('title', '')} (family: {data.get('family', '')})"]
    if data.get("url"):
        lines.append(f"  {data['url']}" + ("  [single-role page]" if data.get("single_role") else ""))
    for role in data["roles"]:
        mark = "  <- asked" if data.get("asked_role") == role["name"] else ""
        lines.append(f"\nrole: {role['name']} (line {role['line']}){mark}")
        if role["group"]:
            lines.append(f"  group: {role['group']}")
        if role["aliases"]:
            lines.append(f"  aliases: {', '.join(role['aliases'])}")
        for g in role["grades"]:
            lines.append(f"  grade {g['grade']} (line {g['line']}): {g['sentence']}")
        if not role["grades"]:
            lines.append("  grade: not stated")
        for r in role["reports_to"]:
            dotted = " (dotted line)" if r["dotted"] else ""
            lines.append(f"  reports to {r['target']}{dotted} (line {r['line']}): {r['sentence']}")
        if not role["reports_to"]:
            lines.append("  reports to: not stated")
        lines.extend(_section_lines(role["sections"]))
    if data["family_sections"]:
        lines.append("\nfamily-wide sections (for every role without its own):")
        lines.extend(_section_lines(data["family_sections"]))
    for label in ("problems", "suspicions"):
        if data.get(label):
            lines.append(f"\n{label} ({len(data[label])}):")
            lines.extend(f"  {p}" for p in data[label])
    return "\n".join(lines)


def _section_lines(sections: list[dict]) -> list[str]:
    out = []
    for s in sections:
        out.append(f"  [{s['kind']}] {s['heading']} (line {s['line']}): {s['items']} item(s)")
        for source in s["inherits_from"]:
            out.append(f"      inherits from {source}")
        if "reason" in s:
            out.append(f"      why: {s['reason']}")
    return out
