"""Prometheus metrics (``GET /metrics``), safe across Rolecall's processes.

Every figure is recorded through :func:`emit` as a small event (``("inc", name, labels, amount)``,
``("observe", ...)``, ``("set", ...)``, ``("delivery", outcome)``). In the process that serves
``/metrics`` (the front, or the only process) an event is applied at once; an answer worker
process (:mod:`bot.slack.workers`) buffers its events instead (:func:`buffer_in_this_process`)
and ships them to the front with each finished work item, where they are applied. So one
registry, in one process, holds the whole picture: no shared files, nothing lost when a worker
is killed except what it had not yet finished (and that work is redelivered anyway).

prometheus-client's own multiprocess mode was the other way; it needs a shared directory set
before the library is imported and cleanup of dead workers' files, for no gain here, since
every worker already talks to the front after each item.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import HistogramMetricFamily

disable_created_metrics()  # the *_created series add nothing to dashboards here

# Answers take about a millisecond; acks a few; a Slack call tens to hundreds.
FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SLOW_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

ANSWERS = Counter("rolecall_answers", "Answers given, by intent, status and surface",
                  ["intent", "status", "surface"])
ANSWER_SECONDS = Histogram("rolecall_answer_seconds", "Time the engine took to answer one question (question log included)",
                           ["intent"], buckets=FAST_BUCKETS)
ACK_SECONDS = Histogram("rolecall_ack_seconds", "Time from a Slack request's arrival to its HTTP response (the ack)",
                        buckets=FAST_BUCKETS)
REQUESTS = Counter("rolecall_http_requests", "Slack requests answered over HTTP, by status code", ["code"])
WORK_SECONDS = Histogram("rolecall_work_seconds", "Time from a work item's ack to the end of its work (answer delivered)",
                         buckets=SLOW_BUCKETS)
QUEUE_WAIT_SECONDS = Histogram("rolecall_queue_wait_seconds", "Time a work item waited before a worker started it",
                               buckets=FAST_BUCKETS)
SLACK_FAILURES = Counter("rolecall_slack_call_failures", "Slack calls that failed after retries, by method and outcome "
                         "(failed: not delivered; unknown: no reply, may have been delivered)", ["method", "outcome"])
DELIVERIES = Counter("rolecall_deliveries", "How answers fared on their way to Slack", ["outcome"])
QUEUE_DEPTH = Gauge("rolecall_work_queue_depth", "Work items acknowledged and not yet finished by an answer worker")
WORKERS = Gauge("rolecall_workers", "Answer worker processes, by state", ["state"])
REDELIVERED = Counter("rolecall_work_redelivered", "Work items given to another worker after theirs died")
WORK_LOST = Counter("rolecall_work_lost", "Work items whose worker died, by what the user got (told: an apology; "
                    "maybe_delivered: the worker had started posting the answer)", ["outcome"])
WORKER_DEATHS = Counter("rolecall_worker_deaths", "Answer worker processes that died and were replaced")
WORKERS_HUNG = Counter("rolecall_workers_hung", "Answer workers killed (and replaced) for holding a work item longer "
                       "than ROLECALL_ANSWER_TIMEOUT")
WORK_REFUSED = Counter("rolecall_work_refused", "Requests acknowledged but not queued because the work queue was full, "
                       "by how the user heard it (told: a busy notice; untold: nobody to tell, or too many notices pending)",
                       ["outcome"])
WORK_CLAIMED = Counter("rolecall_work_claimed", "Work items of the shared Redis stream claimed from a replica that "
                       "stopped answering them, by outcome (answered: given to a worker here; maybe_delivered: "
                       "its answer had started to be posted; told: given up, the user was told)", ["outcome"])
FAST_ACKS = Counter("rolecall_fast_acks", "Slack requests the front acknowledged on its fast path, without Bolt's "
                    "dispatch (slash commands)")
INDEX_GENERATION = Gauge("rolecall_index_generation", "Generation of the index each process serves or built",
                         ["process"])
RELOAD_FAILURES = Counter("rolecall_index_reload_failures", "Index refreshes or reopenings that failed "
                          "(the previous index kept being served)", ["process"])

METRICS: dict[str, Any] = {m._name: m for m in (  # noqa: SLF001 - the name each metric was created with
    ANSWERS, ANSWER_SECONDS, ACK_SECONDS, REQUESTS, WORK_SECONDS, QUEUE_WAIT_SECONDS, SLACK_FAILURES, DELIVERIES,
    QUEUE_DEPTH, WORKERS, REDELIVERED, WORK_LOST, WORKER_DEATHS, WORKERS_HUNG, WORK_REFUSED, WORK_CLAIMED,
    FAST_ACKS, INDEX_GENERATION, RELOAD_FAILURES)}

Event = tuple[Any, ...]

_process = "main"  # "front", "worker-1", "indexer": the label of this process's own gauges
_buffer: list[Event] | None = None  # set in an answer worker: events wait here for the front
_buffer_lock = threading.Lock()
_handlers: dict[str, Callable[..., None]] = {}


def process_name() -> str:
    return _process


def name_this_process(name: str) -> None:
    global _process
    _process = name


def emit(*event: Any) -> None:
    """Record one event: applied here, or buffered for the front in a worker process."""
    if _buffer is not None:
        with _buffer_lock:
            _buffer.append(event)
        return
    apply(event)


def inc(name: str, labels: Mapping[str, str] | None = None, amount: float = 1.0) -> None:
    emit("inc", name, dict(labels or {}), amount)


def observe(name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
    emit("observe", name, dict(labels or {}), value)


def set_gauge(name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
    emit("set", name, dict(labels or {}), value)


def apply(event: Event) -> None:
    """Apply one event to this process's registry (the front applies its workers' events here)."""
    kind = event[0]
    if kind in _handlers:
        _handlers[kind](*event[1:])
        return
    _, name, labels, value = event
    metric = METRICS.get(name)
    if metric is None:
        return
    target = _child(metric, name, labels) if labels else metric
    if kind == "inc":
        target.inc(value)
    elif kind == "observe":
        target.observe(value)
    elif kind == "set":
        target.set(value)


_children: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}  # (name, labels) -> the metric's child


def _child(metric: Any, name: str, labels: Mapping[str, str]) -> Any:
    """``metric.labels(**labels)``, looked up once per set of labels.

    Why: the front applies every worker's events (several an answer), and prometheus-client's
    ``labels()`` checks and joins the values and takes the metric's lock on every call."""
    key = (name, tuple(labels.items()))
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(**labels)
    return child


