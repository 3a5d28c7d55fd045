"""Question-log rows are written off the answer's path: ids reserved up front in blocks, rows
queued and written in batches by a background writer (``ROLECALL_LOG_FLUSH_MS``), every read of
the log and every clean stop writing what is queued first. Slack answers are committed before
``ask`` returns. Real files, real processes (one killed with SIGKILL)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import questionlog, settings
from bot.engine import Engine
from bot.questionlog import QuestionLog

from conftest import SEEDS

ROOT = Path(__file__).resolve().parent.parent
LONG_MS = "60000"  # the writer never writes on its own within a test: only a read, flush or close does


def rows_in(path: Path) -> list[tuple]:
    """The questions as stored in the file, read past the log (another program's view)."""
    with sqlite3.connect(path) as db:
        return db.execute("select id, surface, question from questions order by id").fetchall()


@pytest.fixture
def slow_engine(tmp_path: Path, monkeypatch) -> Engine:
    monkeypatch.setenv("ROLECALL_LOG_FLUSH_MS", LONG_MS)
    return Engine(SEEDS, tmp_path / "index.sqlite", question_log=QuestionLog(tmp_path / "questions.sqlite"))


def test_queued_rows_reach_the_file_on_flush_and_on_close(slow_engine: Engine, tmp_path: Path):
    path = tmp_path / "questions.sqlite"
    asked = [slow_engine.ask(q) for q in ("what's grade 7?", "who does the BDR report to?", "list roles")]
    ids = [a.log_id for a in asked]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 3 and ids == sorted(ids)
    assert rows_in(path) == []  # queued: not written on the answer's path
    slow_engine.log.flush()
    assert rows_in(path) == [(i, "api", a.question) for i, a in zip(ids, asked)]
    later = slow_engine.ask("what's grade 8?", surface="cli")
    slow_engine.log.close()
    assert rows_in(path)[-1] == (later.log_id, "cli", "what's grade 8?")


def test_the_writer_writes_on_its_own_within_the_flush_interval(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ROLECALL_LOG_FLUSH_MS", "20")
    path = tmp_path / "questions.sqlite"
    engine = Engine(SEEDS, tmp_path / "index.sqlite", question_log=QuestionLog(path))
    answer = engine.ask("what's grade 7?")
    deadline = time.monotonic() + 10  # generous: the machine may be busy; nothing here reads through the log
    while not rows_in(path):
        assert time.monotonic() < deadline, "the queued row was never written"
        time.sleep(0.01)
    assert rows_in(path) == [(answer.log_id, "api", "what's grade 7?")]


def test_a_slack_answer_is_committed_before_ask_returns(slow_engine: Engine, tmp_path: Path):
    answer = slow_engine.ask("what's grade 7?", surface="slack:command", user="U1")
    assert rows_in(tmp_path / "questions.sqlite") == [(answer.log_id, "slack:command", "what's grade 7?")]


def test_feedback_and_gaps_see_a_question_still_queued(slow_engine: Engine, tmp_path: Path):
    answer = slow_engine.ask("who does the chief happiness officer report to?", user="U1")
    assert rows_in(tmp_path / "questions.sqlite") == []
    assert slow_engine.log.feedback(answer.log_id, helpful=False, user="U2", question=answer.question) is True
    with sqlite3.connect(tmp_path / "questions.sqlite") as db:
        assert db.execute("select question_id, helpful from feedback").fetchall() == [(answer.log_id, 0)]
    queued = slow_engine.ask("what's the weather like?")
    assert "“what's the weather like?”: not understood" in slow_engine.gaps()
    assert slow_engine.log.count() == 2 and rows_in(tmp_path / "questions.sqlite")[-1][0] == queued.log_id


WRITER = """
import sys, time
from pathlib import Path
from bot.answer import Answer
from bot.questionlog import QuestionLog
log = QuestionLog(Path(sys.argv[1]))
name, count = sys.argv[2], int(sys.argv[3])
ids = []
for n in range(count):
    ids.append(log.submit(Answer("grade", "answered", "x", question=f"{name} {n}"), surface="cli", user=None, latency_ms=0.1))
    if n % 50 == 0:
        time.sleep(0.01)  # let the other process reserve and write in between
print(" ".join(map(str, ids)), flush=True)
"""


def test_ids_are_unique_across_two_processes_writing_one_file(tmp_path: Path):
    path = tmp_path / "questions.sqlite"
    QuestionLog(path).close()  # created (and its secret) before the two start
    env = {**os.environ, "ROLECALL_LOG_FLUSH_MS": "5"}
    runs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "300"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    given = [list(map(int, out.split())) for out, _ in outputs]
    assert all(len(ids) == 300 for ids in given)
    assert not set(given[0]) & set(given[1])  # each process's ids are its own
    stored = rows_in(path)
    assert len(stored) == 600  # both exited cleanly: every queued row was written
    assert sorted(row[0] for row in stored) == sorted(given[0] + given[1])
    assert {row[2] for row in stored} == {f"{name} {n}" for name in "ab" for n in range(300)}


KILLED = """
import sys, time
from pathlib import Path
from bot.answer import Answer
from bot.questionlog import QuestionLog
log = QuestionLog(Path(sys.argv[1]))
def ask(label):
    return log.submit(Answer("grade", "answered", "x", question=label), surface="cli", user=None, latency_ms=0.1)
first = [ask(f"early {n}") for n in range(20)]
print("early " + " ".join(map(str, first)), flush=True)
time.sleep(2)  # far longer than the flush interval: these must be written by now
last = [ask(f"late {n}") for n in range(7)]
print("late " + " ".join(map(str, last)), flush=True)
time.sleep(60)
"""


def test_a_process_killed_with_sigkill_loses_at_most_the_rows_of_the_last_flush_interval(tmp_path: Path):
    path = tmp_path / "questions.sqlite"
    env = {**os.environ, "ROLECALL_LOG_FLUSH_MS": "100"}
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(path)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        early = list(map(int, child.stdout.readline().split()[1:]))
        late = list(map(int, child.stdout.readline().split()[1:]))
        child.send_signal(signal.SIGKILL)  # no atexit, no flush: what a crash or the OOM killer does
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert len(early) == 20 and len(late) == 7, child.stderr.read()
    stored = rows_in(path)
    ids = [row[0] for row in stored]
    assert set(early) <= set(ids)  # asked 2 s before the kill: written
    assert set(ids) <= set(early) | set(late) and len(ids) == len(set(ids))  # nothing else, nothing twice
    assert [row[2] for row in stored if row[0] in early] == [f"early {n}" for n in range(20)]


def test_a_typo_in_the_flush_interval_gives_the_default(monkeypatch):
    monkeypatch.setenv("ROLECALL_LOG_FLUSH_MS", "fast")
    assert questionlog.flush_seconds() == questionlog.DEFAULT_FLUSH_MS / 1000
    monkeypatch.setenv("ROLECALL_LOG_FLUSH_MS", "0")
    assert questionlog.flush_seconds() == 0
    monkeypatch.delenv("ROLECALL_LOG_FLUSH_MS")
    assert questionlog.flush_seconds() * 1000 == float(settings.SETTINGS["ROLECALL_LOG_FLUSH_MS"].default)


def test_a_read_through_one_log_sees_what_another_log_of_the_process_queued(tmp_path: Path, monkeypatch):
    """Engines of one process sharing a file (replicas in tests, a digest beside an engine) see each other's questions."""
    monkeypatch.setenv("ROLECALL_LOG_FLUSH_MS", LONG_MS)
    path = tmp_path / "questions.sqlite"
    first, second = QuestionLog(path), QuestionLog(path)
    asked = Engine(SEEDS, tmp_path / "index.sqlite", question_log=first).ask("what's the weather like?", user="U1")
    assert rows_in(path) == []
    assert second.count() == 1 and rows_in(path) == [(asked.log_id, "api", "what's the weather like?")]
    assert second.feedback(asked.log_id, helpful=True, user="U2", question=asked.question) is True


def test_a_row_the_database_refuses_loses_that_row_not_its_batch(slow_engine: Engine, tmp_path: Path):
    """A batch that fails is written again row by row: the one row refused (here its id was taken
    meanwhile by another program's row) is the only one lost, as when every row was its own write."""
    path = tmp_path / "questions.sqlite"
    asked = [slow_engine.ask(q) for q in ("what's grade 7?", "who does the BDR report to?", "list roles")]
    taken = asked[1].log_id
    with sqlite3.connect(path) as db:
        db.execute("insert into questions (id, asked_at, surface, question, normalized, intent, status, roles, latency_ms) "
                   "values (?, 0, 'other', 'not ours', 'not ours', 'unknown', 'unknown', '[]', 0)", (taken,))
    slow_engine.log.flush()
    assert rows_in(path) == [(asked[0].log_id, "api", "what's grade 7?"), (taken, "other", "not ours"),
                             (asked[2].log_id, "api", "list roles")]


def test_an_answer_after_the_log_closed_is_given_and_its_loss_is_logged(slow_engine: Engine, tmp_path: Path, caplog):
    """An answer finishing while the process stops: the writer has gone, so the row is refused
    loudly (the engine logs it) instead of being queued for nobody."""
    path = tmp_path / "questions.sqlite"
    before = slow_engine.ask("what's grade 7?")
    slow_engine.log.close()
    with caplog.at_level("ERROR", logger="bot.engine"):
        after = slow_engine.ask("what's grade 9?")
        late = slow_engine.ask("what's grade 8?", surface="slack:command", user="U1")
    assert after.status == "answered" and "grade 9" in after.text and after.log_id is None and late.log_id is None
    assert rows_in(path) == [(before.log_id, "api", "what's grade 7?")]
    assert sum("could not log a question" in r.getMessage() for r in caplog.records) == 2
    assert "the question log is closed" in caplog.text
