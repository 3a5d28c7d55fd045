"""Stage 2, structure: headings into roles, groups and sections, content into sections.

A page is walked once with a stack of the headings we are under. A heading
that names a kind of section (see :mod:`bot.page_headings`) opens a section of
the role above it, or of the role its words name; a heading that reads like a
job title opens a role; "X Levels"/"Specialties" open groups. Every section
records why it got its kind and owner, and doubtful calls become suspicions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

from bot.markdown import Block
from bot.names import bag, fold, key as name_key, norm
from bot.page_names import SPECIALTY_HEADING, clean_heading, in_specialty_group, is_level_only, looks_like_role, plain_level_variants, slug
from bot.page_headings import HeadingKind, classify_heading
from bot.page_model import Item, Page, Role, Section
from bot.page_read import Source

GROUP_HEADING = re.compile(
    r"(?:^|\s)(levels?|specialt(?:y|ies)|specialit(?:y|ies)|specializations?|job family|roles?|roles at gitlab)$"
    r"|^levels?\s+(?:for|of)\b",
    re.I,
)
MANAGEMENT_LEVEL = re.compile(r"^(?:(?:senior|sr\.?|associate)\s+)?(manager|director|vp|vice president|intern|head)$", re.I)
PARENTHESIS = re.compile(r"\s*\([^()]*\)\s*")
# A sub-heading of a hiring process is a step ("Recruiter Screening", "Call with the Director"),
# unless it is plainly a job title: a role written after the family's Hiring Process heading.
STEP_WORDS = re.compile(r"\b(with|interviews?|call|screen\w*|assessment|meet|chat|offer|stage|step|round|panel|exercise|"
                        r"reference|review|presentation|conversation|questionnaire|take[- ]home|\d)\b", re.I)
# Sections written once for the family even when they sit under the last role.
FAMILY_ONLY_KINDS = ("hiring_process", "performance_indicators", "career_ladder")
# Sections whose sub-headings that name no section are parts of them ("Requirements" > "Technical").
PART_KINDS = ("responsibilities", "requirements", "nice_to_have", "performance_indicators")
BOLD_HEADING_WORDS = 6
# A heading that names both kinds ("Responsibilities & Requirements"): the other kind, and its word.
BOTH_KINDS = {"responsibilities": ("requirements", re.compile(r"\brequirements?\b", re.I)),
              "requirements": ("responsibilities", re.compile(r"\bresponsibilit(?:y|ies)\b", re.I))}
TRAILING_REMARK = re.compile(r"^(.*?[A-Za-z)])((?:\s+[a-z][\w']*)+)$")
# compiled once, not looked up in re's cache on every call (every heading of every page)
PLURAL_S = re.compile(r"(?<=[a-z])s$")
LETTER_RUN = re.compile(r"[A-Za-z]+")
ACRONYM = re.compile(r"[A-Z]{2,6}")
TRAILING_BRACKETS = re.compile(r"\(([^()]*)\)\s*$")
LEVELS_OF = re.compile(r"^levels?\s+(?:for|of)\s+", re.I)
TRAILING_ROLES = re.compile(r"\s+roles?$", re.I)
IMPLIED_LEVEL = re.compile(r"\s*\((?:intermediate|associate)\)\s*$", re.I)
TRAILING_LEVEL = re.compile(r"\s+level$", re.I)
GENERIC_PREFIX_WORD = re.compile(r"(job|the|role|position|additional|general|our|key|core)", re.I)
JOINED_NAMES = re.compile(r"\s(?:and|&)\s")
JOB_GRADE = re.compile(r"\bjob\s+grade", re.I)
LEVELS_WORD = re.compile(r"\blevels?\b", re.I)
ALSO_REMARK = re.compile(r"\s*(?:will\s+)?also(?:\s+\w+)?")
FAMILY_WORDS = re.compile(r"\b(?:roles|family|families)\b", re.I)
GRADE_OR_LEVEL_WORD = re.compile(r"\b(?:grade|level)\b", re.I)


_NO_KIND = HeadingKind("", "", 0.0, "")


def in_order(part: list[str], whole: list[str]) -> bool:
    """Whether ``part`` is ``whole`` with some words left out, in the same order."""
    it = iter(whole)
    return bool(part) and all(word in it for word in part)


def singular_title(name: str) -> str:
    """"Senior Product Marketing Managers" -> "Senior Product Marketing Manager"."""
    return PLURAL_S.sub("", name.strip())


@dataclass
class _Frame:
    level: int
    kind: str  # role | group | section
    name: str
    role: str | None = None
    line: int = 1
    part_of: str | None = None  # a role heading inside the family's section of this kind: its text is that kind


def without_parenthesis(name: str) -> str:
    """"Staff X (Risk Manager)" -> "Staff X": the role without the words in brackets."""
    return PARENTHESIS.sub(" ", name).strip() or name


def is_sentence(words: list[str]) -> bool:
    """Bracketed words that read as a remark, not a title: several lowercase words."""
    return len(words) >= 4 and sum(1 for w in words if w.islower() and w not in ("and", "of", "the", "&", "for", "in")) >= 2


def is_acronym_of(short: str, name: str) -> bool:
    """"GMP" is the acronym of "Group Manager, Product": the initials of its words, in order."""
    initials = "".join(w[0] for w in LETTER_RUN.findall(name) if w.lower() not in ("of", "and", "the", "for", "to"))
    return bool(ACRONYM.fullmatch(short.strip())) and short.strip().lower() == initials.lower()


def role_name_of(heading: str) -> str:
    """A role heading as a role name: a remark in brackets is dropped, a title in brackets kept."""
    inner = TRAILING_BRACKETS.search(heading)
    if inner and is_sentence(inner.group(1).split()):
        return without_parenthesis(heading)
    return heading


def without_note(name: str) -> str:
    """The role without a bracketed note: another title ("(Risk Manager)") or a sentence
    ("(Staff level is only obtainable through career development)"). A specialty, region or
    level in brackets ("(Channel)", "(EMEA)") is part of the name and stays."""
    inner = TRAILING_BRACKETS.search(name)
    if not inner or is_level_only(inner.group(1)):
        return name
    if is_acronym_of(inner.group(1), without_parenthesis(name)):
        return without_parenthesis(name)  # "Group Manager, Product (GMP)"
    words = inner.group(1).split()
    if is_sentence(words) or looks_like_role(inner.group(1)) and len(words) <= 3:
        return without_parenthesis(name)
    return name


def same_role_key(name: str) -> str:
    """The key one role has on every page that describes it: "Widget Analyst" on its old page and
    "Widget Analyst (Intermediate)" on the family page, or "Staff X (Risk Manager)" and "Staff X",
    share it, so the index can tell the answer side they are the same role."""
    plain = next(iter(plain_level_variants(name)), name)
    return norm(without_note(plain))


def build_structure(source: Source) -> Page:
    """The page's roles and sections (no facts yet): stage 2 of parsing."""
    page = Page(
        path=source.path, title=source.title, family=source.family, url=source.url, sha256=source.sha256,
        description=source.description, problems=list(source.problems),
    )
    _StructureReader(page, source.blocks).read()
    return page


