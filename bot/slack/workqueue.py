"""The work queue shared by every replica: one Redis stream with one consumer group.

With ``ROLECALL_REDIS_URL`` set, a replica's front does not hand its work to its own workers
directly: it adds each item to the stream ``rolecall:work`` (``XADD``), and every replica's
:class:`StreamQueue` reads from the consumer group ``rolecall-workers`` (``XREADGROUP``) as many
items as its workers have free threads, gives them to its :class:`bot.slack.workers.WorkerPool`,
and acknowledges and deletes each one when it is done (``XACK`` + ``XDEL``), so the stream holds
exactly the unfinished items and its length is the queue depth every replica bounds
(``ROLECALL_QUEUE_LIMIT``, checked and added in one Lua call).

A replica that dies (or whose front hangs) after taking items leaves them pending in the group.
Each replica refreshes its own pending items every third of ``ROLECALL_WORK_CLAIM_SECONDS``
(``XCLAIM`` to itself, ``JUSTID``: no redelivery), so an item idle longer than that belongs to a
replica that is gone; any replica claims it (``XAUTOCLAIM``) and applies the local queue's rules:

* its worker had started posting the answer (the worker sets ``rolecall:posting:<id>`` before
  its first post, the stream's twin of the "delivering" note on the pipe): not done again,
  counted as maybe delivered (at most once);
* delivered at most :data:`bot.slack.workers.MAX_ATTEMPTS` times so far: answered here;
* else the user is told, as after two worker deaths.

When Redis is unreachable the front hands its work to its own workers (the embedded queue) and
:class:`bot.stores.RedisLink` logs that once; the reader waits and tries again, recreating the
group after a Redis restart emptied it.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot import metrics, settings
from bot.slack.delivery import DELIVERY
from bot.slack.front import WorkItem, next_item_id
from bot.stores import CONTEXT_NAME, RedisLink, redis_key, take_batch

logger = logging.getLogger("rolecall.slack")

STREAM = "rolecall:work"
GROUP = "rolecall-workers"
POSTING_PREFIX = "rolecall:posting:"
POSTING_TTL = 3600  # seconds a "started posting" mark is kept (an item is claimed long before that)
DEFAULT_CLAIM_SECONDS = 15.0
READ_BLOCK_MS = 200  # below the Redis client's 0.5 s read timeout; an XADD wakes the read at once
CLAIM_BATCH = 16

ADD_BATCH = 64  # most items one hand-off call adds
# Add each item unless ROLECALL_QUEUE_LIMIT items are unfinished already: 0 for it then, else its id.
# KEYS: the stream, then the context keys the items reread, in order. ARGV: the limit, then per item
# its JSON, how many contexts it rereads and their places in its JSON's context list; each context
# Redis has goes with the item as field c<place> (decode_item puts it there).
BOUNDED_ADD = """
local limit = tonumber(ARGV[1])
local length = redis.call('XLEN', KEYS[1])
local added = {}
local key, arg = 2, 2
while arg <= #ARGV do
  local fields = {'item', ARGV[arg]}
  local rereads = tonumber(ARGV[arg + 1])
  if length >= limit then
    added[#added + 1] = 0
  else
    for i = 1, rereads do
      local value = redis.call('GET', KEYS[key + i - 1])
      if value then
        fields[#fields + 1] = 'c' .. ARGV[arg + 1 + i]
        fields[#fields + 1] = value
      end
    end
    added[#added + 1] = redis.call('XADD', KEYS[1], '*', unpack(fields))
    length = length + 1
  end
  key, arg = key + rereads, arg + 2 + rereads
end
return added
"""


def claim_seconds() -> float:
    """``ROLECALL_WORK_CLAIM_SECONDS``: how long an item taken by a replica may go without that replica
    refreshing it before another replica claims it (default 15)."""
    value = settings.number("ROLECALL_WORK_CLAIM_SECONDS", DEFAULT_CLAIM_SECONDS)
    return value if value > 0 else DEFAULT_CLAIM_SECONDS


def posting_key(stream_id: str) -> str:
    return POSTING_PREFIX + stream_id


# --------------------------------------------------------------------------- items as stream entries


def encode_item(item: WorkItem) -> str:
    """The item as JSON (context keys are tuples: kept as lists and turned back by :func:`decode_item`)."""
    return json.dumps({"body": item.body, "headers": item.headers, "contexts": [[list(k) if isinstance(k, tuple) else k, v]
                                                                                 for k, v in item.contexts.items()],
                       "reach": item.reach, "acked_at": item.acked_at}, separators=(",", ":"))


def add_arguments(items: list[WorkItem], limit: int) -> tuple[list[str], list[Any]]:
    """KEYS and ARGV of :data:`BOUNDED_ADD` for ``items``: each one's JSON and the contexts it rereads."""
    keys: list[str] = [STREAM]
    args: list[Any] = [limit]
    for item in items:
        places = list(item.contexts)
        rereads = [key for key in item.reread if key in item.contexts]
        keys.extend(redis_key(CONTEXT_NAME, key) for key in rereads)
        args.extend((encode_item(item), len(rereads), *(places.index(key) for key in rereads)))
    return keys, args


def _key(value: Any) -> Hashable:
    return tuple(_key(v) for v in value) if isinstance(value, list) else value


def decode_item(text: str, stream_id: str, attempt: int, fields: dict[str, str] | None = None) -> WorkItem:
    """The item of a stream entry: its JSON ``text``, with the contexts its hand-off read from Redis
    (``fields`` c<place>) in place of the front's own."""
    data = json.loads(text)
    contexts = data["contexts"]
    for name, value in (fields or {}).items():
        if name[:1] == "c" and name[1:].isdigit() and int(name[1:]) < len(contexts):
            contexts[int(name[1:])][1] = value
    item = WorkItem(next_item_id(), data["body"], data["headers"], {_key(k): v for k, v in contexts},
                    wants_ack=False, reach=data["reach"], acked_at=data["acked_at"], attempt=attempt)
    item.stream_id = stream_id
    return item


def forget_in(pipe: Any, stream_ids: tuple[str, ...]) -> None:
    """Add to ``pipe`` the acknowledgement and deletion of entries and their posting marks. Executed with
    ``raise_on_error=False``: a command error (the group gone with a Redis restart) is no failure of
    Redis, those entries went with it; a connection error still raises, and the link logs it once."""
    pipe.xack(STREAM, GROUP, *stream_ids)
    pipe.xdel(STREAM, *stream_ids)
    pipe.delete(*(posting_key(stream_id) for stream_id in stream_ids))


# --------------------------------------------------------------------------- the queue


class StreamQueue:
    """This replica's end of the shared stream: :meth:`offer` (the front's hand-off) and a reader
    thread feeding the local :class:`~bot.slack.workers.WorkerPool`."""

    def __init__(self, link: RedisLink, pool: Any, *, limit: int | None = None, claim: float | None = None,
                 consumer: str | None = None) -> None:
        self.link = link
        self.pool = pool
        self.limit = limit or pool.limit
        self.claim = claim or claim_seconds()
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.mine: dict[str, float] = {}  # stream ids this replica's workers hold -> when taken
        self.lock = threading.Lock()
        self.room = threading.Event()  # set when a worker thread may have come free
        self.stopping = threading.Event()
        self._add = link.client.register_script(BOUNDED_ADD)
        self._thread: threading.Thread | None = None
        self._told = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rolecall-claim-tell")
        self._group_made = False
        self._batching = False  # finished items are acknowledged with the link's write-behind batches
        self._to_ack: list[str] = []  # finished, to go with the next batch (one XACK + XDEL + DEL for all)
        self._acks_closed = False
        self._adder: _Adder | None = None
        pool.on_finished = self.finished

    # ------------------------------------------------------------------ the front's side

    def offer(self, item: WorkItem) -> bool:
        """Add ``item`` to the stream (reading the contexts it rereads in the same call); False when the
        stream is full (the user is told the bot is busy). Redis away: this replica's own workers take
        it (the embedded queue and its limit). Once started, the adding is :class:`_Adder`'s."""
        added = self._adder.add(item) if self._adder is not None else self._add_all([item])
        if added is None:
            return self.pool.offer(item)
        if added[0] == 0:
            return False
        self.room.set()
        return True

    def _add_all(self, items: list[WorkItem]) -> list[Any] | None:
        """Add ``items`` in one call: each one's stream id, or 0 where the stream was full; None: Redis away."""
        keys, args = add_arguments(items, self.limit)
        return self.link.call(lambda r: list(self._add(keys=keys, args=args, client=r)), lambda: None)

    # ------------------------------------------------------------------ the reader

    def start(self) -> "StreamQueue":
        self._adder = _Adder(self._add_all)
        self._thread = threading.Thread(target=self._run, name="rolecall-stream", daemon=True)
        self._thread.start()
        self._batching = True
        logger.info("Work goes through the Redis stream %s (group %s, consumer %s, claim after %g s)",
                    STREAM, GROUP, self.consumer, self.claim)
        return self

    def stop(self) -> None:
        """Take no more items (those in hand finish, and are acknowledged, as the pool stops)."""
        self.stopping.set()
        self.room.set()
        if self._thread is not None:
            self._thread.join(2)
        self._told.shutdown(wait=False)

    def close(self) -> None:
        """After the pool stopped: wait until what it finished meanwhile is acknowledged."""
        with self.lock:
            self._acks_closed = True  # items finished from now on are acknowledged by finished() itself
            sent = self.link.later.mark() if self._batching else None
        if sent is not None:
            sent.wait(5)

    def _run(self) -> None:
        refresh_every = max(0.2, self.claim / 3)
        next_refresh = next_claim = time.monotonic()
        while not self.stopping.is_set():
            now = time.monotonic()
            if now >= next_refresh:
                self._refresh()
                next_refresh = now + refresh_every
            if now >= next_claim:
                self._claim()
                next_claim = now + refresh_every
            if not self.link.up:
                self.stopping.wait(0.5)  # the link skips Redis for a while after a failure: do not spin
            room = self.pool.free_threads()
            if room <= 0:
                self.room.wait(0.2)
                self.room.clear()
                continue
            for stream_id, fields in self._read(room):
                self._take(stream_id, fields, attempt=1)

    def _ensure_group(self, r: Any) -> None:
        import redis

        try:
            r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_made = True

    def _in_group(self, r: Any, command: Callable[[Any], Any], empty: Any) -> Any:
        """``command(r)``; when Redis restarted empty (no group): make the group and return ``empty``
        (a missing group is not Redis being away, so it must not reach the link's failure log)."""
        import redis

        if not self._group_made:
            self._ensure_group(r)
        try:
            return command(r)
        except redis.ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            self._ensure_group(r)
            return empty

    def _read(self, count: int) -> list[tuple[str, dict[str, str]]]:
        def read(r: Any) -> list[tuple[str, dict[str, str]]]:
            reply = r.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=count, block=READ_BLOCK_MS)
            return [entry for _, entries in reply or [] for entry in entries]

        return self.link.call(lambda r: self._in_group(r, read, []), list)

    def _take(self, stream_id: str, fields: dict[str, str] | None, attempt: int) -> None:
        if not fields or "item" not in fields:
            self._forget(stream_id)
            return
        try:
            item = decode_item(fields["item"], stream_id, attempt, fields)
        except (ValueError, KeyError, TypeError):
            logger.error("Dropped a work item of the stream that could not be read (%s)", stream_id)
            self._forget(stream_id)
            return
        with self.lock:
            self.mine[stream_id] = time.monotonic()
        self.pool.submit(item)

    def finished(self, item: WorkItem) -> None:
        """The pool is done with ``item`` (answered, maybe delivered, or given up): acknowledge it with the
        link's next write-behind batch (:class:`bot.stores.WriteBehind`): the pool's collector must not
        wait on Redis, and under load one round trip then carries many items' acknowledgements and the
        contexts their answers set."""
        stream_id = item.stream_id
        if stream_id is None:
            return
        with self.lock:
            self.mine.pop(stream_id, None)
            batched = self._batching and not self._acks_closed
            if batched:  # under the lock: close() cannot slip its mark in between
                self._to_ack.append(stream_id)
                if len(self._to_ack) == 1:  # the first since the last batch took them: one write for all
                    self.link.later.add(self._acknowledge_in)
        if not batched:  # not batching (any more): at once, or another replica would answer it again
            self._forget(stream_id)
        self.room.set()

    def _acknowledge_in(self, pipe: Any) -> None:
        """Write-behind: the items finished until this batch is built, acknowledged in one go."""
        with self.lock:
            stream_ids, self._to_ack = tuple(self._to_ack), []
        if stream_ids:
            forget_in(pipe, stream_ids)

    def _forget(self, *stream_ids: str) -> None:
        """Acknowledge and delete entries (and their posting marks) in one round trip."""
        with self.lock:
            for stream_id in stream_ids:
                self.mine.pop(stream_id, None)

        def done(r: Any) -> None:
            pipe = r.pipeline(transaction=False)
            forget_in(pipe, stream_ids)
            pipe.execute(raise_on_error=False)

        self.link.call(done, lambda: None)

    # ------------------------------------------------------------------ replicas that are gone

    def _refresh(self) -> None:
        """Reset the idle time of the items this replica holds, so no other replica claims them."""
        with self.lock:
            held = list(self.mine)
        if held:
            self.link.call(lambda r: self._in_group(r, lambda r: r.xclaim(STREAM, GROUP, self.consumer, 0, held, justid=True),
                                                    None), lambda: None)

    def _claim(self) -> None:
        """Take over items another replica took and stopped refreshing (it died or hung)."""

        def claim(r: Any) -> list[tuple[str, dict[str, str] | None, int, bool]]:
            reply = r.xautoclaim(STREAM, GROUP, self.consumer, int(self.claim * 1000), "0-0", count=CLAIM_BATCH)
            claimed = []
            for stream_id, fields in reply[1]:
                pending = r.xpending_range(STREAM, GROUP, min=stream_id, max=stream_id, count=1)
                delivered = int(pending[0]["times_delivered"]) if pending else 2
                claimed.append((stream_id, fields, delivered, bool(r.exists(posting_key(stream_id)))))
            return claimed

        claimed = self.link.call(lambda r: self._in_group(r, claim, []), list)
        for stream_id, fields, delivered, posting in claimed:
            with self.lock:
                if stream_id in self.mine:
                    continue  # our own, between two refreshes
            self._claimed(stream_id, fields, delivered, posting)

    def _claimed(self, stream_id: str, fields: dict[str, str] | None, delivered: int, posting: bool) -> None:
        from bot.slack.workers import MAX_ATTEMPTS

        if posting:
            metrics.WORK_CLAIMED.labels(outcome="maybe_delivered").inc()
            DELIVERY.add("answers_maybe_delivered")
            logger.warning("Work item %s of a replica that stopped: its answer was being posted; not sent again", stream_id)
            self._forget(stream_id)
            return
        if delivered <= MAX_ATTEMPTS:
            metrics.WORK_CLAIMED.labels(outcome="answered").inc()
            logger.warning("Work item %s of a replica that stopped answering it is answered here (attempt %d)",
                           stream_id, delivered)
            self._take(stream_id, fields, attempt=delivered)
            return
        metrics.WORK_CLAIMED.labels(outcome="told").inc()
        self._forget(stream_id)
        if not fields or "item" not in fields:
            return
        item = decode_item(fields["item"], stream_id, delivered, fields)
        logger.error("Work item %s was taken by %d replicas and never answered; telling the user", stream_id, delivered - 1)
        on_lost: Callable[[WorkItem], bool] = self.pool.on_lost
        self._told.submit(on_lost, item)


class _Adder:
    """One thread that adds the request threads' items to the stream, all those waiting in one call.

    Why: each request thread had two Redis round trips of its own on the way to its ack (the context
    ``GET``, then the bounded ``XADD``), releasing the interpreter lock to wait on its socket and
    queueing to get it back behind the others (two replicas: the fronts' own ack time 20-35 ms
    against 0.3 ms with one). Now the context is read in the call that adds the item, and a request
    thread only queues its item and sleeps until the call that added it is over, so the ack still
    says the item is in the stream (or that the bot is busy); under load one call carries every item
    queued meanwhile."""

    def __init__(self, add_all: Callable[[list[WorkItem]], list[Any] | None]) -> None:
        self._add_all = add_all
        self._queue: queue.SimpleQueue[tuple[WorkItem, list[Any]]] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="rolecall-stream-adds", daemon=True).start()

    def add(self, item: WorkItem) -> list[Any] | None:
        """``item`` added: [its stream id], [0] when the stream was full, None with Redis away."""
        done = threading.Lock()
        done.acquire()
        waiter: list[Any] = [done, None]
        self._queue.put((item, waiter))
        done.acquire()  # released by the adding thread; every Redis call is bounded by the link's timeouts
        return waiter[1]

    def _run(self) -> None:
        while True:
            batch = take_batch(self._queue, ADD_BATCH)
            try:
                added = self._add_all([item for item, _ in batch])
            except Exception:  # a failure outside Redis (the link never raises): this replica's workers take them
                logger.exception("Could not add work items to the stream")
                added = None
            for n, (_, waiter) in enumerate(batch):
                waiter[1] = None if added is None else [added[n]]
                waiter[0].release()
