"""The one entry point every surface uses: ``Engine.ask(question) -> Answer``.

The engine owns the index (kept in sync with the pages folder), routes each
question to the best intent, and guarantees an answer: a handler bug becomes
a polite "unknown" answer and a log line, never a traceback in a channel.
"""

from __future__ import annotations

import gc
import logging
import re
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot import settings
from bot.answer import Answer, Context
from bot.index import (SyncReport, checkpoint, default_db_path, index_identity, read_generation, unchanged_report, update_index,
                       write_serving_snapshot)
from bot.compose import clarify_intent
from bot.knowledge import Knowledge, snapshot_checksum
from bot.page_model import DEFAULT_BASE_URL
from bot.query import Query
from bot.questionlog import BaseQuestionLog, gaps_text, open_question_log
from bot.router import REGISTRY, load_handlers, route
from bot.safefiles import FileSafetyError, is_inside

log = logging.getLogger(__name__)

# Intents whose answer is about one role: an ambiguous role may not matter to them (Engine._answer_each).
PER_ROLE_INTENTS = frozenset(
    {"reports_to", "grade", "interview_steps", "responsibilities", "requirements", "career_ladder",
     "performance_indicators", "role_overview", "direct_reports"}
)
MAX_MERGED = 8
AND = re.compile(r"\s+and\s+|\s*&\s*", re.I)  # between two roles named in one question (see Engine._answer_both)
# Answers that leave at once for a person who can click "Helpful" on any replica: their question-log
# row is committed before ``ask`` returns. Every other surface's row is queued for the log's
# background writer (:meth:`bot.questionlog.BaseQuestionLog.submit`), off the answer's path.
DELIVERED_SURFACES = ("slack:",)
MAX_QUESTION = 500  # longer input is cut; nobody asks a 10,000-character question on purpose
PROJECT_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
FILL_ROLES_AFTER_SECONDS = 1.0  # after opening a version from its snapshot: see Engine._warm


def default_seeds_dir() -> Path:
    """``$ROLECALL_SEEDS``, else ``./seeds`` when run from a checkout, else the bundled seeds."""
    env = settings.get("ROLECALL_SEEDS")
    if env:
        return Path(env).expanduser()
    local = Path("seeds")
    if local.is_dir():
        return local
    return PROJECT_SEEDS


def default_log_path(db_path: Path) -> Path:
    """``$ROLECALL_QUESTION_LOG``, else a file beside the index."""
    env = settings.get("ROLECALL_QUESTION_LOG")
    return Path(env).expanduser() if env else db_path.with_name(db_path.stem + "-questions.sqlite")


@dataclass(frozen=True)
class EngineSpec:
    """How to make an :class:`Engine` (pages folder, index file), in a form another process can be
    given: ``rolecall serve`` hands it to its indexer and answer worker processes."""

    seeds_dir: Path
    db_path: Path | None = None

    def __call__(self, **options: object) -> "Engine":
        return Engine(self.seeds_dir, self.db_path, **options)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls) -> "EngineSpec":
        db = settings.get("ROLECALL_DB")
        return cls(default_seeds_dir(), Path(db) if db else None)

    def resolved(self) -> "EngineSpec":
        """The same, with the index file's path worked out (every process must use the same one)."""
        return EngineSpec(self.seeds_dir, self.db_path or default_db_path(self.seeds_dir))


def recorded_metrics():
    """:mod:`bot.metrics` when this process keeps metrics, else None.

    Only serving processes expose ``/metrics`` or ship figures to the front, and their code
    (``bot.slack``) imports :mod:`bot.metrics` before it opens an engine. A command-line answer
    never reads a metric, and importing prometheus-client (http.server, ssl, ...) for it was about
    0.06 s of a cold start (a fifth of all imports)."""
    return sys.modules.get("bot.metrics")


@contextmanager
def long_lived():
    """Build an index version's objects (hundreds of thousands at 3,000 families) outside the
    cyclic garbage collector's reach.

    They live as long as the version is served and hold no reference cycles (a retired version is
    freed by reference counting, see :class:`Knowledge`), so scanning them finds nothing: with the
    collector on, building them set off full collections over a growing heap, and the collection
    at interpreter exit scanned them all again (0.15 s of a 3,000-family cold start, measured with
    and without). The young generations are collected first, so the leftovers of syncing are not
    frozen with them; then collection is paused while building, and :func:`gc.freeze` moves
    everything alive into the permanent generation, which no collection scans.
    """
    gc.collect(1)
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _load_handlers_quietly() -> None:
    """:func:`bot.router.load_handlers` in a thread beside the opening of an index (see
    ``Engine.__init__``); a failure is raised by the engine's own call after it, as before."""
    try:
        load_handlers()
    except Exception:
        pass


