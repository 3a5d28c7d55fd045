"""Short-lived state the Slack layer keeps: seen events, answered messages, conversation context.

Two small interfaces, each with two implementations, chosen by ``ROLECALL_REDIS_URL``:

* :class:`SeenStore` — ``add_new(key)`` is True for the first caller only (event and message
  dedupe). In memory: :class:`bot.slack.state.ExpiringMap`. In Redis: ``SET key 1 NX EX ttl``,
  so of several replicas receiving the same event exactly one answers it.
* :class:`ContextStore` — ``get(key)`` / ``set(key, value)`` of a conversation's context (the
  string ``answer.context.encode()``), which expires ``ttl`` seconds after it was last set. In
  memory: the same ExpiringMap. In Redis: ``SET key value EX ttl`` and ``GET key``, so a thread
  follow-up that lands on another replica keeps its role.

Unset ``ROLECALL_REDIS_URL``: memory, one process's own (today's behaviour). Set: Redis, with a
local ExpiringMap beside every store. Every value is written to both; Redis is asked first. When
Redis is unreachable (stopped, restarting, the network), the stores answer from the local map,
the process logs that once, tries Redis again at most every :data:`RETRY_SECONDS`, and logs
once when it is back. Nothing here ever raises because of Redis: state is a hint (a lost
context means the user names the role again; a lost dedupe entry can only let one retry through).
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

from bot import settings
from bot.slack.state import ExpiringMap

logger = logging.getLogger("rolecall.stores")

T = TypeVar("T")

PREFIX = "rolecall:"
RETRY_SECONDS = 2.0  # while Redis is down, how often one call tries it again (the others go straight to memory)
TIMEOUT_SECONDS = 0.5  # connect and read timeout of one Redis call: it sits on the path of an ack
WRITE_BATCH = 500  # most writes one pipelined round trip of :class:`WriteBehind` sends
CONTEXT_NAME = "context"  # the conversation contexts' keys: rolecall:context:<key as JSON>


class SeenStore(Protocol):
    """Remembers keys for a while: ``add_new`` is True only for the first caller of a key."""

    def add_new(self, key: Hashable, value: bool = True) -> bool: ...


class ContextStore(Protocol):
    """Conversation key -> context string, each entry expiring ``ttl`` seconds after it was last set."""

    def get(self, key: Hashable) -> str | None: ...

    def set(self, key: Hashable, value: str) -> None: ...


class StoreConfigError(ValueError):
    """``ROLECALL_REDIS_URL`` is set but is not a Redis URL (the message names the variable, never the value)."""


# ---------------------------------------------------------------------------- selection


def redis_url() -> str | None:
    """``ROLECALL_REDIS_URL`` (``redis://[:password@]host:port/db``, ``rediss://…``, ``unix://…``), or None."""
    return settings.get_str("ROLECALL_REDIS_URL")


def seen_store(name: str, ttl: float, *, max_items: int = 10_000) -> SeenStore:
    """A dedupe store for ``name`` ("event", "answered"): in Redis when ``ROLECALL_REDIS_URL`` is set."""
    local: ExpiringMap[bool] = ExpiringMap(ttl, max_items=max_items)
    url = redis_url()
    return local if url is None else RedisSeen(shared_link(url), name, ttl, local)


def context_store(ttl: float, *, max_items: int = 10_000) -> ContextStore:
    """The conversation-context store: in Redis when ``ROLECALL_REDIS_URL`` is set."""
    local: ExpiringMap[str] = ExpiringMap(ttl, max_items=max_items)
    url = redis_url()
    return local if url is None else RedisContexts(shared_link(url), CONTEXT_NAME, ttl, local)


_links: dict[str, "RedisLink"] = {}
_links_lock = threading.Lock()


def shared_link(url: str) -> "RedisLink":
    """One connection pool (and one up/down state, so one log line) per Redis URL and process."""
    with _links_lock:
        link = _links.get(url)
        if link is None:
            link = _links[url] = RedisLink.from_url(url)
            logger.info("Conversation context and event dedupe are shared through Redis at %s", link.where)
        return link


# ---------------------------------------------------------------------------- Redis


def describe_url(url: str) -> str:
    """Where a Redis URL points, without its password: ``host:port/db`` or the socket path."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path or "a Unix socket"
    host = parts.hostname or "localhost"
    try:
        port = parts.port or 6379
    except ValueError:
        port = "?"
    return f"{host}:{port}{parts.path or '/0'}"


class RedisLink:
    """A Redis client that never raises: :meth:`call` runs a command, or returns ``fallback()``.

    After a failure the link is *down*: one warning is logged and, for :data:`RETRY_SECONDS`,
    calls skip Redis entirely (no connection timeouts piling up on the ack path); then one
    call tries again. The first success after a failure logs once that Redis is back.
    """

    def __init__(self, client: Any, where: str, *, retry_seconds: float = RETRY_SECONDS,
                 clock: Callable[[], float] = time.monotonic, quiet: bool = False) -> None:
        self.client = client
        self.where = where
        self.quiet = quiet  # an answer worker's link: its front logs Redis going and coming back
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0
        self._later: WriteBehind | None = None

    @property
    def later(self) -> "WriteBehind":
        """This link's :class:`WriteBehind` (its thread starts with the first write)."""
        with self._lock:
            if self._later is None:
                self._later = WriteBehind(self)
            return self._later

    @classmethod
    def from_url(cls, url: str, **options: Any) -> "RedisLink":
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        try:
            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=TIMEOUT_SECONDS,
                socket_timeout=TIMEOUT_SECONDS,
                # One immediate retry on a fresh connection, for the pool's connections that a Redis
                # restart closed; none on a timeout (a SET NX that timed out may have been applied).
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
                decode_responses=True,
            )
        except ValueError:
            raise StoreConfigError("ROLECALL_REDIS_URL must be a redis://, rediss:// or unix:// URL") from None
        return cls(client, describe_url(url), **options)

    @property
    def up(self) -> bool:
        """False from a failure until the next success."""
        return not self._down

    def call(self, command: Callable[[Any], T], fallback: Callable[[], T]) -> T:
        with self._lock:
            if self._down and self._clock() < self._retry_at:
                return fallback()
        try:
            result = command(self.client)
        except Exception as error:  # redis.RedisError, OSError, a reply we could not read: all mean "not now"
            self._failed(error)
            return fallback()
        self._worked()
        return result

    def _failed(self, error: Exception) -> None:
        with self._lock:
            self._retry_at = self._clock() + self.retry_seconds
            if self._down:
                return
            self._down = True
        logger.log(logging.DEBUG if self.quiet else logging.WARNING,
                   "Redis at %s is unreachable (%s): using this process's memory for conversation context "
                   "and dedupe, and its own answer workers for the work, until it answers again", self.where,
                   type(error).__name__)

    def _worked(self) -> None:
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
        logger.log(logging.DEBUG if self.quiet else logging.INFO,
                   "Redis at %s is reachable again: conversation context, dedupe and the work queue are shared again",
                   self.where)


