"""The question log: every question asked, what it got, and what people thought of it.

Handbook owners read it through ``rolecall gaps`` (and ``/hiring gaps``) to
learn what to write next: the most-asked questions that found no role, found
an undocumented fact, were not understood, or were marked "Not helpful".

User ids are stored as HMACs under a secret key (``ROLECALL_LOG_SALT``, else one generated
beside the log, mode 0600): the log can count distinct askers but cannot say who asked what,
and nobody without the key can test whether a given user asked. Writes go through one lock-guarded connection in
WAL mode, so many threads may record at once and no row is lost.

A question's row is written off its answer's path (:meth:`BaseQuestionLog.submit`): its id comes
from a block of ids the process reserved in one transaction (so ids stay unique across every
process and replica sharing the log, and the feedback button has its id before the answer is
sent), and a background writer puts the rows in, many to a transaction, at most
``ROLECALL_LOG_FLUSH_MS`` after they were queued. Every read of the log (counts, gaps, feedback)
writes what this process has queued first, and so does closing the log or leaving the process.

Two backends share every query (:class:`BaseQuestionLog`): a SQLite file, the default
(:class:`QuestionLog`), and PostgreSQL when ``ROLECALL_DATABASE_URL`` is set
(:class:`PostgresQuestionLog`), for several replicas on several hosts: one log, global row ids.
Only the schema and the connection differ.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from bot import settings
from bot import safefiles
from bot.answer import Answer

logger = logging.getLogger(__name__)

GAP_STATUSES = ("not_found", "not_documented", "unknown")
DEFAULT_RETENTION_DAYS = 180
DEFAULT_FLUSH_MS = 50
MAX_FLUSH_MS = 10_000
ID_BLOCK = 64  # ids a process reserves at once: one small write transaction per 64 questions, in the writer
WAKE_ROWS = 500  # this many queued rows are written without waiting out the flush interval
GIVE_UP_AFTER = 3  # rows refused one after another before the writer gives up on the rest of a failed batch

INSERT_QUESTION = (
    "insert into questions (id, asked_at, surface, user_hash, question, normalized, intent, status, roles, latency_ms, scores)"
    " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The next id a process may reserve (SQLite; PostgreSQL uses the identity's sequence). Never below
# the largest id in use, so a log a release without reservations wrote to stays collision-free.
LOG_IDS_SCHEMA = """
create table if not exists log_ids (
    id integer primary key check (id = 1),
    next integer not null
);
insert or ignore into log_ids (id, next) select 1, coalesce(max(id), 0) + 1 from questions;
"""

SCHEMA = """
create table if not exists questions (
    id integer primary key,
    asked_at real not null,
    surface text not null,
    user_hash text,
    question text not null,
    normalized text not null,
    intent text not null,
    status text not null,
    roles text not null,
    latency_ms real not null
);
create index if not exists questions_asked_at on questions(asked_at);
create index if not exists questions_status on questions(status);
create table if not exists feedback (
    id integer primary key,
    question_id integer references questions(id) on delete cascade,
    given_at real not null,
    helpful integer not null,
    user_hash text
);
create index if not exists feedback_question on feedback(question_id);
create table if not exists digests (
    period text primary key,
    channel text not null,
    claimed_at real not null
);
"""

# One feedback row per user and answer: a double click, or a change of mind, updates it. Older
# logs may hold duplicates; the newest click of each is kept before the unique index is made.
FEEDBACK_ONCE = """
delete from feedback where user_hash is not null and id not in (
    select max(id) from feedback where user_hash is not null group by question_id, user_hash
);
create unique index if not exists feedback_once on feedback(question_id, user_hash);
"""


@dataclass(frozen=True)
class Gap:
    """A question people keep asking that Rolecall could not answer well."""

    question: str  # the most recent wording
    times: int
    askers: int
    reason: str  # not_found | not_documented | unknown | not_helpful
    roles: list[str]
    last_asked: float
    misroute: str = ""  # "reports_to or direct_reports": the router was torn, a phrasing may be missing


MISROUTE_MARGIN = 1.5  # routing scores this close mean the intent was a near thing


def likely_misroute(scores: dict[str, float]) -> str:
    """From a question's logged intent scores: the two intents it nearly went either way between."""
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if len(ranked) >= 2 and ranked[0][1] - ranked[1][1] < MISROUTE_MARGIN:
        return f"{ranked[0][0]} or {ranked[1][0]}"
    return ""


