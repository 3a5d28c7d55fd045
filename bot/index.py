"""The SQLite index of pages, roles, sections and facts (built with sqlite-utils).

Parsing is per page; linking is global. ``sync`` re-parses only the files whose
content hash changed, then re-links every cross-page reference (reports-to
targets, "Extends that of ..." sources), which is cheap, so an index built
incrementally is identical to one built from scratch.

The database lives in a cache directory, never beside the pages, which may be
read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils
from rapidfuzz import fuzz, process

from bot import settings
from bot import safefiles
from bot.names import norm, ranks
from bot.parse import DEFAULT_BASE_URL, Page, Problem, parse_page, same_role_key

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


def page_files(seeds_dir: Path) -> list[Path]:
    """Every page file in the folder (recursively), in a stable order.

    One ``scandir`` walk, as ``rglob`` of each pattern would find them (files and links to files;
    folders that are links are not entered; unreadable folders are skipped): three ``rglob``
    walks with an ``is_file`` each were most of a cold start's look at the folder.
    """
    found: list[Path] = []
    folders = [str(seeds_dir)]
    while folders:
        folder = folders.pop()
        try:
            listing = os.scandir(folder)
        except OSError:
            continue
        with listing:
            for entry in listing:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    elif entry.name.endswith(PAGE_SUFFIXES) and entry.is_file():
                        found.append(Path(entry.path))
                except OSError:
                    continue
    return sorted(found)


def file_stamp(path: Path) -> str:
    """Size and modification time: a file with the same stamp has not been written since."""
    try:
        info = path.stat()
    except OSError:
        return ""
    return f"{info.st_size}:{info.st_mtime_ns}"


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


PARALLEL_FROM = 48  # below this many changed files, a process pool costs more than it saves


def _parse_one(args: tuple[Path, str, str]) -> tuple[Page | None, list[Problem]]:
    path, shown, base_url = args
    return parse_page(path, base_url=base_url, display_path=shown)


def parse_many(files: list[tuple[Path, str]], base_url: str) -> list[tuple[Page | None, list[Problem]]]:
    """Parse pages, on every core when there are many (parsing is pure and per page)."""
    jobs = [(path, shown, base_url) for path, shown in files]
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return [_parse_one(job) for job in jobs]
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            return list(pool.map(_parse_one, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
    except (OSError, RuntimeError):  # no multiprocessing here (sandbox, frozen app): parse serially
        return [_parse_one(job) for job in jobs]


def _die_with_parent(parent: int) -> None:
    """Run in each parser worker: exit when the process that started the pool is gone.

    Killing ``rolecall index`` (even with SIGKILL) must not leave workers behind. On Linux the
    kernel sends SIGKILL to the worker when its parent dies (``PR_SET_PDEATHSIG``); everywhere, a
    daemon thread also checks every half second that the parent is still there.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

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