class Engine:
    """An index of one pages folder and the handlers that answer from it."""

    def __init__(
        self,
        seeds_dir: Path,
        db_path: Path | None = None,
        base_url: str | None = None,
        question_log: BaseQuestionLog | None | bool = True,
        *,
        readonly: bool = False,
    ) -> None:
        self.seeds_dir = Path(seeds_dir)
        # Read-only: never write the index, only open it and reopen each new generation another
        # process (the indexer) swapped in. Answer worker processes run this way.
        self.readonly = readonly
        if self.seeds_dir.exists() and not self.seeds_dir.is_dir():
            raise FileNotFoundError(f"the pages folder {self.seeds_dir} is a file, not a folder (--seeds / ROLECALL_SEEDS)")
        if not self.seeds_dir.is_dir():
            raise FileNotFoundError(f"pages folder not found: {self.seeds_dir}")
        self.db_path = Path(db_path) if db_path else default_db_path(self.seeds_dir)
        self.base_url = base_url or settings.get("ROLECALL_HANDBOOK_URL") or DEFAULT_BASE_URL
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._served: tuple[int, int] | None = None
        self._logged_problems: set[str] = set()
        self.generation = 0
        self.pages_digest = ""
        self._catalog = None  # bot.catalog.Catalog of the index served, once a surface asked for one
        self._catalog_lock = threading.Lock()
        self._snapshot_thread: threading.Thread | None = None
        self._syncing = threading.Event()  # set while refresh() syncs the file (see _store_snapshot)
        self.snapshots_written = 0  # serving snapshots this engine stored (see _store_snapshot)
        if readonly and index_identity(self.db_path) is None:
            raise FileNotFoundError(f"no index at {self.db_path} to open read-only (build it with `rolecall index`)")
        # The handlers are imported and their patterns compiled (80 regexes: interpreter work, 25 ms
        # and more) while opening the index waits on LZ4, SQLite and the file system, which let
        # another thread run; on a second engine in a process this is nothing.
        handlers = threading.Thread(target=_load_handlers_quietly, name="rolecall-handlers", daemon=True)
        handlers.start()
        try:
            with self._lock:  # a snapshot thread of a version opened here and then replaced finds it is not served
                self.last_sync: SyncReport = self._open_synced()
        finally:
            handlers.join()
        self._logged_problems = set(str(p) for p in self.kb.problems())  # `rolecall index` and App Home show these
        if question_log is True:
            log_path = default_log_path(self.db_path)
            if is_inside(log_path, self.seeds_dir) and not settings.get_str("ROLECALL_DATABASE_URL"):
                raise FileSafetyError(f"the question log {log_path} would be inside the pages folder {self.seeds_dir}; "
                                      "set ROLECALL_QUESTION_LOG outside it")
            question_log = open_question_log(log_path)  # PostgreSQL when ROLECALL_DATABASE_URL is set
        self.log: BaseQuestionLog | None = question_log or None
        load_handlers()

    @classmethod
    def from_env(cls) -> "Engine":
        db = settings.get("ROLECALL_DB")
        return cls(default_seeds_dir(), Path(db) if db else None)

    # --- keeping the index current -------------------------------------------------

    def _update_index(self) -> SyncReport:
        """Sync the index file with the pages without disturbing anyone reading it
        (see :func:`bot.index.update_index`: one writer at a time, atomic swaps, foreign files refused)."""
        return update_index(self.db_path, self.seeds_dir, self.base_url)

    def _open_synced(self) -> SyncReport:
        """Serve the index as the pages are now, and say what syncing it changed.

        An index that exists is opened while a thread compares the pages with it (read only:
        :func:`bot.index.unchanged_report`): the comparison is mostly waiting for the file system
        (a ``stat`` of every page, 3,000 at 3,000 families, and the index's stamps), opening is
        mostly the interpreter's, so the two overlap instead of adding up on the way to the first
        answer. Nothing is answered before the comparison is done. When a page changed (or the
        index must be rebuilt, or the comparison failed) the index is synced here as before
        (:func:`bot.index.update_index`, which raises what it cannot do) and the version opened
        meanwhile is replaced by the synced one, reusing what did not change, as a reload does."""
        if self.readonly:
            self._load()
            return SyncReport()
        if index_identity(self.db_path) is None:  # nothing to open yet: build it first
            report = self._update_index()
            self._load()
            return report
        found: list[SyncReport | None] = []

        def compare() -> None:
            try:
                found.append(unchanged_report(self.db_path, self.seeds_dir, self.base_url))
            except Exception:  # the sync below meets the same problem, and says what it is
                found.append(None)

        comparing = threading.Thread(target=compare, name="rolecall-compare", daemon=True)
        comparing.start()
        try:
            self._load()
        except Exception:  # a file being replaced or repaired: opened again once synced
            log.debug("opening the index before syncing it failed; opening it once synced", exc_info=True)
        comparing.join()
        report = found[0] if found else None
        try:
            if report is None:
                report = self._update_index()
        except BaseException:
            if getattr(self, "kb", None) is not None:
                self.kb.close()
            raise
        if (getattr(self, "kb", None) is None or report.parsed or report.removed or report.full_rebuild
                or index_identity(self.db_path) != self._served or read_generation(self.db_path) != self.generation):
            self._load()
        return report

    def _load(self) -> None:
        """Serve the index file as it is now (called under ``self._lock`` or from ``__init__``).

        The new version takes what did not change from the one served so far (see
        :class:`Knowledge`), which is then retired: closed once its last question is done,
        releasing its snapshot.
        """
        identity = index_identity(self.db_path)
        previous = getattr(self, "kb", None)
        with long_lived():
            kb = Knowledge(self.db_path, previous=previous if identity == self._served else None)
        self.kb = kb
        self._served = identity
        try:
            info = kb.meta()
            self.generation = int(info.get("generation") or 0)
            self.pages_digest = info.get("pages_digest") or ""
            recorded = recorded_metrics()
            if recorded is not None:
                recorded.set_gauge("rolecall_index_generation", self.generation, {"process": recorded.process_name()})
            self._warm(kb)
            if not self.readonly and not kb.snapshot_current:
                self._store_snapshot(kb)
            if self._catalog is not None:  # a surface uses it: build the new version's now, off the question path
                self.catalog()
        finally:  # whatever failed above, the old version is no longer served: its snapshot must not pin the -wal
            if previous is not None:
                previous.retire()

    def _store_snapshot(self, kb: Knowledge) -> None:
        """Store the serving snapshot of the version just opened, in a daemon thread (off the path
        to the first answer and to a rebuild's answer), so the next process to open this version
        reads it in one go instead of building every role and name again. Readers check it
        against their own version (:meth:`Knowledge._read_serving`); a process that exits first
        leaves it to the next writer that opens the index.

        The thread first waits for the engine's lock, which a refresh holds until the version it
        loads is served: encoding the snapshot holds the interpreter lock for tens of
        milliseconds at a time (marshal), which the refresh's last steps (starting the warm-up
        and retiring threads) would otherwise wait out."""
        def store() -> None:
            with self._lock:  # a refresh serving this version returns first
                pass
            if self.kb is not kb:  # replaced meanwhile (opened while syncing, see _open_synced)
                return
            with kb.using():
                if kb.closed:
                    return
                stamp, data = kb.serving_snapshot()
            while self._syncing.is_set():  # a refresh is syncing: never make it wait for the writer lock
                time.sleep(0.01)
            if self.kb is kb and write_serving_snapshot(self.db_path, stamp, snapshot_checksum(data), data):
                self.snapshots_written += 1

        self._snapshot_thread = threading.Thread(target=store, name="rolecall-snapshot", daemon=True)
        self._snapshot_thread.start()

    def wait_for_snapshot(self, timeout: float | None = None) -> None:
        """Wait until the serving snapshot being stored (if any) is written: ``rolecall index``
        leaves the file finished rather than exiting in the middle of it."""
        thread = self._snapshot_thread
        if thread is not None:
            thread.join(timeout)

    def catalog(self):
        """Role cards, URL lookups, role search and page freshness of the index being served
        (:class:`bot.catalog.Catalog`): one per index version, rebuilt when the index is reloaded."""
        from bot.catalog import Catalog

        kb = self.kb
        with self._catalog_lock:
            if self._catalog is None or self._catalog.kb is not kb:
                self._catalog = Catalog(kb, self.seeds_dir, previous=self._catalog)
            return self._catalog

    def index_info(self) -> dict:
        """Which index version this process serves: replicas serving the same pages report the same digest."""
        return {"generation": self.generation, "pages_digest": self.pages_digest}

    def refresh(self) -> SyncReport:
        """Pick up added, changed and removed pages; serve the new version when anything changed,
        including when another process sharing the file did the work (a new generation, or a
        rebuilt file). A read-only engine only does the latter."""
        with self._lock:
            self._syncing.set()
            try:
                report = SyncReport() if self.readonly else self._update_index()
            finally:
                self._syncing.clear()
            replaced = index_identity(self.db_path) != self._served or read_generation(self.db_path) != self.generation
            if report.parsed or report.removed or report.full_rebuild or replaced:
                self._load()
                if report.parsed or report.removed or report.full_rebuild:
                    log.info("index updated: %d page(s) re-read, %d removed (generation %d)",
                             len(report.parsed), len(report.removed), self.generation)
                else:
                    log.info("index updated by another process: reopened generation %d", self.generation)
                self._log_new_problems()
            self.last_sync = report
            return report

    def _log_new_problems(self) -> None:
        """Log page problems when they appear or change, not again on every reload."""
        current = set(str(p) for p in self.kb.problems())
        for problem in sorted(current - self._logged_problems):
            log.warning("page problem: %s", problem)
        self._logged_problems = current

    def _warm(self, kb: Knowledge) -> None:
        """Build the typo vocabulary off the question path, so the first misspelled question is not
        slow; and, a moment later (past a first answer), every role of a version opened from its
        snapshot (:meth:`Knowledge.fill_roles`), so lookups are plain ones from then on. Making
        them is tens of milliseconds of the interpreter's lock at 3,000 families: in the same
        moment as the first answer it would only have moved there."""
        threading.Thread(target=lambda: kb.resolver.raw_vocab, name="rolecall-warm", daemon=True).start()

        def fill() -> None:
            if self.kb is kb:  # not for a version opened and replaced at once (see _open_synced)
                with long_lived():
                    kb.fill_roles()

        timer = threading.Timer(FILL_ROLES_AFTER_SECONDS, fill)
        timer.daemon = True
        timer.name = "rolecall-fill-roles"
        timer.start()

    def watch(self, interval: float | None = None) -> None:
        """Poll the pages folder in a daemon thread (``ROLECALL_RELOAD_SECONDS``, default 5 s; 0 turns it off)."""
        if interval is None:
            interval = float(settings.get("ROLECALL_RELOAD_SECONDS") or "5")
        if interval <= 0 or self._watcher is not None:
            return

        from bot import metrics  # a watching engine serves: its process keeps metrics

        def loop() -> None:
            failing: str | None = None  # the last failure, logged once until it changes or clears
            while not self._stop.wait(interval):
                try:
                    self.refresh()
                except FileSafetyError as error:  # unwritable or full disk, a foreign file: the operator's to fix
                    metrics.inc("rolecall_index_reload_failures", {"process": metrics.process_name()})
                    if str(error) != failing:
                        failing = str(error)
                        log.error("%s; still serving the previous index (generation %d)", error, self.generation)
                    continue
                except Exception as error:  # a bad moment on disk must not stop future reloads
                    metrics.inc("rolecall_index_reload_failures", {"process": metrics.process_name()})
                    if repr(error) != failing:
                        failing = repr(error)
                        log.exception("reloading the pages failed; still serving the previous index")
                    continue
                if failing is not None:
                    failing = None
                    log.info("reloading works again (generation %d)", self.generation)

        self._watcher = threading.Thread(target=loop, name="rolecall-reload", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        """Stop serving this index (a command that is done with it): stop watching, close the
        version served and, for a writer, fold the file's -wal into it (what the last connection
        to close does), so a finished command leaves one whole file."""
        self.stop_watching()
        self.kb.close()
        if not self.readonly:
            checkpoint(self.db_path)

    def stop_watching(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None

    # --- asking ------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        last_role: str | Context | None = None,
        role: str | None = None,
        role_page: str | None = None,
        surface: str = "api",
        user: str | None = None,
    ) -> Answer:
        """Answer one question and log it. ``last_role``: the conversation so far (a previous answer's
        ``context``, or a plain role name); ``role`` (and its ``role_page`` when two pages share a
        title): the role picked from choices; ``surface``/``user``: where it was asked and by whom
        (stored hashed)."""
        started = time.perf_counter()
        kb = self.kb  # one consistent view for the whole question
        with kb.using():
            answer = self._answer(question, Context.decode(last_role), role, role_page, kb)
        if self.log is not None:
            latency_ms = (time.perf_counter() - started) * 1000
            try:
                if surface.startswith(DELIVERED_SURFACES):
                    answer.log_id = self.log.record(answer, surface=surface, user=user, latency_ms=latency_ms)
                else:
                    answer.log_id = self.log.submit(answer, surface=surface, user=user, latency_ms=latency_ms)
            except Exception:  # sqlite3.Error, psycopg.Error (PostgreSQL away): logging must never cost the answer
                log.exception("could not log a question; the answer is still given")
        return answer

    def choose(self, previous: Answer, reply: str, **log: str | None) -> Answer | None:
        """Answer a reply to "Which role do you mean?": "2", "the second one" or a choice's name.

        Returns None when the reply does not pick one of the offered roles, so it is
        treated as a new question.
        """
        if previous.status != "ambiguous" or not previous.choices:
            return None
        text = reply.strip().lower().rstrip(".!?")
        ordinals = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
        index = None
        if text.isdigit():
            index = int(text) - 1
        else:
            for i, word in enumerate(ordinals):
                if re.fullmatch(rf"(?:the )?{word}(?: one)?", text):
                    index = i
        if index is None:
            found = self.kb.resolver.resolve(reply)
            names = {(c.role, c.page) for c in previous.choices}
            if found.status == "one" and found.role and (found.role.name, found.role.page) in names:
                return self.ask(previous.question, role=found.role.name, role_page=found.role.page, **log)
            return None
        if 0 <= index < len(previous.choices):
            choice = previous.choices[index]
            return self.ask(previous.question, role=choice.role, role_page=choice.page, **log)
        return None

    def _answer(self, question: str, context: Context | None, role: str | None, role_page: str | None,
                kb: Knowledge | None = None) -> Answer:
        kb = kb or self.kb
        text = (question or "")[:MAX_QUESTION]
        query = Query(
            text=text,
            kb=kb,
            last_role=kb.role_named(context.role, context.page or None) or kb.role_named(context.role) if context and context.role else None,
            last_family=kb.family_on(context.page) if context and not context.role else None,
            last_intent=context.intent if context else "",
            forced_role=kb.role_named(role, role_page) if role else None,
        )
        try:
            decision = route(query)
            query.intent, query.decision = decision.intent, decision
            if decision.rivals:
                answer = clarify_intent(query, [decision.intent, *decision.rivals])
            else:
                answer = self.unknown(query) if decision.intent == "unknown" else REGISTRY[decision.intent].handle(query)
            if answer.status == "ambiguous" and answer.choices and decision.intent in PER_ROLE_INTENTS:
                answer = self._answer_each(query, answer) or answer
            elif decision.intent in PER_ROLE_INTENTS and " and " in query.clean.lower():
                answer = self._answer_both(query, answer) or answer
        except Exception:  # a bug must not reach the channel as a traceback
            log.exception("handler failed for question %r", text[:200])
            return Answer("unknown", "unknown", "Sorry, something went wrong answering that. Try rephrasing, or ask `help`.", question=text)
        answer.decision = decision
        answer.context = self._context_of(query, answer)
        return answer

    def _answer_each(self, query: Query, asked: Answer) -> Answer | None:
        """"Which one?" is only worth asking when the answer depends on it. Ask the question of
        every candidate; when they share one name (the same role on several pages) answer from all
        of them, merged where they agree; when they all get the same answer (one family-wide
        section), give it once and name the roles it covers. None: the choice matters, ask."""
        if query.number() is not None or len(asked.choices) > MAX_MERGED:
            return None
        if len(asked.choices) == 1:  # the only role whose name has every word asked: nothing to choose
            only = asked.choices[0]
            role = query.kb.role_named(only.role, only.page)
            return REGISTRY[query.intent].handle(Query(text=query.text, kb=query.kb, intent=query.intent, forced_role=role,
                                                       decision=query.decision)) if role else None
        kb = query.kb
        roles = [kb.role_named(c.role, c.page) for c in asked.choices]
        if any(r is None for r in roles):
            return None
        handler = REGISTRY[query.intent]
        answers = []
        for role in roles:
            each = Query(text=query.text, kb=kb, intent=query.intent, forced_role=role, decision=query.decision)
            answers.append(handler.handle(each))
        bodies = {(a.status, a.text.split("\n", 1)[-1], tuple(s.url for s in a.sources)) for a in answers}
        same_name = len({re.sub(r"\W+", " ", r.name.lower()).strip() for r in roles}) == 1  # as written, not as matched
        names = ", ".join(f"*{r.name}*" for r in roles)
        if len(bodies) == 1 and answers[0].status == "answered" and "\n" in answers[0].text:
            head = (f"*{roles[0].name}* is on {len(roles)} pages; they say the same:" if same_name
                    else f"All {len(roles)} roles that match get the same answer ({names}):")
            merged = answers[0]
            return Answer(query.intent, "answered", head + "\n" + merged.text.split("\n", 1)[1], roles=[r.name for r in roles],
                          sources=merged.sources, question=query.text)
        if not same_name:
            return None
        blocks = [f"*{roles[0].name}* is on {len(roles)} pages:"]
        for role, each in zip(roles, answers):
            blocks.append(f"From the *{role.family}* page ({role.page}):\n{each.text}")
        status = "answered" if any(a.status == "answered" for a in answers) else answers[0].status
        return Answer(query.intent, status, "\n\n".join(blocks), roles=[r.name for r in roles],
                      sources=[s for a in answers for s in a.sources], question=query.text)

    def _answer_both(self, query: Query, first: Answer) -> Answer | None:
        """"What grade is the senior tax analyst and the staff tax analyst?": two roles joined by
        "and" are each answered, not the first alone with the second dropped unsaid. None when the
        question names one role (a name with "and" in it: "Security Analyst, Trust and Safety"), or
        the words after "and" name the same role again; when they name none, they may be a second
        question about it (:meth:`_two_questions`)."""
        res = query.resolution
        parts = AND.split(query.clean)
        if res.status != "one" or res.role is None or len(parts) != 2 or AND.search(res.role.name):
            return None
        resolver = query.kb.resolver
        one, other = resolver.resolve(parts[0]), resolver.resolve(parts[1])
        if one.status != "one" or one.role != res.role:
            return None
        if other.status == "none":
            pair = self._two_questions(query, parts)  # "... report to and what's its grade?"
            if pair is None:
                return None
            first, second = pair
        elif other.status == "one" and other.role is not None and other.role != res.role:
            second = REGISTRY[query.intent].handle(Query(text=query.text, kb=query.kb, intent=query.intent, forced_role=other.role,
                                                         decision=query.decision))
        else:
            return None
        status = "answered" if "answered" in (first.status, second.status) else first.status
        return Answer(query.intent, status, f"{first.text}\n\n{second.text}", roles=list(dict.fromkeys([*first.roles, *second.roles])),
                      sources=[*first.sources, *second.sources], question=query.text)

    @staticmethod
    def _two_questions(query: Query, parts: list[str]) -> tuple[Answer, Answer] | None:
        """"Who does the Manager, Tax report to and what's its grade?", "what grade is the staff tax
        analyst and who does it report to": the words after "and" name no role but ask another
        thing of the same one. Each part is routed on its own words (the second about the role the
        first names) and answered in the order asked. None when a part asks nothing clear, or both
        ask the same thing."""
        role = query.resolution.role
        asked = [Query(text=parts[0], kb=query.kb), Query(text=parts[1], kb=query.kb, forced_role=role)]
        for each in asked:
            decision = route(each)
            if decision.intent not in PER_ROLE_INTENTS or decision.rivals or each.resolution.role != role:
                return None
            each.intent, each.decision = decision.intent, decision
        if asked[1].intent == "role_overview":
            return None  # "... and why": words that ask nothing of the role, not a second question
        if asked[0].intent == asked[1].intent:
            return None
        first, second = (REGISTRY[each.intent].handle(each) for each in asked)
        return first, second

    @staticmethod
    def _context_of(query: Query, answer: Answer) -> Context | None:
        """The role a follow-up continues from: the one role this answer was about, page included;
        or the family, when the answer was about a whole family."""
        res = query.resolution
        if res.status == "family" and res.family and answer.status == "answered" and len(set(answer.roles)) != 1:
            return Context("", res.family.page, answer.intent)
        if len(set(answer.roles)) != 1:
            return None
        role = res.role if res.status == "one" and res.role and res.role.name == answer.roles[0] else None
        role = role or query.kb.role_named(answer.roles[0], answer.sources[0].page if answer.sources else None) or query.kb.role_named(answer.roles[0])
        if role is None:
            return None
        return Context(role.name, role.page, answer.intent)

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
        """Counts for `rolecall index` and the Slack App Home, from the index being served."""
        return self.kb.stats()

    def gaps(self, limit: int = 20, days: float | None = None) -> str:
        """The most-asked questions without a good answer, as light Markdown."""
        if self.log is None:
            return "The question log is turned off."
        return gaps_text(self.log.gaps(limit=limit, days=days))
