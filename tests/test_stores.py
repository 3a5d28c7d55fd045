"""Dedupe and conversation context shared through a real Redis, and what happens when Redis goes away.

The stores (``bot/stores.py``) are memory by default and Redis when ``ROLECALL_REDIS_URL`` is set.
Two ``RedisLink``s on one server stand for two replicas. The server is a real ``redis-server``
started by the test (``conftest.redis_server``), stopped and restarted in the middle of a run.
"""

from __future__ import annotations

import logging
import time

import pytest

from bot import stores
from bot.answer import Context
from bot.slack.config import ConfigError, SlackConfig
from bot.slack.state import ExpiringMap
from bot.stores import RedisContexts, RedisLink, RedisSeen, StoreConfigError, redis_key


def replica(url: str, *, ttl: float = 60.0, retry_seconds: float = 0.2) -> tuple[RedisSeen, RedisContexts]:
    """The stores one process would have (its own connection pool and local maps)."""
    link = RedisLink.from_url(url, retry_seconds=retry_seconds)
    return (RedisSeen(link, "event", ttl, ExpiringMap(ttl)), RedisContexts(link, "context", ttl, ExpiringMap(ttl)))


def messages(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "rolecall.stores" and text in r.getMessage()]


def test_without_a_redis_url_the_stores_are_this_process_memory(monkeypatch):
    monkeypatch.delenv("ROLECALL_REDIS_URL", raising=False)
    assert isinstance(stores.seen_store("event", 60), ExpiringMap)
    assert isinstance(stores.context_store(60), ExpiringMap)


def test_with_a_redis_url_the_slack_bot_shares_its_state_through_redis(monkeypatch, redis_server, engine):
    from bot.slack.core import SlackBot
    from bot.slack.middleware import DedupeEvents

    monkeypatch.setenv("ROLECALL_REDIS_URL", redis_server.url)
    bot = SlackBot(engine, context_ttl=1800)
    assert isinstance(bot.contexts, RedisContexts) and isinstance(bot.answered, RedisSeen)
    assert isinstance(DedupeEvents().seen, RedisSeen)
    assert bot.contexts.link is bot.answered.link  # one pool, one up/down state per process
    bot.work.shutdown()


def test_an_event_is_claimed_once_across_replicas(redis_server):
    (seen_a, _), (seen_b, _) = replica(redis_server.url), replica(redis_server.url)
    assert seen_a.add_new("Ev0001") is True
    assert seen_b.add_new("Ev0001") is False
    assert seen_a.add_new("Ev0001") is False
    assert seen_b.add_new(("C0001", "1700000000.000100")) is True  # (channel, ts) of an answered message
    assert seen_a.add_new(("C0001", "1700000000.000100")) is False
    import redis

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    assert 0 < client.ttl(redis_key("event", "Ev0001")) <= 60  # SET NX EX: it goes away on its own


def test_a_context_set_on_one_replica_is_read_on_the_other_and_expires(redis_server):
    (_, contexts_a), (_, contexts_b) = replica(redis_server.url, ttl=1), replica(redis_server.url, ttl=1)
    key = ("thread", "T0TEST", "C0001", "1700000000.000100")
    value = Context("Associate Sales Operations Analyst", "sales--sales-operations.md", intent="reports_to").encode()
    contexts_a.set(key, value)
    assert contexts_b.get(key) == value
    assert Context.decode(contexts_b.get(key)).role == "Associate Sales Operations Analyst"
    import redis

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    assert client.get(redis_key("context", key)) == value  # the very string Slack memory stores
    time.sleep(1.3)
    assert contexts_b.get(key) is None


