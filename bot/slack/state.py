"""Short-lived, per-process memory: conversation context and seen events.

Both are small, bounded and expire on their own. They live in memory because
they are only hints (a lost context means the user names the role again; a
lost dedupe entry only matters for a retry that arrives after it expired). With several
replicas, ``bot/stores.py`` keeps them in Redis and uses these maps while Redis is away; see
"Several replicas" in README.md.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

Clock = Callable[[], float]


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
