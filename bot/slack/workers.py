"""Answer worker processes and the indexer process of ``rolecall serve`` (HTTP mode).

Processes (``multiprocessing``, started with *spawn*, so no lock or thread of the front is
inherited half-way):

* the **front** (:mod:`bot.slack.front`): signature, access rules, dedupe, the ack, and the
  hand-off of each piece of work to a worker over that worker's own pipe;
* **answer workers** (``ROLECALL_WORKERS``, default one per core): each opens the index
  read-only (:class:`bot.engine.Engine` with ``readonly=True``), runs the listeners of the work it
  is given on a few threads (one answer at a time: one interpreter lock per process), posts to
  Slack, and reopens the index file whenever the indexer swapped in a new generation;
* **one indexer**: builds the index before anything else starts, then refreshes it every
  ``ROLECALL_RELOAD_SECONDS``. It is the only writer of the index file; it never loads it.

The front tracks every item it handed out until the worker reports it done. When a worker dies
(killed, out of memory, a crash), its unfinished items are given to another worker, once; an
item whose worker had already started posting its answer (a "delivering" note, written to the
pipe before the post) is not, since the user may have it (counted as maybe delivered, like a
post that got no reply); an item that killed two workers gets an apology to the user. Nothing
is dropped without a log line and a count (``rolecall_work_lost_total``).

A worker holds at most ``ROLECALL_WORKER_THREADS`` items (the rest wait in the front's backlog),
so the time since an item was handed over is the time it has been worked on: a worker holding one
longer than ``ROLECALL_ANSWER_TIMEOUT`` is hung and is killed, which makes it a dead worker as
above. At most ``ROLECALL_QUEUE_LIMIT`` items are unfinished (:meth:`WorkerPool.offer` refuses
more; the front then tells the user it is busy). With ``ROLECALL_REDIS_URL`` the front's items go
through a Redis stream shared by every replica instead (:mod:`bot.slack.workqueue`), which feeds
this pool as many items as its workers have free threads.

Pipes, not ``multiprocessing.Queue``: one writer per pipe (the front's sender thread, or the
worker), so a killed worker can never leave a shared lock held, and a note written before a
post is in the kernel's buffer even if the worker dies right after.
"""

from __future__ import annotations

import functools
import inspect
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import metrics, settings
from bot.index import read_generation
from bot.engine import EngineSpec
from bot.slack.config import SlackConfig
from bot.slack.delivery import DELIVERY
from bot.slack.front import WorkItem, WorkResult, slash_command

logger = logging.getLogger("rolecall.slack")

MAX_ATTEMPTS = 2  # a worker dies with an item: one more worker tries it; two deaths and the user is told
RESPAWN_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # waits before replacing workers that keep dying young
INDEX_POLL_SECONDS = 1.0  # how often a worker checks for a new index generation (one stat)
START_TIMEOUT = 120.0
DEFAULT_ANSWER_TIMEOUT = 30.0
HUNG_CHECK_SECONDS = 0.1  # how often the collector looks for hung workers (their timeout is seconds)
# Items waiting per worker before "busy": a worker answers about 100 commands a second on a shared
# 2-core machine, so 1,000 items are about 10 s of waiting (a response_url is good for 30 minutes), and
# a burst of 1,000 commands at once on two workers is still all answered.
QUEUE_PER_WORKER = 1000
# A work item pickled to at most this many bytes is written to its worker's pipe by the request thread
# itself; a larger one goes through the worker's sender thread. A worker holds at most
# ROLECALL_WORKER_THREADS items, so even a stopped worker's pipe (64 KB) takes every small one unread:
# the request thread never blocks on it.
DIRECT_SEND_BYTES = 4096
DEFAULT_STOP_SECONDS = 8.0  # a container's stop grace is 10 s by default (Docker) before SIGKILL
STOP_RESERVE_SECONDS = 2.0  # of those, what the workers get to finish the items in hand once the backlog is done


def worker_count() -> int:
    """``ROLECALL_WORKERS``: answer worker processes (default one per core; 0: answer in the front's
    own process, as before the split)."""
    raw = settings.get_str("ROLECALL_WORKERS")
    if raw is None:
        return max(1, os.cpu_count() or 1)
    try:
        value = int(raw)
    except ValueError:
        logger.warning("ROLECALL_WORKERS=%r is not a number; using one worker per core", raw)
        return max(1, os.cpu_count() or 1)
    return max(0, value)


def worker_threads() -> int:
    """``ROLECALL_WORKER_THREADS``: work items a worker has in hand at once (default 8; they mostly wait on Slack)."""
    return settings.positive_int("ROLECALL_WORKER_THREADS", 8)


def worker_nice() -> int:
    """``ROLECALL_WORKER_NICE``: how much lower the workers' CPU priority is than the front's (default 5):
    acks have a deadline, answers can wait a few milliseconds."""
    raw = settings.get_str("ROLECALL_WORKER_NICE")
    try:
        return max(0, min(19, int(raw))) if raw is not None else 5
    except ValueError:
        return 5


SCHEDULERS = ("normal", "batch", "idle")


def worker_scheduler() -> str:
    """``ROLECALL_WORKER_SCHEDULER``: the Linux scheduling class of the answer workers. ``normal``
    (default): as the front, with ``ROLECALL_WORKER_NICE``; ``batch``: SCHED_BATCH, CPU-bound work that
    never preempts a waking front; ``idle``: SCHED_IDLE, only CPU nobody else wants. Measured on the
    shared 2-core machine (README, Processes in HTTP mode): idle starved the answers (29-39 answers/s
    against 89-153), batch made no difference that stood out from the noise, so normal stays."""
    raw = (settings.get_str("ROLECALL_WORKER_SCHEDULER") or "normal").lower()
    if raw not in SCHEDULERS:
        logger.warning("ROLECALL_WORKER_SCHEDULER=%r is not one of %s; using normal", raw, ", ".join(SCHEDULERS))
        return "normal"
    return raw


