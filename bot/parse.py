"""Read one job-family page into roles, sections and the facts stated about them.

Parsing runs in three stages, each its own module and tested on its own:

1. reading (:mod:`bot.page_read`): bytes, encoding, front matter, title, address, Markdown blocks;
2. structure (:mod:`bot.page_structure`, headings classified by :mod:`bot.page_headings`):
   headings into roles, groups and sections;
3. facts (:mod:`bot.page_facts`): grades, reports-to and "Extends that of ..." from the sentences.

Then a last pass (:func:`audit`) notes suspicions: what was read but is probably
not what the writer meant. Cross-page questions (which indexed role is "the
Director, Sales Operations"?) are left to the index, which sees every page.
This module keeps the names other code imports.
"""

from __future__ import annotations

from pathlib import Path

from bot.page_facts import read_facts
from bot.page_headings import HeadingKind, classify_heading
from bot.page_model import (
    DEFAULT_BASE_URL, ERROR, FAMILY_WIDE_KINDS, SECTION_KINDS, SUSPICION, ExtendsFact, GradeFact, Item, Page, Problem,
    ReportsFact, Role, Section,
)
from bot.page_read import family_name, page_url_for, read_page_text, read_source, split_front_matter
from bot.page_structure import build_structure, same_role_key

__all__ = [
    "DEFAULT_BASE_URL", "ERROR", "FAMILY_WIDE_KINDS", "SECTION_KINDS", "SUSPICION", "ExtendsFact", "GradeFact",
    "HeadingKind", "Item", "Page", "Problem", "ReportsFact", "Role", "Section", "audit", "classify_heading",
    "family_name", "page_url_for", "parse_page", "read_page_text", "same_role_key", "split_front_matter",
]

DOUBTFUL_SCORE = 100.0


def parse_page(path: Path, *, base_url: str = DEFAULT_BASE_URL, display_path: str | None = None,
               raw: bytes | None = None, raw_sha256: str = "") -> tuple[Page | None, list[Problem]]:
    """Parse one file (``raw``: its bytes, when the caller already read them; ``raw_sha256``: their
    SHA-256, when it hashed them too). Returns the page (None when nothing usable) and the
    problems found."""
    source = read_source(path, base_url=base_url, display_path=display_path, raw=raw, raw_sha256=raw_sha256)
    if isinstance(source, list):
        return None, source
    page = build_structure(source)
    read_facts(page)
    audit(page)
    return page, page.problems


def audit(page: Page) -> None:
    """Suspicions about a parsed page: headings not classified, roles with no facts, role names
    that look like section names. Each is worth a look by the page's owner, none is fatal."""
    for section in page.sections:
        if section.kind == "other":
            where = f"kept with '{section.owner}'" if section.owner else "kept for the family"
            page.suspect(section.line, f"heading '{section.heading}' is not a known kind of section; {where}")
    with_facts = {g.role for g in page.grades} | {r.role for r in page.reports} | {s.owner for s in page.sections if s.items}
    for role in page.roles.values():
        if role.name not in with_facts:
            page.suspect(role.line, f"role '{role.name}' has no grade, manager or section of its own")
        if not page.single_role and classify_heading(role.name) is not None:
            page.suspect(role.line, f"role name '{role.name}' looks like a section name")
    page.suspicions.sort(key=lambda p: (p.line, p.message))
