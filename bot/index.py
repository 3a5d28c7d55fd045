"""The SQLite index of pages, roles, sections and facts.

Parsing is per page; linking is cross-page. ``sync`` re-parses only the files whose content
hash changed, then re-links only the references the change can affect (:meth:`IndexStore._link`):
the changed pages' own reports-to and "Extends" rows, rows that pointed at a role that went away,
and rows whose target text has the name, words or alias of a role that came or went (found
through indexed key columns). The result equals linking every row, which
tests/test_link.py checks on a copy of the real handbook.

The file is in WAL mode and updated in place, one transaction per sync (:func:`update_index`);
readers pin one snapshot for their whole life (:class:`bot.knowledge.Knowledge`). The database
lives in a cache directory, never beside the pages, which may be read-only.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import marshal
import os
import re
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property, lru_cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from bot import settings
from bot import safefiles
from bot.names import bag as name_bag, norm, ranks
from bot.page_model import DEFAULT_BASE_URL, Page, Problem

if TYPE_CHECKING:
    import sqlite_utils


def _code_version() -> str:
    """A hash of the code that decides what goes into the index: a new parser means a new index."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("parse.py", "markdown.py", "names.py", "index.py", *sorted(p.name for p in here.glob("page_*.py"))):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


SCHEMA_VERSION = _code_version()
PAGE_PATTERNS = ("*.md", "*.md.erb", "*.markdown")


