"""Read-side of the index: the questions handlers ask, answered from SQLite.

Handlers never write SQL; they ask for "the responsibilities of role R" and
get the role's own items with inherited ones ("Extends that of ...") expanded
in place, or the family-wide section when the role has none of its own, each
with the heading and link it came from.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sqlite3
import threading
import weakref
from collections import Counter
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from functools import cached_property, lru_cache
from itertools import groupby
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import unquote, urlsplit

import lz4.block

from bot.index import SCHEMA_VERSION, section_text, unpack_items
from bot.names import bag as name_bag, tokens
from bot.page_model import Problem
from bot.page_names import in_specialty_group
from bot.resolve import FamilyRef, Resolver, RoleRef, updated_name_table

SECTION_FALLBACK_KINDS = ("responsibilities", "requirements")
# A section row as answers read it: a plain tuple of these columns (S_* are their positions).
SECTION_COLUMNS = "page_id, role_id, kind, heading, line, url, items"
S_PAGE, S_ROLE, S_KIND, S_HEADING, S_LINE, S_URL, S_ITEMS = range(7)
_ROLE_ROWS = f"select {SECTION_COLUMNS} from sections where role_id = ? and kind = ? order by line"
_FAMILY_ROWS = f"select {SECTION_COLUMNS} from sections where page_id = ? and role_id is null and kind = ? order by line"
# Knowledge.section's statements, each read only when the one before found nothing: the role's rows
# of the kind (most answers stop here), its rows a responsibilities or requirements answer falls
# back to, the page's family rows of the kind. Read as one statement (an OR of the two indexes),
# every answer paid for all three: the family's part reads every role row of the page's kind to
# test ``role_id is null`` (the page index has no role column), three times the cost of the own.
_OWN_OF_KIND = f"select {SECTION_COLUMNS} from sections where role_id = ?1 and kind = ?2 order by line, id"
_OWN_FALLBACK = f"select {SECTION_COLUMNS} from sections where role_id = ?1 and kind in ('overview', 'other') order by line, id"
_FAMILY_OF_KIND = f"select {SECTION_COLUMNS} from sections where page_id = ?1 and role_id is null and kind = ?2 order by line, id"
LINK_LABEL = re.compile(r"\[([^\[\]]*)\]\([^()\s]*\)")
RETIRE_GRACE_SECONDS = 5.0
# A line that sizes a team ("a team of 3-5", "4-6 direct reports", "~10 Support Engineers") and the
# family sections about it ("Span of Control in Support Management Positions"), for Knowledge.team_lines.
TEAM_SIZE = re.compile(r"\bteam of (?:~|up to |over |about )?\d|\b\d+(?:\s*(?:-|to)\s*\d+)?\+?\s+direct reports\b|~\s?\d+\s+[A-Za-z]"
                       r"|\bmanages?\s+(?:up to\s+)?(?:\d+|two|three|four|five|six|seven|eight|nine|ten)\b", re.I)
TEAM_HEADING = re.compile(r"\bspans? of control\b|\bteam (?:size|structure)\b", re.I)
SNAPSHOT_FORMAT = 5  # 2: with the typo vocabulary; 3: zlib-compressed; 4: roles by column, names shared; 5: LZ4, with the names by length; the layout of the serving snapshot's data (see Knowledge.serving_snapshot)
# a link to a compensation page: "compensation" in its path, not only in its #fragment (on the
# Total Rewards page "#compensation-coordinator" is a role's heading)
COMPENSATION_LINK = re.compile(r"\]\((https?://[^()\s\"#]*compensation[^()\s\"]*)\)", re.I)


@dataclass(frozen=True)
class Line:
    """One line of a section as shown to a person; ``inherited_from`` names the source role."""

    text: str
    depth: int = 0
    number: int | None = None
    inherited_from: str = ""
    note: bool = False  # a line we wrote (e.g. "inherited from"), not a quote
    paragraph: bool = False  # prose, not a list item


def quoted_line(text: str, depth: int, number: int | None, inherited_from: str, paragraph: bool) -> Line:
    """``Line(text, depth, number, inherited_from, paragraph=paragraph)``, a line of the page's own
    text, made without the frozen dataclass's generated ``__init__`` (an ``object.__setattr__``
    per field, for every line of every section shown): the same fields, in the same order."""
    made = object.__new__(Line)
    made.__dict__.update(text=text, depth=depth, number=number, inherited_from=inherited_from, note=False, paragraph=paragraph)
    return made


@dataclass
class SectionView:
    """A section ready to render: where it came from and its lines in order."""

    kind: str
    heading: str
    url: str
    page: str
    lines: list[Line] = field(default_factory=list)
    family_wide: bool = False  # the page's section for every role
    from_overview: bool = False  # the list directly under the role heading


@dataclass(frozen=True)
class Grade:
    grade: int | float  # 9.5 is a grade; whole grades stay ints so they print as "8"
    sentence: str
    url: str


@dataclass(frozen=True)
class ReportsTo:
    target: str
    target_role: RoleRef | None
    target_url: str
    sentence: str
    url: str


# "/job-families/people-ops/recruiter/": the handbook files its job families by department
DEPARTMENT_IN_URL = re.compile(r"/job-families/([a-z0-9][a-z0-9-]*)/[^/]")


@dataclass(frozen=True)
class Department:
    """The pages a handbook files under one department ("marketing", "people-ops"): what a
    question means by "the finance roles" or "grade 6 in people ops" when no job family has
    that name."""

    slug: str
    name: str  # "Legal and Corporate Affairs"
    phrases: tuple[tuple[str, ...], ...]  # the token runs that name it: the whole slug, each "and" part
    page_ids: frozenset[int]


def department_of(page_url: str) -> str:
    """The department slug in a page's address, or "" (pages under /jobs/ have none)."""
    found = DEPARTMENT_IN_URL.search(page_url)
    return found.group(1) if found else ""


def _department(slug: str, page_ids: frozenset[int]) -> Department:
    words = slug.split("-")
    name = " ".join(w if w == "and" else w.capitalize() for w in words)
    parts = " ".join(words).split(" and ")
    phrases = {tuple(tokens(" ".join(words)))} | {tuple(tokens(part)) for part in parts}
    return Department(slug, name, tuple(sorted(p for p in phrases if p)), page_ids)


