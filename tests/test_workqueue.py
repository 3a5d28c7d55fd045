"""The shared work queue (``bot.slack.workqueue``) on a real redis-server: the bound across replicas,
items as stream entries, and the fall-back to the replica's own workers when Redis is away.

The worker pool here is a recorder of what the queue hands it (the real pool, with real worker
processes, is driven by ``test_replicas.py``); Redis is real.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.slack.front import WorkItem
from bot.slack.workqueue import GROUP, STREAM, StreamQueue, decode_item, encode_item
from bot.stores import RedisLink


class RecordingPool:
    """What StreamQueue needs of a WorkerPool: the local limit, room, and where local work goes."""

    def __init__(self, limit: int = 5, room: int = 0) -> None:
        self.limit = limit
        self.room = room
        self.local: list[WorkItem] = []
        self.submitted: list[WorkItem] = []
        self.lost: list[WorkItem] = []
        self.on_finished: Any = None

    def offer(self, item: WorkItem) -> bool:
        self.local.append(item)
        return True

    def submit(self, item: WorkItem) -> None:
        self.submitted.append(item)
        self.room -= 1

    def free_threads(self) -> int:
        return self.room

    def on_lost(self, item: WorkItem) -> bool:
        self.lost.append(item)
        return True


def item(n: int) -> WorkItem:
    return WorkItem(n, f"command=%2Fhiring&text=q{n}", {"content-type": ["application/x-www-form-urlencoded"]},
                    {("thread", "T1", "C1", "1.000"): "ctx", ("dm", "T1", "D1"): None}, wants_ack=False,
                    reach={"user": "U1", "channel": "C1", "thread_ts": None, "response_url": None})


def test_an_item_survives_the_stream_with_its_tuple_context_keys():
    original = item(7)
    back = decode_item(encode_item(original), "1-0", attempt=2)
    assert (back.body, back.headers, back.contexts, back.reach) == (original.body, original.headers, original.contexts,
                                                                     original.reach)
    assert back.stream_id == "1-0" and back.attempt == 2 and not back.wants_ack and back.id != original.id


def test_the_stream_is_bounded_across_replicas_and_read_by_the_one_with_room(redis_server):
    link_a, link_b = RedisLink.from_url(redis_server.url), RedisLink.from_url(redis_server.url)
    pool_a, pool_b = RecordingPool(limit=3), RecordingPool(limit=3)
    a, b = StreamQueue(link_a, pool_a, consumer="a"), StreamQueue(link_b, pool_b, consumer="b")
    assert [a.offer(item(1)), b.offer(item(2)), a.offer(item(3))] == [True, True, True]
    assert b.offer(item(4)) is False and a.offer(item(5)) is False  # the limit holds for both replicas
    assert link_a.client.xlen(STREAM) == 3 and pool_a.local == pool_b.local == []

    pool_b.room = 2
    b.start()
    a.start()  # no room: it takes nothing
    try:
        deadline = time.monotonic() + 10
        while len(pool_b.submitted) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.5)
        assert [i.body for i in pool_b.submitted] == [item(1).body, item(2).body] and pool_a.submitted == []
        b.finished(pool_b.submitted[0])  # done: acknowledged and deleted (by B's acknowledging thread), room for one more
        deadline = time.monotonic() + 5
        while link_a.client.xlen(STREAM) != 2:
            assert time.monotonic() < deadline, link_a.client.xlen(STREAM)
            time.sleep(0.02)
        assert a.offer(item(6)) is True
        assert link_a.client.xpending(STREAM, GROUP)["pending"] == 1
    finally:
        a.stop()
        b.stop()


def test_with_redis_away_the_replica_uses_its_own_workers(redis_server, caplog):
    link = RedisLink.from_url(redis_server.url)
    pool = RecordingPool()
    queue = StreamQueue(link, pool, consumer="a")
    assert queue.offer(item(1)) is True and pool.local == []
    redis_server.stop()
    with caplog.at_level("WARNING", logger="rolecall.stores"):
        assert queue.offer(item(2)) is True and queue.offer(item(3)) is True
    assert [i.body for i in pool.local] == [item(2).body, item(3).body]
    assert len([r for r in caplog.records if "is unreachable" in r.getMessage()]) == 1
    assert "its own answer workers for the work" in caplog.records[0].getMessage()


@pytest.mark.parametrize("posting", [False, True])
def test_items_of_a_replica_that_stopped_are_claimed_by_the_rules(redis_server, posting):
    from bot.slack.workqueue import posting_key

    link = RedisLink.from_url(redis_server.url)
    gone, here = RecordingPool(room=1), RecordingPool()
    dead = StreamQueue(link, gone, consumer="dead", claim=0.3)
    assert dead.offer(item(1))
    [(stream_id, fields)] = dead._read(1)  # the replica that dies took it
    if posting:
        link.client.set(posting_key(stream_id), "1")
    time.sleep(0.4)
    alive = StreamQueue(link, here, consumer="alive", claim=0.3)
    alive._claim()
    if posting:  # its answer was being posted: not done again, and gone from the stream
        assert here.submitted == [] and link.client.xlen(STREAM) == 0
    else:
        assert [(i.body, i.attempt, i.stream_id) for i in here.submitted] == [(item(1).body, 2, stream_id)]
        here.room = 0
        time.sleep(0.4)
        third = RecordingPool()
        other = StreamQueue(link, third, consumer="third", claim=0.3)
        other._claim()  # the claimer died too: a third delivery would be one too many, the user is told
        other._told.shutdown(wait=True)
        assert third.submitted == [] and [i.reach["user"] for i in third.lost] == ["U1"]
        assert link.client.xlen(STREAM) == 0


def test_an_item_finished_after_the_queue_closed_is_still_acknowledged(redis_server):
    """Shutting down, the pool may finish an item after the queue stopped batching acknowledgements: it is
    acknowledged at once, not left pending for another replica to claim and answer again."""
    link = RedisLink.from_url(redis_server.url)
    pool = RecordingPool(room=1)
    queue = StreamQueue(link, pool, consumer="leaving", claim=0.3)
    assert queue.offer(item(1))
    queue.start()
    try:
        deadline = time.monotonic() + 10
        while not pool.submitted:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        queue.stop()
    queue.close()  # acknowledgements are no longer batched
    pool.on_finished(pool.submitted[0])  # the item in hand finishes only now
    assert link.client.xpending(STREAM, GROUP)["pending"] == 0 and link.client.xlen(STREAM) == 0
    time.sleep(0.4)
    later = RecordingPool(room=1)
    other = StreamQueue(link, later, consumer="other", claim=0.3)
    other._claim()
    assert later.submitted == []  # nobody answers it again


def wait_for(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_hand_off_reads_the_contexts_it_rereads_from_redis_in_the_call_that_adds_it(redis_server):
    """An item's ``reread`` contexts come from Redis as it is added (one round trip for both): Redis's value
    where it has one, the front's own where it has none; the contexts it does not reread stay as they were.
    Items offered at once by many request threads are added by fewer calls than items."""
    import threading

    from bot.stores import CONTEXT_NAME, redis_key

    link = RedisLink.from_url(redis_server.url)
    pool = RecordingPool(limit=100, room=100)
    queue = StreamQueue(link, pool, consumer="a")
    thread_key, dm_key = ("thread", "T1", "C1", "1.000"), ("dm", "T1", "D1")
    link.client.set(redis_key(CONTEXT_NAME, thread_key), "ctx from another replica")
    link.client.set(redis_key(CONTEXT_NAME, ("dm", "T1", "D2")), "not asked for")
    calls: list[int] = []
    add_all = queue._add_all

    def counted(items: list[WorkItem]) -> Any:
        calls.append(len(items))
        return add_all(items)

    queue._add_all = counted  # type: ignore[method-assign]
    queue.start()
    try:
        first = item(1)
        first.reread = (thread_key, dm_key)
        assert queue.offer(first) is True
        wait_for(lambda: len(pool.submitted) == 1)
        assert pool.submitted[0].contexts == {thread_key: "ctx from another replica", dm_key: None}
        kept = item(2)  # not reread: the value the front had (a context it set and has not sent yet)
        assert queue.offer(kept) is True
        wait_for(lambda: len(pool.submitted) == 2)
        assert pool.submitted[1].contexts == {thread_key: "ctx", dm_key: None}

        outcomes: list[Any] = []
        threads = [threading.Thread(target=lambda n=n: outcomes.append(queue.offer(item(n)))) for n in range(10, 40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_for(lambda: len(pool.submitted) == 32)
        assert sorted(i.body for i in pool.submitted[2:]) == sorted(item(n).body for n in range(10, 40))
        assert len(calls) < 32 and sum(calls) == 32
        assert outcomes == [True] * 30
    finally:
        queue.stop()
