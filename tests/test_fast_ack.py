"""The front's fast path for ``/hiring`` against its Bolt path, over real HTTP on 127.0.0.1.

Two fronts (:func:`bot.slack.front.build_front_app`) against the fake Slack, one serving with the fast
path and one without (every request through Bolt), get the very same signed bytes; each must give the
same HTTP reply and hand the same work item to its (recording) pool: the context read, the reach,
the body and headers as Slack sent them. Refusals (bad signature, stale timestamp, a channel outside
the allowlist, a full queue) are compared the same way, and requests the fast path does not take
(events, their retries) are shown to still go through Bolt.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot import metrics
from bot.slack.config import Access, SlackConfig
from bot.slack.core import NOT_ENABLED_CHANNEL
from bot.slack.conversation import command_key
from bot.slack.front import BUSY, FrontBot, WorkItem, build_front_app
from bot.slack.server import HttpServer, make_wsgi_app
from fake_slack import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlack, SlackSender, command_body

ALLOWED = "C0ALLOWED"


@dataclass
class Pool:
    """What the front hands work to: records each item; ``full`` makes it refuse like a full queue."""

    items: list[WorkItem] = field(default_factory=list)
    full: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def offer(self, item: WorkItem) -> bool:
        if self.full:
            return False
        with self.lock:
            self.items.append(item)
        return True

    def call(self, item: WorkItem, timeout: float) -> None:
        return None


@dataclass
class Served:
    url: str
    pool: Pool
    bot: FrontBot
    server: HttpServer


@dataclass
class Reply:
    status: int
    content_type: str | None
    body: str


@pytest.fixture(scope="module")
def fronts() -> Iterator[tuple[Served, Served]]:
    """(fast, bolt): the same front served with and without its fast path."""
    with FakeSlack() as fake:
        config = SlackConfig(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url,
                             access=Access(channels=frozenset({ALLOWED})))
        served = []
        for use_fast in (True, False):
            pool = Pool()
            app, bot = build_front_app(config, pool.offer, pool.call)
            wsgi = make_wsgi_app(app, None, SIGNING_SECRET, health_check=lambda: ("200 OK", {}),
                                 fast=bot.fast if use_fast else None)
            server = HttpServer(wsgi, "127.0.0.1", 0, threads=4).start_in_thread()
            served.append(Served(server.url, pool, bot, server))
        try:
            yield served[0], served[1]
        finally:
            for one in served:
                one.server.stop()


def post(url: str, body: str, content_type: str, headers: dict[str, str]) -> Reply:
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.headers.get("Content-Type"), response.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers.get("Content-Type"), error.read().decode())


def command_form(text: str, channel: str, user: str = "U0ALICE") -> str:
    return command_body(text, channel=channel, user=user, response_url=f"http://127.0.0.1:9/response/{channel}")


def signed(body: str, *, timestamp: str | None = None, signature: str | None = None) -> dict[str, str]:
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    sender = SlackSender("http://unused", signing_secret=SIGNING_SECRET)
    return {"X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sender.sign(body, timestamp) if signature is None else signature}


def work_of(item: WorkItem) -> dict[str, Any]:
    """An item without what differs between two fronts by nature (its id, time, the Host header's port)."""
    headers = {k: v for k, v in item.headers.items() if k != "host"}
    return {"body": item.body, "headers": headers, "contexts": item.contexts, "wants_ack": item.wants_ack,
            "reach": item.reach, "attempt": item.attempt}


def send_both(fronts: tuple[Served, Served], body: str, content_type: str, headers: dict[str, str]
              ) -> tuple[Reply, Reply, list[WorkItem], list[WorkItem]]:
    """The same bytes to both fronts; their replies and the items each handed on for it."""
    fast, bolt = fronts
    before = len(fast.pool.items), len(bolt.pool.items)
    fast_reply = post(fast.url, body, content_type, headers)
    bolt_reply = post(bolt.url, body, content_type, headers)
    return fast_reply, bolt_reply, fast.pool.items[before[0]:], bolt.pool.items[before[1]:]


def fast_acks() -> float:
    return metrics.FAST_ACKS._value.get()  # noqa: SLF001 - prometheus-client's own counter value


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("text", ["what grade is a backend engineer?", "help", "gaps 7", "", "  compare two roles  "])
def test_a_command_gets_the_same_ack_and_the_same_work_on_both_paths(fronts, text):
    body = command_form(text, ALLOWED)
    taken = fast_acks()
    fast_reply, bolt_reply, fast_items, bolt_items = send_both(fronts, body, FORM, signed(body))
    assert fast_acks() == taken + 1  # the fast front took it, without Bolt
    assert fast_reply == bolt_reply
    assert fast_reply.status == 200 and fast_reply.body == ""
    assert len(fast_items) == len(bolt_items) == 1
    assert work_of(fast_items[0]) == work_of(bolt_items[0])
    assert fast_items[0].body == body and fast_items[0].wants_ack is False
    assert fast_items[0].reach == {"user": "U0ALICE", "channel": ALLOWED, "thread_ts": None,
                                   "response_url": f"http://127.0.0.1:9/response/{ALLOWED}"}


def test_the_conversation_context_read_travels_with_the_work_alike(fronts):
    key = command_key(TEAM_ID, ALLOWED, "U0CONTEXT")
    for served in fronts:
        served.bot.contexts.set(key, "Backend Engineer")
    body = command_form("and what grade is it?", ALLOWED, user="U0CONTEXT")
    fast_reply, bolt_reply, fast_items, bolt_items = send_both(fronts, body, FORM, signed(body))
    assert fast_reply == bolt_reply
    assert fast_items[0].contexts == bolt_items[0].contexts == {key: "Backend Engineer"}
    assert work_of(fast_items[0]) == work_of(bolt_items[0])


def test_a_command_bolt_reads_otherwise_goes_through_bolt_on_both(fronts):
    """Bolt reads a form mentioning "payload" as an interactive payload; the fast path leaves it to Bolt."""
    body = command_form("what is in the payload of a backend engineer?", ALLOWED)
    taken = fast_acks()
    fast_reply, bolt_reply, fast_items, bolt_items = send_both(fronts, body, FORM, signed(body))
    assert fast_acks() == taken
    assert fast_reply == bolt_reply
    assert [work_of(i) for i in fast_items] == [work_of(i) for i in bolt_items]


def test_a_repeated_field_is_read_as_bolt_reads_it(fronts):
    body = command_form("what grade is a backend engineer?", ALLOWED) + "&text=" + urllib.parse.quote("help")
    taken = fast_acks()
    fast_reply, bolt_reply, fast_items, bolt_items = send_both(fronts, body, FORM, signed(body))
    assert fast_acks() == taken + 1
    assert fast_reply == bolt_reply
    assert len(fast_items) == len(bolt_items) == 1
    assert work_of(fast_items[0]) == work_of(bolt_items[0]) and fast_items[0].contexts == {}  # "help": no context read


def test_a_channel_outside_the_allowlist_is_refused_in_the_same_ack_with_no_work(fronts):
    body = command_form("what grade is a backend engineer?", "C0ELSEWHERE")
    fast_reply, bolt_reply, fast_items, bolt_items = send_both(fronts, body, FORM, signed(body))
    assert fast_reply == bolt_reply
    assert fast_reply.status == 200 and fast_reply.content_type == "application/json;charset=utf-8"
    refusal = json.loads(fast_reply.body)
    assert refusal == {"text": NOT_ENABLED_CHANNEL, "response_type": "ephemeral"}
    assert fast_items == bolt_items == []


@pytest.mark.parametrize("forge", ["bad signature", "stale timestamp", "junk timestamp", "no signature"])
def test_forged_or_stale_requests_are_refused_alike_before_either_path(fronts, forge):
    body = command_form("what grade is a backend engineer?", ALLOWED)
    stale = str(int(time.time()) - 6 * 60)
    headers = {
        "bad signature": signed(body, signature="v0=" + "0" * 64),
        "stale timestamp": signed(body, timestamp=stale),
        "junk timestamp": signed(body, timestamp="soon"),
        "no signature": {},
    }[forge]
    taken = fast_acks()
    fast_reply, bolt_reply, fast_items, bolt_items = send_both(fronts, body, FORM, headers)
    assert fast_reply == bolt_reply
    assert fast_reply.status == 401 and json.loads(fast_reply.body) == {"error": "invalid signature"}
    assert fast_items == bolt_items == []
    assert fast_acks() == taken


def test_a_full_queue_gives_the_same_busy_ack_on_both_paths(fronts):
    body = command_form("what grade is a backend engineer?", ALLOWED)
    for served in fronts:
        served.pool.full = True
    try:
        fast_reply, bolt_reply, fast_items, bolt_items = send_both(fronts, body, FORM, signed(body))
    finally:
        for served in fronts:
            served.pool.full = False
    assert fast_reply == bolt_reply
    assert json.loads(fast_reply.body) == {"text": BUSY, "response_type": "ephemeral"}
    assert fast_items == bolt_items == []


def test_events_and_their_retries_still_go_through_bolt_and_are_handed_on_once(fronts):
    event = {"type": "app_mention", "user": "U0ALICE", "text": "<@U0BOT> what grade is a backend engineer?",
             "channel": ALLOWED, "ts": "1700000000.000100", "event_ts": "1700000000.000100"}
    envelope = json.dumps({"token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": "A0ROLECALL",
                           "event": event, "type": "event_callback", "event_id": "Ev0FASTACK1",
                           "event_time": int(time.time()),
                           "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}]})
    taken = fast_acks()
    first = send_both(fronts, envelope, "application/json", signed(envelope))
    retry = send_both(fronts, envelope, "application/json", {**signed(envelope), "X-Slack-Retry-Num": "1",
                                                             "X-Slack-Retry-Reason": "http_timeout"})
    assert fast_acks() == taken  # not the fast path's
    for fast_reply, bolt_reply, fast_items, bolt_items in (first, retry):
        assert fast_reply == bolt_reply and fast_reply.status == 200
    assert len(first[2]) == len(first[3]) == 1 and work_of(first[2][0]) == work_of(first[3][0])
    assert retry[2] == retry[3] == []


def test_url_verification_still_answers_its_challenge(fronts):
    body = json.dumps({"token": "legacy-verification-token", "challenge": "c-123", "type": "url_verification"})
    fast_reply, bolt_reply, _, _ = send_both(fronts, body, "application/json", signed(body))
    assert fast_reply == bolt_reply and fast_reply.status == 200 and "c-123" in fast_reply.body