def lower_priority(nice: int, scheduler: str) -> None:
    """Make this process (a worker) yield the CPU to the front: its nice value, then its scheduling class
    (where the platform has one; a failure leaves the default, never stops the worker)."""
    if nice:
        try:
            os.nice(nice)
        except OSError:
            pass
    policy = {"batch": getattr(os, "SCHED_BATCH", None), "idle": getattr(os, "SCHED_IDLE", None)}.get(scheduler)
    if policy is not None and hasattr(os, "sched_setscheduler"):
        try:
            os.sched_setscheduler(0, policy, os.sched_param(0))
        except OSError as error:
            logger.warning("Could not set the answer worker's scheduling class to %s (%s)", scheduler, error)


def answer_timeout() -> float:
    """``ROLECALL_ANSWER_TIMEOUT``: seconds a work item may be in a worker's hands before the worker is taken
    for hung, killed and replaced (default 30: an answer takes milliseconds, a Slack post at most 10 s
    and its retries; ``0`` turns the check off)."""
    return max(0.0, settings.number("ROLECALL_ANSWER_TIMEOUT", DEFAULT_ANSWER_TIMEOUT))


def stop_seconds() -> float:
    """``ROLECALL_STOP_SECONDS``: how long a clean stop (SIGTERM) may take to finish the work already
    acknowledged, backlog included (default 8: inside Docker's 10 s stop grace); what is still unfinished
    then is apologised for, never dropped in silence."""
    return max(0.0, settings.number("ROLECALL_STOP_SECONDS", DEFAULT_STOP_SECONDS))


def queue_limit(workers: int) -> int:
    """``ROLECALL_QUEUE_LIMIT``: work items acknowledged and unfinished at most (default
    :data:`QUEUE_PER_WORKER` per answer worker); past it the user is told the bot is busy."""
    return settings.positive_int("ROLECALL_QUEUE_LIMIT", QUEUE_PER_WORKER * max(1, workers))


def reload_seconds() -> float:
    try:
        return float(settings.get("ROLECALL_RELOAD_SECONDS") or "5")
    except ValueError:
        return 5.0


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process is started with (picklable)."""

    engine: EngineSpec
    config: SlackConfig
    index: int
    threads: int = 8
    nice: int = 5
    scheduler: str = "normal"


# --------------------------------------------------------------------------- in a child process


def _die_with_parent(parent: int) -> None:
    """A child of the front exits when the front is gone, even after SIGKILL (Linux: PR_SET_PDEATHSIG;
    elsewhere a thread checks every second)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="rolecall-parent-watch", daemon=True).start()


def _child_setup(name: str, parent: int) -> None:
    from bot.slack.server import configure_logging

    _die_with_parent(parent)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the front stops us in order
    metrics.name_this_process(name)
    metrics.buffer_in_this_process()
    configure_logging()


def _stats(engine: Any) -> dict[str, Any]:
    stats = engine.stats()
    return {"pages": stats.get("pages"), "roles": stats.get("roles"), "indexed_at": stats.get("indexed_at"),
            **engine.index_info()}


