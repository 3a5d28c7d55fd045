"""Read one job-family page into roles, sections and the facts stated about them.

Pages are written by people and disagree with each other in structure, so the
parser reads them the way a recruiter would: a heading that names a role opens
that role; "<Role> Responsibilities" belongs to <Role> wherever it sits; bare
"Senior" is named from its family; sections at the top of a family page apply
to every role of it. Facts (grades, reports-to, "Extends that of ...") are
read from the sentences themselves, because the same fact is phrased in many
ways. Cross-page questions (which indexed role is "the Director, Sales
Operations"?) are left to the index, which sees every page.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

from bot.markdown import Block, parse_blocks
from bot.names import bag, clean_heading, key as name_key, fold, is_level_only, looks_like_role, norm, plain_level_variants, slug

DEFAULT_BASE_URL = "https://about.gitlab.com"

# Section kinds a question can ask for; "overview" is text directly under a role heading.
SECTION_KINDS = (
    "responsibilities",
    "requirements",
    "nice_to_have",
    "grade",
    "hiring_process",
    "performance_indicators",
    "career_ladder",
    "overview",
    "other",
)
FAMILY_WIDE_KINDS = ("hiring_process", "performance_indicators", "career_ladder", "responsibilities", "requirements")

_KIND_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("nice_to_have", re.compile(r"\bnice[\s-]*to[\s-]*haves?\b.*$", re.I)),
    ("responsibilities", re.compile(r"\b(?:job\s+)?(?:responsib\w*|responsibilties|duties|what you('|’)?ll do|what you will do)\b(?P<rest>.*)$|^as an? .{1,60}? you will$"
        r"|^what you can expect\b.*$|^(?:in this role|on this team),? you(?:'ll| will)\b.*$", re.I)),
    ("requirements", re.compile(
        r"\b(?:requirements?|qualifications|what you('|’)?ll need|what you bring|about you|who you are|ideal candidate)\b(?P<rest>.*)$"
        r"|^you (?:may|might|could|would|will) be a (?:good |great )?fit\b.*$|^you should apply if\b.*$", re.I)),
    ("grade", re.compile(r"\b(?:job\s+)?grades?\b(?P<rest>.*)$", re.I)),
    ("hiring_process", re.compile(r"\b(?:hiring|interview(?:ing)?|recruiting)\s+process\b(?P<rest>.*)$", re.I)),
    ("performance_indicators", re.compile(r"\b(?:performance\s+indicators?|kpis?)\b(?P<rest>.*)$", re.I)),
    ("career_ladder", re.compile(r"\bcareer\s+(?:ladder|path|progression)\b(?P<rest>.*)$", re.I)),
]
GROUP_HEADING = re.compile(
    r"(?:^|\s)(levels?|specialt(?:y|ies)|specialit(?:y|ies)|specializations?|job family|roles?|roles at gitlab)$"
    r"|^levels?\s+(?:for|of)\b",
    re.I,
)
SPECIALTIES = re.compile(r"^(?:.*\s)?(specialt(?:y|ies)|specialit(?:y|ies)|specializations?)$", re.I)
MANAGEMENT_LEVEL = re.compile(r"^(?:(?:senior|sr\.?|associate)\s+)?(manager|director|vp|vice president|intern|head)$", re.I)
TITLE_SUFFIX = re.compile(
    r"(\s*[-–:]?\s*(job\s+family|job\s+families|roles(\s+at\s+gitlab)?|job\s+description))+\s*$",
    re.I,
)

GRADE_SENTENCE = re.compile(
    r"(?P<subj>[^.;!?|]*?)\s+(?:role\s+)?(?:is|are)\s+(?:a|an)?\s*(?:job\s+)?\[?\s*grade\s*(?P<n>\d{1,2})\b",
    re.I,
)
PLAIN_GRADE = re.compile(r"\bgrade\s*(?P<n>\d{1,2})\b", re.I)
REPORTS_SENTENCE = re.compile(
    r"(?P<subj>[^.;!?]*?)\b(?:reports|report|reporting)\s+(?:directly\s+)?(?:in)?to\s+(?P<obj>[^.;!?]+)",
    re.I,
)
EXTENDS_ITEM = re.compile(
    r"^\s*extends?\s+(?:that\s+of\s+)?(?:the\s+)?"
    r"(?:(?P<k1>responsibilities|requirements)\s+of\s+(?:the\s+)?)?"
    r"(?P<x>.+?)"
    r"(?:\s+(?P<k2>responsibilit\w*|requirements?))?"
    r"(?:\s+(?:in|with|by)\b.*|,?\s*plus\b.*)?[\s.:;,]*$",
    re.I,
)
LINK_MD = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")
SELF_SUBJECTS = re.compile(
    r"^(you|this role|the role|this position|the position|this person|this individual|"
    r"this team member|the team member|they|he|she|it|the candidate|this job|who)?$",
    re.I,
)
ABBREVIATION_DOT = re.compile(r"\b(Sr|Jr|Snr|Mgr|Assoc|Dir|Mr|Ms|Mrs|Dr|St|vs|Inc|Co|Corp|Ltd|No|Sen)\.")
DOT_STANDIN = "\u2024"  # ONE DOT LEADER: looks like a period, is not a sentence end
LINK_STANDIN = re.compile("\x01(\\d+)\x02")
OTHER_PEOPLE_SUBJECT = re.compile(r"\b(who|that|which|people|ics|reports|team members|managers)\s*$", re.I)
PRONOUN_OBJECT = re.compile(r"^(them|you|him|her|me|us|it|whom|each other)\b", re.I)


@dataclass
class Problem:
    """Something wrong with a page, reported with its file and line; never fatal."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Item:
    """One list item or paragraph, in page order; ``depth`` nests, ``number`` numbers."""

    text: str
    line: int
    kind: str = "item"  # item | paragraph | row
    depth: int = 0
    number: int | None = None


