"""The index is updated in place (WAL): readers pin one version, writers commit whole versions.

Readers opened before an update keep seeing their version, whole, across many queries; a writer
killed mid-transaction leaves the version before it served (and the next update goes on in place);
read-only answer workers follow each new generation; a large file's damage is found by a check
in the background, off the path to the first answer, and the file is then rebuilt.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot import index as index_module
from bot.engine import Engine
from bot.index import index_identity, read_generation, update_index
from bot.knowledge import Knowledge

from conftest import ROOT, write_page

ALPHA, BETA = "jobs--alpha-analyst.md", "jobs--beta-analyst.md"


def page_text(name: str, grade: int) -> str:
    return f'---\ntitle: "{name}"\n---\n\n## Responsibilities\n\n- Count things\n\nThe {name} is a grade {grade}.\n'


def set_both(pages: Path, grade: int) -> None:
    write_page(pages, ALPHA, page_text("Alpha Analyst", grade))
    write_page(pages, BETA, page_text("Beta Analyst", grade))


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    set_both(folder, 5)
    return folder


def grades(kb: Knowledge) -> tuple[int, int]:
    alpha, beta = (next(r for r in kb.roles.values() if r.name == n) for n in ("Alpha Analyst", "Beta Analyst"))
    return kb.grade_of(alpha)[0].grade, kb.grade_of(beta)[0].grade


def test_a_reader_keeps_its_version_whole_while_the_writer_updates_in_place(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    update_index(db, pages)
    identity = index_identity(db)
    stop = threading.Event()
    failures: list[str] = []

    def writer() -> None:
        grade = 5
        while not stop.is_set():
            grade = 6 if grade == 5 else 5
            set_both(pages, grade)
            update_index(db, pages)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen_generations = set()
        for _ in range(30):
            kb = Knowledge(db)
            generation = int(kb.meta()["generation"])
            first = grades(kb)
            deadline = time.monotonic() + 10
            while read_generation(db) == generation and time.monotonic() < deadline:
                time.sleep(0.005)  # let the writer commit at least one more version
            later = grades(kb)  # asked after the file moved on: still this reader's version
            if first != later or first[0] != first[1]:
                failures.append(f"generation {generation}: {first} then {later}")
            seen_generations.add(generation)
            kb.close()
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert len(seen_generations) > 5  # the writer really moved on under the readers
    assert index_identity(db) == identity  # updated in place, never replaced


KILLED_WRITER = """
import sys, time
from pathlib import Path
from bot import index
real = index.IndexStore._link
def stuck(self, change=None):
    real(self, change)
    print("in the transaction", flush=True)
    time.sleep(60)
index.IndexStore._link = stuck
index.update_index(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def test_a_writer_killed_mid_transaction_leaves_the_old_version_served(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    update_index(db, pages)
    engine = Engine(pages, db, question_log=False, readonly=True)
    generation, identity = engine.generation, index_identity(db)
    set_both(pages, 9)
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(db), str(pages)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "in the transaction"
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
    assert read_generation(db) == generation
    engine.refresh()
    assert engine.generation == generation
    assert grades(Knowledge(db)) == (5, 5)  # a new reader also gets the whole old version
    assert "grade 5" in engine.ask("grade of the alpha analyst").text
    report = update_index(db, pages)  # the next writer applies the change, in place
    assert sorted(report.parsed) == [ALPHA, BETA] and not report.full_rebuild
    assert index_identity(db) == identity
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma quick_check").fetchone() == ("ok",)
    engine.refresh()
    assert engine.generation == generation + 1 and "grade 9" in engine.ask("grade of the alpha analyst").text


WORKER = """
import sys
from pathlib import Path
from bot.engine import Engine
engine = Engine(Path(sys.argv[1]), Path(sys.argv[2]), question_log=False, readonly=True)
for line in sys.stdin:
    engine.refresh()
    print(engine.generation, engine.ask("grade of the alpha analyst").text.splitlines()[0], flush=True)
"""


def test_a_read_only_worker_process_follows_each_generation(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    update_index(db, pages)
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(pages), str(db)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        for grade in (6, 7, 8):
            set_both(pages, grade)
            assert update_index(db, pages).parsed
            worker.stdin.write("next\n")
            worker.stdin.flush()
            generation, text = worker.stdout.readline().split(" ", 1)
            assert int(generation) == read_generation(db)
            assert f"grade {grade}" in text, text
    finally:
        worker.stdin.close()
        worker.wait(timeout=30)
    assert worker.returncode == 0


def test_a_retired_version_is_closed_once_its_questions_are_done(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    engine = Engine(pages, db, question_log=False)
    old = engine.kb
    with old.using():
        set_both(pages, 7)
        engine.refresh()
        old.retire(grace=0)
        time.sleep(0.2)
        assert not old.closed and grades(old) == (5, 5)  # a question still uses it
    assert old.closed  # released with the last question: its snapshot no longer holds back checkpoints
    assert grades(engine.kb) == (7, 7)


def damage_table(db: Path, table: str) -> None:
    """Overwrite the root page of one table; the header and the tables an answer reads stay intact."""
    with sqlite3.connect(db) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
        root = conn.execute("select rootpage from sqlite_master where name = ?", (table,)).fetchone()[0]
        size = conn.execute("pragma page_size").fetchone()[0]
    with open(db, "r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(bytes([0xA5]) * size)


def test_damage_in_a_large_file_is_found_in_the_background_and_rebuilt(pages: Path, tmp_path: Path, monkeypatch, caplog):
    monkeypatch.setattr(index_module, "CHECK_INLINE_BYTES", 0)  # every file counts as large
    monkeypatch.setattr(index_module, "CHECK_DELAY_SECONDS", 0.0)
    monkeypatch.setattr(index_module, "CHECKS", index_module._Checks())
    db = tmp_path / "index.sqlite"
    update_index(db, pages)
    damage_table(db, "sections_fts_data")
    engine = Engine(pages, db, question_log=False)  # opens at once: the check is not on this path
    assert not engine.last_sync.full_rebuild
    assert "grade 5" in engine.ask("grade of the alpha analyst").text
    deadline = time.monotonic() + 20
    while index_identity(db) not in index_module.CHECKS.damaged:
        assert time.monotonic() < deadline, "the background check did not find the damage"
        time.sleep(0.05)
    assert "is damaged; it is rebuilt on the next refresh" in caplog.text
    report = engine.refresh()
    assert report.full_rebuild
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma quick_check").fetchone() == ("ok",)
    assert "grade 5" in engine.ask("grade of the alpha analyst").text
    assert engine.kb.search("count things")
