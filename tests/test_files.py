"""Rolecall's files: it never destroys a file that is not its own, and repairs its own.

Real files, real `rolecall` processes: `--db` aimed at a user's file or into the pages
folder is refused and the file is left as it was; an index or question log whose SQLite
header is intact but whose pages are damaged is noticed (PRAGMA quick_check) and rebuilt
(the index) or kept aside and started anew (the log).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot import safefiles
from bot.engine import Engine
from bot.questionlog import QuestionLog

from conftest import ROOT

SALES_OPS = "sales--sales-operations.md"


def rolecall(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env=env)


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The command failed with a single line naming what is wrong, and no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def damage(path: Path, pages: tuple[int, ...] = (2, 3, 4)) -> None:
    """Overwrite a few whole database pages in the middle of the file; the header stays intact."""
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big") or 65536
    assert len(data) > size * (max(pages) + 1), "file too small to damage"
    for page in pages:
        data[page * size:(page + 1) * size] = bytes([0xA5]) * size
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["index"], ["ask", "what's grade 7?"]])
def test_db_naming_a_file_that_is_not_an_index_is_refused_and_left_alone(tmp_path: Path, pages: Path, command: list[str]):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not an index\n" * 50)
    before = notes.read_bytes()
    result = rolecall(*command, "--seeds", str(pages), "--db", str(notes))
    one_line_error(result, str(notes), "not a Rolecall index")
    assert notes.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "pages"]  # no log, no lock, no temp file


def test_an_sqlite_file_of_another_program_is_refused_too(tmp_path: Path, pages: Path):
    other = tmp_path / "app.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("create table contacts (name text)")
        db.execute("insert into contacts values ('Ada')")
    before = other.read_bytes()
    one_line_error(rolecall("index", "--seeds", str(pages), "--db", str(other)), str(other), "not a Rolecall index")
    assert other.read_bytes() == before


@pytest.mark.parametrize("name", [SALES_OPS, "index.sqlite", "sub/index.sqlite"])
def test_an_index_inside_the_pages_folder_is_refused(pages: Path, name: str):
    target = pages / name
    before = sorted((p.relative_to(pages), p.read_bytes()) for p in pages.rglob("*") if p.is_file())
    one_line_error(rolecall("index", "--seeds", str(pages), "--db", str(target)), str(target), "inside the pages folder")
    after = sorted((p.relative_to(pages), p.read_bytes()) for p in pages.rglob("*") if p.is_file())
    assert after == before  # the page is still there, nothing was added


def test_index_and_question_log_carry_rolecalls_stamp(pages: Path, tmp_path: Path):
    engine = Engine(pages, tmp_path / "index.sqlite")
    assert safefiles.application_id(tmp_path / "index.sqlite") == safefiles.INDEX_APPLICATION_ID
    assert safefiles.application_id(engine.log.path) == safefiles.LOG_APPLICATION_ID
    # each refuses the other's file
    with pytest.raises(safefiles.FileSafetyError, match="not a Rolecall index"):
        Engine(pages, engine.log.path, question_log=False)
    with pytest.raises(safefiles.FileSafetyError, match="not a Rolecall question log"):
        QuestionLog(tmp_path / "index.sqlite")


def test_a_garbage_file_at_the_index_path_is_not_deleted(pages: Path, tmp_path: Path):
    """Not provably ours (no SQLite header with our stamp): refused, kept byte for byte."""
    db = tmp_path / "index.sqlite"
    db.write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises(safefiles.FileSafetyError, match="not a Rolecall index"):
        Engine(pages, db)
    assert db.read_bytes() == b"this is not a sqlite database" * 100


def test_a_damaged_index_with_an_intact_header_is_rebuilt_by_every_command(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    assert rolecall("index", "--seeds", str(pages), "--db", str(db)).returncode == 0
    for command in (["ask", "grade of the manager, sales operations"], ["index"], ["chat", "--json"]):
        damage(db)
        with pytest.raises(sqlite3.DatabaseError):  # the damage is real: SQLite itself trips on it
            with sqlite3.connect(db) as conn:
                conn.execute("select * from sections").fetchall()
                conn.execute("select * from roles").fetchall()
                conn.execute("select * from aliases").fetchall()
                assert conn.execute("pragma quick_check").fetchone() == ("ok",)
        result = subprocess.run([sys.executable, "-m", "bot.cli", *command, "--seeds", str(pages), "--db", str(db)],
                                input="what's grade 7?\n", capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert "malformed" not in result.stdout + result.stderr
        with sqlite3.connect(db) as conn:
            assert conn.execute("pragma quick_check").fetchone() == ("ok",)
            assert conn.execute("select count(*) from roles").fetchone() == (21,)


def test_a_running_engine_rebuilds_a_damaged_index_on_its_next_reload(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    engine = Engine(pages, db, question_log=False)
    damage(db)
    engine.refresh()
    assert engine.stats()["roles"] == 21
    assert "is grade 8." in engine.ask("grade of the manager, sales operations").text
    fresh = Engine(pages, db, question_log=False)  # and a new process gets a whole index too
    assert "is grade 8." in fresh.ask("grade of the manager, sales operations").text


def test_a_damaged_question_log_is_kept_aside_and_a_new_one_started(pages: Path, tmp_path: Path, caplog):
    path = tmp_path / "questions.sqlite"
    log = QuestionLog(path)
    engine = Engine(pages, tmp_path / "index.sqlite", question_log=log)
    for n in range(400):
        engine.ask(f"what's grade {n % 12}? {'padding ' * 20}")
    log._conn.execute("pragma wal_checkpoint(truncate)")
    log.close()
    damage(path)
    damaged = path.read_bytes()
    with caplog.at_level("WARNING"):
        again = QuestionLog(path)
    assert again.damaged_copy is not None and again.damaged_copy.read_bytes() == damaged
    assert again.damaged_copy.name.startswith("questions.sqlite.damaged-")
    assert f"the question log {path} was damaged: kept it as {again.damaged_copy}" in caplog.text
    assert again.count() == 0
    engine.log = again
    assert engine.ask("what's grade 7?").log_id == 1


def test_a_question_log_in_the_pages_folder_is_refused(pages: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ROLECALL_QUESTION_LOG", str(pages / "questions.sqlite"))
    with pytest.raises(safefiles.FileSafetyError, match="inside the pages folder"):
        Engine(pages, tmp_path / "index.sqlite")
    assert not (pages / "questions.sqlite").exists()
