"""What the parser produces: the page model every stage fills in and the index writes.

Kept apart from the stages so reading, structure and facts can each be tested
alone on a hand-built model, and so the index depends on data, not on parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_BASE_URL = "https://about.gitlab.com"

# Section kinds a question can ask for; "overview" is text directly under a role heading,
# "other" a heading that names no known kind of section (its text still belongs to its role),
# "specialty" the text under a specialty heading that has no sections of its own, so is no role
# ("### Domestic" under "## Specialties" on the Tax page).
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
    "specialty",
)
FAMILY_WIDE_KINDS = ("hiring_process", "performance_indicators", "career_ladder", "responsibilities", "requirements")

ERROR = "error"
SUSPICION = "suspicion"


@dataclass
class Problem:
    """Something wrong with a page, reported with its file and line; never fatal.

    ``severity`` is ``error`` (the page or a fact could not be read) or
    ``suspicion`` (read, but probably not the way the writer meant: worth a look).
    """

    path: str
    line: int
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        prefix = "suspicion: " if self.severity == SUSPICION else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


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
    """A titled run of content owned by one role, or by the whole family when ``owner`` is None.

    ``reason`` says why the heading got its kind and owner (a rule, or a fuzzy
    match with its score), so ``rolecall show`` can explain a doubtful call.
    """

    kind: str
    heading: str
    line: int
    owner: str | None
    anchor: str
    items: list[Item] = field(default_factory=list)
    reason: str = ""
    score: float = 100.0


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
    """A role's grade as the page states it; grades are numbers, not always whole ("9.5")."""

    role: str
    grade: float
    line: int
    sentence: str


@dataclass
class ReportsFact:
    role: str
    target: str
    target_url: str
    line: int
    sentence: str
    dotted: bool = False


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
    suspicions: list[Problem] = field(default_factory=list)
    single_role: bool = False
    title_role: str = ""  # the page title, when it is a role beside the page's levels or specialties

    def suspect(self, line: int, message: str) -> None:
        """Note something read but doubtful; reported by ``rolecall index``, never fatal."""
        if not any(s.line == line and s.message == message for s in self.suspicions):
            self.suspicions.append(Problem(self.path, line, message, SUSPICION))