def normalize_question(text: str) -> str:
    """Group "Who does the BDR report to?" with "who does the bdr report to": case, spacing, punctuation."""
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def hash_user(user: str | None, key: bytes) -> str | None:
    """An HMAC-SHA256 of a user id under the log's secret key, so counts work without identities."""
    if not user:
        return None
    return hmac.new(key, user.encode(), hashlib.sha256).hexdigest()[:16]


def secret_path(log_path: Path) -> Path:
    """Where a question log's generated secret lives: beside it, ``<log>.secret``."""
    return log_path.with_name(log_path.name + ".secret")


def log_key(log_path: Path) -> bytes:
    """The key user ids are hashed with: ``ROLECALL_LOG_SALT`` when set, else a random secret
    generated on first start and stored beside the log, readable by its owner only (0600).

    Without a secret, anyone could hash a user id and look it up in the log; with a known
    default salt, the same. Several processes starting at once agree: one creates the file
    (O_EXCL), the others read it.
    """
    salt = settings.get("ROLECALL_LOG_SALT")
    if salt:
        return salt.encode()
    path = secret_path(log_path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    except OSError as error:
        raise safefiles.FileSafetyError(f"cannot create the question log's secret {path}: {safefiles.describe(error)}") from None
    import secrets  # only where the secret is made: opening an existing log never imports it (nor base64, random)

    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    deadline = time.monotonic() + 5
    while True:
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)  # a secret others can read is not one
                logger.warning("%s was readable by others; made it private (0600)", path)
            text = path.read_text().strip()
        except OSError as error:
            raise safefiles.FileSafetyError(f"cannot read the question log's secret {path}: {safefiles.describe(error)}") from None
        if len(text) >= 32:
            return text.encode()
        if time.monotonic() > deadline:  # empty or cut short: not a secret we wrote
            raise safefiles.FileSafetyError(f"the question log's secret {path} is empty or damaged; remove it to make a new one")
        time.sleep(0.05)  # another process is writing it right now


def flush_seconds() -> float:
    """``ROLECALL_LOG_FLUSH_MS`` in seconds: how long a queued row may wait for company before it is
    written (a typo gives the default rather than stopping the bot; capped at 10 s)."""
    value = settings.number("ROLECALL_LOG_FLUSH_MS", DEFAULT_FLUSH_MS)
    if value != value:  # nan
        value = DEFAULT_FLUSH_MS
    return max(0.0, min(value, MAX_FLUSH_MS)) / 1000


class _Queued(NamedTuple):
    """One question waiting for the writer: what its row needs, taken from the answer when it was asked
    (a named tuple: made on the answer's path, where a frozen dataclass costs several times more)."""

    row_id: int
    asked_at: float
    surface: str
    user: str | None
    question: str
    intent: str
    status: str
    roles: list[str]
    latency_ms: float
    decision: Any


_OPEN_LOGS: "weakref.WeakSet[BaseQuestionLog]" = weakref.WeakSet()


def flush_all() -> None:
    """Write every open log's queued rows: before any read of a log, so that it sees every question
    this process answered whichever log object queued it (engines in one process sharing a file),
    and at interpreter exit, so that a clean stop loses nothing."""
    for log in list(_OPEN_LOGS):
        try:
            log.flush()
        except Exception:  # one broken log must not keep the others' rows from being written
            logger.exception("could not write the question log's last rows")


