"""The question log and the gaps report built from it."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from bot.engine import Engine
from bot.questionlog import SCHEMA, QuestionLog

from conftest import SEEDS


def make_engine(tmp_path: Path) -> Engine:
    return Engine(SEEDS, tmp_path / "index.sqlite", question_log=QuestionLog(tmp_path / "questions.sqlite"))


def test_every_question_is_logged_with_a_hashed_user(tmp_path: Path):
    engine = make_engine(tmp_path)
    answer = engine.ask("who does the BDR report to?", surface="slack:command", user="U024BE7LH")
    assert answer.log_id is not None
    row = sqlite3.connect(tmp_path / "questions.sqlite").execute(
        "select surface, user_hash, question, intent, status, roles, latency_ms from questions where id = ?", (answer.log_id,)
    ).fetchone()
    surface, user_hash, question, intent, status, roles, latency = row
    assert (surface, question, intent, status) == ("slack:command", "who does the BDR report to?", "reports_to", "not_documented")
    assert roles == '["Business Development Representative"]'
    assert user_hash and "U024BE7LH" not in user_hash and latency >= 0
    assert "log_id" not in answer.to_dict()


def test_gaps_group_the_questions_people_keep_asking(tmp_path: Path):
    engine = make_engine(tmp_path)
    for user in ("U1", "U2", "U3"):
        engine.ask("Who does the Chief Happiness Officer report to?", user=user)
    engine.ask("who does the chief happiness officer report to", user="U1")
    engine.ask("who does the Sr. Sales Operations Analyst report to?", user="U2")
    engine.ask("what's the weather like?", user="U2")
    good = engine.ask("what's grade 7?", user="U3")
    engine.log.feedback(good.log_id, helpful=False, user="U3")
    engine.ask("who reports to the manager, sales ops?", user="U1")  # answered, no feedback: not a gap
    gaps = engine.log.gaps()
    # most asked first; equally asked: most recent first
    assert [(g.times, g.askers, g.reason) for g in gaps] == [
        (4, 3, "not_found"), (1, 1, "not_helpful"), (1, 1, "unknown"), (1, 1, "not_documented"),
    ]
    text = engine.gaps()
    assert text.splitlines()[1] == "• 4× “who does the chief happiness officer report to”: no such role, 3 people"
    assert "“who does the Sr. Sales Operations Analyst report to?” (Sr. Sales Operations Analyst): not in the handbook" in text
    assert "“what's grade 7?”" in text and "marked not helpful" in text
    assert "manager, sales ops" not in text


def test_feedback_for_an_unknown_question_is_refused(tmp_path: Path):
    engine = make_engine(tmp_path)
    assert engine.log.feedback(999_999, helpful=True) is False


def test_nothing_is_lost_when_many_questions_arrive_at_once(tmp_path: Path):
    engine = make_engine(tmp_path)
    per_thread, threads = 40, 8

    def ask_many(n: int) -> None:
        for i in range(per_thread):
            engine.ask(f"what grade is the manager, sales ops? #{n}-{i}", user=f"U{n}")

    workers = [threading.Thread(target=ask_many, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert engine.log.count() == per_thread * threads


def test_old_rows_are_pruned_after_the_retention_period(tmp_path: Path):
    log = QuestionLog(tmp_path / "q.sqlite", retention_days=1)
    engine = Engine(SEEDS, tmp_path / "index.sqlite", question_log=log)
    old = engine.ask("who does the bdr report to")
    log.flush()  # queued rows are written by the log's writer; this test edits the row in the file itself
    conn = sqlite3.connect(tmp_path / "q.sqlite")
    with conn:
        conn.execute("update questions set asked_at = asked_at - 3 * 86400 where id = ?", (old.log_id,))
    log._last_prune = 0
    engine.ask("who does the bdr report to")
    assert log.count() == 1


def test_the_cli_prints_gaps(tmp_path: Path):
    import subprocess
    import sys

    env_db = tmp_path / "index.sqlite"
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot.cli", *a, "--db", str(env_db)], capture_output=True, text=True, cwd=SEEDS.parent, timeout=60)  # noqa: E731
    run("ask", "who does the chief happiness officer report to?")
    result = run("gaps")
    assert result.returncode == 0
    assert "1× “who does the chief happiness officer report to?”: no such role" in result.stdout


def test_feedback_must_match_the_question_it_was_given_under(tmp_path: Path):
    engine = make_engine(tmp_path)
    answer = engine.ask("what's grade 7?")
    assert engine.log.feedback(answer.log_id, helpful=False, question="who does the bdr report to") is False
    assert engine.log.feedback(answer.log_id, helpful=False, question="what's grade 7?") is True


def test_shared_answers_are_not_counted_twice_in_gaps(tmp_path: Path):
    engine = make_engine(tmp_path)
    engine.ask("who does the chief happiness officer report to?", surface="slack:command")
    engine.ask("who does the chief happiness officer report to?", surface="slack:share")
    assert [g.times for g in engine.log.gaps()] == [1]


def test_an_older_log_with_double_clicks_keeps_the_newest_click_of_each(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # a log as written before one-row-per-user
        db.executescript(SCHEMA)
        db.execute("insert into questions values (1, 1.0, 'cli', 'h1', 'q', 'q', 'grade', 'answered', '[]', 1.0)")
        db.executemany("insert into feedback (question_id, given_at, helpful, user_hash) values (1, ?, ?, 'h1')",
                       [(1.0, 1), (2.0, 1), (3.0, 0)])
    log = QuestionLog(path)
    with sqlite3.connect(path) as db:
        assert db.execute("select helpful, user_hash from feedback").fetchall() == [(0, "h1")]
    log.close()


def test_user_ids_are_hmacs_under_a_secret_generated_beside_the_log(tmp_path: Path, monkeypatch):
    import hashlib
    import hmac
    import stat

    monkeypatch.delenv("ROLECALL_LOG_SALT", raising=False)
    path = tmp_path / "questions.sqlite"
    engine = Engine(SEEDS, tmp_path / "index.sqlite", question_log=QuestionLog(path))
    answer = engine.ask("what's grade 7?", user="U024BE7LH")
    engine.log.flush()  # read from the file below, not through the log
    secret = tmp_path / "questions.sqlite.secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    key = secret.read_text().strip().encode()
    assert len(key) == 64
    with sqlite3.connect(path) as db:
        stored = db.execute("select user_hash from questions where id = ?", (answer.log_id,)).fetchone()[0]
    assert stored == hmac.new(key, b"U024BE7LH", hashlib.sha256).hexdigest()[:16]
    assert stored != hashlib.sha256(b"rolecall:U024BE7LH").hexdigest()[:16]  # the old public default
    assert QuestionLog(path).hash_user("U024BE7LH") == stored  # the next start uses the same secret
    other = tmp_path / "other.sqlite"
    assert QuestionLog(other).hash_user("U024BE7LH") != stored  # another log, another secret


def test_rolecall_log_salt_replaces_the_generated_secret(tmp_path: Path, monkeypatch):
    import hashlib
    import hmac

    monkeypatch.setenv("ROLECALL_LOG_SALT", "a-salt-the-operator-keeps")
    log = QuestionLog(tmp_path / "questions.sqlite")
    assert log.hash_user("U1") == hmac.new(b"a-salt-the-operator-keeps", b"U1", hashlib.sha256).hexdigest()[:16]
    assert not (tmp_path / "questions.sqlite.secret").exists()


def test_gaps_point_out_questions_the_router_was_torn_on(tmp_path: Path):
    """The log keeps each question's intent scores, so the gaps report can flag likely misroutes."""
    engine = make_engine(tmp_path)
    torn = engine.ask("sales operations wizard reports", user="U1")  # reports_to 5.0, direct_reports 4.1
    assert torn.status == "not_found"
    clear = engine.ask("who does the chief happiness officer report to?", user="U2")
    engine.log.flush()  # read from the file below, not through the log
    scores = sqlite3.connect(tmp_path / "questions.sqlite").execute(
        "select scores from questions where id = ?", (torn.log_id,)).fetchone()[0]
    assert json.loads(scores) == torn.decision.top_scores() and set(json.loads(scores)) == {"reports_to", "direct_reports"}
    text = engine.gaps()
    assert "“sales operations wizard reports”: no such role; routing was torn between reports_to or direct_reports" in text
    assert "“who does the chief happiness officer report to?”: no such role\n" in text + "\n"
    assert clear.status == "not_found"


def test_a_log_from_before_routing_scores_gains_the_column(tmp_path: Path):
    path = tmp_path / "questions.sqlite"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA)  # the schema as it was: no scores column
    old.execute("insert into questions (asked_at, surface, question, normalized, intent, status, roles, latency_ms)"
                " values (1, 'cli', 'q', 'q', 'unknown', 'unknown', '[]', 1)")
    old.commit()
    old.close()
    log = QuestionLog(path)
    assert "scores" in {row[1] for row in sqlite3.connect(path).execute("pragma table_info(questions)")}
    assert log.count() == 1 and [g.misroute for g in log.gaps()] == [""]