def on(kind: str, handler: Callable[..., None]) -> None:
    """Handle events of another ``kind`` (e.g. "delivery", which also feeds ``/healthz``)."""
    _handlers[kind] = handler


def buffer_in_this_process() -> None:
    """From now on, keep events for :func:`drain` (an answer worker process)."""
    global _buffer
    _buffer = []


def drain() -> list[Event]:
    """The events buffered since the last call (empty outside a worker)."""
    if _buffer is None:
        return []
    with _buffer_lock:
        events = list(_buffer)
        _buffer.clear()
    return events


# Pauses of Python's cyclic garbage collector: a young collection takes well under a millisecond, a
# full one of an unfrozen heap tens of milliseconds of CPU (longer in wall time on a busy machine).
GC_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)


class GcPauses:
    """``rolecall_gc_pause_seconds{generation}``: how long each collection of this process stopped it.

    Why a collector of its own rather than a :class:`Histogram`: the figures are counted inside
    ``gc.callbacks``, which run wherever an allocation triggers a collection, possibly in a thread
    holding a metric's lock; a Histogram's ``observe`` would take that lock again. Here the callback
    only adds to plain lists (no lock, no allocation of tracked objects), and ``/metrics`` reads them.
    """

    def __init__(self) -> None:
        self.buckets = [[0] * (len(GC_BUCKETS) + 1) for _ in range(3)]  # per generation, the last one +Inf
        self.sums = [0.0, 0.0, 0.0]
        self._started = 0.0

    def callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        spent = time.perf_counter() - self._started
        generation = min(2, max(0, info.get("generation", 0)))
        self.sums[generation] += spent
        counts = self.buckets[generation]
        for i, bound in enumerate(GC_BUCKETS):
            if spent <= bound:
                counts[i] += 1
                return
        counts[-1] += 1

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily("rolecall_gc_pause_seconds", "Time each garbage collection of this process's "
                                       "front took, by generation", labels=["generation"])
        for generation in range(3):
            counts = list(self.buckets[generation])
            cumulative, running = [], 0
            for bound, count in zip([*(str(b) for b in GC_BUCKETS), "+Inf"], counts):
                running += count
                cumulative.append((bound, running))
            family.add_metric([str(generation)], cumulative, self.sums[generation])
        yield family


_gc_pauses: GcPauses | None = None


def watch_gc(registry: CollectorRegistry = REGISTRY) -> GcPauses:
    """Time this process's garbage collections from now on (once per process; the front calls it)."""
    global _gc_pauses
    if _gc_pauses is None:
        _gc_pauses = GcPauses()
        gc.callbacks.append(_gc_pauses.callback)
        registry.register(_gc_pauses)  # type: ignore[arg-type]
    return _gc_pauses


def exposition(registry: CollectorRegistry = REGISTRY) -> tuple[bytes, str]:
    """The text of ``GET /metrics`` and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
