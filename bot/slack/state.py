"""Short-lived memory: conversation context and seen events.

Both are small, bounded and expire on their own. They live in memory because
they are only hints (a lost context means the user names the role again; a
lost dedupe entry only matters for a retry that arrives after it expired). With several
replicas, ``bot/stores.py`` keeps them in Redis and uses these maps while Redis is away; see
"Several replicas" in README.md.

:func:`context_store` and :func:`dedupe_store` are the only places these stores are made
(conversation context: ``get``/``set``; dedupe: ``add_new``): a store shared between
replicas replaces them here. With answer workers (:mod:`bot.slack.workers`) both live in the
front process; workers get the context with each work item and hand the new one back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.stores import ContextStore, SeenStore

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

Clock = Callable[[], float]


# Slack retries an event for about an hour at most; remembering ids for longer is pointless.
DEDUPE_TTL = 60 * 60.0


class ExpiringMap(Generic[V]):
    """A thread-safe map whose entries vanish ``ttl`` seconds after they were last set.

    Bounded by ``max_items`` (oldest first) so a flood of threads cannot grow it forever.
    """

    def __init__(self, ttl: float, *, max_items: int = 10_000, clock: Clock = time.monotonic) -> None:
        self._ttl = ttl
        self._max_items = max_items
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The live value for ``key``, or None when absent or expired."""
        with self._lock:
            self._purge()
            entry = self._items.get(key)
            return None if entry is None else entry[1]

    def set(self, key: Hashable, value: V) -> None:
        """Store ``value``; the entry's lifetime restarts."""
        with self._lock:
            self._purge()
            self._items.pop(key, None)
            self._items[key] = (self._clock() + self._ttl, value)
            while len(self._items) > self._max_items:
                self._items.popitem(last=False)

    def add_new(self, key: Hashable, value: V) -> bool:
        """Store ``value`` only if ``key`` is not live; True when this call stored it.

        Check and store happen under one lock, so of two concurrent deliveries
        of the same event exactly one wins.
        """
        with self._lock:
            self._purge()
            if key in self._items:
                return False
            self._items[key] = (self._clock() + self._ttl, value)
            while len(self._items) > self._max_items:
                self._items.popitem(last=False)
            return True

    def __len__(self) -> int:
        with self._lock:
            self._purge()
            return len(self._items)

    def _purge(self) -> None:
        # Entries are kept in insertion order and share one ttl, so expired ones are at the front.
        now = self._clock()
        while self._items:
            key, (expires, _) = next(iter(self._items.items()))
            if expires > now:
                break
            del self._items[key]


def context_store(ttl: float) -> "ContextStore":
    """Conversation key -> the encoded context of its last answer (``get``/``set``), for ``ttl``
    seconds; in Redis when ``ROLECALL_REDIS_URL`` is set (bot.stores), else in this process."""
    from bot import stores

    return stores.context_store(ttl)


def dedupe_store(kind: str, ttl: float = DEDUPE_TTL) -> "SeenStore":
    """Seen ids of one ``kind`` ("events": Events API ``event_id``; "messages": (channel, ts)); ``add_new``
    is True only for the first of concurrent or repeated deliveries; shared through Redis when set."""
    from bot import stores

    return stores.seen_store(kind, ttl, max_items=50_000)


# --------------------------------------------------------------------------- with answer workers
# The front owns both stores. While the front runs a listener up to its hand-off
# (bot.slack.front), every context it reads is noted; the work item carries those values to a
# worker, whose listener reads them from the item (ItemContexts) and whose new contexts go back
# to the front with the result, where they are stored. Dedupe happened in the front, so a
# worker's listener finds every message new (NoDedupe).


class FrontContexts:
    """The front's context store, noting what each hand-off read (``noted``: key -> value)."""

    def __init__(self, store: ExpiringMap[str], noted: Callable[[], dict[Hashable, str | None] | None],
                 read_later: Callable[[], list[Hashable] | None] = lambda: None) -> None:
        self.store = store
        self._noted = noted
        self._read_later = read_later  # this hand-off's keys the shared work queue reads from Redis, or None
        self.catch_up: Callable[[Hashable], None] = lambda key: None  # the workers' pending hand-backs, stored first

    def get(self, key: Hashable) -> str | None:
        self.catch_up(key)
        later = self._read_later()
        known_here = getattr(self.store, "known_here", None)
        if later is not None and known_here is not None:
            # Read with the item's hand-off instead (one round trip for both); the listener's value is
            # never used before its hand-off, the noted one is the fallback when Redis has none.
            value, newest = known_here(key)
            if not newest:
                later.append(key)
        else:
            value = self.store.get(key)
        noted = self._noted()
        if noted is not None:
            noted[key] = value
        return value

    def set(self, key: Hashable, value: str) -> None:
        """Stored now in this process; in Redis (when shared) without the caller waiting on it:
        the caller is the front's one result collector, which must not queue answers behind Redis."""
        getattr(self.store, "set_soon", self.store.set)(key, value)

    def __len__(self) -> int:
        return len(self.store)


class ItemContexts:
    """A worker's view of conversation context: what the current work item brought, and what its
    listener set (handed back to the front). ``current`` gives (brought, set) of this thread's item."""

    def __init__(self, current: Callable[[], tuple[dict[Hashable, str | None], dict[Hashable, str]] | None],
                 on_set: Callable[[Hashable, str], None] | None = None,
                 ask: Callable[[Hashable], str | None] | None = None) -> None:
        self._current = current
        self._on_set = on_set  # hands a new context to the front at once, before the answer is posted
        self._ask = ask  # asks the front for a key the item did not bring (read after the hand-off point)

    def get(self, key: Hashable) -> str | None:
        item = self._current()
        if item is None:
            return None
        brought, changed = item
        if key in changed:
            return changed[key]
        if key not in brought and self._ask is not None:
            brought[key] = self._ask(key)
        return brought.get(key)

    def set(self, key: Hashable, value: str) -> None:
        item = self._current()
        if item is not None:
            item[1][key] = value
            if self._on_set is not None:
                self._on_set(key, value)


class NoDedupe:
    """A worker's dedupe: the front already let exactly one delivery through."""

    def add_new(self, key: Hashable, value: object) -> bool:
        return True
