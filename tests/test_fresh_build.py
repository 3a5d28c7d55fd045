"""A fresh build's two shortcuts give the file a plain build would.

* It links from the rows it gathered while writing them (no read-back of every role and
  reference after the last page): the targets, "general" marks, fuzzy flags and link problems
  it writes are exactly those of a full link that reads everything back from the finished file.
* The parse workers hash each file as they read it (the parent hashes nothing first): every file
  row holds the SHA-256 of the file's bytes and its stamp, so the next update finds nothing to do.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot import index as index_module
from bot.index import IndexStore, file_stamp, update_index
from conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared handbook corpus is not here")


def link_state(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every column the link pass writes, by row id, and the link problems in table order."""
    return {
        "reports": conn.execute("select id, target_role_id, fuzzy from reports order by id").fetchall(),
        "extends": conn.execute("select id, target_role_id, target_family, fuzzy from extends order by id").fetchall(),
        "problems": conn.execute("select path, line, message, severity, ref from problems "
                                 "where stage = 'link' order by rowid").fetchall(),
    }


def test_fresh_build_links_from_gathered_rows_exactly_as_a_full_read_back_link(tmp_path: Path, monkeypatch):
    reads: list[int] = []
    real_read = index_module._AllRoles.read.__func__

    def counting_read(cls, conn):
        reads.append(1)
        return real_read(cls, conn)

    monkeypatch.setattr(index_module._AllRoles, "read", classmethod(counting_read))
    store = IndexStore(tmp_path / "fresh.sqlite", CORPUS)
    try:
        report = store.sync()
        assert report.full_rebuild and len(report.parsed) > 100
        assert reads == [], "a fresh build read every role back instead of using the rows it wrote"
        fresh = link_state(store.conn)
        linked = [r for r in fresh["reports"] if r[1] is not None]
        assert len(linked) > 100 and fresh["extends"] and fresh["problems"]
        with store.conn:
            store.conn.execute("update reports set target_role_id = null, fuzzy = 0")
            store.conn.execute("update extends set target_role_id = null, target_family = 0, fuzzy = 0")
            store._link()  # every row, read back from the file
        assert reads == [1]
        assert link_state(store.conn) == fresh
    finally:
        store.close()


def test_fresh_build_records_the_hash_of_each_files_bytes_without_hashing_in_the_parent(tmp_path: Path, monkeypatch):
    pages = tmp_path / "pages"
    shutil.copytree(CORPUS, pages)
    (pages / "notes.md").write_bytes(b"just notes, no front matter\n")  # parsed to nothing, hashed all the same
    (pages / "latin1.md").write_bytes(b"---\ntitle: Caf\xe9 Manager\n---\n\n## Caf\xe9 Manager\n")
    hashed_in_parent: list[str] = []
    real_sha = index_module.file_sha
    monkeypatch.setattr(index_module, "file_sha", lambda path: hashed_in_parent.append(str(path)) or real_sha(path))
    db = tmp_path / "index.sqlite"
    report = update_index(db, pages)
    assert report.full_rebuild and len(report.parsed) > 100
    assert hashed_in_parent == []
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("select path, sha256, stamp, page_id from files").fetchall()
    finally:
        conn.close()
    assert len(rows) == len(report.parsed) > 100
    for path, sha, stamp, _ in rows:
        assert sha == hashlib.sha256((pages / path).read_bytes()).hexdigest(), path
        assert stamp == file_stamp(pages / path), path
    by_path = {path: page_id for path, _, _, page_id in rows}
    assert by_path["notes.md"] is None and by_path["latin1.md"] is not None
    again = update_index(db, pages)
    assert not again.parsed and not again.removed and again.reused == len(rows)
    assert hashed_in_parent == []  # stamps matched: nothing hashed to find nothing changed


def test_a_fresh_build_pauses_the_collector_only_while_it_writes_and_always_turns_it_back_on(tmp_path: Path, monkeypatch):
    import gc

    seen_during_write: list[bool] = []
    real_write = IndexStore._write

    def watching_write(self, rows, gathered=None):
        seen_during_write.append(gc.isenabled())
        return real_write(self, rows, gathered)

    monkeypatch.setattr(IndexStore, "_write", watching_write)
    assert gc.isenabled()
    update_index(tmp_path / "index.sqlite", CORPUS)
    assert seen_during_write and not any(seen_during_write)  # every batch written with the collector off
    assert gc.isenabled()

    def failing_link(self, gathered):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(IndexStore, "_link_fresh", failing_link)
    with pytest.raises(Exception, match="disk is full"):
        update_index(tmp_path / "other.sqlite", CORPUS)
    assert gc.isenabled()  # a build that failed half way leaves the collector on too


def test_compare_builds_finds_a_changed_row_and_no_difference_between_equal_trees(tmp_path: Path, monkeypatch):
    from benchmarks import compare_builds

    root = Path(__file__).resolve().parent.parent
    pages = root / "seeds"
    changed = tmp_path / "changed"  # a copy of the code alone, no pages beside it
    shutil.copytree(root / "bot", changed / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(root)  # a relative pages folder is this folder's, for both trees' builds
    assert compare_builds.main(["--old", str(changed), "--new", str(root), "--pages", "seeds"]) == 0
    source = (changed / "bot" / "index.py").read_text(encoding="utf-8")
    broken = source.replace("return first.strip().lower(), key", "return first.strip(), key")
    assert broken != source
    (changed / "bot" / "index.py").write_text(broken, encoding="utf-8")
    assert compare_builds.main(["--old", str(root), "--new", str(changed), "--pages", str(pages)]) == 1