class _Outbox:
    """A worker's one writer to its result pipe."""

    def __init__(self, conn: multiprocessing.connection.Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        with self.lock:
            self.conn.send(message)


_current = threading.local()  # in a worker: the item this thread works on


_posting_link: Any = None  # in a worker with ROLECALL_REDIS_URL: where "started posting" marks go


def _before_slack_call(delivers: bool) -> None:
    """Before any Slack call of an item: hand the front the contexts its listener set meanwhile and,
    before its first post (``delivers``), say that from now on the user may see an answer; one message
    for both. For an item of the shared stream, the posting mark goes to every replica too (a replica
    claiming it then leaves it).

    Why the contexts wait until here: they must reach the front before the user can see the answer
    (whose follow-up may land on another worker), and every answer reaches the user through a Slack
    call; sent with the "delivering" note they cost the front's collector one wake-up less a command."""
    item = getattr(_current, "item", None)
    outbox = getattr(_current, "outbox", None)
    if item is None or outbox is None:
        return
    contexts = _take_pending_contexts()
    marking = delivers and not getattr(_current, "marked", False)
    if marking:
        _current.marked = True
        outbox.send(("delivering", item.id, contexts))
    elif contexts:
        outbox.send(("contexts", contexts))
    if marking and item.stream_id is not None and _posting_link is not None:
        from bot.slack.workqueue import POSTING_TTL, posting_key

        _posting_link.call(lambda r: r.set(posting_key(item.stream_id), "1", ex=POSTING_TTL), lambda: None)


def _send_context(key: Any, value: str) -> None:
    """A listener set a conversation's context: the front gets it before the item's next Slack call
    (:func:`_before_slack_call`), so before the answer is posted, and the user's next question (which
    may go to another worker) continues from it; an item that calls Slack no more hands it back with
    its result."""
    pending = getattr(_current, "pending", None)
    if pending is not None:
        pending[key] = value


def _take_pending_contexts() -> dict[Any, str]:
    pending = getattr(_current, "pending", None)
    if not pending:
        return {}
    taken = dict(pending)
    pending.clear()
    return taken


_asked: dict[int, list[Any]] = {}  # question id -> [Event, answer]: contexts asked of the front
_asked_lock = threading.Lock()
_asked_ids = iter(range(1, sys.maxsize))
ASK_CONTEXT_TIMEOUT = 1.0


def _ask_context(key: Any) -> str | None:
    """The front's context for ``key``, which the item did not bring (the listener read it after its
    hand-off point); None when the front does not answer in time (a follow-up then names its role)."""
    outbox = getattr(_current, "outbox", None)
    if outbox is None:
        return None
    waiter: list[Any] = [threading.Event(), None]
    with _asked_lock:
        question = next(_asked_ids)
        _asked[question] = waiter
    try:
        outbox.send(("context?", question, key))
        waiter[0].wait(ASK_CONTEXT_TIMEOUT)
        return waiter[1]
    finally:
        with _asked_lock:
            _asked.pop(question, None)


def _answered_context(question: int, value: str | None) -> None:
    with _asked_lock:
        waiter = _asked.get(question)
    if waiter is not None:
        waiter[1] = value
        waiter[0].set()


def _item_contexts() -> tuple[dict[Any, str | None], dict[Any, str]] | None:
    item = getattr(_current, "item", None)
    result = getattr(_current, "result", None)
    if item is None or result is None:
        return None
    return item.contexts, result.contexts


def build_worker_app(engine: Any, config: SlackConfig, *, fast: bool = True) -> "WorkerDispatch":
    """The worker's Bolt app (the same listeners, no signature check: the front did it; no dedupe), as the
    :class:`WorkerDispatch` that runs items through it (``fast``: commands straight into their listener)."""
    from slack_bolt import App, BoltRequest, BoltResponse
    from slack_bolt.middleware import Middleware

    from bot.slack.app import bolt_logger
    from bot.slack.core import SlackBot
    from bot.slack.listeners.commands import Commands
    from bot.slack.state import ItemContexts, NoDedupe
    from bot.slack.transport import IDEMPOTENT_METHODS, TrackedWebClient, make_web_client

    class WorkerClient(TrackedWebClient):
        def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
            _before_slack_call(api_method not in IDEMPOTENT_METHODS)
            return super().api_call(api_method, **kwargs)

    class WorkerRequest(Middleware):
        """Listeners get the worker's one client (one bot token: nothing to build per request)."""

        def __init__(self, client: WorkerClient) -> None:
            self.client = client

        def process(self, *, req: BoltRequest, resp: BoltResponse, next: Any) -> BoltResponse:
            if req.context.client is not None:
                req.context["client"] = self.client
            return next()

    class WorkerBot(SlackBot):
        def __init__(self) -> None:
            super().__init__(engine, context_ttl=config.context_ttl, access=config.access, http_timeout=config.http_timeout,
                             handoff_channel=config.handoff_channel, handbook_url=config.handbook_url)
            self.contexts = ItemContexts(_item_contexts, _send_context, _ask_context)  # type: ignore[assignment]
            self.answered = NoDedupe()  # type: ignore[assignment]
            self.answering = threading.BoundedSemaphore(1)  # one interpreter lock in this process

        def deferred(self, listener: Any) -> Any:
            takes_ack = "ack" in inspect.signature(listener).parameters

            @functools.wraps(listener)
            def run(**kwargs: Any) -> None:
                if takes_ack:
                    real_ack = kwargs["ack"]

                    def ack(*args: Any, **ack_kwargs: Any) -> None:
                        result = getattr(_current, "result", None)
                        if result is not None and result.ack is None:
                            result.ack = (args, ack_kwargs)
                        real_ack(*args, **ack_kwargs)

                    kwargs["ack"] = ack
                try:
                    listener(**kwargs)
                except Exception:
                    logger.exception("A listener failed")

            return run

        def post_response(self, response_url: Any, payload: Any) -> str:
            _before_slack_call(True)  # before the first post of an item
            return super().post_response(response_url, payload)

    app = App(
        client=make_web_client(config),
        signing_secret=config.signing_secret or "not-used-by-workers",
        logger=bolt_logger,
        request_verification_enabled=False,
        process_before_response=True,
    )
    client = WorkerClient(token=app.client.token, base_url=app.client.base_url, timeout=app.client.timeout,
                          logger=app.client.logger, retry_handlers=app.client.retry_handlers)
    app.use(WorkerRequest(client))
    bot = WorkerBot()
    bot.register(app)
    bot.catalog()
    return WorkerDispatch(app, Commands(bot).on_command if fast else None, bot, client)


class WorkerDispatch:
    """How an answer worker runs a work item: a ``/hiring`` command straight into its listener, as the
    front's fast path does (:class:`bot.slack.front.FastCommands`), anything else through Bolt.

    Why: Bolt's dispatch of a command (a ``BoltRequest``, the middleware chain, a Web API client built
    for the request, listener matching) cost the worker CPU that, on two cores, the front needs for its
    acks. A command's listener needs none of it: the front verified the request and applied the access
    rules, a command is never an Events API retry, and the listener is the one Bolt would run
    (:meth:`Commands.on_command` wrapped by :meth:`WorkerBot.deferred`), with the worker's one client. ``tests/test_worker_dispatch.py`` gives both ways
    the same items and compares the posts, the messages to the front and the question-log rows."""

    def __init__(self, app: Any, command: Any, bot: Any, client: Any) -> None:
        from slack_bolt import BoltRequest
        from slack_bolt.context.ack import Ack

        self.app = app
        self._command = bot.deferred(command) if command is not None else None
        self._client = client
        self._request, self._ack = BoltRequest, Ack  # imported here: the indexer imports this module too

    def __call__(self, item: WorkItem) -> None:
        content_type = (item.headers.get("content-type") or [""])[0]
        body = None if self._command is None or "json" in content_type.lower() else slash_command(item.body)
        if body is None:
            self.app.dispatch(self._request(body=item.body, headers=item.headers))
        else:
            self._command(ack=self._ack(), command=body, client=self._client)


def run_item(dispatch: WorkerDispatch, item: WorkItem, outbox: _Outbox) -> None:
    """Run one work item in this thread, then hand its result to the front."""
    started = time.time()
    _current.item, _current.outbox, _current.marked, _current.pending = item, outbox, False, {}
    _current.result = result = WorkResult(item.id)
    metrics.observe("rolecall_queue_wait_seconds", max(0.0, started - item.acked_at))
    try:
        dispatch(item)
    except Exception:
        logger.exception("A work item failed")
    finally:
        # The result hands back only the contexts the front has not had yet (set after the item's
        # last Slack call): one handed over before the answer was posted and handed again here could
        # overwrite the newer context of a follow-up answered meanwhile.
        result.contexts = _take_pending_contexts()
        _current.item = _current.result = _current.pending = None
    metrics.observe("rolecall_work_seconds", max(0.0, time.time() - item.acked_at))
    result.events = metrics.drain()
    try:
        outbox.send(("done", result))
    except (OSError, ValueError):
        logger.error("Could not hand a finished work item back to the front")


def worker_main(spec: WorkerSpec, work: multiprocessing.connection.Connection,
                results: multiprocessing.connection.Connection, parent: int) -> None:
    """An answer worker: open the index, then run work items until the front says stop."""
    _child_setup(f"worker-{spec.index}", parent)
    outbox = _Outbox(results)
    from bot.stores import RedisLink, redis_url

    url = redis_url()
    if url:
        global _posting_link
        _posting_link = RedisLink.from_url(url, quiet=True)
    lower_priority(spec.nice, spec.scheduler)
    try:
        engine = spec.engine(readonly=True)
        dispatch = build_worker_app(engine, spec.config)
    except BaseException as error:  # noqa: BLE001 - the front reports it and exits or retries
        logger.exception("Answer worker %d could not start", spec.index)
        outbox.send(("failed", f"{type(error).__name__}: {error}"))
        return
    outbox.send(("ready", _stats(engine), metrics.drain()))
    stop = threading.Event()

    def watch_index() -> None:
        failing = False
        while not stop.wait(INDEX_POLL_SECONDS):
            before = engine.generation
            try:
                engine.refresh()  # read-only: reopens the file when the indexer swapped in a new one
            except Exception:
                metrics.inc("rolecall_index_reload_failures", {"process": metrics.process_name()})
                if not failing:
                    logger.exception("Answer worker %d could not reopen the index; still serving generation %d",
                                     spec.index, before)
                failing = True
                continue
            failing = False
            if engine.generation != before:
                outbox.send(("index", _stats(engine)))
            events = metrics.drain()
            if events:
                outbox.send(("events", events))

    threading.Thread(target=watch_index, name="rolecall-index-watch", daemon=True).start()
    with ThreadPoolExecutor(max_workers=spec.threads, thread_name_prefix=f"rolecall-worker{spec.index}") as pool:
        while True:
            try:
                item = work.recv()
            except (EOFError, OSError):
                break  # the front is gone
            if item is None:
                break  # a clean stop: finish what is in hand
            if isinstance(item, tuple):  # ("context", question, value): the front answering _ask_context
                _answered_context(item[1], item[2])
                continue
            pool.submit(run_item, dispatch, item, outbox)
    stop.set()


def indexer_main(spec: EngineSpec, conn: multiprocessing.connection.Connection, parent: int) -> None:
    """The one process that writes the index: build it, open the question log once (so workers
    starting together find it made), then refresh the index every ``ROLECALL_RELOAD_SECONDS``."""
    from bot.engine import default_log_path
    from bot.index import update_index
    from bot.parse import DEFAULT_BASE_URL
    from bot.questionlog import QuestionLog
    from bot.safefiles import FileSafetyError, is_inside

    _child_setup("indexer", parent)
    outbox = _Outbox(conn)
    seeds, db = Path(spec.seeds_dir), Path(spec.db_path or "")
    base_url = settings.get("ROLECALL_HANDBOOK_URL") or DEFAULT_BASE_URL
    try:
        if seeds.exists() and not seeds.is_dir():
            raise FileNotFoundError(f"the pages folder {seeds} is a file, not a folder (--seeds / ROLECALL_SEEDS)")
        if not seeds.is_dir():
            raise FileNotFoundError(f"pages folder not found: {seeds}")
        update_index(db, seeds, base_url)
        log_path = default_log_path(db)
        if is_inside(log_path, seeds):
            raise FileSafetyError(f"the question log {log_path} would be inside the pages folder {seeds}; "
                                  "set ROLECALL_QUESTION_LOG outside it")
        QuestionLog(log_path).close()
    except (FileNotFoundError, FileSafetyError) as error:
        outbox.send(("failed", "config", str(error)))
        return
    except Exception as error:  # noqa: BLE001
        logger.exception("Could not load the handbook pages")
        outbox.send(("failed", "error", str(error)))
        return
    generation = read_generation(db)
    metrics.set_gauge("rolecall_index_generation", generation, {"process": "indexer"})
    outbox.send(("ready", generation, metrics.drain()))
    interval = reload_seconds()
    if interval <= 0:
        while True:
            time.sleep(3600)
    failing: str | None = None
    while True:
        time.sleep(interval)
        try:
            report = update_index(db, seeds, base_url)
        except Exception as error:  # noqa: BLE001 - a bad moment on disk must not stop future refreshes
            metrics.inc("rolecall_index_reload_failures", {"process": "indexer"})
            if repr(error) != failing:
                failing = repr(error)
                logger.error("refreshing the index failed (%s); workers keep serving the previous one", error)
        else:
            if failing is not None:
                failing = None
                logger.info("refreshing the index works again")
            if report.parsed or report.removed or report.full_rebuild:
                generation = read_generation(db)
                metrics.set_gauge("rolecall_index_generation", generation, {"process": "indexer"})
                outbox.send(("generation", generation))
                logger.info("index updated: %d page(s) re-read, %d removed (generation %d)",
                            len(report.parsed), len(report.removed), generation)
        events = metrics.drain()
        if events:
            outbox.send(("events", events))


# --------------------------------------------------------------------------- in the front


class StartError(Exception):
    """A child process could not start; ``kind`` is "config" (the operator's to fix) or "error"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Indexer:
    """The front's handle on the indexer process."""

    def __init__(self, spec: EngineSpec) -> None:
        self.spec = spec
        self.ctx = multiprocessing.get_context("spawn")
        self.process: Any = None
        self.generation = 0
        self._conn: Any = None
        self._stopping = False

    def start(self, timeout: float = START_TIMEOUT) -> "Indexer":
        """Start it and wait until the index is built; :class:`StartError` if it could not be."""
        reader, writer = self.ctx.Pipe(duplex=False)
        # Not a daemon: it parses many pages in a process pool of its own, which daemons may not have.
        # It still dies with the front (PR_SET_PDEATHSIG, see _die_with_parent).
        self.process = self.ctx.Process(target=indexer_main, args=(self.spec, writer, os.getpid()),
                                        name="rolecall-indexer", daemon=False)
        self.process.start()
        writer.close()
        self._conn = reader
        deadline = time.monotonic() + timeout
        while True:
            if reader.poll(0.1):
                try:
                    message = reader.recv()
                except (EOFError, OSError):
                    raise StartError("error", f"the indexer exited with code {self.process.exitcode}") from None
                if message[0] == "failed":
                    self.process.join(5)
                    raise StartError(message[1], message[2])
                if message[0] == "ready":
                    self.generation = message[1]
                    for event in message[2]:
                        metrics.apply(event)
                    break
            elif not self.process.is_alive():
                raise StartError("error", f"the indexer exited with code {self.process.exitcode}")
            if time.monotonic() > deadline:
                self.stop()
                raise StartError("error", "the index was not built in time")
        threading.Thread(target=self._listen, name="rolecall-indexer-listen", daemon=True).start()
        return self

    def _listen(self) -> None:
        while not self._stopping:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                break
            if message[0] == "events":
                for event in message[1]:
                    metrics.apply(event)
            elif message[0] == "generation":
                self.generation = message[1]
        if not self._stopping:
            logger.error("The indexer stopped (exit code %s); starting it again", self.process.exitcode)
            metrics.inc("rolecall_index_reload_failures", {"process": "indexer"})
            time.sleep(1.0)
            try:
                self.start()
            except StartError as error:
                logger.error("The indexer could not start again: %s; the index is no longer refreshed", error)

    def stop(self) -> None:
        self._stopping = True
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()


@dataclass
class _Flight:
    item: WorkItem
    future: Future | None = None
    delivering: bool = False
    sent: float = 0.0  # time.monotonic() when a worker was given it (0: waiting in the backlog)


@dataclass
class _Worker:
    index: int
    process: Any
    work: Any  # Connection to the worker
    results: Any  # Connection from it
    outbox: queue.Queue = field(default_factory=queue.Queue)
    sending: threading.Lock = field(default_factory=threading.Lock)  # one writer of ``work`` at a time
    flights: dict[int, _Flight] = field(default_factory=dict)
    ready: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    results_open: bool = True
    failure: str = ""
    alive: bool = True  # False once the collector saw it end (no waitpid on the request path)
    hung: bool = False  # killed by the front for holding an item past ROLECALL_ANSWER_TIMEOUT
    reading: threading.Lock = field(default_factory=threading.Lock)  # one reader of ``results`` at a time, in order
    _results_poll: Any = None  # a select.poll of ``results`` alone, made once (see has_results)

    def has_results(self) -> bool:
        """Whether ``results`` has a message (or its end) to read now, without blocking.

        Why not ``Connection.poll()``: it builds and fills a new selector on every call, and the collector
        asks before every message it reads (two a command): a poll object made once costs one syscall."""
        if self._results_poll is None:
            self._results_poll = select.poll()
            self._results_poll.register(self.results.fileno(), select.POLLIN)
        return bool(self._results_poll.poll(0))

    def send_loop(self) -> None:
        """The worker's writer for what the request threads do not send themselves (:meth:`hand`): the
        collector's messages, large items, items that found the pipe busy. Bytes are an item pickled already."""
        while True:
            item = self.outbox.get()
            try:
                with self.sending:
                    if isinstance(item, bytes):
                        self.work.send_bytes(item)
                    else:
                        self.work.send(item)
            except (OSError, ValueError):
                return  # it died: the front's collector notices and redelivers
            if item is None:
                return

    def hand(self, item: WorkItem) -> None:
        """Send ``item`` from this (request) thread: pickled and written to the pipe at once when it is small
        and no other thread is writing, else through :meth:`send_loop`.

        Why: through the sender thread every command cost the front a queue hand-off and one more thread
        to wake and give the interpreter lock to (with 50 commands in flight the front is CPU-bound), and
        multiprocessing's pickler, which looks up its reducer table for every object, on top of plain pickle.
        A failed write is the collector's to see: the worker died, and its items are redelivered."""
        data = pickle.dumps(item, pickle.HIGHEST_PROTOCOL)  # what Connection.recv reads back
        if len(data) > DIRECT_SEND_BYTES or not self.sending.acquire(blocking=False):
            self.outbox.put(data)
            return
        try:
            self.work.send_bytes(data)
        except (OSError, ValueError):
            pass
        finally:
            self.sending.release()


class WorkerPool:
    """The answer workers, seen from the front: dispatch (fewest unfinished items first), results,
    deaths, redelivery and replacements."""

    def __init__(self, engine: EngineSpec, config: SlackConfig, count: int, *,
                 on_done: Any = None, on_lost: Any = None, threads: int | None = None, nice: int | None = None,
                 timeout: float | None = None, limit: int | None = None) -> None:
        self.engine = engine
        self.config = config
        self.count = count
        self.threads = threads or worker_threads()
        self.nice = worker_nice() if nice is None else nice
        self.scheduler = worker_scheduler()
        self.timeout = answer_timeout() if timeout is None else timeout
        self.limit = limit or queue_limit(count)
        self.on_done = on_done or (lambda item, result: None)
        self.on_lost = on_lost or (lambda item: False)
        self.on_finished = lambda item: None  # an item left the pool for good (done, maybe delivered, given up)
        self.on_context = lambda key, value: None  # a worker's listener set a conversation's context
        self.context_of = lambda key: None  # a worker's listener asks for one its item did not bring
        self.ctx = multiprocessing.get_context("spawn")
        self.lock = threading.RLock()
        self.workers: list[_Worker] = []
        self.backlog: deque[_Flight] = deque()
        self.latest: dict[str, Any] = {}
        self.deaths = 0
        self._respawn: list[tuple[float, int]] = []  # (when, index)
        self._young_deaths: dict[int, int] = {}
        self.failures: list[str] = []  # why workers could not start
        self._stopping = False
        self._wake_r, self._wake_w = self.ctx.Pipe(duplex=False)
        self._readers: dict[Hashable, int] = {}  # conversation key -> unfinished items that read its context
        self._collector: threading.Thread | None = None
        self._lost_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rolecall-lost")

    # ------------------------------------------------------------------ processes

    def start(self) -> "WorkerPool":
        # The queue depth is read when /metrics is (setting it on every item's way in and out cost the
        # front's request threads and collector the pool's lock twice a command).
        metrics.QUEUE_DEPTH.set_function(self.unfinished)
        for index in range(1, self.count + 1):
            self._spawn(index)
        self._collector = threading.Thread(target=self._collect, name="rolecall-collector", daemon=True)
        self._collector.start()
        return self

    def _spawn(self, index: int) -> _Worker:
        work_r, work_w = self.ctx.Pipe(duplex=False)
        results_r, results_w = self.ctx.Pipe(duplex=False)
        spec = WorkerSpec(self.engine, self.config, index, self.threads, self.nice, self.scheduler)
        process = self.ctx.Process(target=worker_main, args=(spec, work_r, results_w, os.getpid()),
                                   name=f"rolecall-worker-{index}", daemon=True)
        process.start()
        work_r.close()
        results_w.close()
        worker = _Worker(index, process, work_w, results_r)
        threading.Thread(target=worker.send_loop, name=f"rolecall-send-{index}", daemon=True).start()
        with self.lock:
            self.workers.append(worker)
        self._gauges()
        self._wake()
        return worker

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until every worker is ready; :class:`StartError` when none could start."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                ready = sum(1 for w in self.workers if w.ready)
                if ready >= self.count or (ready and self.failures):
                    return
                if not ready and len(self.failures) >= self.count:
                    raise StartError("error", self.failures[0])
            time.sleep(0.05)
        with self.lock:
            if not any(w.ready for w in self.workers):
                raise StartError("error", "no answer worker was ready in time")

    def stop(self, timeout: float | None = None) -> None:
        """Finish the work already acknowledged (the backlog too), then stop the workers, all within
        ``timeout`` seconds (``ROLECALL_STOP_SECONDS``). What is unfinished when the time is up is
        accounted for as when a worker dies for good (:meth:`_lost`): the backlog's items and those a
        worker still held are apologised for (maybe delivered, when their post had started); an item
        of the shared stream is left there, for another replica (or this one restarted) to claim.

        Why: this used to send each worker its stop at once. Items waiting in the backlog were never
        given to anyone, and an item placed after a worker's stop note never reached it: acknowledged,
        then silently lost, with no answer, no question-log row and no count (the stress test's CI
        failure: its drain ended while the server still had work queued, then it stopped the server)."""
        deadline = time.monotonic() + (stop_seconds() if timeout is None else timeout)
        self._finish_unfinished(deadline - STOP_RESERVE_SECONDS)
        with self.lock:
            self._stopping = True
            workers = list(self.workers)
            waiting = list(self.backlog)
            self.backlog.clear()
        for worker in workers:
            worker.outbox.put(None)  # after every item it was given: the worker finishes those, then exits
        for flight in waiting:
            self._lost(flight)
        for worker in workers:
            worker.process.join(max(0.1, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.terminate()  # what it still held is accounted for by the collector (_died)
                worker.process.join(1)
        self._wake()
        if self._collector is not None:
            self._collector.join(1)
        self._lost_pool.shutdown(wait=False)  # apologies already submitted are still posted before the exit

    def _finish_unfinished(self, until: float) -> None:
        """Wait (until ``until``, a ``time.monotonic()``) for the workers to finish every unfinished item;
        the collector keeps placing the backlog and redelivering as usual meanwhile."""
        unfinished = self.unfinished()
        if not unfinished:
            return
        logger.info("Stopping: finishing %d acknowledged work item(s) first (%.1f s at most)", unfinished,
                    max(0.0, until - time.monotonic()))
        while self.unfinished() and time.monotonic() < until:
            time.sleep(0.05)
        left = self.unfinished()
        if left:
            logger.error("Stopping with %d work item(s) unfinished: their askers are told (items of the shared stream "
                         "stay there for another replica)", left)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"")
        except (OSError, ValueError):
            pass

    # ------------------------------------------------------------------ work

    def submit(self, item: WorkItem, future: Future | None = None) -> None:
        """Hand ``item`` to the ready worker with the fewest items in hand, or keep it in the backlog
        until one has a free thread (so a worker never holds more than it works on, and the time an
        item has been in a worker's hands is the time it has been worked on)."""
        flight = _Flight(item, future)
        with self.lock:
            self._count_readers(item, 1)
            self._place(flight)

    def offer(self, item: WorkItem) -> bool:
        """:meth:`submit`, unless :attr:`limit` items are unfinished already: False, and the caller
        tells the user the bot is busy (the queue never grows without bound)."""
        with self.lock:
            if self._stopping or self.unfinished() >= self.limit:
                return False
            self._count_readers(item, 1)
            worker = self._assign(_Flight(item))
        if worker is not None:
            worker.hand(item)  # outside the pool's lock: the collector takes it on every result
        return True

    def _count_readers(self, item: WorkItem, step: int) -> None:
        """Count the unfinished items that read each conversation's context (under :attr:`lock`)."""
        for key in item.contexts:
            count = self._readers.get(key, 0) + step
            if count > 0:
                self._readers[key] = count
            else:
                self._readers.pop(key, None)

    def free_threads(self) -> int:
        """Items the ready workers could start now (what a replica takes from the shared stream)."""
        with self.lock:
            free = sum(self.threads - len(w.flights) for w in self.workers
                       if w.alive and w.ready and not w.hung and not w.failure)
            return free - len(self.backlog)

    def unfinished(self) -> int:
        with self.lock:
            return sum(len(w.flights) for w in self.workers) + len(self.backlog)

    def _place(self, flight: _Flight) -> None:
        """Give ``flight`` to a worker (its sender thread writes it) or keep it in the backlog (under :attr:`lock`)."""
        worker = self._assign(flight)
        if worker is not None:
            worker.outbox.put(flight.item)

    def _assign(self, flight: _Flight) -> _Worker | None:
        """The worker that now holds ``flight`` (the caller sends it the item), or None: kept in the backlog,
        or accounted for as lost when stopping (under :attr:`lock`)."""
        if self._stopping:  # the workers have their stop note: an item sent after it would never be read
            self._lost(flight)
            return None
        worker = self._pick()
        if worker is None:
            self.backlog.append(flight)
            return None
        flight.sent = time.monotonic()
        worker.flights[flight.item.id] = flight
        return worker

    def call(self, item: WorkItem, timeout: float) -> WorkResult | None:
        """Hand ``item`` over and wait for its result (its ack), at most ``timeout`` seconds."""
        future: Future = Future()
        self.submit(item, future)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()  # the front acks without it; a worker that dies with it is not given it again
            return None

    def _pick(self) -> _Worker | None:
        alive = [w for w in self.workers if w.alive and not w.failure and not w.hung and len(w.flights) < self.threads]
        ready = [w for w in alive if w.ready]
        candidates = ready or alive
        if not candidates:
            return None
        return min(candidates, key=lambda w: len(w.flights))

    # ------------------------------------------------------------------ results and deaths

    def _collect(self) -> None:
        poller = select.poll()  # one poll set kept across wake-ups, changed only when the workers change
        registered: set[int] = set()
        wake = self._wake_r.fileno()
        hung_checked = 0.0
        while True:
            with self.lock:
                if self._stopping and not self.workers:
                    return
                sources: dict[int, tuple[str, _Worker]] = {}
                for worker in self.workers:
                    if worker.results_open:
                        sources[worker.results.fileno()] = ("results", worker)
                    sources[worker.process.sentinel] = ("died", worker)
            self._watch(poller, registered, {*sources, wake})
            for fd, _ in poller.poll(500):
                if fd == wake:
                    try:
                        while self._wake_r.poll():
                            self._wake_r.recv()
                    except (EOFError, OSError):
                        pass
                    continue
                kind, worker = sources[fd]
                if kind == "results":
                    self._read(worker)
                elif not worker.process.is_alive():
                    self._died(worker)
            now = time.monotonic()
            if now >= hung_checked + HUNG_CHECK_SECONDS:
                hung_checked = now
                self._kill_hung()
            if self._respawn:
                self._respawn_due()

    @staticmethod
    def _watch(poller: Any, registered: set[int], wanted: set[int]) -> None:
        """Make ``poller`` watch exactly ``wanted`` (file descriptors), changing only the difference.

        Why: ``multiprocessing.connection.wait`` builds a new selector and registers every pipe and
        process sentinel on each call; the collector wakes up about once per message (two a command)."""
        for fd in registered - wanted:
            poller.unregister(fd)
        for fd in wanted - registered:
            poller.register(fd, select.POLLIN)
        registered.clear()
        registered.update(wanted)

    def _kill_hung(self) -> None:
        """A worker holding an item longer than :attr:`timeout` is hung (stopped, deadlocked, looping):
        kill it; its death hands its items on by the usual rules (:meth:`_died`, :meth:`_lost`)."""
        if self.timeout <= 0:
            return
        now = time.monotonic()
        with self.lock:
            hung = [(w, max(now - f.sent for f in w.flights.values())) for w in self.workers
                    if w.alive and not w.hung and w.flights and now - min(f.sent for f in w.flights.values()) > self.timeout]
            for worker, _ in hung:
                worker.hung = True
        for worker, age in hung:
            metrics.WORKERS_HUNG.inc()
            logger.error("Answer worker %d (pid %s) is hung: it has held a work item for %.0f s (ROLECALL_ANSWER_TIMEOUT "
                         "is %g s); killing it", worker.index, worker.process.pid, age, self.timeout)
            try:
                worker.process.kill()  # SIGKILL: it reaches a stopped process too
            except (OSError, AttributeError):
                pass

    def _read(self, worker: _Worker) -> None:
        """Handle what ``worker`` said: every message already waiting, not only the first.

        Each item brings up to two messages ("delivering" with the contexts set, "done"); reading them all
        per wake-up spares the front a ``connection.wait`` (a new poll set of every pipe) per message.
        Under ``worker.reading``, and polling before each receive: :meth:`catch_up` may have read them
        between the wake-up and here, and a blocking receive would then hold the collector.
        """
        with worker.reading:
            try:
                while worker.results_open and worker.has_results():
                    self._handle(worker, worker.results.recv())
            except (EOFError, OSError):
                worker.results_open = False

    def catch_up(self, key: Hashable) -> None:
        """Before the front reads ``key``'s context: handle what the workers have already written,
        when an unfinished item of that conversation may have handed back a new one.

        Why: a worker hands the front a conversation's new context just before it posts the answer, and
        the user may ask the follow-up at once; if the collector thread has not had the CPU since, the
        note is still in the pipe and the follow-up would be handed on with the old context. The note's
        bytes are in the pipe before the answer is posted, so reading what is there now orders the two.
        Only for a conversation with an item still unfinished (its "done" comes after the note, through
        the same pipe): reading the pipes at every context read cost the front 0.5 ms a command and
        took its open-loop ack p99 from 19 to 113 ms (``benchmarks.http_load``, 450 commands/s).
        """
        if not self._readers.get(key):
            return
        with self.lock:
            workers = [w for w in self.workers if w.results_open]
        for worker in workers:
            self._read(worker)

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "done":
            result: WorkResult = message[1]
            waiting = taker = None
            with self.lock:
                flight = worker.flights.pop(result.id, None)
                if self.backlog and not worker.hung:  # a thread of that worker is free now
                    waiting = self.backlog.popleft()
                    taker = self._assign(waiting)
            if taker is not None:
                taker.hand(waiting.item)  # outside the lock the request threads take, as offer() does
            for event in result.events:
                metrics.apply(event)
            if flight is not None:
                try:
                    self.on_done(flight.item, result)
                except Exception:
                    logger.exception("Could not apply a work item's result")
                if flight.future is not None and not flight.future.done():
                    flight.future.set_result(result)
                self._finished(flight.item)
        elif kind == "contexts":
            self._contexts(message[1])
        elif kind == "context?":
            try:
                value = self.context_of(message[2])
            except Exception:
                logger.exception("Could not read a conversation context")
                value = None
            worker.outbox.put(("context", message[1], value))
        elif kind == "delivering":
            self._contexts(message[2])
            with self.lock:
                flight = worker.flights.get(message[1])
                if flight is not None:
                    flight.delivering = True
        elif kind == "events":
            for event in message[1]:
                metrics.apply(event)
        elif kind in ("ready", "index"):
            with self.lock:
                worker.stats = message[1]
                if kind == "ready":
                    worker.ready = True
                    self._young_deaths.pop(worker.index, None)
                if not self.latest or worker.stats.get("generation", 0) >= self.latest.get("generation", 0):
                    self.latest = dict(worker.stats)
            for event in (message[2] if kind == "ready" else ()):
                metrics.apply(event)
            if kind == "ready":
                logger.info("Answer worker %d ready (pid %s, index generation %s)", worker.index, worker.process.pid,
                            worker.stats.get("generation"))
                self._flush_backlog()
            self._gauges()
        elif kind == "failed":
            worker.failure = str(message[1])
            self.failures.append(worker.failure)
            logger.error("Answer worker %d could not start: %s", worker.index, worker.failure)

    def _contexts(self, contexts: dict[Any, str]) -> None:
        """Contexts a worker's listener set, handed over before its answer is posted: store them now."""
        for key, value in contexts.items():
            try:
                self.on_context(key, value)
            except Exception:
                logger.exception("Could not store a conversation context")

    def _died(self, worker: _Worker) -> None:
        """A worker process ended: read what it still said, then redeliver or account for its items."""
        self._read(worker)
        with self.lock:
            worker.alive = False
            if worker not in self.workers:
                return
            self.workers.remove(worker)
            flights = list(worker.flights.values())
            worker.flights.clear()
            stopping = self._stopping
        worker.outbox.put(None)
        for conn in (worker.work, worker.results):
            try:
                conn.close()
            except OSError:
                pass
        if stopping:  # stopped as asked; anything it still held was cut short (terminated at the deadline)
            for flight in flights:
                self._lost(flight)
            return
        self.deaths += 1
        metrics.WORKER_DEATHS.inc()
        logger.error("Answer worker %d (pid %s) died (exit code %s) with %d unfinished item(s)",
                     worker.index, worker.process.pid, worker.process.exitcode, len(flights))
        for flight in flights:
            self._lost(flight)
        young = not worker.ready  # died starting: wait longer each time rather than spin
        deaths = self._young_deaths.get(worker.index, 0) + 1 if young else 0
        self._young_deaths[worker.index] = deaths
        delay = RESPAWN_DELAYS[min(deaths, len(RESPAWN_DELAYS) - 1)] if deaths else 0.0
        with self.lock:
            self._respawn.append((time.monotonic() + delay, worker.index))
        self._gauges()

    def _lost(self, flight: _Flight) -> None:
        item = flight.item
        if flight.delivering:
            metrics.WORK_LOST.labels(outcome="maybe_delivered").inc()
            DELIVERY.add("answers_maybe_delivered")
            logger.warning("Work item %d: its worker died while posting the answer; it may have arrived, so it is "
                           "not sent again", item.id)
            self._settle(flight)
            self._finished(item)
            return
        if self._stopping and item.stream_id is not None:
            logger.warning("Work item %d is left in the shared stream for another replica: this one is stopping", item.id)
            self._settle(flight)  # not finished: that would acknowledge and delete its entry
            return
        if (not self._stopping and item.attempt < MAX_ATTEMPTS
                and not (item.wants_ack and flight.future is not None and flight.future.done())):
            item.attempt += 1
            metrics.REDELIVERED.inc()
            logger.warning("Work item %d: its worker died before answering; given to another worker (attempt %d)",
                           item.id, item.attempt)
            with self.lock:  # not submit(): the item is still the pool's, its readers counted once
                self._place(_Flight(item, flight.future))
            return
        self._settle(flight)
        self._finished(item)
        if item.wants_ack:  # its answer was the ack, which the front has given (empty) by now
            metrics.WORK_LOST.labels(outcome="dropped").inc()
            logger.error("Work item %d (an ack with data) could not be done by a worker; it was acknowledged empty", item.id)
            return

        def tell() -> None:
            try:
                told = self.on_lost(item)
            except Exception:
                logger.exception("Could not tell the user about lost work")
                told = False
            metrics.WORK_LOST.labels(outcome="told" if told else "dropped").inc()
            logger.error("Work item %d %s; %s", item.id, why, "the user was told" if told else "nobody to tell (no user in the request)")

        why = "was not done before the front stopped" if self._stopping else f"could not be done by {MAX_ATTEMPTS} workers"
        try:
            self._lost_pool.submit(tell)
        except RuntimeError:  # after stop() returned: the process is exiting
            metrics.WORK_LOST.labels(outcome="dropped").inc()
            logger.error("Work item %d %s; the front had stopped, so nobody was told", item.id, why)

    def _finished(self, item: WorkItem) -> None:
        with self.lock:
            self._count_readers(item, -1)
        try:
            self.on_finished(item)
        except Exception:
            logger.exception("Could not account for a finished work item")

    @staticmethod
    def _settle(flight: _Flight) -> None:
        if flight.future is not None and not flight.future.done():
            flight.future.set_result(None)

    def _respawn_due(self) -> None:
        now = time.monotonic()
        with self.lock:
            if self._stopping:
                return
            due = [(when, index) for when, index in self._respawn if when <= now]
            self._respawn = [(when, index) for when, index in self._respawn if when > now]
        for _, index in due:
            logger.info("Starting answer worker %d again", index)
            self._spawn(index)

    def _flush_backlog(self) -> None:
        with self.lock:
            waiting = list(self.backlog)
            self.backlog.clear()
            for flight in waiting:
                self._place(flight)
        self._gauges()

    # ------------------------------------------------------------------ reporting

    def _gauges(self) -> None:
        """The workers' gauges, after a worker started, became ready or died (the queue depth: see :meth:`start`)."""
        with self.lock:
            ready = sum(1 for w in self.workers if w.ready and w.alive)
            starting = sum(1 for w in self.workers if not w.ready and w.alive)
        metrics.WORKERS.labels(state="ready").set(ready)
        metrics.WORKERS.labels(state="starting").set(starting)

    def snapshot(self) -> dict[str, Any]:
        """For ``/healthz``: each worker's pid, readiness, unfinished items and index generation."""
        with self.lock:
            return {
                "configured": self.count,
                "limit": self.limit,
                "ready": sum(1 for w in self.workers if w.ready and w.alive),
                "backlog": len(self.backlog),
                "deaths": self.deaths,
                "processes": [{"index": w.index, "pid": w.process.pid, "ready": w.ready, "unfinished": len(w.flights),
                               "generation": w.stats.get("generation")} for w in self.workers],
            }