class _StructureReader:
    """Walks a page's blocks once, keeping a stack of the headings we are under."""

    def __init__(self, page: Page, blocks: list[Block]) -> None:
        self.page = page
        self.blocks = blocks
        self.stack: list[_Frame] = []
        self.section: Section | None = None
        self.last_role_frame: _Frame | None = None  # the most recent role heading, for flat pages
        self.role_headings: set[str] = set()  # keys of every heading that reads like a role
        self.specialty_groups: dict[int, str] = {}  # a specialty section's line -> the group it was under

    def read(self) -> None:
        headings = [clean_heading(b.text) for b in self.blocks if b.kind == "heading"]
        self.role_headings = {name_key(h) for h in headings if classify_heading(h) is None and looks_like_role(h)}
        for block in self.blocks:
            if block.kind == "heading":
                if block.level == 1 and not self.stack and fold(block.text).startswith(fold(self.page.family)[:12]):
                    continue  # an H1 repeating the title opens nothing
                self.on_heading(block)
            elif block.kind == "paragraph" and block.bold and self.bold_heading(block):
                continue
            else:
                self.on_content(block)
        self.finish()

    # --- the stack ---------------------------------------------------------

    def pop_to(self, level: int) -> None:
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()

    def current_role(self) -> str | None:
        for frame in reversed(self.stack):
            if frame.role:
                return frame.role
        return None

    def current_group(self) -> str:
        return " / ".join(f.name for f in self.stack if f.kind == "group")

    def in_specialties(self) -> bool:
        return any(SPECIALTY_HEADING.match(f.name) for f in self.stack if f.kind == "group")

    # --- roles -------------------------------------------------------------

    def add_role(self, name: str, line: int) -> str:
        """A role by name; "X" and "X (Intermediate)" on one page are one role."""
        wanted = name_key(name)
        wanted_plain = {name_key(v) for v in plain_level_variants(name)}
        for existing in self.page.roles.values():
            existing_keys = {name_key(existing.name)} | {name_key(a) for a in existing.aliases}
            if wanted in existing_keys or wanted_plain & {name_key(existing.name)}:
                if name != existing.name:
                    existing.aliases.add(name)
                return existing.name
        aliases = plain_level_variants(name)
        bare = without_note(name)
        if bare != name and looks_like_role(bare):
            aliases.add(bare)  # "Staff X (Risk Manager)": an other title in brackets; "X (Channel)" is a specialty
        self.page.roles[name] = Role(name=name, line=line, anchor=slug(name), group=self.current_group(), aliases=aliases)
        return name

    def find_role(self, name: str, threshold: float = 90) -> str | None:
        """A role of this page by (near-)identical name: headings and sentences disagree by typos."""
        wanted = name_key(name)
        if not wanted:
            return None
        best, best_score = None, 0.0
        words = wanted.count(" ")
        for role in self.page.roles.values():
            other = name_key(role.name)
            if other == wanted:
                return role.name
            for alias in role.aliases:
                if name_key(alias) == wanted:
                    return role.name
            # a typo changes letters, not words: "X (APAC)" is not "X (Japan)"; keys are words
            # joined by single spaces, so a different count of spaces is a different count of words
            if other.count(" ") != words or not typo_of(wanted, other):
                continue
            score = fuzz.ratio(wanted, other)
            if score > best_score:
                best, best_score = role.name, score
        # only when no role has the very name: most lookups end above, before these keys are made
        wanted_bag = bag(name)
        same_words = [r.name for r in self.page.roles.values() if bag(r.name) == wanted_bag or any(bag(a) == wanted_bag for a in r.aliases)]
        if len(same_words) == 1:
            return same_words[0]
        return best if best_score >= threshold else None

    def exact_role(self, name: str) -> str | None:
        """A role of this page whose name or alias is ``name`` word for word (after normalising)."""
        wanted = {name_key(name)} | {name_key(v) for v in plain_level_variants(name)}
        for role in self.page.roles.values():
            if name_key(role.name) in wanted or any(name_key(a) in wanted for a in role.aliases):
                return role.name
        return None

    def loose_role(self, name: str) -> str | None:
        """The one role of this page whose name holds every word of ``name`` ("Group Manager" for
        "Group Manager, Product (GMP)"), or None when none or several do."""
        words = set(name_key(name).split())
        fits = [r.name for r in self.page.roles.values() if words and words <= set(name_key(r.name).split())]
        return fits[0] if len(fits) == 1 else None

    def level_base(self) -> str:
        """The role a bare level heading is a level of: its "X Levels" group, the role above, or the family."""
        for frame in reversed(self.stack):
            if frame.kind == "group" and not SPECIALTY_HEADING.match(frame.name):
                stripped = LEVELS_OF.sub("", GROUP_HEADING.sub("", frame.name))
                stripped = TRAILING_ROLES.sub("", stripped.strip(" -–:"))
                if stripped:
                    return stripped
            if frame.kind == "role" and frame.role:
                return IMPLIED_LEVEL.sub("", frame.role)
        return self.page.family

    def level_role_name(self, heading: str) -> str:
        """"Senior" under "Sales Operations Analyst Levels" -> "Senior Sales Operations Analyst".

        The base loses its own level words first, so "Senior" under "Senior X" is
        "Senior X", never "Senior Senior X".
        """
        heading = TRAILING_LEVEL.sub("", heading.strip())  # "Senior level Requirements"
        base = self.level_base()
        words = base.split()
        while len(words) > 1 and is_level_only(words[0]):
            words = words[1:]
        return f"{heading} {' '.join(words)}"

    def management_role_name(self, heading: str) -> str:
        """"Manager" under the Recruiter levels -> "Manager, Recruiting" (the handbook's convention)."""
        return f"{heading}, {self.page.family}"

    def specialty_role(self) -> str | None:
        """A specialty heading ("### Channel") becomes a role once it has its own sections."""
        for frame in reversed(self.stack):
            if frame.kind == "role":
                return frame.role
            if frame.kind == "group" and not SPECIALTY_HEADING.match(frame.name) and self.in_specialties():
                frame.kind = "role"
                frame.role = self.add_role(f"{self.page.family} ({frame.name})", frame.line)
                for s in self.page.sections:  # the text under the specialty's heading is the new role's
                    if s.owner is None and s.line > frame.line and s.kind == "specialty" and s.heading == frame.name:
                        s.owner, s.kind, s.reason = frame.role, "overview", "text directly under the heading"
                return frame.role
        return None

    def owner_for_prefix(self, prefix: str, line: int, kind: str = "") -> tuple[str | None, bool, str]:
        """Who a "<prefix> Responsibilities" heading belongs to, whether it is family-wide, and why."""
        prefix = prefix.strip(" -–:,")
        current = self.current_role()
        if not prefix or GENERIC_PREFIX_WORD.fullmatch(prefix):
            owner = current or self.specialty_role()
            return owner, False, "under role" if owner else "before any role: family-wide"
        if kind in FAMILY_ONLY_KINDS and current is None and self.names_this_family(prefix):
            # "## Security Engineer Hiring Process" outside every role: the family's, even when a
            # level ("Intermediate Security Engineer") has the family's name as an alias
            return None, True, "role words name the family"
        if JOINED_NAMES.search(prefix) and not self.find_role(prefix):
            # "Coordinator and Intermediate Performance Indicators": shared by several levels
            return current, current is None, "shared by several levels"
        prefix_norm = norm(prefix)
        for frame in reversed(self.stack):
            names = (frame.name, without_note(frame.name))
            # (the cutoff: rapidfuzz stops early below it, the test is the same)
            if any(norm(n) == prefix_norm or fuzz.ratio(norm(n), prefix_norm, score_cutoff=92) >= 92 for n in names):
                if frame.role:
                    return frame.role, False, "role words name the role above"
                if frame.kind == "group" and self.in_specialties():
                    return self.specialty_role(), False, "specialty above"
        exact = self.exact_role(prefix)
        if exact:
            return exact, False, f"role words name role '{exact}'"
        if current and in_order(name_key(prefix).split(), name_key(current).split()) and name_key(prefix) not in self.role_headings:
            return current, False, "role words are part of the role above"
        existing = self.find_role(prefix) or self.find_role(without_note(prefix))
        if existing:
            return existing, False, f"role words name role '{existing}' (nearly)"
        if self.names_this_family(prefix):
            return None, True, "role words name the family"
        if name_key(prefix) in self.role_headings and looks_like_role(prefix):
            return self.add_role(prefix, line), False, "role words name a role heading elsewhere on the page"
        if is_level_only(prefix):
            return self.add_role(self.level_role_name(prefix), line), False, "level words: a level of the family"
        if current:
            if looks_like_role(prefix):
                self.page.suspect(line, f"heading names '{prefix}', which is not the role it sits under ('{current}'); kept with '{current}'")
            return current, False, f"words '{prefix}' name no role; kept with the role above"
        if looks_like_role(prefix):
            return self.add_role(prefix, line), False, "role words name a new role"
        return self.specialty_role(), False, "role words name no role"

    def names_this_family(self, words: str) -> bool:
        return any(names_the_family(name_key(words), name_key(name)) for name in (self.page.family, self.page.title))

    # --- headings ----------------------------------------------------------

    def on_heading(self, block: Block) -> None:
        heading = clean_heading(block.text)
        if not heading:
            return
        top = self.stack[-1] if self.stack else None
        if top and top.kind == "section" and block.level > top.level and self.section and self.section.kind == "hiring_process":
            if not (looks_like_role(heading) and not STEP_WORDS.search(heading) and not classify_heading(heading)):
                # "### Recruiter Screening" under "## Hiring Process" is a step, not a role
                self.section.items.append(Item(text=heading, line=block.line, kind="item", depth=0))
                return
        if (top and top.kind == "section" and block.level > top.level and self.section and self.section.kind in PART_KINDS
                and classify_heading(heading) is None and not looks_like_role(heading)):
            # "### General" / "### Technical" under "## Requirements": a part of that section, shown as its label
            self.section.items.append(Item(text=heading, line=block.line, kind="paragraph", depth=0))
            return
        found = classify_heading(heading)
        if (found and found.kind == "grade" and found.prefix and not (looks_like_role(found.prefix) or is_level_only(found.prefix))
                and not JOB_GRADE.search(heading)):
            found = None  # "Compensation grade" is not a job grade section
        if found:
            self.open_kind_section(block, heading, found)
            return
        if GROUP_HEADING.search(heading) or SPECIALTY_HEADING.match(heading):
            self.pop_to(block.level)
            self.stack.append(_Frame(block.level, "group", heading, None, block.line))
            self.section = None
            return
        self.pop_to(block.level)
        under_levels = any(f.kind == "group" and LEVELS_WORD.search(f.name) for f in self.stack)
        if is_level_only(heading) or (under_levels and MANAGEMENT_LEVEL.match(heading)):
            name = self.add_role(self.level_role_name(heading) if is_level_only(heading) else self.management_role_name(heading), block.line)
            self.push_role(block, heading, name)
            return
        if looks_like_role(heading):
            under_family_section = any(
                f.kind == "section" and f.role is None and (classify_heading(f.name) or _NO_KIND).kind in FAMILY_ONLY_KINDS
                for f in self.stack)
            known = self.exact_role(heading) or (self.loose_role(heading) if under_family_section else None)
            part_of = self.family_section_kind() if under_family_section and self.is_leaf_list(block) else None
            if known and under_family_section:
                # "### Group Manager" under the family's Performance Indicators: that role's part of it
                self.stack.append(_Frame(block.level, "role", heading, known, block.line, part_of))
                self.section = None
                return
            remark = TRAILING_REMARK.match(heading)
            if remark and (self.exact_role(remark.group(1)) or self.exact_role(singular_title(remark.group(1)))):
                # "Senior Product Marketing Managers also": text about that role, not a new one
                owner = self.exact_role(remark.group(1)) or self.exact_role(singular_title(remark.group(1)))
                self.stack.append(_Frame(block.level, "section", heading, owner, block.line))
                if ALSO_REMARK.fullmatch(remark.group(2)):
                    # "Senior Product Marketing Managers also": what they do beyond the family's duties
                    self.open_section("responsibilities", heading, block.line, owner, "role name + 'also': duties added to the family's", 90.0)
                else:
                    self.open_section("other", heading, block.line, owner, "role name followed by a remark: text of that role", 0.0)
                return
            self.push_role(block, heading, self.add_role(role_name_of(heading), block.line), part_of)
            return
        if self.in_specialties() and not self.current_role():
            self.stack.append(_Frame(block.level, "group", heading, None, block.line))
            self.section = None
            return
        owner = self.current_role() or self.sibling_role(block.level)
        reason = "not a known section name: text of the role above" if owner else "not a known section name, before any role"
        if owner and not self.current_role():
            reason = "not a known section name: text of the role heading before it at the same level"
        self.stack.append(_Frame(block.level, "section", heading, owner, block.line))
        self.open_section("other", heading, block.line, owner, reason, 0.0)

    def push_role(self, block: Block, heading: str, name: str, part_of: str | None = None) -> None:
        frame = _Frame(block.level, "role", heading, name, block.line, part_of)
        self.stack.append(frame)
        self.last_role_frame = frame
        self.section = None

    def is_leaf_list(self, heading: Block) -> bool:
        """A heading with no heading under it whose text starts with a list: a role's part of a
        family section ("### Legal Counsel (Commercial)" and its indicators), not a role's own part of
        the page that a heading level too high happens to put inside one ("### Senior Analyst", a
        sentence about its grade, then its "### Responsibilities")."""
        at = self.blocks.index(heading)
        for block in self.blocks[at + 1:]:
            if block.kind == "heading":
                return False
            return block.kind == "item"
        return False

    def family_section_kind(self) -> str | None:
        """The kind of the family-wide section we are inside ("## Performance Indicators"), if any."""
        for frame in reversed(self.stack):
            if frame.kind == "section" and frame.role is None:
                found = classify_heading(frame.name)
                if found and found.kind in FAMILY_ONLY_KINDS:
                    return found.kind
        return None

    def sibling_role(self, level: int) -> str | None:
        """On flat pages ("## Senior X", "## Responsibilities", "## Requirements") the sections
        that follow a role heading at its own level are that role's, until the next role."""
        frame = self.last_role_frame
        if frame is None or frame.level != level:
            return None
        if any(f.level < level and f.line > frame.line for f in self.stack):
            return None  # a higher heading came in between: we left the role
        return frame.role

    def open_kind_section(self, block: Block, heading: str, found: HeadingKind) -> None:
        self.pop_to(block.level)
        owner, family_wide, why = self.owner_for_prefix(found.prefix, block.line, found.kind)
        if owner is None and not family_wide and not found.prefix and found.kind not in FAMILY_ONLY_KINDS:
            sibling = self.sibling_role(block.level)
            if sibling:
                owner, why = sibling, "after the role heading at the same level (flat page)"
        if family_wide:
            owner = None
        self.stack.append(_Frame(block.level, "section", heading, owner, block.line))
        self.open_section(found.kind, heading, block.line, owner, f"{found.reason}; {why}", found.score)
        other = BOTH_KINDS.get(found.kind)
        if other and other[1].search(heading) and owner and not any(s.owner == owner and s.kind == other[0] for s in self.page.sections):
            # "Associate Solutions Architect Responsibilities & Requirements": one list, both sections
            twin = Section(kind=other[0], heading=heading, line=block.line, owner=owner, anchor=slug(heading),
                           reason=f"the heading names {other[0]} too", score=found.score)
            twin.items = self.section.items  # the same list: what follows the heading is in both
            self.page.sections.append(twin)

    def bold_heading(self, block: Block) -> bool:
        """A short bold paragraph naming a section ("**Requirements**") is used as a heading."""
        text = clean_heading(block.text)
        if len(text.split()) > BOLD_HEADING_WORDS:
            return False
        found = classify_heading(text)
        if not found or found.prefix and not self.find_role(found.prefix):
            return False
        level = (self.stack[-1].level + 1) if self.stack else 2
        owner = self.current_role() or self.sibling_role(level - 1)
        self.stack.append(_Frame(level, "section", text, owner, block.line))
        self.open_section(found.kind, text, block.line, owner, f"bold paragraph used as a heading; {found.reason}", found.score)
        return True

    def open_section(self, kind: str, heading: str, line: int, owner: str | None, reason: str = "", score: float = 100.0) -> None:
        self.section = Section(kind=kind, heading=heading, line=line, owner=owner, anchor=slug(heading), reason=reason, score=score)
        self.page.sections.append(self.section)

    def on_content(self, block: Block) -> None:
        if self.section is None:
            owner = self.current_role()
            top = self.stack[-1] if self.stack else None
            heading = top.name if top else self.page.title
            if top and top.kind == "group" and not SPECIALTY_HEADING.match(top.name) and self.in_specialties():
                # "### Domestic" under "## Specialties": a kind of the work, a role only once it has
                # sections of its own (specialty_role makes it one then, and its text an overview)
                kind, reason = "specialty", "text under a specialty heading"
                self.specialty_groups[block.line] = self.current_group()
            elif top and top.kind == "group" and SPECIALTY_HEADING.match(top.name) and block.kind == "item" and not owner:
                # "## Functional Specialties" and a list: the specialties, one an item
                kind, reason = "specialty", "a list under a specialties heading"
            elif top and top.kind == "role" and top.part_of:
                # "### Legal Counsel (Commercial)" under "## Performance Indicators": that role's indicators
                kind, reason = top.part_of, f"text under a role heading inside the family's {top.part_of} section"
            else:
                kind, reason = "overview", "text directly under the heading"
            self.section = Section(kind=kind, heading=heading, line=block.line, owner=owner,
                                   anchor=slug(heading) if self.stack else "", reason=reason)
            self.page.sections.append(self.section)
        kind = block.kind
        # positional: the same Item, without keyword matching for every item of every page
        self.section.items.append(Item(block.text, block.line, kind if kind != "heading" else "paragraph", block.depth, block.number))

    # --- the end -------------------------------------------------------------

    def finish(self) -> None:
        page = self.page
        self.add_title_role()
        if not page.roles:
            page.single_role = True
            name = page.title.strip()
            page.roles[name] = Role(name=name, line=1, anchor="")
            for section in page.sections:
                section.owner = name
        self.attach_specialty_texts()
        page.sections = [s for s in page.sections if s.items or s.kind == "grade"]
        self.split_grade_sections()
        self.lift_family_sections()

    def attach_specialty_texts(self) -> None:
        """A specialty described under "## Specialties" ("### Product and Privacy") that the page
        makes a role elsewhere ("### Legal Counsel (Privacy and Product)" under its Performance
        Indicators): the description is that role's text, so "what does the legal counsel, product
        and privacy do" quotes it."""
        by_note: dict[str, str] = {}
        for role in self.page.roles.values():
            inner = TRAILING_BRACKETS.search(role.name)
            if inner:
                by_note.setdefault(bag(inner.group(1)), role.name)
        if not by_note:
            return
        for s in self.page.sections:
            if s.owner is None and s.kind == "specialty":
                owner = by_note.get(bag(s.heading))
                if owner:
                    s.owner, s.kind, s.reason = owner, "overview", "a specialty's text: the role named for it"
                    self.page.roles[owner].group = self.specialty_groups.get(s.line, self.page.roles[owner].group)

    def add_title_role(self) -> None:
        """A page titled with a job title ("Technical Marketing Manager") whose headings only add
        levels or specialties ("Senior", "X (Public Sector)") and whose top sections describe the
        title itself: the title is a role of the page too, and the family's sections are its own."""
        page = self.page
        title = page.family
        if not page.roles or not looks_like_role(title) or self.find_role(title) or FAMILY_WORDS.search(title):
            return
        first_role = min(r.line for r in page.roles.values())
        top = {s.kind for s in page.sections if s.owner is None and s.line < first_role and s.items}
        if not top & {"responsibilities", "requirements", "grade", "other"}:
            return
        title_words = set(name_key(title).split())
        short = [r for r in page.roles.values() if not self.holds_title(r, title_words)]
        if not all(self.short_level_of(r, title_words) for r in short):
            return  # the roles are not levels or specialties of the title: it names the family
        for role in short:  # "Staff Engineer" on the Service Engineer page is also "Staff Service Engineer"
            levels = [w for w in role.name.split() if is_level_only(w)]
            if levels:
                role.aliases.add(f"{' '.join(levels)} {title}")
        page.roles = {title: Role(name=title, line=1, anchor="", group=""), **page.roles}
        page.title_role = title

    @staticmethod
    def holds_title(role: Role, title_words: set[str]) -> bool:
        """A role that is the title with a level or specialty added ("Senior Service Engineer"), or
        a specialty filed under one."""
        return title_words <= set(name_key(role.name).split()) or in_specialty_group(role.group)

    @staticmethod
    def short_level_of(role: Role, title_words: set[str]) -> bool:
        """A level of the title written short ("Staff Engineer" on the Service Engineer page): its
        words other than levels are some of the title's, and it has a level."""
        words = set(name_key(role.name).split())
        plain = {w for w in words if not is_level_only(w)}
        return bool(plain) and plain < title_words and len(plain) < len(words)

    def split_grade_sections(self) -> None:
        """A Job Grade heading over a list of duties (the writer forgot a heading): the grade
        stays a grade section, the list becomes the role's own text under that heading."""
        out: list[Section] = []
        for s in self.page.sections:
            out.append(s)
            if s.kind != "grade":
                continue
            others = [i for i in s.items if i.kind == "item" and not GRADE_OR_LEVEL_WORD.search(i.text)]
            if len(others) < 2:
                continue
            s.items = [i for i in s.items if i not in others]
            out.append(Section(kind="other", heading=s.heading, line=others[0].line, owner=s.owner, anchor=s.anchor,
                               items=others, reason="a list under a Job Grade heading: the role's text, not its grade", score=0.0))
        self.page.sections = out

    def lift_family_sections(self) -> None:
        """A Hiring Process or Performance Indicators section under the last role, when no other
        role has one, was written for the family: the page's other roles need it just as much."""
        page = self.page
        if page.single_role or len(page.roles) < 2:
            return
        last_role = list(page.roles)[-1]
        for kind in FAMILY_ONLY_KINDS:
            owned = [s for s in page.sections if s.kind == kind]
            if not owned or any(s.owner is None for s in owned) or {s.owner for s in owned} != {last_role}:
                continue
            for s in owned:
                if s.owner == last_role and not self.names_role_in_heading(s.heading):
                    s.owner = None
                    s.reason += "; the only one on the page, under the last role: family-wide"

    @staticmethod
    def names_role_in_heading(heading: str) -> bool:
        found = classify_heading(heading)
        return bool(found and found.role_first)


def names_the_family(prefix: str, family: str) -> bool:
    """"Backend Engineer" names the "Backend Engineering" family; "... Engineer (EMEA)" does not
    name "... Engineering Roles": word for word, each a typo or a stem of the other."""
    left, right = prefix.split(), family.split()
    if right and right[-1] == "role":
        right = right[:-1]
    return len(left) == len(right) > 0 and all(
        x == y or x.startswith(y) or y.startswith(x) or DamerauLevenshtein.normalized_similarity(x, y) >= 0.75
        for x, y in zip(left, right)
    )


@lru_cache(maxsize=65536)
def typo_of(a: str, b: str) -> bool:
    """Two normalised names that differ only by misspellings, word for word ("operatios" ~ "operations")."""
    left, right = a.split(), b.split()
    return len(left) == len(right) and all(
        x == y or DamerauLevenshtein.normalized_similarity(x, y) >= 0.75 for x, y in zip(left, right)
    )