atexit.register(flush_all)


class BaseQuestionLog:
    """What every question log does, in SQL that SQLite and PostgreSQL both run; a backend
    provides the connection (:meth:`_write`, :meth:`_read`), the placeholder style and how a
    block of row ids is reserved (:meth:`_reserve`)."""

    retention_days: int
    _key: bytes
    _last_prune: float = 0.0

    def _init_common(self, retention_days: int | None) -> None:
        self.retention_days = retention_days if retention_days is not None else int(
            settings.get("ROLECALL_LOG_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS
        )
        self._lock = threading.Lock()  # the connection: one transaction at a time
        self._last_prune = 0.0
        self.flush_s = flush_seconds()
        self._ids: deque[int] = deque()  # reserved, not yet given to a question
        self._ids_lock = threading.Lock()
        self._queue = threading.Condition()  # guards the rows below
        self._queued: list[_Queued] = []
        self._queued_at = 0.0  # monotonic time the oldest queued row arrived
        self._in_flight = 0  # rows taken by a write that has not finished yet
        self._closing = False
        self._closed = False  # close() ran: new rows are refused, loudly, rather than queued for nobody
        self._writer: threading.Thread | None = None
        self._writer_pid = 0
        _OPEN_LOGS.add(self)

    # -- what a backend provides ----------------------------------------------------------

    def _write(self) -> "contextlib.AbstractContextManager[Any]":
        """The lock and one transaction; yields something with ``execute(sql, params)`` (``?`` placeholders)."""
        raise NotImplementedError

    def _read(self) -> "contextlib.AbstractContextManager[Any]":
        raise NotImplementedError

    def _batch(self) -> "contextlib.AbstractContextManager[Any]":
        """The connection and one transaction the writer puts queued rows in (by default the one
        connection, under its lock)."""
        return self._write()

    def _reserve(self, db: Any, count: int) -> list[int]:
        """Reserve ``count`` row ids no other process sharing the log will ever be given (in a write)."""
        raise NotImplementedError

    def _insert_rows(self, db: Any, rows: list[tuple]) -> None:
        """Insert question rows (``INSERT_QUESTION``'s columns) in the current transaction."""
        for row in rows:
            db.execute(INSERT_QUESTION, row)

    # -- the log ---------------------------------------------------------------------------

    def hash_user(self, user: str | None) -> str | None:
        """How this log stores ``user`` (an HMAC under its secret)."""
        return hash_user(user, self._key)

    def record(self, answer: Answer, *, surface: str, user: str | None, latency_ms: float) -> int:
        """Store one question and its answer now (committed when this returns); returns the row
        id feedback refers to. For answers that leave for a person at once (Slack): a click on
        any replica must find the row. Errors reach the caller."""
        self._refuse_if_closed()
        item = self._queued_item(answer, surface, user, latency_ms)
        with self._write() as db:
            self._insert_rows(db, [self._row_of(item)])
            self._prune_if_due(db, item.asked_at)
        return item.row_id

    def submit(self, answer: Answer, *, surface: str, user: str | None, latency_ms: float) -> int:
        """Queue one question and its answer for the background writer; returns its row id at once.

        The row is written within ``ROLECALL_LOG_FLUSH_MS`` (with the others queued by then, in
        one transaction), or earlier when the log is read, closed, or the process exits. A
        process killed meanwhile loses the rows still queued; nothing else is lost.
        """
        self._refuse_if_closed()
        item = self._queued_item(answer, surface, user, latency_ms)
        with self._queue:
            if not self._queued:
                self._queued_at = time.monotonic()
            self._queued.append(item)
            if len(self._queued) == 1 or len(self._queued) >= WAKE_ROWS:
                self._queue.notify_all()
        self._ensure_writer()
        return item.row_id

    def _refuse_if_closed(self) -> None:
        """A row offered after :meth:`close` (an answer finishing while the process stops) would wait
        for a writer that has gone, and be lost without a word: refuse it, so the caller logs it."""
        if self._closed:
            raise QuestionLogError("the question log is closed; this question is not logged")

    def flush(self) -> None:
        """Write every queued row now; returns once they (and any write already under way) are committed."""
        with self._queue:
            if not self._queued and not self._in_flight:
                return
        self._write_queued()

    def _queued_item(self, answer: Answer, surface: str, user: str | None, latency_ms: float) -> _Queued:
        return _Queued(self._next_id(), time.time(), surface, user, answer.question, answer.intent, answer.status,
                       answer.roles[:20], latency_ms, answer.decision)

    def _row_of(self, item: _Queued) -> tuple:
        """The stored row (done by the writer: hashing and JSON are not the answer's cost)."""
        decision = item.decision
        scores = json.dumps(decision.top_scores()) if decision is not None and decision.scores else None
        return (
            item.row_id, item.asked_at, item.surface, self.hash_user(item.user), item.question, normalize_question(item.question),
            item.intent, item.status, json.dumps(item.roles), round(item.latency_ms, 3), scores,
        )

    def _next_id(self) -> int:
        """A row id from this process's reserved block; an empty block is refilled in its own
        transaction first (the writer keeps it filled, so a question rarely waits for that)."""
        with self._ids_lock:
            if self._ids:
                return self._ids.popleft()
        block = self._reserve_block()
        with self._ids_lock:
            self._ids.extend(block[1:])
            return block[0]

    def _reserve_block(self) -> list[int]:
        with self._batch() as db:  # the writer's connection: the main one stays the caller's
            return self._reserve(db, ID_BLOCK)

    def _top_up_ids(self) -> None:
        """Reserve the next block while half the current one is left (called by the writer)."""
        with self._ids_lock:
            if len(self._ids) >= ID_BLOCK // 2:
                return
        block = self._reserve_block()
        with self._ids_lock:
            self._ids.extend(block)

    def _write_queued(self) -> None:
        """Write what is queued in one transaction. The connection lock is taken before the rows,
        so when this returns every row queued before the call is committed (or reported lost)."""
        items: list[_Queued] = []
        try:
            with self._batch() as db:
                with self._queue:
                    items, self._queued = self._queued, []
                    self._in_flight += len(items)
                if items:
                    self._insert_rows(db, [self._row_of(item) for item in items])
                    self._prune_if_due(db, time.time())
        except Exception:  # sqlite3.Error, psycopg.Error (PostgreSQL away): the answers were given already
            logger.warning("could not write %d question-log row(s) in one batch; writing them one by one", len(items),
                           exc_info=True)
            self._write_one_by_one(items)
        finally:
            with self._queue:
                self._in_flight -= len(items)

    def _write_one_by_one(self, items: list[_Queued]) -> None:
        """After a failed batch: each row in its own transaction, so a row the database refuses (or a
        moment it was away) loses that row, as when every row was written on its own, not the batch.
        Stops after ``GIVE_UP_AFTER`` failures in a row: a database that stays away must not hold the
        writer for a connect timeout per row."""
        failures = 0
        for done, item in enumerate(items):
            try:
                with self._batch() as db:
                    self._insert_rows(db, [self._row_of(item)])
                failures = 0
            except Exception:
                failures += 1
                logger.exception("could not write a question-log row; that question is not logged")
                if failures >= GIVE_UP_AFTER:
                    logger.error("the question log refused %d rows in a row; %d more question(s) are not logged",
                                 failures, len(items) - done - 1)
                    return

    def _ensure_writer(self) -> None:
        """Start the background writer on first use (again in a forked child, which has no threads)."""
        if self._writer is not None and self._writer_pid == os.getpid():
            return
        with self._queue:
            if self._writer is None or self._writer_pid != os.getpid():
                self._writer_pid = os.getpid()
                self._closing = False
                self._writer = threading.Thread(target=self._write_loop, name="rolecall-log-writer", daemon=True)
                self._writer.start()

    def _write_loop(self) -> None:
        """The writer: wait for a row, give it ``flush_s`` (or ``WAKE_ROWS`` rows) for company, write them all."""
        while True:
            with self._queue:
                while not self._queued and not self._closing:
                    self._queue.wait()
                if not self._queued:
                    return
                deadline = self._queued_at + self.flush_s
                while not self._closing and len(self._queued) < WAKE_ROWS and (left := deadline - time.monotonic()) > 0:
                    self._queue.wait(left)
            self._write_queued()
            try:
                self._top_up_ids()
            except Exception:  # the next question reserves its block itself (and reports the error there)
                logger.exception("could not reserve question-log row ids")

    def close(self) -> None:
        """Write what is queued, stop the writer and close the connection."""
        with self._queue:
            self._closing = True
            self._closed = True
            self._queue.notify_all()
        writer = self._writer
        if writer is not None and self._writer_pid == os.getpid() and writer is not threading.current_thread():
            writer.join(timeout=30)
        self.flush()
        _OPEN_LOGS.discard(self)
        self._close_connection()

    def _close_connection(self) -> None:
        raise NotImplementedError

    def feedback(self, question_id: int, helpful: bool, user: str | None = None, question: str | None = None) -> bool:
        """Record a Helpful / Not helpful click; False when the question is unknown (pruned or forged).

        ``question`` (the start of the question the button was under) guards against a click
        reaching a replica whose log has another question under the same row id.
        """
        if isinstance(question_id, bool) or not isinstance(question_id, int) or not 0 < question_id < 2**63:
            return False
        flush_all()  # the question may still be queued (by any log object of this process)
        with self._write() as db:
            row = db.execute("select question from questions where id = ?", (question_id,)).fetchone()
            if not row:
                return False
            if question is not None and not row[0].startswith(question[:200]):
                return False
            db.execute(
                "insert into feedback (question_id, given_at, helpful, user_hash) values (?, ?, ?, ?)"
                " on conflict (question_id, user_hash) do update set given_at = excluded.given_at, helpful = excluded.helpful",
                (question_id, time.time(), int(helpful), self.hash_user(user)),
            )
            return True

    def claim_digest(self, period: str, channel: str) -> bool:
        """Claim the gaps digest of ``period`` (one unique row); True for the one process, of all
        those sharing this log, whose claim made the row. The claim is never pruned."""
        with self._write() as db:
            cursor = db.execute("insert into digests (period, channel, claimed_at) values (?, ?, ?) on conflict do nothing",
                                (period, channel, time.time()))
            return cursor.rowcount == 1

    def release_digest(self, period: str) -> None:
        """Give a claim back when Slack certainly did not post the digest, so a later try may."""
        with self._write() as db:
            db.execute("delete from digests where period = ?", (period,))

    def count(self) -> int:
        flush_all()
        with self._read() as db:
            return int(db.execute("select count(*) from questions").fetchone()[0])

    def gaps(self, limit: int = 20, days: float | None = None) -> list[Gap]:
        """The most-asked questions that got a gap status or a "Not helpful", grouped by wording."""
        since = time.time() - days * 86400 if days else 0.0
        flush_all()
        with self._read() as db:
            rows = db.execute(GAPS_SQL, (since, limit)).fetchall()
        gaps = []
        for normalized, times, askers, last_asked, wording, status, roles, scores, unhelpful in rows:
            reason = status if status in GAP_STATUSES else "not_helpful"
            gaps.append(Gap(wording, int(times), int(askers), reason, json.loads(roles or "[]"), float(last_asked),
                            likely_misroute(json.loads(scores or "{}"))))
        return gaps

    def _prune_if_due(self, db: Any, now: float) -> None:
        """Drop rows past the retention period, at most once an hour per process (called in a write)."""
        if self.retention_days <= 0 or now - self._last_prune < 3600:
            return
        self._last_prune = now
        cutoff = now - self.retention_days * 86400
        db.execute("delete from feedback where question_id in (select id from questions where asked_at < ?)", (cutoff,))
        db.execute("delete from questions where asked_at < ?", (cutoff,))


GAPS_SQL = """
    select q.normalized,
           count(distinct q.id) as times,
           count(distinct q.user_hash) as askers,
           max(q.asked_at) as last_asked,
           (select q2.question from questions q2 where q2.normalized = q.normalized order by q2.asked_at desc limit 1) as wording,
           (select q3.status from questions q3 where q3.normalized = q.normalized order by q3.asked_at desc limit 1) as status,
           (select q4.roles from questions q4 where q4.normalized = q.normalized order by q4.asked_at desc limit 1) as roles,
           (select q5.scores from questions q5 where q5.normalized = q.normalized order by q5.asked_at desc limit 1) as scores,
           sum(case when f.helpful = 0 then 1 else 0 end) as unhelpful
    from questions q left join feedback f on f.question_id = q.id
    where q.asked_at >= ?
      and q.surface != 'slack:share'  -- a shared answer repeats a question already counted
      and (q.status in ('not_found', 'not_documented', 'unknown') or f.helpful = 0)
    group by q.normalized
    order by times desc, last_asked desc
    limit ?
"""


class QuestionLog(BaseQuestionLog):
    """Append-only log of questions and feedback, in its own SQLite file (the default)."""

    def __init__(self, path: Path, retention_days: int | None = None) -> None:
        self.path = path
        self._init_common(retention_days)
        self.damaged_copy: Path | None = None  # where a damaged log was kept aside, if it was
        self._batch_lock = threading.Lock()
        self._batch_conn: sqlite3.Connection | None = None
        try:
            self._conn = self._open(path)
        except (OSError, sqlite3.Error) as error:
            raise safefiles.FileSafetyError(f"cannot write the question log {path}: {safefiles.describe(error)}") from None
        self._key = log_key(path)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._conn:
            yield self._conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    @contextlib.contextmanager
    def _batch(self) -> Iterator[sqlite3.Connection]:
        """The writer's own connection (opened on first use): a batch being written never holds up
        a feedback click or a Slack answer's row on the main one (SQLite serializes the two)."""
        with self._batch_lock:
            if self._batch_conn is None:
                self._batch_conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
                self._batch_conn.execute("pragma synchronous=normal")
                self._batch_conn.execute("pragma foreign_keys=on")
            with self._batch_conn:
                yield self._batch_conn

    def _reserve(self, db: sqlite3.Connection, count: int) -> list[int]:
        end = db.execute(
            "update log_ids set next = max(next, (select coalesce(max(id), 0) + 1 from questions)) + ? where id = 1 returning next",
            (count,),
        ).fetchone()[0]
        return list(range(int(end) - count, int(end)))

    def _insert_rows(self, db: sqlite3.Connection, rows: list[tuple]) -> None:
        db.executemany(INSERT_QUESTION, rows)

    def _open(self, path: Path) -> sqlite3.Connection:
        """Open (or start) the log: a file that is not a question log is refused, never touched;
        a damaged log is kept aside under a new name and a new one is started, with a warning."""
        state = safefiles.inspect(path, safefiles.LOG_APPLICATION_ID, "questions")
        if state == safefiles.FOREIGN:
            raise safefiles.FileSafetyError(
                f"{path} is not a Rolecall question log; refusing to use it (choose another ROLECALL_QUESTION_LOG)"
            )
        safefiles.ensure_parent(path)
        if state == safefiles.DAMAGED:
            self.damaged_copy = keep_aside(path)
            logger.warning("the question log %s was damaged: kept it as %s and started a new one", path, self.damaged_copy)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        try:
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma synchronous=normal")
            conn.execute("pragma foreign_keys=on")
            conn.executescript(SCHEMA)
            if not conn.execute("select 1 from sqlite_master where name = 'feedback_once'").fetchone():
                conn.executescript(FEEDBACK_ONCE)
            if "scores" not in {row[1] for row in conn.execute("pragma table_info(questions)")}:
                conn.execute("alter table questions add column scores text")  # logs from before routing decisions
            conn.executescript(LOG_IDS_SCHEMA)
            if conn.execute("pragma application_id").fetchone()[0] != safefiles.LOG_APPLICATION_ID:
                conn.execute(f"pragma application_id = {safefiles.LOG_APPLICATION_ID}")
                conn.execute("pragma wal_checkpoint(truncate)")  # the stamp belongs in the main file's header
        except BaseException:
            conn.close()
            raise
        return conn

    def _close_connection(self) -> None:
        with self._batch_lock:
            if self._batch_conn is not None:
                self._batch_conn.close()
                self._batch_conn = None
        with self._lock:
            self._conn.close()


# The same tables in PostgreSQL: times are double precision (PostgreSQL's ``real`` is 4 bytes, too
# coarse for Unix times), ids are identities, and the gaps report's correlated subqueries get an index.
POSTGRES_SCHEMA = """
create table if not exists questions (
    id bigint generated by default as identity primary key,
    asked_at double precision not null,
    surface text not null,
    user_hash text,
    question text not null,
    normalized text not null,
    intent text not null,
    status text not null,
    roles text not null,
    latency_ms double precision not null,
    scores text
);
create index if not exists questions_asked_at on questions(asked_at);
create index if not exists questions_status on questions(status);
create index if not exists questions_normalized on questions(normalized, asked_at);
create table if not exists feedback (
    id bigint generated by default as identity primary key,
    question_id bigint references questions(id) on delete cascade,
    given_at double precision not null,
    helpful integer not null,
    user_hash text
);
create index if not exists feedback_question on feedback(question_id);
create unique index if not exists feedback_once on feedback(question_id, user_hash);
create table if not exists digests (
    period text primary key,
    channel text not null,
    claimed_at double precision not null
);
create table if not exists log_secret (
    id integer primary key check (id = 1),
    secret text not null
);
"""
SCHEMA_LOCK = 0x526F6C65  # pg_advisory_xact_lock key: replicas starting together create the tables one at a time
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class QuestionLogError(safefiles.FileSafetyError):
    """The shared question log cannot be opened: every command reports it in one line, like a file problem."""


class PostgresQuestionLog(BaseQuestionLog):
    """The question log in PostgreSQL (``ROLECALL_DATABASE_URL``), shared by every replica: row ids
    are global, so a feedback click is recorded wherever it lands and ``gaps`` covers everyone.

    One connection (autocommit; writes in explicit transactions) behind the same lock as SQLite's.
    A connection that broke (the server restarted) is replaced on the next call; the call that
    found it broken fails, and the engine answers without logging that one question.

    User ids are hashed with ``ROLECALL_LOG_SALT`` when set, else with a secret generated once
    and kept in the database (table ``log_secret``), so every replica hashes a user the same way.
    """

    def __init__(self, url: str, retention_days: int | None = None, *, connect_timeout: float = 5.0) -> None:
        if not url.lower().startswith(POSTGRES_SCHEMES):
            raise QuestionLogError("ROLECALL_DATABASE_URL must be a postgresql:// URL")
        self.url = url
        self.where = describe_database(url)
        self.connect_timeout = connect_timeout
        self._init_common(retention_days)
        self._conn = self._connect()
        try:
            with self._conn.transaction():
                self._conn.execute("select pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                self._conn.execute(POSTGRES_SCHEMA)
            self._key = self._shared_key()
        except Exception as error:
            self._conn.close()
            raise QuestionLogError(f"cannot set up the question log in PostgreSQL at {self.where}: {self._describe(error)}") from None

    def _describe(self, error: Exception) -> str:
        text = " ".join(str(error).split()) or type(error).__name__
        password = urlsplit(self.url).password
        return text.replace(password, "***") if password else text

    def _connect(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, round(self.connect_timeout)))
            conn.execute("set statement_timeout = '30s'")
        except psycopg.Error as error:
            raise QuestionLogError(f"cannot reach the question log in PostgreSQL at {self.where}: {self._describe(error)}") from None
        return conn

    def _shared_key(self) -> bytes:
        salt = settings.get("ROLECALL_LOG_SALT")
        if salt:
            return salt.encode()
        import secrets  # see log_key: made once

        with self._conn.transaction():
            self._conn.execute("insert into log_secret (id, secret) values (1, %s) on conflict do nothing", (secrets.token_hex(32),))
            return str(self._conn.execute("select secret from log_secret where id = 1").fetchone()[0]).encode()

    def _connection(self) -> Any:
        """The connection, replaced first when the last one broke (called under the lock)."""
        if self._conn.closed or self._conn.broken:
            logger.warning("the question log's connection to PostgreSQL at %s was lost; reconnecting", self.where)
            self._conn = self._connect()
        return self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator["_Postgres"]:
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                yield _Postgres(conn)

    @contextlib.contextmanager
    def _read(self) -> Iterator["_Postgres"]:
        with self._lock:
            yield _Postgres(self._connection())

    def _reserve(self, db: "_Postgres", count: int) -> list[int]:
        rows = db.execute("select nextval(pg_get_serial_sequence('questions', 'id')) from generate_series(1, ?)", (count,)).fetchall()
        return sorted(int(row[0]) for row in rows)

    def _insert_rows(self, db: "_Postgres", rows: list[tuple]) -> None:
        db.executemany(INSERT_QUESTION, rows)

    def _close_connection(self) -> None:
        with self._lock:
            self._conn.close()


class _Postgres:
    """A psycopg connection taking the log's ``?`` placeholders (none of its SQL has a literal ``?`` or ``%``)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: tuple = ()) -> Any:
        return self.conn.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), rows)


def describe_database(url: str) -> str:
    """Where a PostgreSQL URL points, without its password: ``host:port/database``."""
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = "?"
    return f"{parts.hostname or 'localhost'}:{port}{parts.path or '/'}"


def open_question_log(sqlite_path: Path) -> BaseQuestionLog:
    """The log every surface writes to: PostgreSQL when ``ROLECALL_DATABASE_URL`` is set, else SQLite at ``sqlite_path``."""
    url = settings.get_str("ROLECALL_DATABASE_URL")
    return PostgresQuestionLog(url) if url else QuestionLog(sqlite_path)


def keep_aside(path: Path) -> Path:
    """Move a damaged log (and its WAL side files) to ``<name>.damaged-<time>``; returns the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm", "-journal"):
        side = Path(str(path) + suffix)
        if side.exists():
            os.replace(side, Path(str(target) + suffix))
    return target


def gaps_text(gaps: list[Gap]) -> str:
    """Light-Markdown list of gaps for the CLI and Slack (user wording is echoed, so it is escaped there)."""
    if not gaps:
        return "No gaps: every logged question found its answer (or nobody has asked anything yet)."
    reasons = {
        "not_found": "no such role",
        "not_documented": "not in the handbook",
        "unknown": "not understood",
        "not_helpful": "marked not helpful",
    }
    lines = ["Most-asked questions without a good answer:"]
    for gap in gaps:
        who = f", {gap.askers} people" if gap.askers > 1 else ""
        about = f" ({', '.join(gap.roles[:2])})" if gap.roles else ""
        question = " ".join(gap.question.split())[:120]
        torn = f"; routing was torn between {gap.misroute}" if gap.misroute else ""
        lines.append(f"• {gap.times}× “{question}”{about}: {reasons[gap.reason]}{who}{torn}")
    return "\n".join(lines)