def default_db_path(seeds_dir: Path) -> Path:
    """One cache file per pages folder, so two folders never share (or clobber) an index."""
    env = settings.get("ROLECALL_DB")
    if env:
        return Path(env).expanduser()
    cache = Path(settings.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rolecall"
    key = hashlib.sha1(str(seeds_dir.resolve()).encode()).hexdigest()[:12]
    return cache / f"index-{key}.sqlite"


PAGE_SUFFIXES = tuple(pattern.lstrip("*") for pattern in PAGE_PATTERNS)


def page_files(seeds_dir: Path) -> list[tuple[str, str]]:
    """Every page file in the folder (recursively) as a path string with its stamp
    (:func:`file_stamp`), in a stable order.

    One ``scandir`` walk, as ``rglob`` of each pattern would find them (files and links to files;
    folders that are links are not entered; unreadable folders are skipped). Strings, not
    ``Path`` objects: building 3,000 ``Path`` objects was most of a no-change refresh. Each file
    is looked at relative to its open folder (``fstatat``), not by its whole path: the stamps of
    every page are read at each start and each poll.
    """
    found: list[tuple[str, str]] = []
    folders = [str(seeds_dir)]
    while folders:
        folder = folders.pop()
        # os.path.join(folder, name) for every name in it, as one concatenation (3,000 calls of
        # join were a third of listing the pages)
        prefix = folder if folder.endswith(os.sep) else folder + os.sep
        try:
            handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            with os.scandir(handle) as listing:
                for entry in listing:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            folders.append(prefix + entry.name)
                        elif entry.name.endswith(PAGE_SUFFIXES) and entry.is_file():
                            found.append((prefix + entry.name, _entry_stamp(entry)))
                    except OSError:
                        continue
        finally:
            os.close(handle)
    # the order of sorted Paths (by parts): no name holds a NUL, which sorts before every
    # character; the sort keys made in one pass, not by a function called per page
    keys = [path.replace(os.sep, "\0") for path, _ in found]
    return [item for _, item in sorted(zip(keys, found), key=itemgetter(0))]


def _entry_stamp(entry: os.DirEntry) -> str:
    """:func:`file_stamp` of a listed file, without looking its path up again."""
    try:
        info = entry.stat()
    except OSError:
        return ""
    return f"{info.st_size}:{info.st_mtime_ns}"


def file_stamp(path: Path | str) -> str:
    """Size and modification time: a file with the same stamp has not been written since."""
    try:
        info = os.stat(path)
    except OSError:
        return ""
    return f"{info.st_size}:{info.st_mtime_ns}"


def file_sha(path: Path | str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def parse_page(path: Path, **options: object) -> tuple[Page | None, list[Problem]]:
    """:func:`bot.parse.parse_page`, imported on first use: serving an index that is already
    current never parses, and the parser's imports were a third of a cold start."""
    from bot.parse import parse_page as parse

    return parse(path, **options)  # type: ignore[arg-type]


PARALLEL_FROM = 48  # below this many changed files, a process pool costs more than it saves


ParseResult = tuple["PageRows | None", list[tuple], list[tuple], str]


def _parse_rows(args: tuple[Path, str, str, bool]) -> ParseResult:
    """Parse one page and turn it into table rows, in the worker that parsed it.

    Returns (rows or None when the page could not be read, parse problems, suspicions, the
    SHA-256 of the file's bytes or ""), problems as (path, line, message, severity). Plain tuples
    with page-local ids, which the parent only offsets (:meth:`_Rows.add`): building rows was a
    serial step in the parent, and unpickling Page objects cost the parent as much again.
    With ``hash_file`` (a fresh build, whose files nobody hashed yet) the bytes are read once,
    hashed and parsed here: the parent hashing every page before the first worker started was
    a serial step too, and the content hashed is now the content parsed.
    """
    path, shown, base_url, hash_file = args
    raw: bytes | None = None
    sha = ""
    if hash_file:
        try:
            raw = path.read_bytes()
        except OSError:  # reported by the parser's own read; the file row gets no hash
            raw = None
        else:
            sha = hashlib.sha256(raw).hexdigest()
    page, problems = parse_page(path, base_url=base_url, display_path=shown, raw=raw, raw_sha256=sha)
    plain = [(p.path, p.line, p.message, p.severity) for p in problems]
    if page is None:
        return None, plain, [], sha
    return page_rows(page), plain, [(p.path, p.line, p.message, p.severity) for p in page.suspicions], sha


def _parse_rows_packed(args: tuple[Path, str, str, bool]) -> bytes:
    """:func:`_parse_rows` in a worker, as ``marshal`` bytes: the rows are plain tuples, lists,
    strings and numbers, which marshal writes and reads back as the same values at a quarter of
    pickle's cost in the worker (the pool then pickles only one bytes object per page)."""
    return marshal.dumps(_parse_rows(args))


def parse_many(files: list[tuple[Path, str]], base_url: str, *, hash_files: bool = False) -> Iterator[ParseResult]:
    """:func:`_parse_rows` of each file, in order, on every core when there are many (parsing is
    pure and per page). A generator: results arrive while later pages are still being parsed,
    so the caller writes them as they come. ``hash_files``: the workers hash each file too."""
    jobs = [(path, shown, base_url, hash_files) for path, shown in files]
    workers = min(os.cpu_count() or 1, 8)
    done = 0
    if len(jobs) >= PARALLEL_FROM and workers >= 2:
        # imported here: multiprocessing's machinery is a fifth of the imports of a process that
        # only opens the index and answers (a cold start, an answer worker)
        from concurrent.futures import ProcessPoolExecutor

        # the parser's modules, imported once here: workers forked from this process inherit them
        # instead of each importing them again before its first page
        import bot.parse  # noqa: F401

        try:
            pool = ProcessPoolExecutor(max_workers=workers, initializer=_die_with_parent, initargs=(os.getpid(),))
        except (OSError, RuntimeError):  # no multiprocessing here (sandbox, frozen app): parse serially
            pool = None
        if pool is not None:
            try:
                chunk = max(1, min(PARSE_CHUNK, len(jobs) // (workers * 4)))
                for packed in pool.map(_parse_rows_packed, jobs, chunksize=chunk):
                    done += 1
                    yield marshal.loads(packed)
            except (OSError, RuntimeError):  # the pool broke: parse the rest here
                pass
            finally:  # also when the caller stops early (an error while writing): drop the queued pages
                pool.shutdown(wait=True, cancel_futures=True)
    for job in jobs[done:]:
        yield _parse_rows(job)


WRITE_EVERY = 64  # pages written per batch while parsing goes on
PARSE_CHUNK = 16  # pages a worker parses per task: small, so writing starts early and overlaps parsing


def _die_with_parent(parent: int) -> None:
    """Run in each parser worker: exit when the process that started the pool is gone.

    Killing ``rolecall index`` (even with SIGKILL) must not leave workers behind. On Linux the
    kernel sends SIGKILL to the worker when its parent dies (``PR_SET_PDEATHSIG``); everywhere, a
    daemon thread also checks every half second that the parent is still there.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal  # here: only a parse worker needs it, not a process that opens and answers

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="rolecall-parent-watch", daemon=True).start()


def pack_items(items: Iterable) -> str:
    """A section's items as compact JSON: ``[text, line, kind, depth, number]`` with trailing
    defaults (kind "item", depth 0, no number) left off. Key names repeated on every item were
    most of the file."""
    out = []
    for item in items:
        if item.number is not None:
            out.append([item.text, item.line, item.kind, item.depth, item.number])
        elif item.depth != 0:
            out.append([item.text, item.line, item.kind, item.depth])
        elif item.kind != "item":
            out.append([item.text, item.line, item.kind])
        else:
            out.append([item.text, item.line])
    return _compact_json(out)


def _compact_encoder() -> Callable[[object], str]:
    """``json.JSONEncoder(separators=(",", ":")).encode``, made once: ``encode`` builds a new C
    encoder on every call (json.dumps with options even a new JSONEncoder), which cost three times
    the encoding of a section's few items. The C encoder is made with the very arguments
    ``encode`` gives it, so the text is the same; without the C module, ``encode`` itself."""
    encoder = json.JSONEncoder(separators=(",", ":"))
    from json.encoder import c_make_encoder, encode_basestring_ascii

    if c_make_encoder is None:
        return encoder.encode
    make = c_make_encoder(None, encoder.default, encode_basestring_ascii, None, encoder.key_separator,
                          encoder.item_separator, False, False, True)
    return lambda value: "".join(make(value, 0))


_compact_json = _compact_encoder()
ITEM_DEFAULTS = ("item", 0, None)  # kind, depth, number


def unpack_items(raw: str) -> list[tuple[str, int, str, int, int | None]]:
    """:func:`pack_items` read back: (text, line, kind, depth, number) per item."""
    out = []
    for row in json.loads(raw):
        n = len(row)
        out.append((row[0], row[1], row[2] if n > 2 else "item", row[3] if n > 3 else 0, row[4] if n > 4 else None))
    return out


def section_text(raw_items: str) -> str:
    """The text the full-text index holds for a section (its items, one a line): the FTS table is
    contentless, so deleting a row must hand it exactly this again."""
    return "\n".join(item[0] for item in unpack_items(raw_items))


@lru_cache(maxsize=65536)
def _bag_of(key: str) -> str:
    """A name key's words, each once, sorted. Cached: a build asks it of the same role and alias
    keys on page after page (every family has its Senior, Staff, Manager ... names)."""
    return " ".join(sorted(set(key.split())))


@lru_cache(maxsize=65536)
def _ranks_key(key: str) -> str:
    return " ".join(sorted(ranks(key)))


ALTERNATIVES = re.compile(r"\s+or\s+")  # "X or Y": a reference names its first alternative


def target_keys(text: str, url: str = "") -> tuple[str, str, str, str, str]:
    """What a reference is looked up by (of its first alternative: "X or Y" links to X): lower-cased
    text, name key, word bag, rank words, URL without a trailing slash. Stored with the row, so an
    incremental link finds the rows a changed role can affect through indexes."""
    first = ALTERNATIVES.split(text.strip())[0]
    key = norm(first)
    return first.strip().lower(), key, _bag_of(key), _ranks_key(key), url.rstrip("/")


PageRows = tuple  # (page, roles, aliases, sections, fts, grades, reports, extends): see page_rows


def page_rows(page: Page) -> PageRows:
    """One page's table rows, as tuples in the tables' column order (:data:`COLUMNS`), with
    page-local ids: the page is 0, its roles, sections, reports and extends rows count from 0,
    and page_id columns are left out (:meth:`_Rows.add` puts in the real ids)."""
    from bot.parse import same_role_key

    page_row = (page.path, page.title, page.family, page.url, page.sha256, page.description, int(page.single_role))
    role_ids: dict[str, int] = {}
    roles = []
    aliases = []
    for role in page.roles.values():
        role_id = role_ids[role.name] = len(roles)
        key = norm(role.name)
        roles.append((role.name, key, page.family, role.group, role.line,
                      page.url + (f"#{role.anchor}" if role.anchor else ""), same_role_key(role.name),
                      role.name.lower(), _bag_of(key), _ranks_key(key)))
        for alias in sorted({role.name, *role.aliases}):
            alias_key = norm(alias)
            aliases.append((role_id, alias, alias_key, _bag_of(alias_key)))
    sections = []
    fts = []
    for number, s in enumerate(page.sections):
        sections.append((role_ids.get(s.owner) if s.owner else None, s.kind, s.heading, s.line,
                         page.url + (f"#{s.anchor}" if s.anchor else ""), pack_items(s.items)))
        fts.append((number, s.heading, "\n".join([i.text for i in s.items])))
    grades = [(role_ids[g.role], g.grade, g.line, g.sentence) for g in page.grades if g.role in role_ids]
    reports = []
    for r in page.reports:
        if r.role not in role_ids:
            continue
        lname, key, bag, rank, url = target_keys(r.target, r.target_url)
        reports.append((role_ids[r.role], r.target, r.target_url, None, r.line, r.sentence, int(r.dotted),
                        lname, key, bag, rank, url, 0, name_bag(r.target)))
    extends = []
    for e in page.extends:
        lname, key, bag, rank, _ = target_keys(e.target)
        extends.append((role_ids.get(e.role) if e.role else None, e.kind, e.target, e.target_kind, None, 0, e.line,
                        e.text, lname, key, bag, rank, 0))
    return page_row, roles, aliases, sections, fts, grades, reports, extends


COLUMNS = {
    "pages": "id, path, title, family, url, sha256, description, single_role",
    "roles": "id, page_id, name, norm, family, group_name, line, url, same_key, lname, bag, ranks_key",
    "aliases": "role_id, alias, norm, bag",
    "sections": "id, page_id, role_id, kind, heading, line, url, items",
    "grades": "page_id, role_id, grade, line, sentence",
    "reports": "id, page_id, role_id, target, target_url, target_role_id, line, sentence, dotted, "
               "t_lname, t_norm, t_bag, t_ranks, t_url, fuzzy, name_bag",
    "extends": "id, page_id, role_id, section_kind, target, target_kind, target_role_id, target_family, line, text, "
               "t_lname, t_norm, t_bag, t_ranks, fuzzy",
    "problems": "path, line, message, stage, severity",
    "files": "path, sha256, page_id, stamp",
}


class _Rows:
    """Rows of a batch of parsed pages, with ids assigned up front (:meth:`IndexStore._next_ids`)."""

    def __init__(self, next_ids: dict[str, int]) -> None:
        self.next = dict(next_ids)
        self.clear()

    def clear(self) -> None:
        """Forget the rows (written), keeping the next ids."""
        self.tables: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
        self.fts: list[tuple[int, str, str]] = []
        self.page_ids: list[int] = []

    def add(self, rows: PageRows) -> int:
        """Add one page's :func:`page_rows`, page-local ids made global; returns the page id."""
        page_row, roles, aliases, sections, fts, grades, reports, extends = rows
        nxt = self.next
        pid, rb, sb, pb, eb = nxt["pages"], nxt["roles"], nxt["sections"], nxt["reports"], nxt["extends"]
        nxt["pages"] = pid + 1
        nxt["roles"] = rb + len(roles)
        nxt["sections"] = sb + len(sections)
        nxt["reports"] = pb + len(reports)
        nxt["extends"] = eb + len(extends)
        t = self.tables
        t["pages"].append((pid, *page_row))
        t["roles"].extend((rb + i, pid, *r) for i, r in enumerate(roles))
        t["aliases"].extend((rb + a[0], *a[1:]) for a in aliases)
        t["sections"].extend((sb + i, pid, None if s[0] is None else rb + s[0], *s[1:]) for i, s in enumerate(sections))
        self.fts.extend((sb + f[0], f[1], f[2]) for f in fts)
        t["grades"].extend((pid, rb + g[0], *g[1:]) for g in grades)
        t["reports"].extend((pb + i, pid, rb + r[0], *r[1:]) for i, r in enumerate(reports))
        t["extends"].extend((eb + i, pid, None if e[0] is None else rb + e[0], *e[1:]) for i, e in enumerate(extends))
        self.page_ids.append(pid)
        return pid


@dataclass
class SyncReport:
    """What a sync did; printed by ``rolecall index``."""

    parsed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reused: int = 0
    full_rebuild: bool = False


@dataclass
class _Change:
    """The roles a sync took away and added, and the pages they were on: what an incremental
    link has to look at."""

    pages: set[int] = field(default_factory=set)  # page ids written by this sync
    roles: set[int] = field(default_factory=set)  # role ids removed
    lnames: set[str] = field(default_factory=set)
    norms: set[str] = field(default_factory=set)
    bags: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    new_roles: list[tuple[str, str]] = field(default_factory=list)  # (ranks_key, bag) of added roles

    def note_roles(self, conn: sqlite3.Connection, page_ids: list[int], added: bool) -> None:
        """Record the keys of every role (and alias) on these pages."""
        if not page_ids:
            return
        marks = ",".join("?" * len(page_ids))
        for rid, lname, key, bag, rank in conn.execute(
                f"select id, lname, norm, bag, ranks_key from roles where page_id in ({marks})", page_ids):
            if not added:
                self.roles.add(rid)
            else:
                self.new_roles.append((rank, bag))
            self.lnames.add(lname)
            self.norms.add(key)
            self.bags.add(bag)
        for key, bag in conn.execute(
                f"select a.norm, a.bag from aliases a join roles r on r.id = a.role_id where r.page_id in ({marks})", page_ids):
            self.norms.add(key)
            self.bags.add(bag)
        for (url,) in conn.execute(f"select rtrim(url, '/') from pages where id in ({marks}) and single_role = 1", page_ids):
            self.urls.add(url)


class _AllRoles:
    """Role lookups for linking every row: the whole roles table in dicts, read once
    (:meth:`read`), or gathered from the rows as a fresh build writes them (:meth:`add`)."""

    def __init__(self) -> None:
        self.by_lname: dict[str, list[tuple[int, int]]] = {}
        self.by_norm: dict[str, list[tuple[int, int]]] = {}
        self.by_bag: dict[str, list[tuple[int, int]]] = {}
        self.by_ranks: dict[str, tuple[list[int], list[str]]] = {}
        self.page_of: dict[int, int] = {}
        self.role_of_page: dict[int, int] = {}
        self.alias_norm: dict[str, set[int]] = {}
        self.alias_bag: dict[str, set[int]] = {}
        self.single: dict[str, int] = {}

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> "_AllRoles":
        """Every role, alias and single-role page of the index, in id (insertion) order."""
        roles = cls()
        roles.add_roles(conn.execute("select id, page_id, lname, norm, bag, ranks_key from roles order by id"))
        roles.add_aliases(conn.execute("select role_id, norm, bag from aliases"))
        roles.add_single(conn.execute("select id, rtrim(url, '/') from pages where single_role = 1 order by id"))
        return roles

    def add(self, tables: dict[str, list[tuple]]) -> None:
        """The roles, aliases and single-role pages of a batch of rows (:class:`_Rows`, in
        :data:`COLUMNS` order) about to be written: what :meth:`read` would read back, in the
        same order, without reading it back after the last page."""
        self.add_roles((r[0], r[1], r[9], r[3], r[10], r[11]) for r in tables["roles"])
        self.add_aliases((a[0], a[2], a[3]) for a in tables["aliases"])
        self.add_single((p[0], p[4].rstrip("/")) for p in tables["pages"] if p[7] == 1)

    def add_roles(self, rows: Iterable[tuple[int, int, str, str, str, str]]) -> None:
        """(id, page_id, lname, norm, bag, ranks_key) rows, in id order."""
        for rid, page_id, lname, key, bag, rank in rows:
            cand = (rid, page_id)
            self.by_lname.setdefault(lname, []).append(cand)
            self.by_norm.setdefault(key, []).append(cand)
            self.by_bag.setdefault(bag, []).append(cand)
            group = self.by_ranks.setdefault(rank, ([], []))
            group[0].append(rid)
            group[1].append(bag)
            self.page_of[rid] = page_id
            self.role_of_page[page_id] = rid

    def add_aliases(self, rows: Iterable[tuple[int, str, str]]) -> None:
        """(role_id, norm, bag) rows."""
        for rid, key, bag in rows:
            self.alias_norm.setdefault(key, set()).add(rid)
            self.alias_bag.setdefault(bag, set()).add(rid)

    def add_single(self, rows: Iterable[tuple[int, str]]) -> None:
        """(page id, URL without its trailing slashes) of single-role pages, in id order."""
        for pid, url in rows:
            self.single[url] = pid

    def named(self, lname: str) -> list[tuple[int, int]]:
        return self.by_lname.get(lname, [])

    def normed(self, key: str) -> list[tuple[int, int]]:
        return self.by_norm.get(key, [])

    def alias_normed(self, key: str) -> set[int]:
        return self.alias_norm.get(key, set())

    def single_page(self, url: str) -> tuple[bool, int | None]:
        if url not in self.single:
            return False, None
        return True, self.role_of_page.get(self.single[url])

    def bagged(self, bag: str) -> list[tuple[int, int]]:
        return self.by_bag.get(bag, [])

    def alias_bagged(self, bag: str) -> list[tuple[int, int]]:
        return [(rid, self.page_of[rid]) for rid in self.alias_bag.get(bag, ())]

    def group(self, rank: str) -> tuple[list[int], list[str]]:
        return self.by_ranks.get(rank, ([], []))


class _LinkInput:
    """What a full link of a fresh build needs, gathered from the rows as they are written while
    the workers still parse (:meth:`add`): at the end the link only resolves and updates, instead
    of first reading every role, alias and reference back from the file (serial, no worker busy)."""

    def __init__(self) -> None:
        self.roles = _AllRoles()
        self.report_rows: list[tuple] = []
        self.extend_rows: list[tuple] = []

    def add(self, tables: dict[str, list[tuple]]) -> None:
        """A batch of :class:`_Rows` tables (:data:`COLUMNS` order): the columns
        :meth:`IndexStore._link` selects, in the same order."""
        self.roles.add(tables)
        self.report_rows.extend((r[0], r[1], r[9], r[10], r[11], r[12], r[13]) for r in tables["reports"])
        family = {p[0]: p[3] for p in tables["pages"]}  # a page's extends rows come in the page's batch
        self.extend_rows.extend((e[0], e[1], e[10], e[11], e[12], e[13], "", e[4], family[e[1]]) for e in tables["extends"])


class _IndexedRoles:
    """The same lookups as :class:`_AllRoles`, each one an indexed query: linking a few rows
    must not read every role."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._groups: dict[str, tuple[list[int], list[str]]] = {}

    def _pairs(self, sql: str, value: str) -> list[tuple[int, int]]:
        return self.conn.execute(sql, (value,)).fetchall()

    def named(self, lname: str) -> list[tuple[int, int]]:
        return self._pairs("select id, page_id from roles where lname = ? order by id", lname)

    def normed(self, key: str) -> list[tuple[int, int]]:
        return self._pairs("select id, page_id from roles where norm = ? order by id", key)

    def alias_normed(self, key: str) -> set[int]:
        return {r for (r,) in self.conn.execute("select role_id from aliases where norm = ?", (key,))}

    def single_page(self, url: str) -> tuple[bool, int | None]:
        row = self.conn.execute("select id from pages where single_role = 1 and rtrim(url, '/') = ? order by id desc limit 1",
                                (url,)).fetchone()
        if row is None:
            return False, None
        return True, self.conn.execute("select max(id) from roles where page_id = ?", (row[0],)).fetchone()[0]

    def bagged(self, bag: str) -> list[tuple[int, int]]:
        return self._pairs("select id, page_id from roles where bag = ? order by id", bag)

    def alias_bagged(self, bag: str) -> list[tuple[int, int]]:
        return self._pairs("select distinct r.id, r.page_id from aliases a join roles r on r.id = a.role_id where a.bag = ?", bag)

    def group(self, rank: str) -> tuple[list[int], list[str]]:
        if rank not in self._groups:
            rows = self.conn.execute("select id, bag from roles where ranks_key = ? order by id", (rank,)).fetchall()
            self._groups[rank] = ([r[0] for r in rows], [r[1] for r in rows])
        return self._groups[rank]


FUZZY_CUTOFF = 93
GENERAL_TARGETS = ("general", "general role", "family", "base")


def _prefer(cands: list[tuple[int, int]], page_id: int) -> int | None:
    """One candidate on the row's own page, else the only candidate, else none (ambiguous)."""
    same = [c for c in cands if c[1] == page_id]
    if len(same) == 1:
        return same[0][0]
    if len(cands) == 1:
        return cands[0][0]
    return None


def resolve_target(roles: "_AllRoles | _IndexedRoles", keys: tuple[str, str, str, str, str], page_id: int,
                   use_url: bool) -> tuple[int | None, bool]:
    """The role a reference names, and whether the answer came from the fuzzy step (or from nothing),
    which a newly added role with similar words could change."""
    lname, key, bag, rank, url = keys
    exact = roles.named(lname)
    if exact:
        return _prefer(exact, page_id), False
    same_norm = roles.normed(key)
    if same_norm:
        return _prefer(same_norm, page_id), False
    via_alias_norm = roles.alias_normed(key)
    if len(via_alias_norm) == 1:
        return next(iter(via_alias_norm)), False
    if use_url and url:
        found, role_id = roles.single_page(url)
        if found:
            return role_id, False
    same_bag = roles.bagged(bag)
    if same_bag:
        return _prefer(same_bag, page_id), False
    via_alias = roles.alias_bagged(bag)
    if via_alias:
        return _prefer(via_alias, page_id), False
    # "Junior X" is never "Senior X", however close the spelling: compare like ranks only
    ids, bags = roles.group(rank)
    if not ids:
        return None, True
    from rapidfuzz import fuzz, process

    match = process.extractOne(bag, bags, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return (ids[match[2]] if match else None), True


def link_targets(roles: "_AllRoles | _IndexedRoles", report_rows: list, extend_rows: list) -> tuple[list[tuple], list[tuple]]:
    """The targets of these reports-to and "Extends" rows (the columns :meth:`IndexStore._link`
    selects), as the update parameters :meth:`IndexStore._write_links` writes. Reads nothing but
    ``roles``: over :class:`_AllRoles` it runs in a thread beside SQLite (a fresh build's end)."""
    report_updates = []
    for rid, page_id, *keys in report_rows:
        target, fuzzy = resolve_target(roles, tuple(keys), page_id, use_url=True)
        report_updates.append((target, int(fuzzy), rid))
    extend_updates = []
    for eid, page_id, lname, key, bag, rank, url, target_text, family in extend_rows:
        target, fuzzy = resolve_target(roles, (lname, key, bag, rank, url), page_id, use_url=False)
        is_general = target_text.lower().strip() in GENERAL_TARGETS or (target is None and norm(target_text) == norm(family))
        extend_updates.append((None if is_general else target, int(is_general), int(fuzzy), eid))
    return report_updates, extend_updates


FULL_LINK_FROM = 200  # changed pages from which linking every row is cheaper than finding the affected ones
TABLES_WITH_IDS = ("pages", "roles", "sections", "reports", "extends")


class IndexStore:
    """Owns the database file: schema, incremental sync and the link pass."""

    def __init__(self, db_path: Path, seeds_dir: Path, base_url: str = DEFAULT_BASE_URL, *, building: bool = False) -> None:
        """``building``: a new temporary file nobody reads yet, written without a journal (a
        failed build is deleted, not rolled back) and switched to WAL by :meth:`finish`."""
        self.db_path = db_path
        self.seeds_dir = seeds_dir
        self.base_url = base_url
        self.building = building
        check_index_path(db_path, seeds_dir)
        state = safefiles.inspect(db_path, safefiles.INDEX_APPLICATION_ID, "meta", check=False)
        if state == safefiles.FOREIGN:
            raise not_an_index(db_path)
        safefiles.ensure_parent(db_path)
        self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        """Open the file (checked by ``__init__`` to be missing, empty or ours), in WAL mode: a
        sync is one transaction, readers keep the snapshot they started with."""
        conn = sqlite3.connect(self.db_path, check_same_thread=False, timeout=30)
        if self.building:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
        else:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError:  # damaged: needs_schema() says so and sync() starts over
                pass
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        return conn

    @cached_property
    def db(self) -> "sqlite_utils.Database":
        """sqlite-utils on the same connection, for callers that like it (tests, ``rolecall``
        tools); imported on first use, as its plugin scan costs a tenth of a second."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # --- schema --------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        try:
            row = self.conn.execute("select value from meta where key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:  # no meta table: a new file
            return None
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("insert or replace into meta (key, value) values (?, ?)", (key, value))

    def _create_schema(self) -> None:
        """Start from an empty file: simpler and safer than migrating a cache."""
        self.conn.close()
        self.__dict__.pop("db", None)
        # only ever a file checked to be ours (or empty): __init__ refuses anything else
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)
        self.conn = self._open()
        self.conn.executescript(f"PRAGMA application_id = {safefiles.INDEX_APPLICATION_ID};\n"
                                f"PRAGMA user_version = {INDEX_FORMAT};\n" + SCHEMA)
        with self.conn:
            self._set_meta("schema", SCHEMA_VERSION)
            self._set_meta("base_url", self.base_url)

    def _create_indexes(self, on_link_columns: bool) -> None:
        """The secondary indexes of a new file, made once its rows are in: SQLite sorts each index
        once, where creating them with the tables inserted every row of the build into 31 B-trees
        as it was written. Those on a column the link pass writes (``on_link_columns``) or all the
        others. One statement at a time, inside the sync's transaction (``executescript`` would
        commit first)."""
        for columns, statement in INDEX_STATEMENTS:
            if bool(columns & LINK_COLUMNS) == on_link_columns:
                self.conn.execute(statement)

    # --- sync ----------------------------------------------------------------

    def needs_schema(self) -> bool:
        """True when the file is new or damaged, or was built by other code or for another base URL."""
        try:
            return self._meta("schema") != SCHEMA_VERSION or self._meta("base_url") != self.base_url
        except sqlite3.DatabaseError:
            return True

    def pending(self) -> tuple[list[tuple[str, Path, str]], list[str], int]:
        """Files changed or added since the last sync, files removed, and how many are unchanged."""
        return pending_changes(self.conn, self.seeds_dir, self._stamps)

    @cached_property
    def _stamps(self) -> dict[str, str]:
        return {}

    def sync(self, pending: tuple[list[tuple[str, Path, str]], list[str], int] | None = None,
             meta: dict[str, str] | None = None, stamps: dict[str, str] | None = None) -> SyncReport:
        """Bring the index in line with the folder, re-parsing only what changed, in one transaction.

        ``pending`` is a result of :meth:`pending` already computed for this folder, so the folder
        is not read twice, and ``stamps`` the stamps :func:`pending_changes` read with it, before it
        hashed the files: a stamp read after the hash could be that of an edit made in between, and
        the edit would never be seen (the next poll finds the stamp recorded). A changed file with
        no stamp read gets none, so the next poll hashes it again. ``meta`` rows are written in the
        same transaction (the generation).
        """
        report = SyncReport()
        if self.needs_schema():
            self._create_schema()
            report.full_rebuild = True
            pending = None
        if pending is None:
            pending = every_file(self.seeds_dir, self._stamps) if report.full_rebuild else self.pending()
        else:
            self._stamps.update(stamps or {})
        changed, removed, report.reused = pending
        if not changed and not removed:
            return report
        conn = self.conn
        last_good = {path: page_id for path, page_id in conn.execute("select path, page_id from files where page_id is not null")}
        incremental = not report.full_rebuild and len(changed) + len(removed) < FULL_LINK_FROM
        change = _Change() if incremental else None
        parsed = parse_many([(path, shown) for shown, path, _ in changed], self.base_url, hash_files=report.full_rebuild)
        with contextlib.closing(parsed), conn:
            if change is not None:
                change.note_roles(conn, [last_good[s] for s in removed if s in last_good], added=False)
            for shown in removed:
                self._delete_file(shown)
            report.removed = removed
            rows = _Rows(self._next_ids())
            gathered = _LinkInput() if report.full_rebuild else None  # a new file: every row passes here
            written: list[int] = []
            for (shown, _path, sha), (page, problems, suspicions, hashed) in zip(changed, parsed):
                sha = sha or hashed  # a fresh build's files are hashed by the workers
                stamp = self._stamps.get(shown, "")
                if page is None and shown in last_good:  # a page that no longer parses keeps its last good version
                    conn.execute("update files set sha256 = ?, stamp = ? where path = ?", [sha, stamp, shown])
                    conn.execute("delete from problems where path = ? and stage = 'parse'", [shown])
                    problems = [(p[0], p[1], p[2] + "; the last good version of this page is still served", p[3]) for p in problems]
                else:
                    if change is not None and shown in last_good:
                        change.note_roles(conn, [last_good[shown]], added=False)
                    if not report.full_rebuild:  # a new file holds nothing to delete
                        self._delete_file(shown)
                    page_id = rows.add(page) if page is not None else None
                    rows.tables["files"].append((shown, sha, page_id, stamp))
                    problems = problems + suspicions
                rows.tables["problems"].extend((p[0], p[1], p[2], "parse", p[3]) for p in problems)
                report.parsed.append(shown)
                if len(rows.tables["files"]) >= WRITE_EVERY:
                    written += self._write(rows, gathered)  # while the workers parse the next pages
            written += self._write(rows, gathered)
            for table in TABLES_WITH_IDS:
                self._set_meta(f"next_id:{table}", str(rows.next[table]))
            if change is not None:
                change.pages = set(written)
                change.note_roles(conn, sorted(change.pages), added=True)
            if gathered is not None:  # a fresh build: its link and its secondary indexes
                self._link_fresh(gathered)
            else:
                self._link(change)
            self._set_meta("indexed_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))
            for key, value in (meta or {}).items():
                self._set_meta(key, value)
            self._set_meta("pages_digest", self.pages_digest())
        return report

    def _next_ids(self) -> dict[str, int]:
        """Ids are assigned here, not by SQLite, so a whole batch can be written in one insert per
        table; never reused (kept in meta), so a reader can keep what it loaded of an id."""
        out = {}
        for table in TABLES_WITH_IDS:
            top = self.conn.execute(f"select coalesce(max(id), 0) from {table}").fetchone()[0] + 1
            out[table] = max(top, int(self._meta(f"next_id:{table}") or 0))
        return out

    def _write(self, rows: "_Rows", gathered: "_LinkInput | None" = None) -> list[int]:
        """One executemany per table, then forget the rows; returns the page ids written.
        ``gathered`` (a fresh build) takes what the link pass will need from the rows first."""
        conn = self.conn
        if gathered is not None:
            gathered.add(rows.tables)
        for table, data in rows.tables.items():
            if data:
                columns = COLUMNS[table]
                verb = "insert or replace" if table == "files" else "insert"
                conn.executemany(f"{verb} into {table} ({columns}) values ({', '.join('?' * (columns.count(',') + 1))})", data)
        if rows.fts:
            conn.executemany("insert into sections_fts(rowid, heading, text) values (?, ?, ?)", rows.fts)
        written = rows.page_ids
        rows.clear()
        return written

    def _delete_file(self, shown: str) -> None:
        conn = self.conn
        row = conn.execute("select page_id from files where path = ?", [shown]).fetchone()
        page_id = row[0] if row else None
        if page_id is not None:
            # the FTS table is contentless: tell it what leaves, with the text it was given
            conn.executemany(
                "insert into sections_fts(sections_fts, rowid, heading, text) values ('delete', ?, ?, ?)",
                [(sid, heading, section_text(items))
                 for sid, heading, items in conn.execute("select id, heading, items from sections where page_id = ?", [page_id])],
            )
            conn.execute("delete from aliases where role_id in (select id from roles where page_id = ?)", [page_id])
            for table in ("sections", "grades", "reports", "extends", "roles"):
                conn.execute(f"delete from {table} where page_id = ?", [page_id])
            conn.execute("delete from pages where id = ?", [page_id])
        conn.execute("delete from problems where path = ?", [shown])
        conn.execute("delete from files where path = ?", [shown])

    def _insert_problems(self, problems: list[Problem], stage: str, ref: str | None = None) -> None:
        self.conn.executemany("insert into problems (path, line, message, stage, severity, ref) values (?, ?, ?, ?, ?, ?)",
                              [(p.path, p.line, p.message, stage, p.severity, ref) for p in problems])

    # --- link pass -------------------------------------------------------------

    def _link_fresh(self, gathered: _LinkInput) -> None:
        """The full link of a fresh build, from the rows gathered as they were written (the same
        updates and problems as :meth:`_link` of every row, tests/test_fresh_build.py), and its
        secondary indexes, on both cores: the parse workers are done, so while a thread resolves
        the targets (Python) SQLite sorts every index on a column the link does not write (it
        lets go of the GIL while a statement runs; an update changes only the indexes on the
        columns it sets). Then the targets are written, the link problems derived, and the two
        indexes on link targets made."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rolecall-link") as pool:
            resolved = pool.submit(link_targets, gathered.roles, gathered.report_rows, gathered.extend_rows)
            self._create_indexes(on_link_columns=False)
            report_updates, extend_updates = resolved.result()
        self._write_links(report_updates, extend_updates)
        self._link_problems(None, None)
        self._create_indexes(on_link_columns=True)

    def _link(self, change: _Change | None = None) -> None:
        """Resolve cross-role references: every row (``change`` None), or only the rows the change
        can affect (see :meth:`_affected`). Link problems are then re-derived from the rows."""
        conn = self.conn
        if change is None:
            roles: _AllRoles | _IndexedRoles = _AllRoles.read(conn)
            report_rows = conn.execute("select id, page_id, t_lname, t_norm, t_bag, t_ranks, t_url from reports").fetchall()
            extend_rows = conn.execute("select e.id, e.page_id, e.t_lname, e.t_norm, e.t_bag, e.t_ranks, '', e.target, p.family "
                                       "from extends e join pages p on p.id = e.page_id").fetchall()
        else:
            roles = _IndexedRoles(conn)
            report_ids, extend_ids = self._affected(change)
            report_rows = _rows_by_id(conn, "select id, page_id, t_lname, t_norm, t_bag, t_ranks, t_url from reports", report_ids)
            extend_rows = _rows_by_id(conn, "select e.id, e.page_id, e.t_lname, e.t_norm, e.t_bag, e.t_ranks, '', e.target, p.family "
                                            "from extends e join pages p on p.id = e.page_id", extend_ids, "e.id")
        self._set_links(roles, report_rows, extend_rows)
        if change is None:
            self._link_problems(None, None)
        else:
            self._link_problems({r[0] for r in report_rows}, {e[0] for e in extend_rows})

    def _set_links(self, roles: "_AllRoles | _IndexedRoles", report_rows: list, extend_rows: list) -> None:
        """Resolve these reports-to and "Extends" rows (the columns :meth:`_link` selects) and write
        their targets."""
        self._write_links(*link_targets(roles, report_rows, extend_rows))

    def _write_links(self, report_updates: list[tuple], extend_updates: list[tuple]) -> None:
        """Write what :func:`link_targets` resolved."""
        conn = self.conn
        conn.executemany("update reports set target_role_id = ?, fuzzy = ? where id = ?", report_updates)
        conn.executemany("update extends set target_role_id = ?, target_family = ?, fuzzy = ? where id = ?", extend_updates)

    def _affected(self, change: _Change) -> tuple[set[int], set[int]]:
        """Rows whose link a change can alter: rows of the written pages, rows that pointed at a
        removed role, rows whose target has the name, key, words or (single-role page) URL of a
        role that came or went, and rows the fuzzy step matched (or nothing matched) whose words
        are close to an added role's. Every lookup goes through an index."""
        conn = self.conn
        found: dict[str, set[int]] = {"reports": set(), "extends": set()}
        for table in found:
            ids = found[table]
            for column, values in (("page_id", change.pages), ("target_role_id", change.roles), ("t_lname", change.lnames),
                                   ("t_norm", change.norms), ("t_bag", change.bags),
                                   ("t_url", change.urls if table == "reports" else set())):
                for chunk, marks in _in_chunks(sorted(values)):
                    ids.update(r for (r,) in conn.execute(f"select id from {table} where {column} in ({marks})", chunk))
            by_rank: dict[str, list[str]] = {}
            for rank, bag in change.new_roles:
                by_rank.setdefault(rank, []).append(bag)
            if by_rank:
                from rapidfuzz import fuzz, process

                # one read of the unlinked and fuzzily linked rows, not one per rank: through the
                # ranks index, "manager" alone is 12,000 rows to look at for none of them
                candidates: dict[str, dict[int, str]] = {rank: {} for rank in by_rank}
                for rid, bag, rank in conn.execute(f"select id, t_bag, t_ranks from {table} "
                                                   "where target_role_id is null or fuzzy = 1 order by id"):
                    if rank in candidates and rid not in ids:
                        candidates[rank][rid] = bag
                for rank, bags in by_rank.items():
                    for b in dict.fromkeys(bags):  # each added role's words against every candidate, in one call
                        ids.update(rid for _, _, rid in process.extract(b, candidates[rank], scorer=fuzz.ratio, processor=None,
                                                                        score_cutoff=FUZZY_CUTOFF, limit=None))
        return found["reports"], found["extends"]

    def _link_problems(self, report_ids: set[int] | None, extend_ids: set[int] | None) -> None:
        """Link problems follow from the linked rows alone (each carries its row, ``ref``), so an
        incremental link re-derives those of the rows it re-linked and a full link all of them;
        "Extends" cycles are looked for again over every edge (a few thousand rows)."""
        conn = self.conn
        if report_ids is None or extend_ids is None:
            conn.execute("delete from problems where stage = 'link'")
            only_reports = only_extends = ""
        else:
            refs = [f"r{i}" for i in report_ids] + [f"e{i}" for i in extend_ids] + ["cycle"]
            for chunk, marks in _in_chunks(refs):
                conn.execute(f"delete from problems where stage = 'link' and ref in ({marks})", chunk)
            only_reports = f" and r.id in ({','.join(map(str, sorted(report_ids)))})"
            only_extends = f" and e.id in ({','.join(map(str, sorted(extend_ids)))})"
        conn.execute(
            "insert into problems (path, line, message, stage, severity, ref) "
            "select p.path, r.line, 'reports-to target ''' || r.target || ''' matches no role in the index', 'link', "
            "'suspicion', 'r' || r.id from reports r join pages p on p.id = r.page_id "
            f"where r.target_role_id is null{only_reports} order by p.path, r.line, r.id")
        conn.execute(
            "insert into problems (path, line, message, stage, severity, ref) "
            "select p.path, e.line, '''' || e.text || ''': no role named ''' || e.target || ''' to extend', 'link', 'error', "
            "'e' || e.id from extends e join pages p on p.id = e.page_id "
            f"where e.target_role_id is null and e.target_family = 0{only_extends} order by e.id")
        self._report_cycles(self._extends_edges())

    def _extends_edges(self) -> dict[tuple[int, str], list[tuple[int, str]]]:
        """The linked "Extends" rows that can be part of a loop, as edges (role, section kind) ->
        (target role, "path:line"), in row order: those of a role that some row extends. A role
        nothing extends can neither start a loop back to itself nor be reached by the walk, and
        the rows of a role are all kept or all left out, so :meth:`_report_cycles` finds the same
        loops in the same order as over every row; most roles extend a base role that extends
        nothing, so this reads 6,000 of 14,000 rows at 3,000 families, on every update."""
        edges: dict[tuple[int, str], list[tuple[int, str]]] = {}
        for role_id, kind, target, path, line in self.conn.execute(
                "select e.role_id, coalesce(nullif(e.target_kind, ''), e.section_kind), e.target_role_id, p.path, e.line "
                "from extends e join pages p on p.id = e.page_id "
                "where e.target_role_id is not null and e.role_id is not null "
                "and e.role_id in (select target_role_id from extends where target_role_id is not null) order by e.id"):
            edges.setdefault((role_id, kind), []).append((target, f"{path}:{line}"))
        return edges

    def _report_cycles(self, edges: dict[tuple[int, str], list[tuple[int, str]]]) -> None:
        """An "Extends" loop (A extends B extends A) is reported once; answers stop at the loop."""
        seen_cycles: set[frozenset[int]] = set()
        found: list[tuple[str, int, str, list[int]]] = []
        for (start, kind) in list(edges):
            stack = [(start, [start])]
            while stack:
                node, path = stack.pop()
                for target, where in edges.get((node, kind), []):
                    if target == start:
                        key = frozenset(path)
                        if key not in seen_cycles:
                            seen_cycles.add(key)
                            file, _, line = where.rpartition(":")
                            found.append((file, int(line), kind, path + [start]))
                    elif target not in path and len(path) < 20:
                        stack.append((target, path + [target]))
        if not found:
            return
        ids = sorted({n for *_, path in found for n in path})
        names = dict(_rows_by_id(self.conn, "select id, name from roles", set(ids)))
        self._insert_problems([Problem(file, line, f"'Extends' cycle in {kind}: " + " -> ".join(names[n] for n in path if n in names))
                               for file, line, kind, path in found], "link", "cycle")

    def _fetch(self, sql: str, params: list | tuple = ()) -> list[sqlite3.Row]:
        """Rows readable by column name."""
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params).fetchall()

    # --- reading ---------------------------------------------------------------

    def problems(self) -> list[Problem]:
        return [Problem(r["path"], r["line"], r["message"], r["severity"] or "error")
                for r in self._fetch("select * from problems where severity = 'error' order by path, line")]

    def meta(self, key: str) -> str | None:
        return self._meta(key)

    def pages_digest(self) -> str:
        """A hash of every page's path and content hash: two indexes of the same pages agree on it."""
        digest = hashlib.sha256()
        for path, sha in self.conn.execute("select path, sha256 from files order by path"):
            digest.update(f"{path}\0{sha}\n".encode())
        return digest.hexdigest()[:12]

    def finish(self) -> None:
        """End a build (``building``): check what was written, then switch the file to WAL, the
        mode it is served and updated in. Raises FileSafetyError when the check fails."""
        rows = self.conn.execute("PRAGMA quick_check").fetchall()
        if rows != [("ok",)]:
            raise safefiles.FileSafetyError(f"the new index {self.db_path} failed its check: {rows[0][0]}")
        self.conn.execute("PRAGMA journal_mode=WAL")

    def close(self) -> None:
        self.conn.close()


def every_file(seeds_dir: Path, stamps: dict[str, str]) -> tuple[list[tuple[str, Path, str]], list[str], int]:
    """What :func:`pending_changes` finds for an empty index, without hashing: every file, in the
    same order, with its stamp recorded in ``stamps`` and an empty hash, which the parse workers
    fill in (:func:`_parse_rows`) as they read the file."""
    seeds = str(seeds_dir)
    changed = []
    for path, stamp in page_files(seeds_dir):
        shown = display_path(path, seeds)
        stamps[shown] = stamp
        changed.append((shown, Path(path), ""))
    return changed, [], 0


def _rows_by_id(conn: sqlite3.Connection, select: str, ids: set[int], column: str = "id") -> list[tuple]:
    """``select`` restricted to rows with these ids, in id order, in chunks that fit a statement."""
    out: list[tuple] = []
    for chunk, marks in _in_chunks(sorted(ids)):
        out.extend(conn.execute(f"{select} where {column} in ({marks}) order by {column}", chunk))
    return out


IN_CHUNK = 500  # values in one "in (...)": well under SQLite's limit on a statement's variables


def _in_chunks(values: list) -> Iterator[tuple[list, str]]:
    """``values`` in chunks that fit one statement, each with its ``?,?,...`` placeholders."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start:start + IN_CHUNK]
        yield chunk, ",".join("?" * len(chunk))


def display_path(path: str, seeds: str) -> str:
    """A page's path as people know it: relative to the pages folder."""
    prefix = seeds.rstrip(os.sep) + os.sep
    return path[len(prefix):] if path.startswith(prefix) else path


def pending_changes(conn: sqlite3.Connection, seeds_dir: Path, stamps: dict[str, str] | None = None,
                    touched: dict[str, tuple[str, str]] | None = None
                    ) -> tuple[list[tuple[str, Path, str]], list[str], int]:
    """Files changed or added since the last sync, files removed, and how many are unchanged.

    A file whose size and modification time are as recorded is not read again: the watcher polls
    every few seconds, and hashing thousands of pages each time would cost a core. Content hashes
    still decide what counts as a change. ``stamps`` collects the stamps seen, for the sync;
    ``touched`` the files whose stamp moved but whose content did not (path -> (stamp, sha)), so
    their new stamps can be recorded (:func:`_restamp`) and they are not hashed at every poll.
    """
    prefix = str(seeds_dir).rstrip(os.sep) + os.sep  # display_path, inline: it is called for every page at every poll
    cut = len(prefix)
    files = {p[cut:] if p.startswith(prefix) else p: (p, stamp) for p, stamp in page_files(seeds_dir)}
    try:
        known = {path: (sha, stamp or "") for path, sha, stamp in conn.execute("select path, sha256, stamp from files")}
    except sqlite3.OperationalError:  # no files table yet
        known = {}
    changed: list[tuple[str, Path, str]] = []
    unchanged = 0
    for shown, (path, stamp) in files.items():
        if stamps is not None:
            stamps[shown] = stamp
        old_sha, old_stamp = known.get(shown, ("", ""))
        if stamp and stamp == old_stamp:
            unchanged += 1
            continue
        try:
            sha = file_sha(path)
        except OSError:
            sha = ""
        if sha and old_sha == sha:
            unchanged += 1  # touched, not changed
            if touched is not None and stamp:
                touched[shown] = (stamp, sha)
        else:
            changed.append((shown, Path(path), sha))
    return changed, [p for p in known if p not in files], unchanged


SCHEMA = """
create table meta (key text primary key, value text);
create table files (path text primary key, sha256 text, page_id integer, stamp text);
create table pages (id integer primary key, path text, title text, family text, url text, sha256 text,
                    description text, single_role integer);
create table roles (id integer primary key, page_id integer references pages(id), name text, norm text, family text,
                    group_name text, line integer, url text, same_key text, lname text, bag text, ranks_key text);
create table aliases (role_id integer references roles(id), alias text, norm text, bag text);
create table sections (id integer primary key, page_id integer references pages(id), role_id integer, kind text,
                       heading text, line integer, url text, items text);
create table grades (page_id integer, role_id integer, grade float, line integer, sentence text);
create table reports (id integer primary key, page_id integer, role_id integer, target text, target_url text,
                      target_role_id integer, line integer, sentence text, dotted integer,
                      t_lname text, t_norm text, t_bag text, t_ranks text, t_url text, fuzzy integer, name_bag text);
create table extends (id integer primary key, page_id integer, role_id integer, section_kind text, target text,
                      target_kind text, target_role_id integer, target_family integer, line integer, text text,
                      t_lname text, t_norm text, t_bag text, t_ranks text, fuzzy integer);
-- severity: "error" (could not be read) or "suspicion" (read, but probably not as meant)
create table problems (path text, line integer, message text, stage text, severity text, ref text);
-- contentless: the text lives once, in sections.items; a deleted row hands its text back (_delete_file)
create virtual table sections_fts using fts5 (heading, text, content='', tokenize='porter');
"""

# secondary indexes, made by a fresh build once its rows are in (IndexStore._create_indexes). Each is read by
# a lookup in bot/ (the incremental link, a one-page delete, an answer); roles.same_key is stored but never
# looked up by, so it has none (every index is paid for by every build and update).
SCHEMA_INDEXES = """
create index roles_page on roles (page_id);
create index roles_norm on roles (norm);
create index roles_lname on roles (lname);
create index roles_bag on roles (bag);
create index roles_ranks on roles (ranks_key);
create index aliases_role on aliases (role_id);
create index aliases_norm on aliases (norm);
create index aliases_bag on aliases (bag);
create index sections_role on sections (role_id, kind);
create index sections_page on sections (page_id, kind);
create index grades_grade on grades (grade);
create index grades_role on grades (role_id);
create index grades_page on grades (page_id);
create index reports_role on reports (role_id);
create index reports_page on reports (page_id);
create index reports_target on reports (target_role_id);
create index reports_lname on reports (t_lname);
create index reports_norm on reports (t_norm);
create index reports_bag on reports (t_bag);
create index reports_ranks on reports (t_ranks);
create index reports_url on reports (t_url);
create index reports_name_bag on reports (name_bag);
create index extends_role on extends (role_id, section_kind);
create index extends_page on extends (page_id, line);
create index extends_target on extends (target_role_id);
create index extends_lname on extends (t_lname);
create index extends_norm on extends (t_norm);
create index extends_bag on extends (t_bag);
create index extends_ranks on extends (t_ranks);
create index problems_path on problems (path);
create index problems_ref on problems (ref);
"""

# --- the index file: ownership, one writer at a time, updates in place ------------------

# (its columns, "create index <name> on <table> (<columns>)") for each secondary index
INDEX_STATEMENTS = tuple((frozenset(c.strip() for c in sql[sql.index("(") + 1:sql.rindex(")")].split(",")), sql)
                         for sql in (s.strip() for s in SCHEMA_INDEXES.split(";")) if sql)
LINK_COLUMNS = frozenset({"target_role_id", "target_family", "fuzzy"})  # what the link pass updates

INDEX_FORMAT = 2  # PRAGMA user_version of an index file; 2: WAL, compact items, contentless FTS
TEMP_TAG = "building"
WAL_SIZE_LIMIT = 16 * 1024 * 1024  # the -wal file is cut back to this after a checkpoint
CHECK_INLINE_BYTES = 8 * 1024 * 1024  # files up to this size are checked before use (a few ms)
CHECK_AGAIN_SECONDS = 3600.0  # a large file in service is checked again in the background this often
CHECK_DELAY_SECONDS = 2.0  # ... starting this long after it is first seen, off the cold start's CPU


def not_an_index(db_path: Path) -> safefiles.FileSafetyError:
    return safefiles.FileSafetyError(
        f"{db_path} is not a Rolecall index; refusing to overwrite it (choose another --db / ROLECALL_DB)"
    )


def check_index_path(db_path: Path, seeds_dir: Path) -> None:
    """Refuse an index path that could only end badly: inside the pages folder, or a folder."""
    if safefiles.is_inside(db_path, seeds_dir):
        raise safefiles.FileSafetyError(
            f"the index {db_path} would be inside the pages folder {seeds_dir}; choose a --db / ROLECALL_DB outside it"
        )
    if db_path.is_dir():
        raise safefiles.FileSafetyError(f"the index {db_path} is a folder, not a file; give a file name (--db / ROLECALL_DB)")


def index_identity(db_path: Path) -> tuple[int, int] | None:
    """(device, inode) of the index file: a rebuilt file (schema, damage) gets a new one; an update
    in place keeps it and raises the generation (:func:`read_generation`) instead."""
    try:
        info = db_path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


class _Checks:
    """Damage detection off the path to the first answer.

    ``PRAGMA quick_check`` reads the whole file (a third of a second at 3,000 families). A small
    file is checked before use; a large one in a background thread a little after this process
    first sees it, and again every hour; a failed check marks the file, and the next
    :func:`update_index` rebuilds it. A build checks what it wrote before swapping it in.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.damaged: set[tuple[int, int]] = set()
        self.checked: dict[tuple[int, int], float] = {}  # identity -> when a background check was started

    def verdict(self, db_path: Path) -> bool:
        """False when the file is known to be damaged; otherwise True (checking it, now or soon)."""
        identity = index_identity(db_path)
        if identity is None:
            return True
        with self.lock:
            if identity in self.damaged:
                return False
        try:
            size = db_path.stat().st_size
        except OSError:
            return True
        if size <= CHECK_INLINE_BYTES:
            return safefiles.quick_check(db_path)
        now = time.monotonic()
        with self.lock:
            last = self.checked.get(identity)
            if last is not None and now - last < CHECK_AGAIN_SECONDS:
                return True
            self.checked[identity] = now
        timer = threading.Timer(CHECK_DELAY_SECONDS, self._check, (db_path, identity))
        timer.daemon = True
        timer.name = "rolecall-index-check"
        timer.start()
        return True

    def _check(self, db_path: Path, identity: tuple[int, int]) -> None:
        if index_identity(db_path) != identity:
            return  # replaced meanwhile: the new file gets its own check
        if not check_file(db_path):
            import logging

            logging.getLogger(__name__).error("the index %s is damaged; it is rebuilt on the next refresh", db_path)
            with self.lock:
                self.damaged.add(identity)

    def forget(self, db_path: Path) -> None:
        identity = index_identity(db_path)
        with self.lock:
            self.damaged.discard(identity)  # type: ignore[arg-type]
            self.checked.pop(identity, None)  # type: ignore[arg-type]


def check_file(db_path: Path) -> bool:
    """``PRAGMA quick_check`` of the file as it is now, uncached (:func:`bot.safefiles.check_now`):
    the background check of a large file in service must read it again each time."""
    return safefiles.check_now(db_path)


CHECKS = _Checks()


def update_index(db_path: Path, seeds_dir: Path, base_url: str = DEFAULT_BASE_URL) -> SyncReport:
    """Bring the index file in line with the pages, safely for readers and for other writers.

    * A current index (ours, this code, this base URL) is updated in place in one WAL
      transaction: readers keep the snapshot they started with and never see half a change;
      a writer killed half way leaves nothing (the transaction never committed).
    * A file that has to be built from scratch (new, damaged, other code or base URL) is
      written to a unique temporary file beside it, checked, and moved over it with one
      ``os.replace`` after the old file's -wal/-shm are retired (:func:`_swap_in`).
    * One writer at a time (:class:`bot.safefiles.WriterLock`): a process that waited
      looks again, and when the winner already did the work it simply uses the winner's file.
    * A file that is not provably a Rolecall index is never deleted or overwritten.
    * On any failure (read-only folder, full disk) a :class:`bot.safefiles.FileSafetyError`
      names the path; the old index is untouched and any temporary file removed.
    """
    check_index_path(db_path, seeds_dir)
    touched: dict[str, tuple[str, str]] = {}
    stamps: dict[str, str] = {}
    first = _pending_if_current(db_path, seeds_dir, base_url, touched, stamps)
    if _unchanged(first):
        if touched:
            _restamp(db_path, touched)
        return SyncReport(reused=first[1][2])  # type: ignore[index]
    safefiles.ensure_parent(db_path)
    if not os.access(db_path.parent, os.W_OK):
        raise safefiles.FileSafetyError(f"cannot write the index {db_path}: the folder {db_path.parent} is read-only")
    with safefiles.WriterLock(db_path):
        for stale in safefiles.stale_temp_files(db_path, TEMP_TAG):
            safefiles.remove_quietly(stale)  # left by a writer that was killed (we hold the lock)
        current = first
        if first is None or read_generation(db_path) != first[0]:
            stamps = {}
            current = _pending_if_current(db_path, seeds_dir, base_url, stamps=stamps)  # another writer got there first
        if current is not None and not current[1][0] and not current[1][1]:
            return SyncReport(reused=current[1][2])
        try:
            if current is not None:
                try:
                    return _update_in_place(db_path, seeds_dir, base_url, current, stamps)
                except sqlite3.DatabaseError as error:
                    if not _is_damage(error):
                        raise
                    CHECKS.damaged.add(index_identity(db_path))  # type: ignore[arg-type]
            return _rebuild(db_path, seeds_dir, base_url)
        except safefiles.FileSafetyError:
            raise
        except (OSError, sqlite3.Error) as error:
            raise safefiles.FileSafetyError(f"cannot write the index {db_path}: {safefiles.describe(error)}") from None


def unchanged_report(db_path: Path, seeds_dir: Path, base_url: str = DEFAULT_BASE_URL) -> SyncReport | None:
    """What :func:`update_index` would report when it has nothing to write (the index is current,
    no page changed, none was even touched: what a start usually finds), else None. Only reads,
    so it may run beside an open of the index (:meth:`bot.engine.Engine._open_synced`); None
    means: sync with :func:`update_index`."""
    check_index_path(db_path, seeds_dir)
    touched: dict[str, tuple[str, str]] = {}
    first = _pending_if_current(db_path, seeds_dir, base_url, touched)
    return SyncReport(reused=first[1][2]) if _unchanged(first) and not touched else None  # type: ignore[index]


def _unchanged(pending: tuple | None) -> bool:
    """A current index (``_pending_if_current`` found one) with no page changed, added or removed."""
    return pending is not None and not pending[1][0] and not pending[1][1]


def _restamp(db_path: Path, touched: dict[str, tuple[str, str]]) -> None:
    """Record the new size and modification time of pages that were touched but not changed (a
    checkout, a copy without times), so the next poll and the next start do not hash them again.

    Only an optimisation: the content is the same, so no new generation; a row whose content
    changed in between (another writer) keeps its stamp, and a failure (read-only folder, full
    disk) only means hashing again next time.
    """
    def restamp(conn: sqlite3.Connection) -> bool:
        conn.executemany("update files set stamp = ? where path = ? and sha256 = ?",
                         [(stamp, shown, sha) for shown, (stamp, sha) in touched.items()])
        return True

    _optional_write(db_path, restamp, f"record the stamps of {len(touched)} touched page(s)")


def _optional_write(db_path: Path, write: Callable[[sqlite3.Connection], bool], what: str) -> bool:
    """Run ``write`` in one transaction of the index, under the writer lock, for a write that is
    only an optimisation (new stamps, a serving snapshot): as the sync writes (IndexStore), no
    fsync per commit and the -wal cut back after a checkpoint, since what a power cut loses is only
    written again; any failure (busy lock, read-only folder, full disk) is logged at debug level and
    gives False, as does ``write`` returning False (it found nothing to do)."""
    if not os.access(db_path.parent, os.W_OK):
        return False
    try:
        with safefiles.WriterLock(db_path, timeout=5.0):
            conn = sqlite3.connect(db_path, timeout=5)
            try:
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
                with conn:
                    return write(conn)
            finally:
                conn.close()
    except (OSError, sqlite3.Error, safefiles.FileSafetyError) as error:
        logging.getLogger(__name__).debug("could not %s in %s: %s", what, db_path, error)
        return False


SERVING_TABLE = """create table if not exists serving (generation integer, pages_digest text, format integer,
                                                  code text, checksum text, data blob)"""


def write_serving_snapshot(db_path: Path, stamp: tuple[int, str, int, str], checksum: str, data: bytes) -> bool:
    """Store the serving snapshot of one index version (``bot.knowledge``: what opening that
    version builds, as marshal data) so the next process opens it in one read.

    Only for the version the file holds now: inside the write transaction the generation and
    pages digest must still be the snapshot's, else another writer moved on and nothing is
    written. Readers check the stamp (and the checksum) again before using it. Only an
    optimisation: any failure (busy lock, read-only folder, full disk) is logged at debug level
    and the next writer to open the index tries again. True when it was written.
    """
    generation, digest = stamp[0], stamp[1]

    def store(conn: sqlite3.Connection) -> bool:
        meta = dict(conn.execute("select key, value from meta where key in ('generation', 'pages_digest')"))
        if int(meta.get("generation") or 0) != generation or (meta.get("pages_digest") or "") != digest:
            return False
        conn.execute(SERVING_TABLE)
        conn.execute("delete from serving")
        conn.execute("insert into serving values (?, ?, ?, ?, ?, ?)", (*stamp, checksum, data))
        return True

    return _optional_write(db_path, store, "store the serving snapshot")


def checkpoint(db_path: Path, mode: str = "TRUNCATE") -> None:
    """Fold the -wal into the file when no reader holds it back (SQLite does this when its last
    connection closes; a read-only connection cannot). Only tidiness: failures (a damaged or busy
    file) are ignored."""
    try:
        conn = sqlite3.connect(db_path, timeout=5)
        try:
            conn.execute(f"PRAGMA wal_checkpoint({mode})")
        finally:
            conn.close()
    except sqlite3.Error:
        pass


def _is_damage(error: sqlite3.DatabaseError) -> bool:
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in str(error)


def _update_in_place(db_path: Path, seeds_dir: Path, base_url: str,
                     current: tuple[int, tuple[list[tuple[str, Path, str]], list[str], int]],
                     stamps: dict[str, str]) -> SyncReport:
    """One transaction on the served file (we hold the writer lock), recording the ``stamps``
    read with ``current``."""
    store = IndexStore(db_path, seeds_dir, base_url)
    try:
        return store.sync(pending=current[1], meta={"generation": str(current[0] + 1)}, stamps=stamps)
    finally:
        store.close()


def _rebuild(db_path: Path, seeds_dir: Path, base_url: str) -> SyncReport:
    """Build a whole new file beside the old one and swap it in (we hold the writer lock)."""
    generation = read_generation(db_path)
    temp = safefiles.temp_path(db_path, TEMP_TAG)
    try:
        store = IndexStore(temp, seeds_dir, base_url, building=True)
        try:
            with _collector_paused():
                report = store.sync(meta={"generation": str(generation + 1)})
            with _written_out_meanwhile(temp):
                store.finish()
        finally:
            store.close()
        safefiles.fsync_file(temp)
        _swap_in(temp, db_path)
        CHECKS.forget(db_path)
        return report
    finally:
        if temp.exists():
            safefiles.remove_quietly(temp)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a fresh build runs in this process.

    The build's objects are rows (tuples of strings and numbers) and the link pass's lookups,
    which hold no reference cycles and are freed by reference counting; but the link input grows
    to hundreds of thousands of them, so the collector kept scanning a growing heap and finding
    nothing (2% of the parent's instructions at 1,000 families, measured with callgrind, more at
    3,000). The collector runs as before once the rows are written.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _written_out_meanwhile(path: Path) -> Iterator[None]:
    """While the body runs, a thread has the kernel write the file's pages to disk (an fsync).

    A fresh build's last steps were the check of the new file (CPU: it reads every page) and then
    its fsync (the disk: 0.4-0.6 s for 128 MB at 3,000 families), one after the other. Overlapped,
    the fsync after the body (the one that makes the file durable before it is moved in) only
    writes what the body changed. A failure here changes nothing: that later fsync reports it.
    """
    def write_out() -> None:
        try:
            safefiles.fsync_file(path)
        except OSError:
            pass

    thread = threading.Thread(target=write_out, name="rolecall-write-out", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _swap_in(temp: Path, db_path: Path) -> None:
    """Move a finished file over the index path.

    SQLite opens ``<path>-wal`` for whatever file is at ``<path>``, so the old file's -wal must
    never meet the new file: it would be replayed into it. So, holding the writer lock (no other
    writer exists): checkpoint the old file (its content then no longer needs its -wal), remove
    its -wal and -shm, then rename. Readers of the old file keep their open descriptors and
    snapshots; SQLite sees that their file moved and neither checkpoints nor deletes side files
    when they close. A reader opening in the instant between the removal and the rename gets
    the old file's last checkpointed version, whole, and moves on at the next generation.
    """
    if safefiles.inspect(db_path, safefiles.INDEX_APPLICATION_ID, "meta", check=False) == safefiles.OURS:
        checkpoint(db_path, "PASSIVE")  # damaged or busy: it is being replaced anyway
        for suffix in ("-wal", "-shm", "-journal"):
            try:
                Path(str(db_path) + suffix).unlink()
            except FileNotFoundError:
                pass
    os.replace(temp, db_path)
    safefiles.fsync_dir(db_path.parent)


def _pending_if_current(db_path: Path, seeds_dir: Path, base_url: str, touched: dict[str, tuple[str, str]] | None = None,
                        stamps: dict[str, str] | None = None
                        ) -> tuple[int, tuple[list[tuple[str, Path, str]], list[str], int]] | None:
    """The generation and what changed since, or None when the file must be built from scratch
    (missing, empty, damaged, old format, or made by other code / for another base URL). Read on
    a read-only connection; refuses a foreign file. ``touched`` and ``stamps`` as for
    :func:`pending_changes`."""
    state = safefiles.inspect(db_path, safefiles.INDEX_APPLICATION_ID, "meta", check=False)
    if state == safefiles.FOREIGN:
        raise not_an_index(db_path)
    if state != safefiles.OURS or not CHECKS.verdict(db_path):
        return None
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != INDEX_FORMAT:
            return None
        meta = dict(conn.execute("select key, value from meta where key in ('schema', 'base_url', 'generation')"))
        if meta.get("schema") != SCHEMA_VERSION or meta.get("base_url") != base_url:
            return None
        return int(meta.get("generation") or 0), pending_changes(conn, seeds_dir, stamps, touched)
    except (sqlite3.DatabaseError, ValueError):
        return None
    finally:
        conn.close()


def read_generation(db_path: Path) -> int:
    """The generation of the index at ``db_path`` (0 when there is none or it cannot be read);
    raised by every update, in place or not: answer workers poll it to pick up a new index."""
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("select value from meta where key = 'generation'").fetchone()
        finally:
            conn.close()
        return int(row[0]) if row else 0
    except (sqlite3.Error, ValueError, OSError):
        return 0
