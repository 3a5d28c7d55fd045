"""Record "Helpful" / "Not helpful" clicks so handbook owners learn which answers miss.

One small SQLite table. The user id is stored only as a hash of team and user:
enough to count distinct people, without keeping raw Slack ids.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    surface TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    question TEXT NOT NULL,
    intent TEXT NOT NULL,
    status TEXT NOT NULL,
    roles TEXT NOT NULL,
    helpful INTEGER NOT NULL
)
"""


@dataclass(frozen=True)
class Feedback:
    """One click, with the question and answer it was about."""

    surface: str
    team_id: str
    user_id: str
    question: str
    intent: str
    status: str
    roles: tuple[str, ...]
    helpful: bool


def user_hash(team_id: str, user_id: str) -> str:
    """Stable pseudonym for a Slack user (raw ids are personal data we do not need)."""
    return hashlib.sha256(f"{team_id}:{user_id}".encode()).hexdigest()[:16]


def default_path(index_db: Path | None) -> Path:
    """Next to the index database when there is one, else in the user's cache directory."""
    if index_db is not None:
        return Path(index_db).with_name("feedback.sqlite")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "rolecall" / "feedback.sqlite"


class FeedbackStore:
    """Append-only feedback log; safe to call from Bolt's listener threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    def record(self, item: Feedback) -> None:
        """Append one click."""
        row = (
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
            item.surface,
            user_hash(item.team_id, item.user_id),
            item.question,
            item.intent,
            item.status,
            json.dumps(list(item.roles)),
            int(item.helpful),
        )
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO feedback (at, surface, user_hash, question, intent, status, roles, helpful)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def rows(self) -> list[dict[str, object]]:
        """Everything recorded, oldest first (for tests and reports)."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM feedback ORDER BY id")]

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection per call, committed and closed: none is shared across threads."""
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db