class Knowledge:
    """Everything handlers may ask of the index. One instance per index version.

    It pins its version: one read transaction, begun before anything is loaded and held until
    :meth:`close`, so what it loaded up front and every later lazy query see the same snapshot
    while the writer updates the file in place (WAL). What a question rarely needs (grades,
    reports-to lines, "Extends" targets, sections) is asked of the index when needed, through
    indexes, rather than loaded for every role at open. ``previous``: the version served before;
    roles of pages that did not change are taken from it rather than read and built again.
    """

    def __init__(self, db_path: Path, previous: "Knowledge | None" = None) -> None:
        self.db_path = Path(db_path)
        self.conn = open_snapshot(self.db_path)
        self.lock = threading.Lock()
        self._users = 0
        self._retired = False
        self.closed = False
        self.pages = {r["id"]: r for r in self._query("select id, path, title, family, url, single_role from pages")}
        self.roles: dict[int, RoleRef] = {}
        # how this version was opened: "snapshot" (the serving snapshot), "previous" (the version
        # served before, plus the pages that changed) or "tables" (every role read and built)
        self.opened_from = "tables"
        self.snapshot_current = False  # the file holds a serving snapshot of exactly this version
        kept = previous.roles if previous is not None and not previous.closed else {}
        stored = None if kept else self._read_serving()
        if stored is not None and self._open_serving(stored):
            return
        self.roles = {}
        old_pages = previous.pages if kept else {}
        # a page id is never reused (bot.index), so a page id served before has the same roles now
        for role_id, role in kept.items():
            if role.page_id in self.pages:
                self.roles[role_id] = role
        fresh = [pid for pid in self.pages if pid not in old_pages]
        read: list[RoleRef] = []  # the roles of the fresh pages, in page order
        if fresh:
            where = {page_id: (row["path"], row["url"]) for page_id, row in self.pages.items()}
            sql = "select id, page_id, name, family, url from roles"
            if kept:
                sql += f" where page_id in ({','.join(map(str, fresh))})"
            for role_id, page_id, name, family, url in self._tuples(sql + " order by page_id, line, id"):
                path, page_url = where[page_id]
                read.append(RoleRef(role_id, name, family, path, page_url, url, page_id))
                self.roles[role_id] = read[-1]
        # a kept page's family is the one served before (same page id, same roles)
        self.families = self._families([r.id for r in read], [r.page_id for r in read],
                                       {f.page_id: f for f in previous.families} if kept else None)  # type: ignore[union-attr]
        if kept:
            self.opened_from = "previous"
            self.snapshot_current = self._snapshot_stamp() == self._stored_stamp()
            self.resolver = self._resolver_after(previous.resolver, fresh)  # type: ignore[union-attr]
        else:
            alias_rows = self._tuples("select role_id, alias, norm from aliases")
            aliases = [(a[0], a[1]) for a in alias_rows]
            alias_norms = [a[2] or "" for a in alias_rows]
            self.resolver = Resolver(list(self.roles.values()), aliases, self.families, alias_norms)
        self._finish()

    def _resolver_after(self, previous: Resolver, fresh: list[int]) -> Resolver:
        """The resolver of this version from the previous one's name table: only the aliases of the
        pages read anew are read (in the index's order, which puts them after every kept one) and
        tokenised, instead of all of them (:func:`bot.resolve.updated_name_table`)."""
        added: list[tuple] = []
        if fresh:
            added = self._tuples("select role_id, alias, norm from aliases where role_id in "
                                 f"(select id from roles where page_id in ({','.join(map(str, fresh))})) order by rowid")
        table = updated_name_table(previous.table(), list(self.roles.values()), [(a[0], a[1]) for a in added],
                                   [a[2] or "" for a in added], self.families)
        return Resolver.from_table(self.roles, self.families, table)

    def _families(self, ids: list[int], page_ids: list[int], served: dict[int, FamilyRef] | None = None) -> list[FamilyRef]:
        """The multi-role pages with roles, in page order, each with its roles in page order.

        ``ids`` and ``page_ids``: the roles to group and their pages, in page order: every role of
        this version, or (a reload) only those of the pages read anew, when ``served`` holds the
        families served before by page id, taken as they are for the pages still here (a page id
        is never reused, so its roles are the same)."""
        families: list[FamilyRef] = []
        by_page: dict[int, list[int]] = {}
        # grouped by runs of one page (a page's roles are together, so 3,000 runs for 24,000
        # roles), each run's ids one slice: nothing is done per role in Python
        start = 0
        for page_id, run in groupby(page_ids):
            end = start + len(list(run))
            by_page.setdefault(page_id, []).extend(ids[start:end])
            start = end
        served = served or {}
        cls = _plain_frozen(FamilyRef)
        for page_id, page in self.pages.items():
            family = served.get(page_id)
            if family is not None:
                families.append(family)
            elif not page["single_role"] and by_page.get(page_id):
                families.append(_frozen(cls, name=page["family"], page=page["path"], page_url=page["url"], page_id=page_id,
                                        role_ids=tuple(by_page[page_id])))
        return families

    def _finish(self) -> None:
        self.extends = _ExtendsByPlace(self)
        self._at_grade: dict[float, list[int]] = {}
        self._acronym_uses: dict[str, tuple[frozenset[int], tuple[str, ...]]] = {}
        self.resolver.acronym_uses = _weakly(weakref.WeakMethod(self.acronym_uses))

    # --- the serving snapshot ------------------------------------------------------

    def _snapshot_stamp(self) -> tuple[int, str, int, str]:
        """What a serving snapshot of this version must say it is of: the generation and pages
        digest (this read transaction's), the snapshot format and the code that builds it."""
        meta = self.meta()
        return int(meta.get("generation") or 0), meta.get("pages_digest") or "", SNAPSHOT_FORMAT, snapshot_code()

    def _stored_stamp(self) -> tuple | None:
        try:
            row = self._tuples("select generation, pages_digest, format, code from serving")
        except sqlite3.OperationalError:  # no serving table: never written
            return None
        return tuple(row[0]) if len(row) == 1 else None

    def _read_serving(self) -> dict | None:
        """The serving snapshot stored for exactly this version (same generation, pages digest,
        format and code, checksum intact), decoded; None when there is none or it does not fit."""
        stamp = self._snapshot_stamp()
        try:
            rows = self._tuples("select generation, pages_digest, format, code, checksum, data from serving")
        except sqlite3.OperationalError:
            return None
        if len(rows) != 1 or tuple(rows[0][:4]) != stamp:
            return None
        checksum, data = rows[0][4], rows[0][5]
        if not isinstance(data, bytes) or snapshot_checksum(data) != checksum:
            return None
        try:
            content = unpack_snapshot(data)
        except (EOFError, ValueError, TypeError, MemoryError, lz4.block.LZ4BlockError):
            return None
        return content if isinstance(content, dict) else None

    def _open_serving(self, content: dict) -> bool:
        """Serve this version from its snapshot: the roles and the resolver's name table as
        stored, instead of reading every role and alias and tokenising every name. False (and
        nothing kept) when it does not fit the pages of this version."""
        try:
            columns = content["roles"]
            roles = _StoredRoles(columns, self.pages)  # raises when the columns do not fit these pages
            table = content["resolver"]
            if not self._fits(roles, table):
                return False
            self.roles = roles  # type: ignore[assignment]  # made on first use, all of them by fill_roles
            self.families = self._families(columns["ids"], columns["page_ids"])
            self.resolver = Resolver.from_table(roles, self.families, table)
        except (KeyError, ValueError, TypeError, AttributeError):
            self.roles = {}
            return False
        self.opened_from = "snapshot"
        self.snapshot_current = True
        self._finish()
        return True

    def fill_roles(self) -> None:
        """Make every role of a version opened from its snapshot (whose roles are made as they are
        first used, :class:`_StoredRoles`), and serve them from a plain dict from now on, the
        resolver too: the same objects, looked up at a tenth of the cost. The engine calls it in
        the background shortly after opening (:meth:`bot.engine.Engine._warm`), off the path to
        the first answer; anything that needs every role (a list of roles, a reload) makes them
        all at once without it."""
        roles = self.roles
        if isinstance(roles, _StoredRoles):
            every = roles.every()
            self.resolver.fill_roles(every)
            self.roles = every

    def _fits(self, roles: "dict[int, RoleRef] | _StoredRoles", table: dict) -> bool:
        """The snapshot holds as many roles (up to the same largest id) and aliases as the tables
        of this version: a check of a few milliseconds against a snapshot that is well formed and
        checksummed but of other content (written by hand, or by a bug)."""
        count, largest = self._tuples("select count(*), max(id) from roles")[0]
        (aliases,), = self._tuples("select count(*) from aliases")
        return count == len(roles) and (largest or 0) == max(roles, default=0) and aliases == len(table["aliases"])

    def serving_snapshot(self) -> tuple[tuple[int, str, int, str], bytes]:
        """This version's serving snapshot (its stamp, and the roles and the resolver's name table
        as :mod:`marshal` data: plain lists, tuples, dicts, strings and ints, never code), for the
        writer to store in the index (:func:`bot.index.write_serving_snapshot`).

        The roles are stored by column (:func:`_role_columns`), and every name is one string
        object shared by the roles and the resolver's aliases (a role's own name is its first
        alias): marshal writes a string met again as a reference, so the next process decodes
        each once. Against one tuple a role and a string per use this halved the decoding."""
        table = self.resolver.stored_table()
        shared: dict[str, str] = {}
        columns = _role_columns(self.roles.values(), self.pages, shared)
        table = {**table, "aliases": [(role_id, shared.setdefault(alias, alias)) for role_id, alias in table["aliases"]]}
        return self._snapshot_stamp(), pack_snapshot({"roles": columns, "resolver": table})

    # --- the snapshot's life -----------------------------------------------------

    def meta(self) -> dict[str, str]:
        """The index's meta rows (generation, pages digest, ...) as of this snapshot."""
        return {k: v for k, v in self._tuples_locked("select key, value from meta")}

    def using(self) -> "_InUse":
        """``with kb.using():`` around a question, so :meth:`retire` waits for it."""
        return _InUse(self)

    def retire(self, grace: float | None = None) -> None:
        """This version is no longer served: close it (releasing its snapshot, so checkpoints can
        go on) once no question uses it and ``grace`` seconds have passed for anyone who took it
        without :meth:`using` (a Slack surface rendering a card; default ``RETIRE_GRACE_SECONDS``)."""
        grace = RETIRE_GRACE_SECONDS if grace is None else grace
        def later() -> None:
            with self.lock:
                self._retired = True
                if self._users == 0:
                    self._close_locked()

        timer = threading.Timer(grace, later)
        timer.daemon = True
        timer.name = "rolecall-retire"
        timer.start()

    def close(self) -> None:
        with self.lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if not self.closed:
            self.closed = True
            self.conn.close()

    def stats(self) -> dict:
        """Counts and problems of this index version."""
        def count(sql: str) -> int:
            return int(next(iter(self._rows(sql, [])))["n"])

        meta = {r["key"]: r["value"] for r in self._rows("select key, value from meta", [])}
        return {
            "pages": len(self.pages),
            "roles": len(self.roles),
            "grades": count("select count(distinct role_id) as n from grades"),
            "reports_to": count("select count(distinct role_id) as n from reports"),
            "hiring_processes": count("select count(distinct page_id) as n from sections where kind = 'hiring_process'"),
            "problems": [str(p) for p in self.problems()],
            "suspicions": [str(p) for p in self.suspicions()],
            "indexed_at": meta.get("indexed_at", ""),
        }

    def problems(self) -> list[Problem]:
        """Errors: what could not be read."""
        return [Problem(r["path"], r["line"], r["message"]) for r in self._rows("select * from problems where severity = 'error' order by path, line", [])]

    def suspicions(self) -> list[Problem]:
        """What was read but probably not as the writer meant (see ``rolecall index``)."""
        return [Problem(r["path"], r["line"], r["message"], r["severity"])
                for r in self._rows("select * from problems where severity = 'suspicion' order by path, line", [])]

    # --- lookups --------------------------------------------------------------

    def role_named(self, name: str, page: str | None = None) -> RoleRef | None:
        """A role by its exact canonical name (a Slack button's choice); ``page`` tells apart two
        pages that define the same title."""
        for role_id in self.by_name.get(name, ()):
            role = self.roles[role_id]
            if page is None or role.page == page:
                return role
        return None

    @cached_property
    def by_name(self) -> dict[str, list[int]]:
        """Role ids by their exact name, in page order (a title may be on several pages), read from
        the names alone: a version whose roles are made on first use makes none for it (an
        ambiguous first answer asks it for every choice)."""
        out: dict[str, list[int]] = {}
        roles = self.roles
        pairs = roles.names() if isinstance(roles, _StoredRoles) else ((role_id, role.name) for role_id, role in roles.items())
        for role_id, name in pairs:
            out.setdefault(name, []).append(role_id)
        return out

    @cached_property
    def bag_counts(self) -> Counter[str]:
        """How many roles have each set of name words: is a name's wording shared by another role?"""
        return Counter(name_bag(r.name) for r in self.roles.values())

    @cached_property
    def _family_by_page(self) -> dict[int, FamilyRef]:
        """Families by page id, the first on a page winning like the linear search it replaces:
        at 3,000 families a scan of every family (or every role) a question adds up."""
        out: dict[int, FamilyRef] = {}
        for f in self.families:
            out.setdefault(f.page_id, f)
        return out

    @cached_property
    def _family_by_path(self) -> dict[str, FamilyRef]:
        out: dict[str, FamilyRef] = {}
        for f in self.families:
            out.setdefault(f.page, f)
        return out

    @cached_property
    def _roles_by_page(self) -> dict[int, list[RoleRef]]:
        """Roles by page id in page order (``self.roles`` is in page order)."""
        out: dict[int, list[RoleRef]] = {}
        for r in self.roles.values():
            out.setdefault(r.page_id, []).append(r)
        return out

    @cached_property
    def departments(self) -> list[Department]:
        """The departments the pages' addresses file them under, in page order."""
        pages: dict[str, dict[int, None]] = {}
        for role in self.roles.values():
            slug = department_of(role.page_url)
            if slug:
                pages.setdefault(slug, {})[role.page_id] = None
        return [_department(slug, frozenset(ids)) for slug, ids in pages.items()]

    def department_named(self, text: str) -> Department | None:
        """The one department the question names by a run of its words ("list the *people ops*
        roles", "grade 7 in *legal*"); None when none, or when two are named."""
        words = tokens(text)
        named = {d.slug: d for d in self.departments for phrase in d.phrases if _holds_run(words, phrase)}
        return next(iter(named.values())) if len(named) == 1 else None

    def department_roles(self, department: Department) -> list[RoleRef]:
        """The department's roles in page order."""
        return [r for r in self.roles.values() if r.page_id in department.page_ids]

    def at_url(self, url: str) -> RoleRef | FamilyRef | None:
        """What a handbook link points at: the role of its anchor (or of a section anchor inside the
        role), the family when it points at a page of several roles, the role of a one-role page;
        None when no page of the index has that address."""
        roles = self._roles_by_url_path.get(_url_path(url))
        if not roles:
            return None
        fragment = unquote(urlsplit(url).fragment).lower()
        if fragment:
            anchored = [(len(a), r) for r in roles if (a := urlsplit(r.url).fragment.lower()) and fragment.startswith(a)]
            if anchored:
                return max(anchored, key=lambda pair: pair[0])[1]
        family = self.family_on(roles[0].page)
        return roles[0] if family is None or len(roles) == 1 else family

    @cached_property
    def _roles_by_url_path(self) -> dict[str, list[RoleRef]]:
        """The roles by their page's address path (lower case, one trailing slash), in page order."""
        by_path: dict[str, list[RoleRef]] = {}
        for role in self.roles.values():
            by_path.setdefault(_url_path(role.page_url or role.url), []).append(role)
        return by_path

    def family_on(self, page: str) -> FamilyRef | None:
        """The family of a page, by the page's path (as a conversation remembers it)."""
        return self._family_by_path.get(page)

    def family_of(self, role: RoleRef) -> FamilyRef | None:
        return self._family_by_page.get(role.page_id)

    def family_roles_of(self, role: RoleRef) -> list[RoleRef]:
        """The roles on the role's own page: its family, in page order."""
        return list(self._roles_by_page.get(role.page_id, ()))

    def specialties_on(self, page_id: int) -> list[RoleRef]:
        """The roles a page lists under its Specialties heading ("Backend Engineering (Database)"),
        in page order: the parser files each under that group (``group_name`` "Specialties",
        "Specializations", "Specialties / Marketing", "Application Security Engineer Specialties",
        "Levels / Specialties" under a page-wide "# Levels")."""
        ids = {rid for rid, group in self._tuples_locked("select id, group_name from roles where page_id = ?", (page_id,))
               if in_specialty_group(str(group or ""))}
        return [r for r in self._roles_by_page.get(page_id, ()) if r.id in ids]

    def specialty_sections(self, page_id: int) -> list[SectionView]:
        """The kinds of work a page lists under its Specialties heading that are no roles (no
        sections of their own: "Domestic" and "International" on the Tax page), each with its
        text, in page order."""
        rows = self._tuples_locked(f"select {SECTION_COLUMNS} from sections where page_id = ? and kind = 'specialty' order by line", (page_id,))
        return [self._view([row], None, "specialty") for row in rows]

    def family_roles(self, family: FamilyRef) -> list[RoleRef]:
        return [self.roles[i] for i in family.role_ids]

    def grade_of(self, role: RoleRef) -> list[Grade]:
        out = []
        for grade, sentence in self._tuples_locked("select grade, sentence from grades where role_id = ? order by line, rowid", (role.id,)):
            number = float(grade)
            out.append(Grade(int(number) if number.is_integer() else number, sentence, role.url))
        return out

    def having_grade(self, roles: list[RoleRef], grade: int) -> list[RoleRef]:
        """Those of ``roles`` (a family's few) that have this grade, in their order: one statement
        per page they are on (a grade row is filed under its role's page), where asking
        :meth:`grade_of` of each role was a statement a role."""
        graded: set[int] = set()
        for page_id in dict.fromkeys(r.page_id for r in roles):
            graded.update(rid for (rid,) in self._tuples_locked(
                "select role_id from grades where page_id = ? and grade = ?", (page_id, float(grade))))
        return [r for r in roles if r.id in graded]

    def roles_at_grade(self, grade: int) -> list[RoleRef]:
        """Roles with this grade, in page order (lists read like the handbook), remembered per
        version. The grade's rows are read without joining the roles table and sorted here: every
        page's roles sit in :attr:`roles` in page order, so (page id, place in :attr:`roles`) is
        the order of (page id, line, id), and the join with its two sorts was most of the 12 ms
        that "what's grade 7?" (2,871 roles at 3,000 families) spent in SQLite."""
        key = float(grade)
        ids = self._at_grade.get(key)
        if ids is None:
            roles, place = self.roles, self._places
            found = [rid for (rid,) in self._tuples_locked("select role_id from grades where grade = ?", (key,)) if rid in roles]
            ids = sorted(dict.fromkeys(found), key=lambda rid: (roles[rid].page_id, place[rid]))
            self._at_grade[key] = ids
        return [self.roles[rid] for rid in ids]

    @cached_property
    def _places(self) -> dict[int, int]:
        """Each role's place in :attr:`roles` (for :meth:`roles_at_grade`'s page order)."""
        return dict(zip(self.roles, range(len(self.roles))))

    def all_grades(self) -> list[int]:
        out = []
        for (grade,) in self._tuples_locked("select distinct grade from grades where role_id is not null order by grade"):
            number = float(grade)
            out.append(int(number) if number.is_integer() else number)
        return sorted(set(out))

    def reports_to(self, role: RoleRef) -> list[ReportsTo]:
        return [ReportsTo(target, self.roles.get(tid) if tid else None, url, sentence, role.url)
                for tid, target, url, sentence in self._tuples_locked(
                    "select target_role_id, target, target_url, sentence from reports where role_id = ? order by line, id", (role.id,))]

    @property
    def reported_by(self) -> "_ReportedBy":
        return _ReportedBy(self)

    def direct_reports(self, role: RoleRef) -> list[tuple[RoleRef, str]]:
        """Roles whose reports-to links to ``role``, and those whose unlinked reports-to names it
        word for word, when no other role has those words ("Director, Sales Operations" and
        "Director of Sales Operations" are two roles, and a sentence is linked to one of them)."""
        found = list(self.reported_by.get(role.id, []))
        seen = {r.id for r, _ in found}
        if self.bag_counts[name_bag(role.name)] > 1:
            return found
        for other, sentence, _ in self.reporting_to_name(role.name):
            if other.id not in seen:
                found.append((other, sentence))
                seen.add(other.id)
        return found

    def reporting_to_name(self, name: str) -> list[tuple[RoleRef, str, str]]:
        """Roles whose reports-to sentence names ``name`` (its words, in any order), with the sentence
        and the name as written: the only way to answer "who reports to the VP, Corporate
        Controller" when no page defines that role."""
        return [(self.roles[rid], sentence, target) for rid, sentence, target in self._tuples_locked(
            "select role_id, sentence, target from reports where target_role_id is null and name_bag = ? order by line, id",
            (name_bag(name),)) if rid in self.roles]

    # --- sections -------------------------------------------------------------

    def _rows(self, sql: str, params: list | tuple) -> list[sqlite3.Row]:
        with self.lock:
            return self._query(sql, params)

    def _tuples_locked(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        with self.lock:
            return self._tuples(sql, params)

    def _tuples(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        """Rows as plain tuples, for loops over every role."""
        if self.closed:
            raise sqlite3.ProgrammingError(f"this version of the index {self.db_path} is no longer served")
        return self.conn.execute(sql, params).fetchall()

    def _query(self, sql: str, params: list | tuple = ()) -> list[sqlite3.Row]:
        """Rows as sqlite3.Row (read by column name, built in C)."""
        if self.closed:
            raise sqlite3.ProgrammingError(f"this version of the index {self.db_path} is no longer served")
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params).fetchall()

    def section(self, role: RoleRef, kind: str) -> SectionView | None:
        """The role's own section of this kind, else the list under its heading, else the family's.
        Each place is read only when the one before it has nothing (see :data:`_OWN_OF_KIND`):
        the role's own rows of the kind, where most answers stop, then its overview and other
        rows, then the family's."""
        own = self._tuples_locked(_OWN_OF_KIND, (role.id, kind))
        if own:
            return self._view(own, role, kind)
        fallback = kind in SECTION_FALLBACK_KINDS
        rows = self._tuples_locked(_OWN_FALLBACK, (role.id,)) if fallback else []
        if fallback:
            overview = [row for row in rows if row[S_KIND] == "overview"]
            if overview and any(i[2] == "item" for row in overview for i in unpack_items(row[S_ITEMS])):
                view = self._view(overview, role, kind)
                view.from_overview = True
                return view
        family = self._part_heading(role, self._tuples_locked(_FAMILY_OF_KIND, (role.page_id, kind)))
        if family:
            view = self._view(family, role, kind)
            view.family_wide = not self.pages[role.page_id]["single_role"]
            return view
        if fallback:
            # a list under a heading that is no known section name is still the role's own text
            other = [row for row in rows if row[S_KIND] == "other"]
            if any(i[2] == "item" for row in other for i in unpack_items(row[S_ITEMS])):
                view = self._view(other, role, kind)
                view.from_overview = True
                return view
        return None

    def _part_heading(self, role: RoleRef, rows: list[tuple]) -> list[tuple]:
        """Of a page's several family-wide sections of one kind, the one over the role's part of the
        page, when each is named for a part that its roles follow ("Benefits Requirements" above the
        benefits roles, "Compensation Requirements" above the compensation ones, on the Total
        Rewards page): the nearest one above the role. Given all, the compensation analyst got the
        benefits requirements first. Sections not named so ("Performance Indicators" after each
        level, "Hiring Process for EMEA" beside the one for North America) are the family's, all, as
        is one alone."""
        if len(rows) < 2:
            return rows
        from bot.page_headings import classify_heading  # the parser's reading of a heading; only here

        named = [classify_heading(row[S_HEADING]) for row in rows]
        if not all(found and found.prefix and found.role_first for found in named):
            return rows
        at = self._tuples_locked("select line from roles where id = ?", (role.id,))
        above = [row for row in rows if at and row[S_LINE] < at[0][0]]
        return above[-1:] or rows

    def family_section(self, family: FamilyRef, kind: str) -> SectionView | None:
        rows = self._tuples_locked(_FAMILY_ROWS, (family.page_id, kind))
        if not rows:
            return None
        view = self._view(rows, None, kind)
        view.family_wide = True
        return view

    def overview(self, role: RoleRef) -> SectionView | None:
        rows = self._tuples_locked(_ROLE_ROWS, (role.id, "overview"))
        if not rows and self.pages[role.page_id]["single_role"]:
            rows = self._tuples_locked(f"select {SECTION_COLUMNS} from sections where page_id = ? and kind = 'overview' order by line", (role.page_id,))
        return self._view(rows, role, "overview") if rows else None

    def family_overview(self, family: FamilyRef) -> SectionView | None:
        rows = self._tuples_locked(_FAMILY_ROWS, (family.page_id, "overview"))
        return self._view(rows, None, "overview") if rows else None

    def _view(self, rows: list[tuple], role: RoleRef | None, kind: str) -> SectionView:
        """``rows``: section rows as :data:`SECTION_COLUMNS` tuples, in page order."""
        first = rows[0]
        page = self.pages[first[S_PAGE]]
        view = SectionView(kind=kind, heading=first[S_HEADING], url=first[S_URL], page=page["title"])
        seen = {(role.id, kind)} if role else set()
        shown = {_plain_heading(first[S_HEADING]), kind.replace("_", " ")}
        for n, row in enumerate(rows):
            heading = _plain_heading(row[S_HEADING])
            if n and heading not in shown:
                # a second section of the kind under a heading of its own ("US Payroll Requirements",
                # "AMER Specific Requirements"): its lines are that part's, and say so
                view.lines.append(Line(f"{row[S_HEADING]}:", note=True))
                shown.add(heading)
            view.lines.extend(self._expand(row, kind, seen, depth=0, inherited_from=""))
        return view

    def _expand(self, row: tuple, kind: str, seen: set[tuple[int, str]], depth: int, inherited_from: str) -> list[Line]:
        """A section's lines with every "Extends that of X" followed by X's lines, transitively."""
        lines: list[Line] = []
        page_id = row[S_PAGE]
        extends_at = self.extends.of_page_by_kind(page_id)  # once a section, not once a line
        section_kind = row[S_KIND]
        for text, line, item_kind, item_depth, number in unpack_items(row[S_ITEMS]):
            is_item = item_kind == "item"
            lines.append(quoted_line(text, depth + (item_depth if is_item else 0), number, inherited_from, not is_item))
            ext = extends_at.get((line, section_kind))
            if not ext:
                continue
            target_kind = ext["target_kind"] or (kind if kind in SECTION_FALLBACK_KINDS else ext["section_kind"])
            if ext["target_family"]:
                rows = self._tuples_locked(_FAMILY_ROWS, (page_id, target_kind))
                source = self.pages[page_id]["family"] + " (all roles)"
            elif ext["target_role_id"]:
                target = self.roles[ext["target_role_id"]]
                if (target.id, target_kind) in seen:
                    lines.append(Line(f"(not repeated: {target.name} extends back to this role)", depth + 1, note=True))
                    continue
                rows = self._tuples_locked(_ROLE_ROWS, (target.id, target_kind))
                if not rows and target_kind in SECTION_FALLBACK_KINDS:
                    rows = self._tuples_locked(_ROLE_ROWS, (target.id, "overview"))
                if not rows:
                    # a role with none of its own has its family's, as asking about it gives ("Extends
                    # that of the AVP Requirements": the Area Vice President page's Requirements)
                    rows = self._part_heading(target, self._tuples_locked(_FAMILY_ROWS, (target.page_id, target_kind)))
                seen = seen | {(target.id, target_kind)}
                source = target.name
            else:
                continue
            if not rows:
                lines.append(Line(f"({source} has no {target_kind.replace('_', ' ')} section to inherit)", depth + 1, note=True))
                continue
            lines.append(Line(f"Inherited from {source}:", depth + 1, note=True, inherited_from=source))
            for sub in rows:
                lines.extend(self._expand(sub, target_kind, seen, depth + 1, source))
        return lines

    def team_lines(self, role: RoleRef) -> list[str]:
        """Lines that give the size of the role's team, from its own text and its page's family
        sections on spans of control ("Manages a team of 3-5 Strategic Account Leaders", "Support
        Managers: ~10 Intermediate and Senior Support Engineers"), in page order."""
        found = []
        rows = self._rows("select heading, role_id, items from sections where page_id = ? and (role_id = ? or role_id is null) order by line",
                          [role.page_id, role.id])
        for row in rows:
            if row["role_id"] is None and not TEAM_HEADING.search(row["heading"]):
                continue
            for text, *_ in unpack_items(row["items"]):
                if TEAM_SIZE.search(text):
                    found.append(LINK_LABEL.sub(r"\1", text))
        return found

    def lines_mentioning(self, role: RoleRef, word: str) -> list[str]:
        """The role's own lines that use a word ("not aligned to a job grade"), for saying what the
        page does say when no fact could be read from it."""
        found = []
        for row in self._rows("select items from sections where role_id = ? order by line", [role.id]):
            for text, *_ in unpack_items(row["items"]):
                if re.search(rf"\b{re.escape(word)}", text, re.I):
                    found.append(LINK_LABEL.sub(r"\1", text))
        return found

    def compensation_link(self, role: RoleRef) -> str:
        """The compensation page the role's page links to (its grade sentence usually does), or ""."""
        for row in self._rows("select items from sections where page_id = ? order by line", [role.page_id]):
            found = COMPENSATION_LINK.search(row["items"])
            if found:
                return found.group(1)
        return ""

    def acronym_uses(self, letters: str) -> tuple[frozenset[int], tuple[str, ...]]:
        """Where the handbook writes ``letters`` as a word in capitals ("AP" in "AR and AP"): the
        pages, and the name words (:func:`bot.names.tokens`) of each section that does, for the
        resolver to tell an initialism the handbook uses from one read off titles alone.
        Remembered per version: asked only for letters a question types, and few do."""
        known = self._acronym_uses.get(letters)
        if known is None:
            written = re.compile(rf"\b{re.escape(letters)}\b")
            try:
                rows = self._tuples_locked(
                    "select s.page_id, s.heading, s.items from sections_fts join sections s on s.rowid = sections_fts.rowid "
                    "where sections_fts match ?", ('"' + letters.replace('"', "") + '"',))
            except sqlite3.OperationalError:
                rows = []
            using = [(page_id, f"{heading}\n{section_text(items)}") for page_id, heading, items in rows
                     if written.search(heading) or written.search(items)]
            known = (frozenset(page_id for page_id, _ in using), tuple(" ".join(tokens(text)) for _, text in using))
            self._acronym_uses[letters] = known
        return known

    # --- search -----------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[dict]:
        """Full-text search over section text (FTS5, porter stems: "product" also finds
        "productivity"); matches come back with their role and their lines' texts ("items")."""
        words = re.findall(r"[A-Za-z0-9][A-Za-z0-9+#.-]*", query)
        if not words:
            return []
        fts = " ".join('"' + w.replace('"', "") + '"' for w in words)
        try:
            rows = self._rows(
                "select s.id, s.role_id, s.page_id, s.kind, s.heading, s.url, s.items, bm25(sections_fts) as rank "
                "from sections_fts join sections s on s.rowid = sections_fts.rowid "
                "where sections_fts match ? order by rank limit ?",
                [fts, limit],
            )
        except sqlite3.OperationalError:
            return []
        # the items' texts, which is all the search handler reads of them
        return [{**dict(row), "items": [t for t, _ln, _k, _d, _n in unpack_items(row["items"])]} for row in rows]


def _url_path(url: str) -> str:
    """A URL's path, as the index stores page URLs: lower case, with one trailing slash."""
    return unquote(urlsplit(url).path).lower().rstrip("/") + "/"


def _plain_heading(heading: str) -> str:
    """A heading as compared with another: lower case, letters and spaces ("Requirements:" = "requirements")."""
    return " ".join(re.findall(r"[a-z0-9]+", heading.lower()))


def _weakly(method: weakref.WeakMethod) -> Callable[[str], tuple[frozenset[int], tuple[str, ...]]]:
    """:meth:`Knowledge.acronym_uses` for its resolver without a reference back to the knowledge: a
    served version is kept out of the cyclic collector, so a cycle would keep every retired one."""
    def uses(letters: str) -> tuple[frozenset[int], tuple[str, ...]]:
        kb = method()
        return kb(letters) if kb is not None else (frozenset(), ())
    return uses


def _role_columns(roles: Iterable[RoleRef], pages: dict[int, sqlite3.Row], shared: dict[str, str]) -> dict:
    """The roles as the serving snapshot stores them: one list per field, each role's address as
    the part after its page's address, and its family only where it is not its page's (neither
    happens on the pages seen so far, so ``urls`` and ``families`` are usually empty). Names go
    through ``shared``, one object per distinct string."""
    ids: list[int] = []
    page_ids: list[int] = []
    names: list[str] = []
    fragments: list[str] = []
    urls: dict[int, str] = {}
    families: dict[int, str] = {}
    for place, role in enumerate(roles):
        page = pages[role.page_id]
        ids.append(role.id)
        page_ids.append(role.page_id)
        names.append(shared.setdefault(role.name, role.name))
        page_url = page["url"]
        if role.url.startswith(page_url):
            fragments.append(role.url[len(page_url):])
        else:
            fragments.append("")
            urls[place] = role.url
        if role.family != page["family"]:
            families[place] = role.family
    return {"ids": ids, "page_ids": page_ids, "names": names, "fragments": fragments, "urls": urls, "families": families}


class _StoredRoles(Mapping):
    """A version's roles as its serving snapshot stores them (:func:`_role_columns`), by id in page
    order, each :class:`RoleRef` made when it is first looked up: making all 24,000 at open was a
    fifth of a cold start at 3,000 families, and the first answer looks at a few. Ids, ``len``
    and ``in`` need no role; ``values`` and ``items`` make every one, once (:meth:`every`), as
    :meth:`Knowledge.fill_roles` does in the background. Every check that making a role could
    fail is made here, at open, so a role made later cannot.

    A role is made without its generated ``__init__``: a frozen dataclass sets each field through
    ``object.__setattr__``, which was a third of making them; the instance gets the same fields
    in its ``__dict__`` at once (:func:`_plain_frozen` checks that this is all the constructor
    would do). One object per id, whichever thread makes it first."""

    def __init__(self, columns: dict, pages: dict[int, sqlite3.Row]) -> None:
        ids, page_ids, names, fragments = columns["ids"], columns["page_ids"], columns["names"], columns["fragments"]
        urls, families = columns["urls"], columns["families"]
        if not len(ids) == len(page_ids) == len(names) == len(fragments):
            raise ValueError("role columns of different lengths")
        if not (isinstance(urls, dict) and isinstance(families, dict)):
            raise TypeError("role addresses or families that are not a mapping")
        if not (set(map(type, names)) | set(map(type, fragments)) | set(map(type, urls.values()))
                | set(map(type, families.values()))) <= {str}:
            raise TypeError("role names, addresses or families that are not text")
        self._where = {page_id: (row["path"], row["url"], row["family"]) for page_id, row in pages.items()}
        if not set(page_ids).issubset(self._where):
            raise KeyError("a role of a page that is not in this version")
        self._place = dict(zip(ids, range(len(ids))))  # id -> its place in the columns
        self._columns = ids, page_ids, names, fragments, urls, families
        self._cls = _plain_frozen(RoleRef)
        self._made: dict[int, RoleRef] = {}
        self._every: dict[int, RoleRef] | None = None
        self._lock = threading.Lock()

    def __getitem__(self, role_id: int) -> RoleRef:
        every = self._every
        if every is not None:
            return every[role_id]
        role = self._made.get(role_id)
        if role is None:
            role = self._made.setdefault(role_id, self._make(self._place[role_id]))
        return role

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._place)

    def __len__(self) -> int:
        return len(self._place)

    def __contains__(self, role_id: object) -> bool:
        return role_id in self._place

    def names(self) -> Iterable[tuple[int, str]]:
        """(id, name) of every role in page order, without making one."""
        return zip(self._columns[0], self._columns[2])

    def keys(self):  # type: ignore[no-untyped-def, override]
        return self._place.keys()  # a set-like view without a role made (the resolver checks its names' ids against it)

    def values(self):  # type: ignore[no-untyped-def, override]
        return self.every().values()

    def items(self):  # type: ignore[no-untyped-def, override]
        return self.every().items()

    def _make(self, place: int) -> RoleRef:
        ids, page_ids, names, fragments, urls, families = self._columns
        page_id = page_ids[place]
        path, page_url, family = self._where[page_id]
        return _frozen(self._cls, id=ids[place], name=names[place], family=families.get(place, family), page=path,
                       page_url=page_url, url=urls[place] if place in urls else page_url + fragments[place], page_id=page_id)

    def every(self) -> dict[int, RoleRef]:
        """Every role by id in page order, the ones made so far among them."""
        every = self._every
        if every is not None:
            return every
        with self._lock:
            if self._every is None:
                self._every = self._make_all()
            return self._every

    def _make_all(self) -> dict[int, RoleRef]:
        """What :meth:`_make` makes, for every role at once: one loop without a call per role (a
        fifth faster than calling it 24,000 times; a reload right after opening waits for it)."""
        ids, page_ids, names, fragments, urls, families = self._columns
        where, made, new, cls = self._where, self._made, object.__new__, self._cls
        roles: dict[int, RoleRef] = {}
        for place, (role_id, page_id, name, fragment) in enumerate(zip(ids, page_ids, names, fragments)):
            role = made.get(role_id)
            if role is None:
                path, page_url, family = where[page_id]
                role = new(cls)
                role.__dict__.update(id=role_id, name=name, family=families.get(place, family), page=path, page_url=page_url,
                                     url=urls[place] if place in urls else page_url + fragment, page_id=page_id)
                role = made.setdefault(role_id, role)
            roles[role_id] = role
        return roles