class _Rows:
    """Rows of a batch of parsed pages, with ids assigned up front."""

    def __init__(self, next_ids: dict[str, int]) -> None:
        self.next = dict(next_ids)
        self.pages: list[dict] = []
        self.roles: list[dict] = []
        self.aliases: list[dict] = []
        self.sections: list[dict] = []
        self.grades: list[dict] = []
        self.reports: list[dict] = []
        self.extends: list[dict] = []
        self.problems: list[dict] = []
        self.files: list[dict] = []

    def _id(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def add_page(self, page: Page) -> int:
        page_id = self._id("pages")
        self.pages.append(
            {"id": page_id, "path": page.path, "title": page.title, "family": page.family, "url": page.url,
             "sha256": page.sha256, "description": page.description, "single_role": int(page.single_role)}
        )
        role_ids: dict[str, int] = {}
        for role in page.roles.values():
            role_id = role_ids[role.name] = self._id("roles")
            url = page.url + (f"#{role.anchor}" if role.anchor else "")
            self.roles.append(
                {"id": role_id, "page_id": page_id, "name": role.name, "norm": norm(role.name), "family": page.family,
                 "group_name": role.group, "line": role.line, "url": url, "same_key": same_role_key(role.name)}
            )
            self.aliases.extend(
                {"role_id": role_id, "alias": a, "norm": norm(a)} for a in sorted({role.name, *role.aliases})
            )
        for s in page.sections:
            self.sections.append(
                {
                    "id": self._id("sections"),
                    "page_id": page_id,
                    "role_id": role_ids.get(s.owner) if s.owner else None,
                    "kind": s.kind,
                    "heading": s.heading,
                    "line": s.line,
                    "url": page.url + (f"#{s.anchor}" if s.anchor else ""),
                    "items": json.dumps([item.__dict__ for item in s.items]),
                    "text": "\n".join(i.text for i in s.items),
                }
            )
        self.grades.extend(
            {"page_id": page_id, "role_id": role_ids[g.role], "grade": g.grade, "line": g.line, "sentence": g.sentence}
            for g in page.grades if g.role in role_ids
        )
        self.reports.extend(
            {"page_id": page_id, "role_id": role_ids[r.role], "target": r.target, "target_url": r.target_url,
             "target_role_id": None, "line": r.line, "sentence": r.sentence, "dotted": int(r.dotted)}
            for r in page.reports if r.role in role_ids
        )
        self.extends.extend(
            {"page_id": page_id, "role_id": role_ids.get(e.role) if e.role else None, "section_kind": e.kind,
             "target": e.target, "target_kind": e.target_kind, "target_role_id": None, "target_family": 0,
             "line": e.line, "text": e.text}
            for e in page.extends
        )
        return page_id


@dataclass
class SyncReport:
    """What a sync did; printed by ``rolecall index``."""

    parsed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reused: int = 0
    full_rebuild: bool = False


class IndexStore:
    """Owns the database file: schema, incremental sync and the global link pass."""

    def __init__(self, db_path: Path, seeds_dir: Path, base_url: str = DEFAULT_BASE_URL) -> None:
        self.db_path = db_path
        self.seeds_dir = seeds_dir
        self.base_url = base_url
        check_index_path(db_path, seeds_dir)
        state = safefiles.inspect(db_path, safefiles.INDEX_APPLICATION_ID, "meta")
        if state == safefiles.FOREIGN:
            raise not_an_index(db_path)
        safefiles.ensure_parent(db_path)
        self._damaged = state == safefiles.DAMAGED
        self.db = self._open()

    def _open(self) -> sqlite_utils.Database:
        """Open the file (checked by ``__init__`` to be missing, empty or ours).

        Rollback journal, not WAL: an updated index is written to a copy and
        moved over this path (see :func:`update_index`), and WAL side files are tied
        to a path rather than to the file that readers still hold open. A damaged
        file of ours is opened as nothing: ``needs_schema`` is then true and the
        rebuild replaces it.
        """
        conn = sqlite3.connect(self.db_path, check_same_thread=False)
        if self._damaged:
            conn.close()
            conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.execute("PRAGMA journal_mode=DELETE")
        return sqlite_utils.Database(conn)

    # --- schema --------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        if "meta" not in self.db.table_names():
            return None
        rows = list(self.db.query("select value from meta where key = ?", [key]))
        return rows[0]["value"] if rows else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    def _create_schema(self) -> None:
        """Start from an empty file: simpler and safer than migrating a cache."""
        self.db.conn.close()
        # only ever a file checked to be ours (or empty): __init__ refuses anything else
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)
        self._damaged = False
        self.db = self._open()
        db = self.db
        db.execute(f"PRAGMA application_id = {safefiles.INDEX_APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {INDEX_FORMAT}")
        db["meta"].create({"key": str, "value": str}, pk="key")
        db["files"].create({"path": str, "sha256": str, "page_id": int, "stamp": str}, pk="path")
        db["pages"].create(
            {"id": int, "path": str, "title": str, "family": str, "url": str, "sha256": str,
             "description": str, "single_role": int},
            pk="id",
        )
        db["roles"].create(
            {"id": int, "page_id": int, "name": str, "norm": str, "family": str, "group_name": str,
             "line": int, "url": str, "same_key": str},
            pk="id", foreign_keys=[("page_id", "pages")],
        )
        db["aliases"].create({"role_id": int, "alias": str, "norm": str}, foreign_keys=[("role_id", "roles")])
        db["sections"].create(
            {"id": int, "page_id": int, "role_id": int, "kind": str, "heading": str, "line": int,
             "url": str, "items": str, "text": str},
            pk="id", foreign_keys=[("page_id", "pages")],
        )
        db["grades"].create({"page_id": int, "role_id": int, "grade": float, "line": int, "sentence": str})
        db["reports"].create(
            {"id": int, "page_id": int, "role_id": int, "target": str, "target_url": str,
             "target_role_id": int, "line": int, "sentence": str, "dotted": int},
            pk="id",
        )
        db["extends"].create(
            {"id": int, "page_id": int, "role_id": int, "section_kind": str, "target": str,
             "target_kind": str, "target_role_id": int, "target_family": int, "line": int, "text": str},
            pk="id",
        )
        # severity: "error" (could not be read) or "suspicion" (read, but probably not as meant)
        db["problems"].create({"path": str, "line": int, "message": str, "stage": str, "severity": str})
        db["roles"].create_index(["page_id"])
        db["roles"].create_index(["norm"])
        db["roles"].create_index(["same_key"])  # one role on several pages shares it
        db["sections"].create_index(["role_id", "kind"])
        db["sections"].create_index(["page_id", "kind"])
        db["grades"].create_index(["grade"])
        db["grades"].create_index(["role_id"])
        db["reports"].create_index(["role_id"])
        db["reports"].create_index(["target_role_id"])
        db["extends"].create_index(["role_id", "section_kind"])
        db["aliases"].create_index(["role_id"])
        # maintained by _write/_delete_file in bulk: triggers would cost a statement per row
        db["sections"].enable_fts(["heading", "text"], create_triggers=False, tokenize="porter")
        self._set_meta("schema", SCHEMA_VERSION)
        self._set_meta("base_url", self.base_url)

    # --- sync ----------------------------------------------------------------

    def needs_schema(self) -> bool:
        """True when the file is new, or was built by other code or for another base URL."""
        return self._meta("schema") != SCHEMA_VERSION or self._meta("base_url") != self.base_url

    def pending(self) -> tuple[list[tuple[str, Path, str]], list[str], int]:
        """Files changed or added since the last sync, files removed, and how many are unchanged.

        A file whose size and modification time are as recorded is not read again: the
        watcher polls every few seconds, and hashing thousands of pages each time would
        cost a core. Content hashes still decide what counts as a change.
        """
        files = {self._display(p): p for p in page_files(self.seeds_dir)}
        known: dict[str, tuple[str, str]] = {}
        if "files" in self.db.table_names():
            known = {path: (sha, stamp or "") for path, sha, stamp in self.db.conn.execute("select path, sha256, stamp from files")}
        changed: list[tuple[str, Path, str]] = []
        unchanged = 0
        self._stamps: dict[str, str] = {}
        for shown, path in files.items():
            stamp = file_stamp(path)
            self._stamps[shown] = stamp
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
            else:
                changed.append((shown, path, sha))
        return changed, [p for p in known if p not in files], unchanged

    def sync(self, pending: tuple[list[tuple[str, Path, str]], list[str], int] | None = None) -> SyncReport:
        """Bring the index in line with the folder, re-parsing only what changed.

        ``pending`` is a result of :meth:`pending` already computed for this folder (on the
        file this index was copied from), so the folder is not read twice.
        """
        report = SyncReport()
        if self.needs_schema():
            self._create_schema()
            report.full_rebuild = True
            pending = None
        if pending is None:
            pending = self.pending()
        elif not hasattr(self, "_stamps"):
            self._stamps = {shown: file_stamp(path) for shown, path, _ in pending[0]}
        changed, removed, report.reused = pending
        if not changed and not removed:
            return report
        parsed = parse_many([(path, shown) for shown, path, _ in changed], self.base_url)
        last_good = {row["path"]: row["page_id"] for row in self.db["files"].rows if row["page_id"] is not None}
        with self.db.conn:
            keep: set[str] = set()
            for (shown, _path, _sha), (page, _problems) in zip(changed, parsed):
                if page is None and shown in last_good:
                    keep.add(shown)  # a page that no longer parses keeps its last good version
            for shown in removed + [c[0] for c in changed if c[0] not in keep]:
                self._delete_file(shown)
            report.removed = removed
            rows = _Rows(self._next_ids())
            for (shown, _path, sha), (page, problems) in zip(changed, parsed):
                if shown in keep:
                    self.db.execute("update files set sha256 = ?, stamp = ? where path = ?", [sha, self._stamps.get(shown, ""), shown])
                    self.db.execute("delete from problems where path = ? and stage = 'parse'", [shown])
                    problems = [Problem(p.path, p.line, p.message + "; the last good version of this page is still served") for p in problems]
                else:
                    page_id = rows.add_page(page) if page else None
                    rows.files.append({"path": shown, "sha256": sha, "page_id": page_id, "stamp": self._stamps.get(shown, "")})
                rows.problems.extend({"path": p.path, "line": p.line, "message": p.message, "stage": "parse", "severity": p.severity}
                                     for p in problems)
                if page is not None and shown not in keep:
                    rows.problems.extend({"path": p.path, "line": p.line, "message": p.message, "stage": "parse", "severity": p.severity}
                                         for p in page.suspicions)
                report.parsed.append(shown)
            self._write(rows)
            self._link()
            self._set_meta("indexed_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))
        return report

    def _next_ids(self) -> dict[str, int]:
        """Ids are assigned here, not by SQLite, so a whole batch can be written in one insert per table."""
        return {
            table: (next(iter(self.db.query(f"select coalesce(max(id), 0) as m from {table}")))["m"] + 1)
            for table in ("pages", "roles", "sections")
        }

    def _write(self, rows: "_Rows") -> None:
        """One executemany per table: sqlite-utils' insert_all inspects every row, which costs
        seconds at thousands of pages; the rows here all have the table's exact columns."""
        conn = self.db.conn
        for table, data in (("pages", rows.pages), ("roles", rows.roles), ("aliases", rows.aliases),
                            ("sections", rows.sections), ("grades", rows.grades), ("reports", rows.reports),
                            ("extends", rows.extends), ("problems", rows.problems), ("files", rows.files)):
            if data:
                columns = list(data[0])
                verb = "insert or replace" if table == "files" else "insert"
                sql = f"{verb} into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"
                conn.executemany(sql, [tuple(row[c] for c in columns) for row in data])
        if rows.sections:
            conn.execute(
                "insert into sections_fts(rowid, heading, text) select id, heading, text from sections where id >= ?",
                [rows.sections[0]["id"]],
            )

    def _display(self, path: Path) -> str:
        """Paths as people know them: relative to the pages folder."""
        try:
            return str(path.relative_to(self.seeds_dir))
        except ValueError:
            return str(path)

    def _delete_file(self, shown: str) -> None:
        rows = list(self.db.query("select page_id from files where path = ?", [shown]))
        page_id = rows[0]["page_id"] if rows else None
        if page_id is not None:
            role_ids = [r["id"] for r in self.db.query("select id from roles where page_id = ?", [page_id])]
            # the FTS table mirrors sections by rowid; tell it what leaves
            self.db.execute(
                "insert into sections_fts(sections_fts, rowid, heading, text) "
                "select 'delete', id, heading, text from sections where page_id = ?",
                [page_id],
            )
            for table in ("sections", "grades", "reports", "extends", "roles"):
                self.db.execute(f"delete from {table} where page_id = ?", [page_id])
            if role_ids:
                marks = ",".join("?" * len(role_ids))
                self.db.execute(f"delete from aliases where role_id in ({marks})", role_ids)
            self.db.execute("delete from pages where id = ?", [page_id])
        self.db.execute("delete from problems where path = ?", [shown])
        self.db.execute("delete from files where path = ?", [shown])

    def _insert_problems(self, problems: list[Problem], stage: str) -> None:
        self.db["problems"].insert_all(
            [{"path": p.path, "line": p.line, "message": p.message, "stage": stage, "severity": p.severity} for p in problems]
        )

    # --- link pass -------------------------------------------------------------

    def _link(self) -> None:
        """Resolve every cross-role reference against the whole index; report what does not resolve."""
        self.db.execute("delete from problems where stage = 'link'")
        roles = [dict(r) for r in self._fetch("select r.id, r.name, r.norm, r.page_id, p.url as page_url, p.path from roles r join pages p on p.id = r.page_id")]
        by_name: dict[str, list[dict]] = {}
        by_norm: dict[str, list[dict]] = {}
        by_ranks: dict[frozenset[str], list[dict]] = {}
        for r in roles:
            r["bag"] = " ".join(sorted(set(r["norm"].split())))
            by_ranks.setdefault(ranks(r["norm"]), []).append(r)
            by_name.setdefault(r["name"].lower(), []).append(r)
            by_norm.setdefault(r["norm"], []).append(r)
        role_by_id = {r["id"]: r for r in roles}
        by_bag: dict[str, list[dict]] = {}
        for r in roles:
            by_bag.setdefault(r["bag"], []).append(r)
        group_bags = {rank: [r["bag"] for r in group] for rank, group in by_ranks.items()}
        alias_norm: dict[str, set[int]] = {}
        alias_bag: dict[str, set[int]] = {}
        for a in self._fetch("select role_id, norm from aliases"):
            alias_norm.setdefault(a["norm"], set()).add(a["role_id"])
            alias_bag.setdefault(" ".join(sorted(set(a["norm"].split()))), set()).add(a["role_id"])
        pages_single = {row["url"].rstrip("/"): row["id"] for row in self._fetch("select id, url from pages where single_role = 1")}
        role_of_page = {r["page_id"]: r["id"] for r in roles}
        family_of_page = {row["id"]: row["family"] for row in self._fetch("select id, family from pages")}

        def resolve(text: str, page_id: int, url: str = "") -> int | None:
            def prefer(cands: list[dict]) -> int | None:
                same = [c for c in cands if c["page_id"] == page_id]
                if len(same) == 1:
                    return same[0]["id"]
                if len(cands) == 1:
                    return cands[0]["id"]
                return None

            alternatives = re.split(r"\s+or\s+", text.strip())
            if len(alternatives) > 1:  # "Area Sales Manager (Intermediate) or Senior Area Sales Manager"
                return resolve(alternatives[0], page_id, url)
            exact = by_name.get(text.strip().lower())
            if exact:
                return prefer(exact)
            key = norm(text)
            if key in by_norm:
                return prefer(by_norm[key])
            if key in alias_norm and len(alias_norm[key]) == 1:
                return next(iter(alias_norm[key]))
            if url and url.rstrip("/") in pages_single:
                return role_of_page.get(pages_single[url.rstrip("/")])
            bag = " ".join(sorted(set(key.split())))
            same_bag = by_bag.get(bag, [])
            if same_bag:
                return prefer(same_bag)
            via_alias = [role_by_id[i] for i in alias_bag.get(bag, ())]
            if via_alias:
                return prefer(via_alias)
            # "Junior X" is never "Senior X", however close the spelling: compare like ranks only
            group = by_ranks.get(ranks(key), [])
            if not group:
                return None
            match = process.extractOne(bag, group_bags[ranks(key)], scorer=fuzz.ratio, score_cutoff=93)
            return group[match[2]]["id"] if match else None

        updates = [
            (resolve(row["target"], row["page_id"], row["target_url"]), row["id"])
            for row in self._fetch("select id, page_id, target, target_url from reports")
        ]
        self.db.conn.executemany("update reports set target_role_id = ? where id = ?", updates)
        unmatched = [
            Problem(row["path"], row["line"], f"reports-to target '{row['target']}' matches no role in the index", "suspicion")
            for row in self._fetch("select r.target, r.line, p.path from reports r join pages p on p.id = r.page_id "
                                   "where r.target_role_id is null order by p.path, r.line")
        ]
        self._insert_problems(unmatched, "link")

        edges: dict[tuple[int | None, str], list[tuple[int, str]]] = {}
        extend_updates: list[tuple[int | None, int, int]] = []
        link_problems: list[Problem] = []
        for row in self._fetch("select e.*, p.path from extends e join pages p on p.id = e.page_id"):
            kind = row["target_kind"] or row["section_kind"]
            target_text = row["target"]
            family = family_of_page.get(row["page_id"], "")
            is_general = target_text.lower().strip() in ("general", "general role", "family", "base") or (
                norm(target_text) == norm(family) and resolve(target_text, row["page_id"]) is None
            )
            target = None if is_general else resolve(target_text, row["page_id"])
            extend_updates.append((target, int(is_general), row["id"]))
            if target is None and not is_general:
                link_problems.append(Problem(row["path"], row["line"], f"'{row['text']}': no role named '{target_text}' to extend"))
            elif target is not None and row["role_id"] is not None:
                edges.setdefault((row["role_id"], kind), []).append((target, row["path"] + f":{row['line']}"))
        self.db.conn.executemany("update extends set target_role_id = ?, target_family = ? where id = ?", extend_updates)
        self._insert_problems(link_problems, "link")
        self._report_cycles(edges, role_by_id)

    def _report_cycles(self, edges: dict[tuple[int | None, str], list[tuple[int, str]]], role_by_id: dict[int, dict]) -> None:
        """An "Extends" loop (A extends B extends A) is reported once; answers stop at the loop."""
        seen_cycles: set[frozenset[int]] = set()
        for (start, kind) in list(edges):
            stack = [(start, [start])]
            while stack:
                node, path = stack.pop()
                for target, where in edges.get((node, kind), []):
                    if target == start:
                        key = frozenset(path)
                        if key not in seen_cycles:
                            seen_cycles.add(key)
                            names = " -> ".join(role_by_id[n]["name"] for n in path + [start] if n in role_by_id)
                            file, _, line = where.rpartition(":")
                            self._insert_problems([Problem(file, int(line), f"'Extends' cycle in {kind}: {names}")], "link")
                    elif target not in path and len(path) < 20:
                        stack.append((target, path + [target]))

    def _fetch(self, sql: str, params: list | tuple = ()) -> list[sqlite3.Row]:
        """Rows readable by column name, without sqlite-utils' per-row dicts (the link pass reads every role)."""
        cursor = self.db.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params).fetchall()

    # --- reading ---------------------------------------------------------------

    def problems(self) -> list[Problem]:
        return [Problem(r["path"], r["line"], r["message"], r["severity"] or "error")
                for r in self.db.query("select * from problems where severity = 'error' order by path, line")]

    def meta(self, key: str) -> str | None:
        return self._meta(key)

    def pages_digest(self) -> str:
        """A hash of every page's path and content hash: two indexes of the same pages agree on it."""
        digest = hashlib.sha256()
        for path, sha in self.db.conn.execute("select path, sha256 from files order by path"):
            digest.update(f"{path}\0{sha}\n".encode())
        return digest.hexdigest()[:12]

    def close(self) -> None:
        self.db.conn.close()