def take_batch(source: "queue.SimpleQueue[T]", most: int) -> list[T]:
    """The next entry of ``source`` (waiting for it) and up to ``most`` - 1 more already there: what one
    round trip of a batching thread carries."""
    batch = [source.get()]
    while len(batch) < most:
        try:
            batch.append(source.get_nowait())
        except queue.Empty:
            break
    return batch


class WriteBehind:
    """Redis writes nobody waits for, sent by one thread in pipelined batches.

    Why: the front's result collector stored each answer's new conversation context with its own
    ``SET`` round trip, so one thread serialised every answer behind Redis (and, in a process whose
    GIL is contended, behind getting the GIL back after each reply). Here the collector only queues
    the write; under load one round trip carries everything queued meanwhile. Order is kept (one
    thread, one pipeline in queue order); a write made while Redis is away is dropped like any
    other Redis write then (the local map beside each store keeps the value).
    """

    def __init__(self, link: "RedisLink") -> None:
        self.link = link
        self._queue: queue.SimpleQueue[tuple[Callable[[Any], Any], Callable[[], None]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="rolecall-redis-writes", daemon=True)
        self._thread.start()

    def add(self, write: Callable[[Any], Any], sent: Callable[[], None] = lambda: None) -> None:
        """Queue ``write(pipeline)`` (it adds its commands to the next batch's pipeline); ``sent()`` is
        called once that batch's round trip is over (done, or failed with Redis away)."""
        self._queue.put((write, sent))

    def mark(self) -> threading.Event:
        """An event set once everything queued before it has been sent (or given up on)."""
        done = threading.Event()
        self.add(lambda pipe: None, done.set)
        return done

    def _run(self) -> None:
        while True:
            self._send(take_batch(self._queue, WRITE_BATCH))

    def _send(self, batch: list[tuple[Callable[[Any], Any], Callable[[], None]]]) -> None:
        def send(r: Any) -> None:
            pipe = r.pipeline(transaction=False)
            for write, _ in batch:
                write(pipe)
            pipe.execute(raise_on_error=False)  # a connection error still raises, and the link logs it once

        self.link.call(send, lambda: None)
        for _, sent in batch:
            sent()


def redis_key(name: str, key: Hashable) -> str:
    """``rolecall:<name>:<key as JSON>``: the same key on every replica (tuples become lists)."""
    return f"{PREFIX}{name}:{json.dumps(key, separators=(',', ':'), default=str)}"


def _seconds(ttl: float) -> int:
    return max(1, math.ceil(ttl))


class RedisSeen:
    """:class:`SeenStore` in Redis (``SET NX EX``), with a local map when Redis is away."""

    def __init__(self, link: RedisLink, name: str, ttl: float, local: ExpiringMap[bool]) -> None:
        self.link = link
        self.name = name
        self.ttl = ttl
        self.local = local

    def add_new(self, key: Hashable, value: bool = True) -> bool:
        name = redis_key(self.name, key)
        first = self.link.call(lambda r: bool(r.set(name, "1", nx=True, ex=_seconds(self.ttl))),
                               lambda: self.local.add_new(key, value))
        self.local.set(key, value)  # remembered here too, for a time when Redis is away
        return first


class RedisContexts:
    """:class:`ContextStore` in Redis (a key with an expiry), with a local map when Redis is away."""

    def __init__(self, link: RedisLink, name: str, ttl: float, local: ExpiringMap[str]) -> None:
        self.link = link
        self.name = name
        self.ttl = ttl
        self.local = local
        self._pending: dict[Hashable, str] = {}  # set_soon values not yet in Redis: this process reads them first
        self._pending_lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._pending_lock:
            pending = self._pending.get(key)
        if pending is not None:
            return pending
        value = self.link.call(lambda r: r.get(redis_key(self.name, key)), lambda: None)
        # Not in Redis (or Redis away): what this process itself last set, e.g. while Redis was down.
        return value if isinstance(value, str) else self.local.get(key)

    def known_here(self, key: Hashable) -> tuple[str | None, bool]:
        """What :meth:`get` answers without Redis: (value, True) for a value this process set and has not
        sent yet (newer than Redis's), else (its local value, False): the value to use when Redis has none.

        Why: the front's hand-off to the shared work queue reads the context in the same Lua call that
        adds the item (:mod:`bot.slack.workqueue`), one round trip instead of a GET before it."""
        with self._pending_lock:
            pending = self._pending.get(key)
        if pending is not None:
            return pending, True
        return self.local.get(key), False

    def set(self, key: Hashable, value: str) -> None:
        self.local.set(key, value)
        self.link.call(lambda r: r.set(redis_key(self.name, key), value, ex=_seconds(self.ttl)), lambda: None)

    def set_soon(self, key: Hashable, value: str) -> None:
        """:meth:`set` without waiting for Redis: stored here now, in Redis with the link's next
        pipelined batch (:class:`WriteBehind`), for a caller that must not wait on a round trip."""
        self.local.set(key, value)
        with self._pending_lock:
            self._pending[key] = value
        name, seconds = redis_key(self.name, key), _seconds(self.ttl)
        self.link.later.add(lambda pipe: pipe.set(name, value, ex=seconds), lambda: self._sent(key, value))

    def _sent(self, key: Hashable, value: str) -> None:
        with self._pending_lock:
            if self._pending.get(key) is value:  # not set again meanwhile
                del self._pending[key]