def wait_until(check, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def test_a_context_set_soon_is_read_here_at_once_and_reaches_the_other_replica_through_redis(redis_server):
    (_, contexts_a), (_, contexts_b) = replica(redis_server.url), replica(redis_server.url)
    import redis

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    keys = [("thread", "T0TEST", "C0001", f"1700000000.{n:06d}") for n in range(300)]
    for key in keys:
        contexts_a.set(key, "old")
    for n, key in enumerate(keys):
        contexts_a.set_soon(key, f"new-{n}")
        assert contexts_a.get(key) == f"new-{n}"  # this process never reads the older value back from Redis
    assert wait_until(lambda: all(contexts_b.get(key) == f"new-{n}" for n, key in enumerate(keys)))
    assert client.get(redis_key("context", keys[-1])) == "new-299"
    assert 0 < client.ttl(redis_key("context", keys[0])) <= 60  # with the store's expiry, as set() does
    assert wait_until(lambda: not contexts_a._pending)  # each sent value is read from Redis again


def test_a_context_set_soon_while_redis_is_away_stays_in_this_process(redis_server, caplog):
    caplog.set_level(logging.INFO, logger="rolecall.stores")
    _, contexts = replica(redis_server.url, retry_seconds=0.2)
    contexts.set(("dm", "T", "D1"), "before")
    redis_server.stop()
    for n in range(50):
        contexts.set_soon(("dm", "T", "D1"), f"down-{n}")
    assert contexts.get(("dm", "T", "D1")) == "down-49"
    assert wait_until(lambda: not contexts._pending)
    assert contexts.get(("dm", "T", "D1")) == "down-49"  # from the local map: Redis is away
    assert len(messages(caplog, "is unreachable")) == 1


def test_redis_stopped_and_restarted_mid_run_degrades_to_memory_logged_once_each_way(redis_server, caplog):
    caplog.set_level(logging.INFO, logger="rolecall.stores")
    seen, contexts = replica(redis_server.url, retry_seconds=0.2)
    other_seen, other_contexts = replica(redis_server.url, retry_seconds=0.2)
    assert seen.add_new("Ev-before")
    contexts.set(("dm", "T", "D1"), "before")

    redis_server.stop()
    started = time.monotonic()
    for n in range(50):  # nothing raises; this process's own memory answers
        assert seen.add_new(f"Ev-down-{n}") is True
        assert seen.add_new(f"Ev-down-{n}") is False
        assert seen.add_new("Ev-before") is False  # remembered locally too
        contexts.set(("dm", "T", "D2"), f"down-{n}")
        assert contexts.get(("dm", "T", "D2")) == f"down-{n}"
        assert contexts.get(("dm", "T", "D1")) == "before"
    assert time.monotonic() - started < 5, "calls must not each wait for a connection timeout"
    assert not seen.link.up
    assert len(messages(caplog, "is unreachable")) == 1
    assert messages(caplog, "is reachable again") == []

    redis_server.start()  # same port, empty: a restart
    time.sleep(0.3)  # past retry_seconds: the next call tries Redis again
    assert seen.add_new("Ev-after") is True
    assert other_seen.add_new("Ev-after") is False  # shared again
    contexts.set(("dm", "T", "D3"), "after")
    assert other_contexts.get(("dm", "T", "D3")) == "after"
    assert contexts.get(("dm", "T", "D2")) == "down-49"  # set while Redis was away: still known here
    assert seen.link.up
    # Once each way. The other replica made no call while Redis was away: its pooled connection,
    # closed by the restart, is replaced by the one immediate retry, so it logs nothing at all.
    assert len(messages(caplog, "is unreachable")) == 1
    assert len(messages(caplog, "is reachable again")) == 1
    assert other_seen.link.up
    for _ in range(20):
        seen.add_new("Ev-after")
    assert len(messages(caplog, "is unreachable")) == 1 and len(messages(caplog, "is reachable again")) == 1


def test_a_redis_that_is_not_there_at_start_never_stops_the_bot(caplog):
    from servers import free_port

    caplog.set_level(logging.INFO, logger="rolecall.stores")
    seen, contexts = replica(f"redis://127.0.0.1:{free_port()}/0", retry_seconds=30)
    started = time.monotonic()
    for n in range(200):
        assert seen.add_new(n) is True
        contexts.set("k", str(n))
    assert contexts.get("k") == "199"
    assert time.monotonic() - started < 3
    assert len(messages(caplog, "is unreachable")) == 1


def test_the_redis_password_is_never_logged(caplog):
    from servers import free_port

    caplog.set_level(logging.INFO, logger="rolecall.stores")
    seen, _ = replica(f"redis://:s3cret-pass@127.0.0.1:{free_port()}/2")
    seen.add_new("x")
    assert "s3cret-pass" not in caplog.text and "127.0.0.1" in caplog.text and "/2" in caplog.text


def test_a_malformed_redis_url_stops_start_up_by_name():
    with pytest.raises(StoreConfigError):
        RedisLink.from_url("localhost:6379")
    with pytest.raises(ConfigError, match="ROLECALL_REDIS_URL must be a redis://"):
        SlackConfig.from_env({"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s", "ROLECALL_REDIS_URL": "localhost:6379"})
    SlackConfig.from_env({"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s", "ROLECALL_REDIS_URL": "redis://h:6379/0"})


def test_a_context_read_at_the_hand_off_is_left_to_the_queue_unless_this_process_has_a_newer_one(redis_server):
    """The front's context read on the way to a hand-off through the shared stream does not ask Redis (the
    stream's add reads it, bot.slack.workqueue): the key is left for the queue to read, with this process's
    own value as the fallback; a value this process set and has not sent yet is newer than Redis's, so it
    is used as it is and not read again."""
    from bot.slack.state import FrontContexts

    link = RedisLink.from_url(redis_server.url)
    store = RedisContexts(link, "context", 60, ExpiringMap(60))
    link.client.set(redis_key("context", ("dm", "T1", "D1")), "in redis")
    noted: dict = {}
    later: list = []
    contexts = FrontContexts(store, lambda: noted, lambda: later)
    assert contexts.get(("dm", "T1", "D1")) is None and later == [("dm", "T1", "D1")]
    store.local.set(("dm", "T1", "D2"), "set here while redis was away")
    assert contexts.get(("dm", "T1", "D2")) == "set here while redis was away" and later[-1] == ("dm", "T1", "D2")
    store._pending[("dm", "T1", "D3")] = "set here, not sent yet"
    assert contexts.get(("dm", "T1", "D3")) == "set here, not sent yet" and len(later) == 2
    assert noted == {("dm", "T1", "D1"): None, ("dm", "T1", "D2"): "set here while redis was away",
                     ("dm", "T1", "D3"): "set here, not sent yet"}
    outside = FrontContexts(store, lambda: noted, lambda: None)  # no hand-off to the stream: Redis read now
    assert outside.get(("dm", "T1", "D1")) == "in redis"
