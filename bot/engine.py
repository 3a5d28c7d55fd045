"""The one entry point every surface uses: ``Engine.ask(question) -> Answer``.

The engine owns the index (kept in sync with the pages folder), routes each
question to the best intent, and guarantees an answer: a handler bug becomes
a polite "unknown" answer and a log line, never a traceback in a channel.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from bot.answer import Answer
from bot.index import IndexStore, SyncReport, default_db_path
from bot.knowledge import Knowledge
from bot.parse import DEFAULT_BASE_URL
from bot.query import Query
from bot.router import REGISTRY, load_handlers, score

log = logging.getLogger(__name__)

MAX_QUESTION = 500  # longer input is cut; nobody asks a 10,000-character question on purpose
PROJECT_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def default_seeds_dir() -> Path:
    """``$ROLECALL_SEEDS``, else ``./seeds`` when run from a checkout, else the bundled seeds."""
    env = os.environ.get("ROLECALL_SEEDS")
    if env:
        return Path(env).expanduser()
    local = Path("seeds")
    if local.is_dir():
        return local
    return PROJECT_SEEDS


class Engine:
    """An index of one pages folder and the handlers that answer from it."""

    def __init__(self, seeds_dir: Path, db_path: Path | None = None, base_url: str | None = None) -> None:
        self.seeds_dir = Path(seeds_dir)
        if not self.seeds_dir.is_dir():
            raise FileNotFoundError(f"pages folder not found: {self.seeds_dir}")
        self.db_path = Path(db_path) if db_path else default_db_path(self.seeds_dir)
        self.base_url = base_url or os.environ.get("ROLECALL_HANDBOOK_URL") or DEFAULT_BASE_URL
        self._lock = threading.Lock()
        self.store = IndexStore(self.db_path, self.seeds_dir, self.base_url)
        self.last_sync: SyncReport = self.store.sync()
        self.kb = Knowledge(self.db_path)
        load_handlers()

    @classmethod
    def from_env(cls) -> "Engine":
        db = os.environ.get("ROLECALL_DB")
        return cls(default_seeds_dir(), Path(db) if db else None)

    def refresh(self) -> SyncReport:
        """Re-read changed pages; swap in a new read view only when something changed."""
        with self._lock:
            report = self.store.sync()
            if report.parsed or report.removed:
                self.kb = Knowledge(self.db_path)
            self.last_sync = report
            return report

    # --- asking ------------------------------------------------------------------

    def ask(self, question: str, *, last_role: str | None = None, role: str | None = None, role_page: str | None = None) -> Answer:
        """Answer one question. ``last_role``: the conversation's role; ``role`` (and its
        ``role_page`` when two pages share a title): the role the user picked from choices."""
        kb = self.kb  # one consistent view for the whole question
        text = (question or "")[:MAX_QUESTION]
        query = Query(
            text=text,
            kb=kb,
            last_role=kb.role_named(last_role) if last_role else None,
            forced_role=kb.role_named(role, role_page) if role else None,
        )
        try:
            return self._route(query)
        except Exception:  # a bug must not reach the channel as a traceback
            log.exception("handler failed for question %r", text[:200])
            return Answer("unknown", "unknown", "Sorry, something went wrong answering that. Try rephrasing, or ask `help`.", question=text)

    def _route(self, query: Query) -> Answer:
        if not query.clean:
            query.intent = "help"
            return REGISTRY["help"].handle(query)
        ranked = score(query.clean)
        if ranked and ranked[0][1].name == "role_overview" and ranked[0][0] < 2.5 and query.resolution.status == "none":
            return self.unknown(query)  # "what's the weather like?" is not about a role
        if ranked:
            best = ranked[0][1]
            query.intent = best.name
            return best.handle(query)
        res = query.resolution
        if res.status in ("one", "ambiguous", "family") and res.span != "(follow-up)":
            query.intent = "role_overview"
            return REGISTRY["role_overview"].handle(query)
        return self.unknown(query)

    def unknown(self, query: Query) -> Answer:
        examples = "\n".join(f"• {e}" for e in self.examples()[:5])
        text = "I'm not sure what you're asking. I answer questions about job roles, for example:\n" + examples + "\nSay `help` for everything I can do."
        return Answer("unknown", "unknown", text, question=query.text)

    # --- about the index ---------------------------------------------------------

    def examples(self) -> list[str]:
        """Example questions, one per intent, for help screens."""
        items = sorted(load_handlers().values(), key=lambda i: i.order)
        return [i.examples[0] for i in items if i.name != "help"]

    def help_text(self) -> str:
        from handlers.help import help_text

        return help_text()

    def stats(self) -> dict:
        """Counts for `rolecall index` and the Slack App Home."""
        db = self.store.db
        count = lambda sql: next(iter(db.query(sql).__iter__()))["n"]  # noqa: E731
        return {
            "pages": count("select count(*) as n from pages"),
            "roles": count("select count(*) as n from roles"),
            "grades": count("select count(distinct role_id) as n from grades"),
            "reports_to": count("select count(distinct role_id) as n from reports"),
            "hiring_processes": count("select count(distinct page_id) as n from sections where kind = 'hiring_process'"),
            "problems": [str(p) for p in self.store.problems()],
            "indexed_at": self.store.meta("indexed_at") or "",
        }