# --- the index file: ownership, one writer at a time, atomic swaps ------------------

INDEX_FORMAT = 1  # PRAGMA user_version of an index file
TEMP_TAG = "building"


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
    """(device, inode) of the index file: every swap gives a new one, so a changed identity is a new index."""
    try:
        info = db_path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def update_index(db_path: Path, seeds_dir: Path, base_url: str = DEFAULT_BASE_URL) -> SyncReport:
    """Bring the index file in line with the pages, safely for readers and for other writers.

    * Readers (``Knowledge``) hold the file open; a new version is written to a unique
      temporary file beside it and moved over it with one ``os.replace``, so nobody ever
      sees half an index, and open readers finish on the old file.
    * One writer at a time (:class:`bot.safefiles.WriterLock`): a process that waited
      looks again, and when the winner already did the work it simply uses the winner's file.
    * A file that is not provably a Rolecall index is never deleted or overwritten; a
      damaged one of ours is rebuilt from the pages.
    * On any failure (read-only folder, full disk) the temporary file is removed and a
      :class:`bot.safefiles.FileSafetyError` names the path; the old index is untouched.
    """
    check_index_path(db_path, seeds_dir)
    fresh = _pending_if_current(db_path, seeds_dir, base_url)
    if fresh is not None and not fresh[0] and not fresh[1]:
        return SyncReport(reused=fresh[2])
    safefiles.ensure_parent(db_path)
    if not os.access(db_path.parent, os.W_OK):
        raise safefiles.FileSafetyError(f"cannot write the index {db_path}: the folder {db_path.parent} is read-only")
    with safefiles.WriterLock(db_path):
        for stale in safefiles.stale_temp_files(db_path, TEMP_TAG):
            safefiles.remove_quietly(stale)  # left by a writer that was killed (we hold the lock)
        pending = _pending_if_current(db_path, seeds_dir, base_url)  # the file may have changed while we waited
        if pending is not None and not pending[0] and not pending[1]:
            return SyncReport(reused=pending[2])
        generation = read_generation(db_path)
        temp: Path | None = None
        try:
            temp = safefiles.temp_path(db_path, TEMP_TAG)
            if pending is not None:
                # a closed rollback-journal index is consistent, and only lock holders write it
                shutil.copyfile(db_path, temp)
            store = IndexStore(temp, seeds_dir, base_url)
            try:
                report = store.sync(pending=pending)
                store._set_meta("generation", str(generation + 1))
                store._set_meta("pages_digest", store.pages_digest())
                store.db.conn.commit()
            finally:
                store.close()
            safefiles.fsync_file(temp)
            os.replace(temp, db_path)
            temp = None
            safefiles.fsync_dir(db_path.parent)
            return report
        except safefiles.FileSafetyError:
            raise
        except (OSError, sqlite3.Error) as error:
            raise safefiles.FileSafetyError(f"cannot write the index {db_path}: {safefiles.describe(error)}") from None
        finally:
            if temp is not None:
                safefiles.remove_quietly(temp)


def _pending_if_current(db_path: Path, seeds_dir: Path, base_url: str) -> tuple[list[tuple[str, Path, str]], list[str], int] | None:
    """What changed since the index was built, or None when it must be built from scratch
    (missing, empty, damaged, or made by other code / for another base URL). Refuses a foreign file."""
    state = safefiles.inspect(db_path, safefiles.INDEX_APPLICATION_ID, "meta")
    if state == safefiles.FOREIGN:
        raise not_an_index(db_path)
    if state != safefiles.OURS:
        return None
    try:
        store = IndexStore(db_path, seeds_dir, base_url)
    except sqlite3.Error:
        return None
    try:
        if store.needs_schema():
            return None
        return store.pending()
    except sqlite3.DatabaseError:
        return None
    finally:
        store.close()


def read_generation(db_path: Path) -> int:
    """The generation of the index at ``db_path`` (0 when there is none or it cannot be read);
    answer workers poll it to pick up a new index."""
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("select value from meta where key = 'generation'").fetchone()
        finally:
            conn.close()
        return int(row[0]) if row else 0
    except (sqlite3.Error, ValueError, OSError):
        return 0
