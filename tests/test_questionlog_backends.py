"""The question log's two backends, SQLite (the default) and PostgreSQL (``ROLECALL_DATABASE_URL``),
run the same queries and give the same results; PostgreSQL's is shared by every replica.

PostgreSQL is a real server started by the tests (``conftest.postgres_server``: initdb in a
temporary folder, 127.0.0.1, a free port), one fresh database per test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import threading
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.questionlog import BaseQuestionLog, PostgresQuestionLog, QuestionLog, QuestionLogError, gaps_text

from conftest import SEEDS

# (question, user, feedback: None | "helpful" | "unhelpful", surface)
SCENARIO = [
    ("Who does the Chief Happiness Officer report to?", "U1", None, "slack:mention"),
    ("who does the chief happiness officer report to?", "U2", None, "slack:command"),
    ("who does the chief happiness officer report to", "U3", None, "cli"),
    ("who does the chief happiness officer report to?", "U3", None, "slack:share"),  # a share: not counted again
    ("who does the Sr. Sales Operations Analyst report to?", "U2", None, "cli"),
    ("what's the weather like?", "U2", None, "cli"),
    ("sales operations wizard reports", "U1", None, "cli"),  # reports_to vs direct_reports: a near thing
    ("what's grade 7?", "U3", "unhelpful", "slack:mention"),
    ("who reports to the manager, sales ops?", "U1", "helpful", "slack:mention"),  # answered and liked: no gap
]


@pytest.fixture(params=["sqlite", "postgres"])
def make_log(request, tmp_path: Path, monkeypatch):
    """make_log() -> a question log of the backend under test; several calls share one log (two replicas)."""
    monkeypatch.delenv("ROLECALL_LOG_SALT", raising=False)
    logs: list[BaseQuestionLog] = []
    if request.param == "sqlite":
        def make() -> BaseQuestionLog:
            logs.append(QuestionLog(tmp_path / "questions.sqlite"))
            return logs[-1]
    else:
        url = request.getfixturevalue("database_url")

        def make() -> BaseQuestionLog:
            logs.append(PostgresQuestionLog(url))
            return logs[-1]
    yield make
    for log in logs:
        log.close()


def play(engine: Engine, log: BaseQuestionLog) -> list[int]:
    ids = []
    for question, user, feedback, surface in SCENARIO:
        answer = engine.ask(question)
        ids.append(log.record(answer, surface=surface, user=user, latency_ms=1.0))
        if feedback:
            assert log.feedback(ids[-1], helpful=feedback == "helpful", user=user, question=question)
    return ids


def test_both_backends_give_the_same_gaps_report(make_log, quiet_engine):
    log = make_log()
    ids = play(quiet_engine, log)
    assert len(set(ids)) == len(SCENARIO) and log.count() == len(SCENARIO)
    gaps = log.gaps()
    roles = lambda question: quiet_engine.ask(question).roles[:20]  # noqa: E731
    assert [(g.question, g.times, g.askers, g.reason, g.roles, g.misroute) for g in gaps] == [
        ("who does the chief happiness officer report to?", 3, 3, "not_found", [], ""),  # the latest wording
        ("what's grade 7?", 1, 1, "not_helpful", roles("what's grade 7?"), ""),
        ("sales operations wizard reports", 1, 1, "not_found", [], "reports_to or direct_reports"),
        ("what's the weather like?", 1, 1, "unknown", [], ""),
        ("who does the Sr. Sales Operations Analyst report to?", 1, 1, "not_documented", ["Sr. Sales Operations Analyst"], ""),
    ]
    text = gaps_text(gaps)
    assert "“sales operations wizard reports”: no such role; routing was torn between reports_to or direct_reports" in text
    assert [g.question for g in log.gaps(limit=2)] == [g.question for g in gaps[:2]]
    assert log.gaps(days=0.5) == gaps  # all asked just now
    assert all(isinstance(g.last_asked, float) and g.last_asked > 1.7e9 for g in gaps)


def test_feedback_is_once_per_user_and_answer_and_only_for_its_own_question(make_log, quiet_engine):
    log = make_log()
    answer = quiet_engine.ask("what's grade 7?")
    row = log.record(answer, surface="slack:mention", user="U1", latency_ms=2.0)
    assert log.feedback(row, helpful=True, user="U9")
    assert log.feedback(row, helpful=True, user="U9")  # a double click
    assert [g.reason for g in log.gaps()] == []
    assert log.feedback(row, helpful=False, user="U9")  # a change of mind: the last click counts
    assert [(g.question, g.reason) for g in log.gaps()] == [("what's grade 7?", "not_helpful")]
    assert log.feedback(row, helpful=True, user="U9")
    assert log.gaps() == []
    assert log.feedback(row, helpful=False, question="who does the bdr report to") is False
    for forged in (987_654_321, 0, -1, 2**63, 10**30):
        assert log.feedback(forged, helpful=True, user="U9") is False


def test_a_digest_period_is_claimed_once_and_can_be_given_back(make_log):
    first, second = make_log(), make_log()
    assert first.claim_digest("7d:2024-01-01T00:00", "C0DIGEST") is True
    assert second.claim_digest("7d:2024-01-01T00:00", "C0DIGEST") is False
    first.release_digest("7d:2024-01-01T00:00")
    assert second.claim_digest("7d:2024-01-01T00:00", "C0DIGEST") is True
    assert first.claim_digest("7d:2024-01-08T00:00", "C0DIGEST") is True


def test_two_replicas_on_one_log_share_row_ids_feedback_and_the_user_key(make_log, quiet_engine):
    a, b = make_log(), make_log()
    asked = quiet_engine.ask("what's grade 7?")
    row_a = a.record(asked, surface="slack:mention", user="U1", latency_ms=1.0)
    row_b = b.record(asked, surface="slack:mention", user="U1", latency_ms=1.0)
    assert row_a != row_b
    assert a.hash_user("U1") == b.hash_user("U1")  # the same secret: one asker, one feedback row per user
    assert b.feedback(row_a, helpful=False, user="U2", question="what's grade 7?")  # the click lands on the other
    assert a.feedback(row_a, helpful=False, user="U2", question="what's grade 7?")  # and again on the first
    assert a.count() == b.count() == 2
    assert [(g.times, g.askers, g.reason) for g in b.gaps()] == [(1, 1, "not_helpful")]  # the one marked so


def test_nothing_is_lost_when_many_threads_record_at_once(make_log, quiet_engine):
    log = make_log()
    answer = quiet_engine.ask("what grade is the manager, sales ops?")
    rows: list[int] = []

    def record_many(n: int) -> None:
        for _ in range(25):
            rows.append(log.record(answer, surface="cli", user=f"U{n}", latency_ms=1.0))

    workers = [threading.Thread(target=record_many, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert log.count() == 200 and len(set(rows)) == 200


def test_an_engine_logs_to_postgresql_when_rolecall_database_url_is_set(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLECALL_DATABASE_URL", database_url)
    monkeypatch.setenv("ROLECALL_LOG_SALT", "an-operator-salt")
    engine = Engine(SEEDS, tmp_path / "index.sqlite")
    assert isinstance(engine.log, PostgresQuestionLog)
    answer = engine.ask("who does the chief happiness officer report to?", user="U1")
    assert engine.log.hash_user("U1") == hmac.new(b"an-operator-salt", b"U1", hashlib.sha256).hexdigest()[:16]
    assert "1× “who does the chief happiness officer report to?”: no such role" in engine.gaps()
    assert not list(tmp_path.glob("*questions*"))  # no SQLite log beside the index
    import psycopg

    with psycopg.connect(database_url) as conn:
        assert conn.execute("select id, surface, question from questions").fetchall() == [
            (answer.log_id, "api", "who does the chief happiness officer report to?")]
    engine.log.close()


def test_the_cli_gaps_report_reads_postgresql(database_url, tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    env = {**os.environ, "ROLECALL_DATABASE_URL": database_url}
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot.cli", *a, "--db", str(tmp_path / "index.sqlite")],  # noqa: E731
                                    capture_output=True, text=True, cwd=SEEDS.parent, timeout=60, env=env)
    assert run("ask", "who does the chief happiness officer report to?").returncode == 0
    assert run("ask", "who does the chief happiness officer report to").returncode == 0
    result = run("gaps")
    assert result.returncode == 0, result.stderr
    assert "2× “who does the chief happiness officer report to”: no such role" in result.stdout


def test_a_lost_connection_costs_one_log_row_and_is_replaced(database_url, quiet_engine, caplog):
    import psycopg

    log = PostgresQuestionLog(database_url)
    answer = quiet_engine.ask("what's grade 7?")
    log.record(answer, surface="cli", user="U1", latency_ms=1.0)
    with psycopg.connect(database_url, autocommit=True) as admin:  # what a server restart does to a client
        admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")
    with pytest.raises(psycopg.OperationalError):
        log.record(answer, surface="cli", user="U1", latency_ms=1.0)
    log.record(answer, surface="cli", user="U1", latency_ms=1.0)
    assert log.count() == 2
    assert "was lost; reconnecting" in caplog.text
    log.close()


def test_an_unreachable_or_malformed_database_url_is_one_clear_line(monkeypatch):
    from servers import free_port

    with pytest.raises(QuestionLogError) as error:
        PostgresQuestionLog(f"postgresql://rolecall:hunter2-secret@127.0.0.1:{free_port()}/rolecall", connect_timeout=2)
    message = str(error.value)
    assert message.startswith("cannot reach the question log in PostgreSQL at 127.0.0.1:")
    assert "hunter2-secret" not in message and "\n" not in message
    with pytest.raises(QuestionLogError, match="ROLECALL_DATABASE_URL must be a postgresql:// URL"):
        PostgresQuestionLog("host=db user=x password=hunter2-secret")


def test_rolecall_serve_stops_with_one_line_when_the_database_is_unreachable(tmp_path):
    import os
    import subprocess
    import sys

    from fake_slack import BOT_TOKEN, SIGNING_SECRET
    from servers import free_port
    from test_slack_server import ROOT, SLACK_VARIABLES

    env = {**{k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES},
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "ROLECALL_SEEDS": str(SEEDS),
           "ROLECALL_DB": str(tmp_path / "index.sqlite"),
           "ROLECALL_DATABASE_URL": f"postgresql://rolecall:pw-not-shown@127.0.0.1:{free_port()}/rolecall"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "rolecall serve: cannot reach the question log in PostgreSQL at 127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr and "pw-not-shown" not in result.stderr
