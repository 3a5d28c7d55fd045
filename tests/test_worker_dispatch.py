"""The answer worker's fast path for ``/hiring`` against its Bolt dispatch (bot/slack/workers.py).

Two worker dispatchers (:func:`bot.slack.workers.build_worker_app`) over one real engine of the seeds,
one with its fast path and one sending every item through Bolt, run the same work items the way a
worker does (:func:`bot.slack.workers.run_item`, its messages to the front on a real pipe) against
the fake Slack over HTTP on 127.0.0.1. Each must post the same message to the same ``response_url``,
tell the front the same things (the "delivering" note with the contexts set, then "done" with
only the contexts the front has not had yet), log the same lines and write the same question-log rows.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine import Engine
from bot.slack.config import SlackConfig
from bot.slack.conversation import command_key
from bot.slack.front import WorkItem
from bot.slack.workers import WorkerDispatch, _Outbox, build_worker_app, run_item
from fake_slack import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlack, command_body

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FORM = {"content-type": ["application/x-www-form-urlencoded"]}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeSlack, Engine, WorkerDispatch, WorkerDispatch]]:
    engine = Engine(SEEDS, tmp_path_factory.mktemp("dispatch") / "seeds.sqlite")
    with FakeSlack() as fake:
        config = SlackConfig(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url)
        yield fake, engine, build_worker_app(engine, config), build_worker_app(engine, config, fast=False)


class Through:
    """Counts the items a dispatcher sent through Bolt."""

    def __init__(self, dispatch: WorkerDispatch) -> None:
        self.count = 0
        original = dispatch.app.dispatch

        def counted(request: Any) -> Any:
            self.count += 1
            return original(request)

        dispatch.app.dispatch = counted  # type: ignore[method-assign]


def run(dispatch: WorkerDispatch, item: WorkItem) -> list[tuple[Any, ...]]:
    """``item`` run as a worker runs it; what it told the front, in order."""
    received, sent = multiprocessing.Pipe(duplex=False)
    run_item(dispatch, item, _Outbox(sent))
    messages = []
    while received.poll():
        messages.append(received.recv())
    return messages


def told(messages: list[tuple[Any, ...]], item: WorkItem) -> list[tuple[Any, ...]]:
    """The messages without what differs by nature (metrics events, timings)."""
    out = []
    for message in messages:
        if message[0] == "done":
            result = message[1]
            assert result.id == item.id
            out.append(("done", result.contexts, result.ack))
        elif message[0] == "delivering":
            assert message[1] == item.id
            out.append(("delivering", message[2]))
        else:
            out.append(message)
    return out


def rows(engine: Engine, since: int) -> list[tuple[Any, ...]]:
    with sqlite3.connect(engine.log.path) as db:  # type: ignore[union-attr]
        return db.execute("select surface, user_hash, question, normalized, intent, status, roles, scores from questions"
                          " where id > ? order by id", (since,)).fetchall()


def last_row(engine: Engine) -> int:
    with sqlite3.connect(engine.log.path) as db:  # type: ignore[union-attr]
        return int(db.execute("select coalesce(max(id), 0) from questions").fetchone()[0])


def without_row_ids(value: Any) -> Any:
    """A posted message with its feedback buttons' question-log row ids taken out (each answer has its own)."""
    if isinstance(value, dict):
        if str(value.get("action_id", "")).startswith("feedback:"):
            return {**value, "value": {k: v for k, v in json.loads(value["value"]).items() if k != "id"}}
        return {k: without_row_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_row_ids(v) for v in value]
    return value


@pytest.mark.parametrize("text", ["what grade is the Manager, Sales Operations?", "who reports to the Manager, Sales Operations?",
                                  "help", "gaps 7", "", "chief happiness officer"])
def test_a_command_posts_tells_and_logs_the_same_on_both_paths(setup, caplog, text):
    fake, engine, fast, bolt = setup
    through_fast, through_bolt = Through(fast), Through(bolt)
    outcome = {}
    channel = "C0SAME"
    for name, dispatch in (("fast", fast), ("bolt", bolt)):
        tag = f"{name}-{len(fake.calls())}"
        item = WorkItem(len(fake.calls()) + 1, command_body(text, channel=channel, user="U0ALICE",
                                                            response_url=fake.response_url(tag)),
                        FORM, {command_key(TEAM_ID, channel, "U0ALICE"): None}, wants_ack=False, reach={})
        before = last_row(engine)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            messages = run(dispatch, item)
        outcome[name] = {
            "posts": [without_row_ids(c.params) for c in fake.calls("response_url") if c.path.endswith(f"/{tag}")],
            "told": told(messages, item),
            "logged": [(r.levelname, r.name, r.getMessage()) for r in caplog.records],
            "rows": rows(engine, before),
        }
    assert (through_fast.count, through_bolt.count) == (0, 1)  # the fast path took it, without Bolt
    assert outcome["fast"] == outcome["bolt"]
    assert len(outcome["fast"]["posts"]) == 1
    assert outcome["fast"]["told"][-1][0] == "done"


def test_an_answer_hands_its_context_over_before_posting_and_not_again_when_done(setup):
    fake, engine, fast, _ = setup
    channel = "C0CONTEXT"
    key = command_key(TEAM_ID, channel, "U0ALICE")
    item = WorkItem(99, command_body("what grade is the Manager, Sales Operations?", channel=channel, user="U0ALICE",
                                     response_url=fake.response_url("context")), FORM, {key: None}, wants_ack=False, reach={})
    messages = told(run(fast, item), item)
    assert [m[0] for m in messages] == ["delivering", "done"]
    assert list(messages[0][1]) == [key] and messages[0][1][key]  # the new context, before the answer is posted
    assert messages[1][1] == {}  # the result does not hand it again (it could overwrite a follow-up's newer one)


def test_what_is_not_a_command_still_goes_through_bolt(setup):
    fake, _, fast, _ = setup
    through = Through(fast)
    body = command_body("help", channel="C0JSON", user="U0ALICE", response_url=fake.response_url("json"))
    as_json = json.dumps(dict(urllib.parse.parse_qsl(body)))
    for item_body, headers in ((as_json, {"content-type": ["application/json"]}),
                               (body.replace("%2Fhiring", "%2Fother"), FORM),
                               (body + "&ssl_check=1", FORM)):
        run(fast, WorkItem(1, item_body, headers, {}, wants_ack=False, reach={}))
    assert through.count == 3