def _frozen(cls: type, **fields: object):  # type: ignore[no-untyped-def]
    """An instance of the plain frozen dataclass ``cls`` (:func:`_plain_frozen`) with ``fields``,
    made without its generated ``__init__``, which sets each field through ``object.__setattr__``
    (a third of making 24,000 roles, and of 3,000 families)."""
    made = object.__new__(cls)
    made.__dict__.update(fields)
    return made


@lru_cache(maxsize=None)
def _plain_frozen(cls: type) -> type:
    """``cls``, after checking that its constructor only stores its fields (a frozen dataclass
    with no ``__post_init__``, slots or defaults to fill in), so filling ``__dict__`` makes the
    same object."""
    if (not is_dataclass(cls) or not cls.__dataclass_params__.frozen or hasattr(cls, "__post_init__")  # type: ignore[attr-defined]
            or hasattr(cls, "__slots__") or any(f.default is not MISSING or f.default_factory is not MISSING for f in fields(cls))):
        raise TypeError(f"{cls.__name__} is not a plain frozen dataclass")
    return cls


def _holds_run(words: list[str], run: tuple[str, ...]) -> bool:
    size = len(run)
    return any(tuple(words[i:i + size]) == run for i in range(len(words) - size + 1))


@lru_cache(maxsize=1)
def snapshot_code() -> str:
    """A hash of the code that decides what a serving snapshot holds (this module, the resolver,
    and the index's own code version, which covers the name helpers): other code, other snapshot."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(SCHEMA_VERSION.encode())
    for name in ("knowledge.py", "resolve.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def pack_snapshot(content: dict) -> bytes:
    """A serving snapshot's bytes: its content as :mod:`marshal` data, compressed with LZ4 (a
    block that records its decoded size). Compressed, it is under half the bytes to read at open
    and to add to the -wal with each generation (which readers holding older versions keep from
    being folded in): 1.7 MB for 4.2 MB at 3,000 families. LZ4 rather than zlib: zlib (even at
    its fastest level, 0.8 MB) took a tenth of a cold start to decode, LZ4 an eighth of that."""
    return lz4.block.compress(marshal.dumps(content))


def unpack_snapshot(data: bytes) -> object:
    """What :func:`pack_snapshot` packed; raises on bytes it did not make."""
    return marshal.loads(lz4.block.decompress(data))


def snapshot_checksum(data: bytes) -> str:
    """A damaged snapshot is never decoded: SQLite keeps no checksum of a blob's bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def open_snapshot(db_path: Path) -> sqlite3.Connection:
    """A read-only connection holding one read transaction (its snapshot) from now on.

    Read-only WAL needs the -shm beside the file; SQLite creates it when the folder is writable
    (a worker, the same user as the indexer). When nobody can write the folder (a baked image),
    nobody can update the file either, and it is opened as immutable.
    """
    uri = Path(db_path).resolve().as_uri()
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(uri + "?mode=ro", uri=True, check_same_thread=False, isolation_level=None, timeout=30)
        conn.execute("BEGIN")
        conn.execute("select count(*) from meta").fetchone()  # the snapshot starts here
        return conn
    except sqlite3.OperationalError:
        if conn is not None:
            conn.close()
        if os.access(Path(db_path).parent, os.W_OK):
            raise
    conn = sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True, check_same_thread=False, isolation_level=None)
    conn.execute("BEGIN")
    return conn