@dataclass
class Section:
    """A titled run of content owned by one role, or by the whole family when ``owner`` is None."""

    kind: str
    heading: str
    line: int
    owner: str | None
    anchor: str
    items: list[Item] = field(default_factory=list)


@dataclass
class Role:
    """A job title the page defines, with the heading that introduced it."""

    name: str
    line: int
    anchor: str
    group: str = ""
    aliases: set[str] = field(default_factory=set)


@dataclass
class GradeFact:
    role: str
    grade: int
    line: int
    sentence: str


@dataclass
class ReportsFact:
    role: str
    target: str
    target_url: str
    line: int
    sentence: str


@dataclass
class ExtendsFact:
    """``role``'s ``kind`` section says it extends ``target``'s ``target_kind`` section."""

    role: str | None
    kind: str
    target: str
    target_kind: str
    line: int
    text: str


@dataclass
class Page:
    """Everything one file says, ready to be written to the index."""

    path: str
    title: str
    family: str
    url: str
    sha256: str
    description: str = ""
    roles: dict[str, Role] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    grades: list[GradeFact] = field(default_factory=list)
    reports: list[ReportsFact] = field(default_factory=list)
    extends: list[ExtendsFact] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    single_role: bool = False


def page_url_for(path: Path, base_url: str, meta: dict[str, object]) -> str:
    """The page's handbook address: front matter ``url``/``permalink``, else from the file name.

    Files are named like the corpus (``sales--sales-operations.md`` for
    ``/job-families/sales/sales-operations/``; a ``jobs--`` prefix for the old
    ``/jobs/`` pages), so the name alone gives the address.
    """
    for key in ("url", "permalink"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            url = value.strip()
            return url if url.startswith("http") else base_url.rstrip("/") + "/" + url.lstrip("/")
    stem = path.name
    for suffix in (".html.md.erb", ".html.md", ".md.erb", ".md", ".markdown", ".txt"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    parts = [p for p in stem.split("--") if p]
    if parts and parts[0] == "jobs":
        return f"{base_url.rstrip('/')}/jobs/{'/'.join(parts[1:])}/"
    return f"{base_url.rstrip('/')}/job-families/{'/'.join(parts)}/"


def family_name(title: str) -> str:
    """"Sales Operations Roles" -> "Sales Operations"; the family a page's roles belong to."""
    name = TITLE_SUFFIX.sub("", title.strip()).strip(" -–:")
    return name or title.strip()


def _line_of_offset(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_page_text(path: Path, problems: list[Problem]) -> str | None:
    """Decode a page, reporting (not failing on) binary content and invalid UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(str(path), 1, f"cannot read file: {exc.strerror or exc}"))
        return None
    if b"\x00" in raw[:8192]:
        problems.append(Problem(str(path), 1, "binary file, not a Markdown page"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(Problem(str(path), line, "invalid UTF-8; undecodable bytes were replaced"))
        text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        problems.append(Problem(str(path), 1, "empty page"))
        return None
    return text


FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?)(?:\r?\n)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


def split_front_matter(path: Path, text: str, problems: list[Problem]) -> tuple[dict[str, object], str, int]:
    """Front matter (via python-frontmatter) and body, plus how many lines the front matter took.

    Broken YAML is reported with its line and the body is still read, with the
    title salvaged from a ``title:`` line when possible: one bad key must not
    lose a page of content.
    """
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text, 0
    offset = _line_of_offset(text, match.end()) - 1
    body = text[match.end():]
    try:
        post = frontmatter.loads(text)
        meta = dict(post.metadata)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        last_yaml_line = offset - 1  # the line before the closing ---
        line = min(mark.line + 2, last_yaml_line) if mark is not None else 2
        reason = getattr(exc, "problem", None) or "invalid YAML"
        problems.append(Problem(str(path), line, f"front matter is not valid YAML ({reason})"))
        title = re.search(r"^title:\s*[\"']?(.*?)[\"']?\s*$", match.group("yaml"), re.M)
        meta = {"title": title.group(1)} if title else {}
    except Exception as exc:  # python-frontmatter raises plain errors for odd input
        problems.append(Problem(str(path), 2, f"front matter unreadable: {exc}"))
        meta = {}
    if not isinstance(meta, dict):
        problems.append(Problem(str(path), 2, "front matter is not a mapping"))
        meta = {}
    return meta, body, offset


def parse_page(path: Path, *, base_url: str = DEFAULT_BASE_URL, display_path: str | None = None) -> tuple[Page | None, list[Problem]]:
    """Parse one file. Returns the page (None when nothing usable) and the problems found."""
    shown = display_path or str(path)
    problems: list[Problem] = []
    text = read_page_text(path, problems)
    for p in problems:
        p.path = shown
    if text is None:
        return None, problems
    if not FRONT_MATTER.match(text):
        # handbook pages always start with front matter; a README or notes file does not
        problems.append(Problem(shown, 1, "no front matter (---/title/---): not a job page, skipped"))
        return None, problems
    meta, body, offset = split_front_matter(Path(shown), text, problems)
    url = page_url_for(path, base_url, meta)
    try:
        blocks = parse_blocks(body, base_url=base_url, page_url=url, line_offset=offset)
    except Exception as exc:  # markdown-it is robust; this is a last line of defence
        problems.append(Problem(shown, offset + 1, f"Markdown could not be parsed: {exc}"))
        return None, problems
    title = meta.get("title")
    title = str(title).strip() if title is not None else ""
    if not title:
        first_h1 = next((b for b in blocks if b.kind == "heading" and b.level == 1 and b.text.strip()), None)
        problems.append(
            Problem(shown, 1, "no title in front matter" + (f"; using heading '{first_h1.text}'" if first_h1 else "; page skipped"))
        )
        if first_h1 is None:
            return None, problems
        title = first_h1.text
    page = Page(
        path=shown,
        title=title,
        family=family_name(title),
        url=url,
        sha256=hashlib.sha256(text.encode("utf-8", "replace")).hexdigest(),
        description=str(meta.get("description") or ""),
        problems=problems,
    )
    _PageReader(page, blocks).read()
    return page, page.problems


@dataclass
class _Frame:
    level: int
    kind: str  # role | group | section
    name: str
    role: str | None = None
    line: int = 1


class _PageReader:
    """Walks a page's blocks once, keeping a stack of the headings we are under."""

    def __init__(self, page: Page, blocks: list[Block]) -> None:
        self.page = page
        self.blocks = blocks
        self.stack: list[_Frame] = []
        self.section: Section | None = None

    # --- structure -------------------------------------------------------

    def read(self) -> None:
        for block in self.blocks:
            if block.kind == "heading":
                if block.level == 1 and not self.stack and fold(block.text).startswith(fold(self.page.family)[:12]):
                    continue  # an H1 repeating the title opens nothing
                self.on_heading(block)
            else:
                self.on_content(block)
        self.finish()

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
        return any(SPECIALTIES.match(f.name) for f in self.stack if f.kind == "group")

    def add_role(self, name: str, line: int) -> str:
        wanted = name_key(name)
        for existing in self.page.roles.values():
            if name_key(existing.name) == wanted:
                return existing.name
        self.page.roles[name] = Role(name=name, line=line, anchor=slug(name), group=self.current_group(),
                                     aliases=plain_level_variants(name))
        return name

    def find_role(self, name: str, threshold: float = 90) -> str | None:
        """A role of this page by (near-)identical name: headings and sentences disagree by typos."""
        wanted, wanted_bag = name_key(name), bag(name)
        if not wanted:
            return None
        same_words = [r.name for r in self.page.roles.values() if bag(r.name) == wanted_bag or any(bag(a) == wanted_bag for a in r.aliases)]
        best, best_score = None, 0.0
        for role in self.page.roles.values():
            other = name_key(role.name)
            if other == wanted or any(name_key(a) == wanted for a in role.aliases):
                return role.name
            if not typo_of(wanted, other):
                continue  # a typo changes letters, not words: "X (APAC)" is not "X (Japan)"
            score = fuzz.ratio(wanted, other)
            if score > best_score:
                best, best_score = role.name, score
        if len(same_words) == 1:
            return same_words[0]
        return best if best_score >= threshold else None

    def level_base(self) -> str:
        """The role a bare level heading is a level of: its "X Levels" group, the role above, or the family."""
        for frame in reversed(self.stack):
            if frame.kind == "group" and not SPECIALTIES.match(frame.name):
                stripped = re.sub(r"^levels?\s+(?:for|of)\s+", "", GROUP_HEADING.sub("", frame.name), flags=re.I)
                stripped = re.sub(r"\s+roles?$", "", stripped.strip(" -–:"), flags=re.I)
                if stripped:
                    return stripped
            if frame.kind == "role" and frame.role:
                return re.sub(r"\s*\((?:intermediate|associate)\)\s*$", "", frame.role, flags=re.I)
        return self.page.family

    def level_role_name(self, heading: str) -> str:
        """"Senior" under "Sales Operations Analyst Levels" -> "Senior Sales Operations Analyst"."""
        return f"{heading} {self.level_base()}"

    def management_role_name(self, heading: str) -> str:
        """"Manager" under the Recruiter levels -> "Manager, Recruiting" (the handbook's convention)."""
        return f"{heading}, {self.page.family}"

    def specialty_role(self) -> str | None:
        """A specialty heading ("### Channel") becomes a role once it has its own sections."""
        for frame in reversed(self.stack):
            if frame.kind == "role":
                return frame.role
            if frame.kind == "group" and not SPECIALTIES.match(frame.name) and self.in_specialties():
                frame.kind = "role"
                frame.role = self.add_role(f"{self.page.family} ({frame.name})", frame.line)
                return frame.role
        return None

    def owner_for_prefix(self, prefix: str, line: int) -> tuple[str | None, bool]:
        """Who a "<prefix> Responsibilities" heading belongs to; second value: family-wide."""
        prefix = prefix.strip(" -–:,")
        if not prefix or re.fullmatch(r"(job|the|role|position|additional|general|our|key|core)", prefix, re.I):
            return self.current_role() or self.specialty_role(), False
        if re.search(r"\s(?:and|&)\s", prefix) and not self.find_role(prefix):
            # "Coordinator and Intermediate Performance Indicators": shared by several levels
            return self.current_role(), self.current_role() is None
        current = self.current_role()
        for frame in reversed(self.stack):
            if norm(frame.name) == norm(prefix) or fuzz.ratio(norm(frame.name), norm(prefix)) >= 92:
                if frame.role:
                    return frame.role, False
                if frame.kind == "group" and self.in_specialties():
                    return self.specialty_role(), False
        existing = self.find_role(prefix)
        if existing:
            return existing, False
        if any(names_the_family(name_key(prefix), name_key(name)) for name in (self.page.family, self.page.title)):
            return None, True  # "Backend Engineer Performance Indicators" on the Backend Engineering page
        if is_level_only(prefix):
            return self.add_role(self.level_role_name(prefix), line), False
        if looks_like_role(prefix):
            return self.add_role(prefix, line), False
        return current or self.specialty_role(), False

    def on_heading(self, block: Block) -> None:
        heading = clean_heading(block.text)
        if not heading:
            return
        top = self.stack[-1] if self.stack else None
        if top and top.kind == "section" and block.level > top.level and self.section and self.section.kind == "hiring_process":
            # "### Recruiter Screening" under "## Hiring Process" is a step, not a role
            self.section.items.append(Item(text=heading, line=block.line, kind="item", depth=0))
            return
        kind, prefix = match_kind(heading)
        if kind:
            self.pop_to(block.level)
            owner, family_wide = self.owner_for_prefix(prefix, block.line)
            if family_wide:
                owner = None
            self.stack.append(_Frame(block.level, "section", heading, owner, block.line))
            self.open_section(kind, heading, block.line, owner)
            return
        if GROUP_HEADING.search(heading) or SPECIALTIES.match(heading):
            self.pop_to(block.level)
            self.stack.append(_Frame(block.level, "group", heading, None, block.line))
            self.section = None
            return
        self.pop_to(block.level)
        under_levels = any(f.kind == "group" and re.search(r"\blevels?\b", f.name, re.I) for f in self.stack)
        if is_level_only(heading) or (under_levels and MANAGEMENT_LEVEL.match(heading)):
            if is_level_only(heading):
                name = self.add_role(self.level_role_name(heading), block.line)
            else:
                name = self.add_role(self.management_role_name(heading), block.line)
            self.stack.append(_Frame(block.level, "role", heading, name, block.line))
            self.section = None
            return
        if looks_like_role(heading):
            name = self.add_role(heading, block.line)
            self.stack.append(_Frame(block.level, "role", heading, name, block.line))
            self.section = None
            return
        if self.in_specialties() and not self.current_role():
            self.stack.append(_Frame(block.level, "group", heading, None, block.line))
            self.section = None
            return
        owner = self.current_role()
        self.stack.append(_Frame(block.level, "section", heading, owner, block.line))
        self.open_section("other", heading, block.line, owner)

    def open_section(self, kind: str, heading: str, line: int, owner: str | None) -> None:
        self.section = Section(kind=kind, heading=heading, line=line, owner=owner, anchor=slug(heading))
        self.page.sections.append(self.section)

    def on_content(self, block: Block) -> None:
        if self.section is None:
            owner = self.current_role()
            heading = self.stack[-1].name if self.stack else self.page.title
            kind = "overview"
            self.section = Section(kind=kind, heading=heading, line=block.line, owner=owner,
                                   anchor=slug(heading) if self.stack else "")
            self.page.sections.append(self.section)
        self.section.items.append(
            Item(text=block.text, line=block.line, kind=block.kind if block.kind != "heading" else "paragraph",
                 depth=block.depth, number=block.number)
        )

    # --- facts -------------------------------------------------------------

    def finish(self) -> None:
        page = self.page
        if not page.roles:
            page.single_role = True
            name = page.title.strip()
            page.roles[name] = Role(name=name, line=1, anchor="")
            for section in page.sections:
                section.owner = name
        self.page.sections = [s for s in page.sections if s.items or s.kind == "grade"]
        for section in page.sections:
            for item in section.items:
                self.read_grades(section, item)
                self.read_reports(section, item)
                self.read_extends(section, item)

    def resolve_subject(self, subject: str, fallback: str | None) -> str | None:
        subject = LINK_MD.sub(r"\1", subject)
        subject = re.sub(r"^\s*(the|our|a|an)\s+", "", subject.strip(), flags=re.I)
        subject = re.sub(r"\s+(role|position)$", "", subject, flags=re.I).strip(" ,")
        if self.page.single_role:
            only = next(iter(self.page.roles))
            if subject and not SELF_SUBJECTS.match(subject) and looks_like_role(subject):
                if norm(subject) != norm(only):
                    self.page.roles[only].aliases.add(subject)
            return only
        if not subject or SELF_SUBJECTS.match(subject):
            return fallback
        return self.find_role(subject, threshold=85) or fallback

    def read_grades(self, section: Section, item: Item) -> None:
        if "grade" not in item.text.lower():
            return  # cheap test first: the sentence patterns are costly on long paragraphs
        text, links = shield(LINK_MD.sub(r"\1", item.text))
        if item.kind == "row" and PLAIN_GRADE.search(text):
            cells = [unshield(c, links).strip() for c in text.split(" | ")]
            grade_cell = next((c for c in cells if PLAIN_GRADE.fullmatch(c.strip()) or re.fullmatch(r"grade\s*\d{1,2}", c, re.I)), None)
            name_cell = next((c for c in cells if c and not PLAIN_GRADE.search(c)), None)
            if grade_cell and name_cell:
                n = int(PLAIN_GRADE.search(grade_cell).group("n"))
                name = name_cell
                role = self.find_role(name, 85)
                if role is None and is_level_only(name):
                    role = self.find_role(self.level_role_name(name), 85) or self.find_role(f"{name} {self.page.family}", 80)
                if role:
                    self.add_grade(role, n, item)
            return
        found = False
        for match in GRADE_SENTENCE.finditer(text):
            found = True
            n = int(match.group("n"))
            subject = unshield(match.group("subj").strip(), links)
            owner = section.owner if section.kind == "grade" else None
            # "The A & B are a grade 7": two roles, if both parts name one ("Learning & Development
            # Manager" is one role whose name has an "&", and its parts name none).
            parts = re.split(r"\s+(?:&|and)\s+|\s*,\s+(?=the\b)", LINK_MD.sub(r"\1", subject))
            split = [self.resolve_subject(p, None) for p in parts] if len(parts) > 1 else []
            if split and all(split):
                names = [r for r in split if r]
            else:
                whole = self.resolve_subject(subject, None)
                names = [whole] if whole else []
            if owner and (len(names) <= 1) and owner not in names:
                names = [owner]
            if not names and section.owner:
                names = [section.owner]
            for name in dict.fromkeys(names):
                self.add_grade(name, n, item)
        if not found and section.kind == "grade" and section.owner:
            plain = PLAIN_GRADE.search(text)
            if plain:
                self.add_grade(section.owner, int(plain.group("n")), item)

    def add_grade(self, role: str, grade: int, item: Item) -> None:
        if any(g.role == role and g.grade == grade for g in self.page.grades):
            return
        self.page.grades.append(GradeFact(role, grade, item.line, LINK_MD.sub(r"\1", item.text)))

    def read_reports(self, section: Section, item: Item) -> None:
        if "report" not in item.text.lower():
            return
        text, links = shield(item.text)
        for match in REPORTS_SENTENCE.finditer(text):
            subject = re.sub(r"\s+(will|shall|would|directly|currently|also|to)\s*$", "", match.group("subj").strip(), flags=re.I)
            if OTHER_PEOPLE_SUBJECT.search(subject):
                continue
            obj = match.group("obj").strip()
            obj = re.sub(r"^and\b.*?\bwith\s+", "", obj, flags=re.I)
            obj = re.sub(r"^(?:the|our|a|an)\s+", "", obj, flags=re.I)
            if not obj or PRONOUN_OBJECT.match(obj):
                continue
            url = ""
            link = LINK_STANDIN.match(obj)
            if link:
                label_url = LINK_MD.match(links[int(link.group(1))])
                obj, url = (label_url.group(1), label_url.group(2)) if label_url else (obj, "")
            else:
                if not obj[0].isupper():
                    continue  # "ad hoc reporting to support projects": not a person or role
                obj = re.split(r",\s+(?=[a-z]|(?i:you|we|they|this|it|he|she)\b)", obj, maxsplit=1)[0]
                obj = re.split(r"\s+(?:and|who|which|with|to|as|in order|on|where|while|for)\s+", obj, maxsplit=1)[0]
                obj = LINK_MD.sub(r"\1", unshield(obj, links))
            obj = re.sub(r"^(?:the|our|a|an)\s+", "", obj.strip(" ,"), flags=re.I).strip()
            subject = unshield(subject, links)
            if not obj or not re.search(r"[A-Za-z]", obj):
                continue
            # "Reporting to the X, you will ..." has no subject before it: the section's role.
            role = self.resolve_subject(subject.strip(), section.owner)
            if role is None:
                continue
            if any(r.role == role and norm(r.target) == norm(obj) for r in self.page.reports):
                continue
            quote = unshield(sentence_around(text, match.start("obj"), match.end("obj")), links)
            self.page.reports.append(ReportsFact(role, obj, url, item.line, LINK_MD.sub(r"\1", quote)))

    def read_extends(self, section: Section, item: Item) -> None:
        if not item.text[:12].lower().lstrip().startswith("extend"):
            return
        match = EXTENDS_ITEM.match(LINK_MD.sub(r"\1", item.text))
        if not match or item.depth > 1:
            return
        target = match.group("x").strip()
        kind_word = (match.group("k1") or match.group("k2") or "").lower()
        target_kind = "requirements" if kind_word.startswith("req") else "responsibilities" if kind_word else ""
        self.page.extends.append(
            ExtendsFact(section.owner, section.kind, target, target_kind, item.line, item.text)
        )


SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that contains ``[start, end)``: quotes stay short and on topic."""
    begin = 0
    for match in SENTENCE_END.finditer(text, 0, start):
        begin = match.end()
    after = SENTENCE_END.search(text, end)
    stop = after.end() if after else len(text)
    return text[begin:stop].strip()


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


def typo_of(a: str, b: str) -> bool:
    """Two normalised names that differ only by misspellings, word for word ("operatios" ~ "operations")."""
    left, right = a.split(), b.split()
    return len(left) == len(right) and all(
        x == y or DamerauLevenshtein.normalized_similarity(x, y) >= 0.75 for x, y in zip(left, right)
    )


def shield(text: str) -> tuple[str, list[str]]:
    """Hide links and abbreviation dots so sentence patterns see "Sr." and URLs as words."""
    links: list[str] = []

    def keep(match: re.Match[str]) -> str:
        links.append(match.group(0))
        return f"\x01{len(links) - 1}\x02"

    text = LINK_MD.sub(keep, text)
    return ABBREVIATION_DOT.sub(lambda m: m.group(1) + DOT_STANDIN, text), links


def unshield(text: str, links: list[str]) -> str:
    """Undo :func:`shield` on a piece of matched text."""
    text = LINK_STANDIN.sub(lambda m: links[int(m.group(1))], text)
    return text.replace(DOT_STANDIN, ".")


def match_kind(heading: str) -> tuple[str | None, str]:
    """Which kind of section a heading opens, and the role name before the keyword if any."""
    for kind, pattern in _KIND_PATTERNS:
        match = pattern.search(heading)
        if not match:
            continue
        rest = (match.groupdict().get("rest") or "").strip(" :-–")
        prefix = heading[: match.start()].strip()
        for_role = re.fullmatch(r"(?:for|of)\s+(?:the\s+|all\s+)?(.+?)(?:\s+roles?)?", rest, re.I)
        if for_role and (not prefix or re.fullmatch(r"additional|general|key|core|other", prefix, re.I)):
            return kind, for_role.group(1)
        if rest and not re.fullmatch(r"(for applicants|(?:and|&) (?:qualifications|requirements)|s)", rest, re.I):
            if kind != "requirements" or len(rest.split()) > 3:
                continue
        if kind == "grade" and prefix and not re.search(r"job\s*$", heading[: match.end()], re.I) and not looks_like_role(prefix) and not is_level_only(prefix):
            continue
        return kind, prefix
    return None, ""