class _InUse:
    """Counts a question on a :class:`Knowledge`, so retiring it waits."""

    def __init__(self, kb: Knowledge) -> None:
        self.kb = kb

    def __enter__(self) -> Knowledge:
        with self.kb.lock:
            self.kb._users += 1
        return self.kb

    def __exit__(self, *exc: object) -> None:
        kb = self.kb
        with kb.lock:
            kb._users -= 1
            if kb._retired and kb._users == 0:
                kb._close_locked()


class _ExtendsByPlace:
    """``kb.extends.get((page_id, line))``: the "Extends" row at a line of a page, read per page
    when a section of it is first shown.

    It holds its :class:`Knowledge` weakly: a version's objects are kept out of the cyclic
    collector (``bot.engine.long_lived``), so a retired version must be freed by reference
    counting alone, and a reference back to it from its own attribute would be a cycle."""

    def __init__(self, kb: Knowledge) -> None:
        self._kb = weakref.ref(kb)
        self._pages: dict[int, dict[int, sqlite3.Row]] = {}
        self._kinds: dict[int, dict[tuple[int, str], sqlite3.Row]] = {}

    def get(self, place: tuple[int, int], default: sqlite3.Row | None = None) -> sqlite3.Row | None:
        page_id, line = place
        return self.of_page(page_id).get(line, default)

    def of_page(self, page_id: int) -> dict[int, sqlite3.Row]:
        """The page's "Extends" rows by line (read once per page and version; of two at one line,
        the later row, as reading them in row order gave). Read in the page index's order (page,
        line, then row id) rather than sorted by row id afterwards: no sort a read."""
        rows = self._pages.get(page_id)
        if rows is None:
            kb = self._kb()
            if kb is None:
                raise sqlite3.ProgrammingError("this version of the index is no longer served")
            read = kb._rows("select * from extends where page_id = ? order by line, id", (page_id,))
            rows = {r["line"]: r for r in read}
            self._pages[page_id] = rows
            self._kinds[page_id] = {(r["line"], r["section_kind"]): r for r in read}
        return rows

    def of_page_by_kind(self, page_id: int) -> dict[tuple[int, str], sqlite3.Row]:
        """The page's "Extends" rows by line and the kind of section they sit in: one list under a
        heading naming two kinds ("Responsibilities & Requirements") is both sections, and its
        "same responsibilities and requirements as X" line extends each with X's own kind."""
        self.of_page(page_id)
        return self._kinds[page_id]


class _ReportedBy:
    """``kb.reported_by.get(role_id)``: the roles whose reports-to links to a role, with the sentence."""

    def __init__(self, kb: Knowledge) -> None:
        self.kb = kb

    def get(self, role_id: int, default: list | None = None) -> list[tuple[RoleRef, str]]:
        kb = self.kb
        rows = kb._tuples_locked("select role_id, sentence from reports where target_role_id = ? order by line, id", (role_id,))
        return [(kb.roles[rid], sentence) for rid, sentence in rows if rid in kb.roles] or (default if default is not None else [])
