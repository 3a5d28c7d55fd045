"""Two `rolecall serve` replicas behind one "load balancer", sharing one Redis and one PostgreSQL.

Real processes (HTTP mode, 127.0.0.1), a real ``redis-server`` and a real PostgreSQL started by the
tests, the fake Slack, and signed requests sent to one replica or the other, the way a load balancer
spreads them. Each replica has its own index file, as on two hosts.
"""

from __future__ import annotations

import json
import os
import signal
import urllib.request
import subprocess
import sys
import threading
import time

import pytest

from bot.slack.blocks import feedback_log_id
from conftest import ROOT, SEEDS
from fake_slack import BOT_TOKEN, BOT_USER_ID, SIGNING_SECRET, FakeSlack, SlackSender, wait_for_health
from servers import free_port
from test_slack_server import SLACK_VARIABLES

SHARED_VARIABLES = ("ROLECALL_REDIS_URL", "ROLECALL_DATABASE_URL", "ROLECALL_QUESTION_LOG", "ROLECALL_LOG_SALT",
                    "ROLECALL_WORK_CLAIM_SECONDS", "ROLECALL_WORKERS")
CLAIM_SECONDS = 2.0


class Replica:
    def __init__(self, process: subprocess.Popen, port: int, fake: FakeSlack) -> None:
        self.process = process
        self.port = port
        self.slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", fake=fake)
        self.output = ""
        self.killed = False  # by the test, on purpose: no clean exit expected

    def health(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as response:
            return json.loads(response.read())

    def metric(self, name: str, **labels: str) -> float:
        """One sample of /metrics (0 when absent)."""
        wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
            for line in response.read().decode().splitlines():
                sample, _, value = line.rpartition(" ")
                if sample == wanted:
                    return float(value)
        return 0.0


@pytest.fixture
def replicas(tmp_path, redis_server, database_url):
    import psycopg

    with FakeSlack() as fake:
        started: list[Replica] = []
        for name in ("a", "b"):
            port = free_port()
            env = {
                **{k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES + SHARED_VARIABLES},
                "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url,
                "HOST": "127.0.0.1", "PORT": str(port), "ROLECALL_SEEDS": str(SEEDS),
                "ROLECALL_DB": str(tmp_path / f"index-{name}.sqlite"), "ROLECALL_RELOAD_SECONDS": "0",
                "ROLECALL_REDIS_URL": redis_server.url, "ROLECALL_DATABASE_URL": database_url,
                "ROLECALL_WORK_CLAIM_SECONDS": str(CLAIM_SECONDS), "ROLECALL_WORKERS": "2",
            }
            process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=env, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            started.append(Replica(process, port, fake))
        try:
            for replica in started:
                wait_for_health(f"http://127.0.0.1:{replica.port}/healthz", replica.process, timeout=60)
            yield started, fake, redis_server, lambda: psycopg.connect(database_url)
        finally:
            running = [replica for replica in started if replica.process.returncode is None]  # a test may have stopped some
            for replica in running:
                replica.process.send_signal(signal.SIGTERM)
            for replica in running:
                try:
                    replica.output = replica.process.communicate(timeout=20)[0]
                except subprocess.TimeoutExpired:
                    replica.process.kill()
                    replica.output = replica.process.communicate(timeout=10)[0]
    for replica in (r for r in started if not r.killed):
        assert replica.process.returncode == 0, replica.output
        assert "Traceback" not in replica.output, replica.output
        assert BOT_TOKEN not in replica.output and SIGNING_SECRET not in replica.output


def settle(fake: FakeSlack, method: str, count: int, seconds: float = 1.0) -> list:
    """Wait for ``count`` calls, then a while longer, so a duplicate would have arrived too."""
    fake.wait_for(method, count)
    time.sleep(seconds)
    return fake.calls(method)


def test_two_replicas_share_dedupe_context_feedback_and_the_question_log(replicas):
    (a, b), fake, _, database = replicas

    # The same event delivered to both (Slack's retry reaching the other replica), at the same moment.
    channel = a.slack.new_id("C")
    ts = a.slack.new_ts()
    both = [threading.Thread(target=lambda r=r, n=n: r.slack.mention("what's grade 7?", channel=channel, ts=ts,
                                                                         event_id="Ev0SAME", retry_num=n))
            for n, r in enumerate((a, b))]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    posts = settle(fake, "chat.postMessage", 1)
    assert len(posts) == 1 and "Sr. Sales Operations Manager" in posts[0].mrkdwn()

    # One DM with a mention arrives twice, as message.im on A and app_mention on B: answered once.
    dm_channel = a.slack.new_id("D")
    _, dm = a.slack.dm(f"<@{BOT_USER_ID}> who reports to the Manager, Sales Operations?", channel=dm_channel)
    mention = {**dm, "type": "app_mention"}
    del mention["channel_type"]
    assert b.slack.event(mention).status == 200
    posts = settle(fake, "chat.postMessage", 2)
    assert len(posts) == 2

    # A thread follow-up on the other replica keeps the thread's role.
    thread_channel = a.slack.new_id("C")
    _, first = a.slack.mention("who does the Associate Sales Operations Analyst report to?", channel=thread_channel)
    answer = fake.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == first["ts"])[0]
    assert "Manager, Sales Operations" in answer.mrkdwn()
    b.slack.mention("and what grade is it?", channel=thread_channel, thread_ts=first["ts"], ts=b.slack.new_ts())
    posts = fake.wait_for("chat.postMessage", 4)
    follow_up = [c for c in posts if c.params.get("thread_ts") == first["ts"]][-1]
    assert "*Associate Sales Operations Analyst* is grade 5" in follow_up.mrkdwn()

    # A feedback click on the other replica is recorded (row ids are global), once per user.
    log_id = feedback_log_id(answer.button("Not helpful")["value"])
    assert b.slack.click(answer.button("Not helpful"), origin=answer, user="U0BOB").status == 200
    thanks = fake.wait_for("chat.postEphemeral")[0]
    assert thanks.params["user"] == "U0BOB"
    assert a.slack.click(answer.button("Not helpful"), origin=answer, user="U0BOB").status == 200  # a double click, on A
    settle(fake, "chat.postEphemeral", 2)
    with database() as conn:
        rows = conn.execute("select q.question, f.helpful from feedback f join questions q on q.id = f.question_id").fetchall()
        assert rows == [("who does the Associate Sales Operations Analyst report to?", 0)]
        assert conn.execute("select question_id from feedback").fetchone()[0] == log_id

        # One question-log row per question asked, whichever replica answered it.
        logged = conn.execute("select surface, question from questions order by id").fetchall()
    assert sorted(logged) == sorted([
        ("slack:mention", "what's grade 7?"),
        ("slack:dm", "who reports to the Manager, Sales Operations?"),
        ("slack:mention", "who does the Associate Sales Operations Analyst report to?"),
        ("slack:mention", "and what grade is it?"),
    ]) or sorted(logged) == sorted([  # the DM's copy that won may be either delivery
        ("slack:mention", "what's grade 7?"),
        ("slack:mention", "who reports to the Manager, Sales Operations?"),
        ("slack:mention", "who does the Associate Sales Operations Analyst report to?"),
        ("slack:mention", "and what grade is it?"),
    ]), logged
    assert len(fake.calls("chat.postMessage")) == 4


def test_replicas_keep_answering_while_redis_restarts(replicas):
    from bot.slack.workqueue import READ_BLOCK_MS

    (a, b), fake, redis_server, database = replicas
    channel = a.slack.new_id("C")
    # Work goes through the shared stream: B is paused so that A's workers answer the first question
    # (and A's memory has its context when Redis goes away).
    os.kill(b.process.pid, signal.SIGSTOP)
    try:
        time.sleep(4 * READ_BLOCK_MS / 1000)  # the read B had waiting in Redis has expired
        _, first = a.slack.mention("who does the Associate Sales Operations Analyst report to?", channel=channel)
        fake.wait_for("chat.postMessage", 1)
    finally:
        os.kill(b.process.pid, signal.SIGCONT)

    redis_server.stop()
    _, during = a.slack.mention("what's grade 7?")  # Redis is away: answered from local state
    a.slack.mention("and what grade is it?", channel=channel, thread_ts=first["ts"])  # A's own memory
    posts = fake.wait_for("chat.postMessage", 3)
    assert any("*Associate Sales Operations Analyst* is grade 5" in c.mrkdwn() for c in posts)

    redis_server.start()  # same port, empty
    time.sleep(2.5)  # past the retry interval: the next call goes to Redis again
    ts = a.slack.new_ts()
    new_channel = a.slack.new_id("C")
    for n, replica in enumerate((a, b)):
        replica.slack.mention("what's grade 7?", channel=new_channel, ts=ts, event_id="Ev0AFTER", retry_num=n or None)
    posts = settle(fake, "chat.postMessage", 4)
    assert len(posts) == 4, [c.mrkdwn()[:60] for c in posts]  # shared again: once for both
    with database() as conn:
        assert conn.execute("select count(*) from questions").fetchone()[0] == 4

    time.sleep(0.2)
    for replica in (a, b):
        replica.process.send_signal(signal.SIGTERM)
        replica.output = replica.process.communicate(timeout=20)[0]
    assert a.output.count("is unreachable") == 1, a.output
    assert a.output.count("is reachable again") == 1, a.output
    assert b.output.count("is unreachable") <= 1 and b.output.count("is reachable again") == b.output.count("is unreachable")


def test_work_a_replica_took_before_dying_is_answered_once_by_the_other(replicas):
    import redis

    from bot.slack.workqueue import GROUP, READ_BLOCK_MS, STREAM

    (a, b), fake, redis_server, database = replicas
    r = redis.Redis.from_url(redis_server.url, decode_responses=True)
    workers = [w["pid"] for w in a.health()["workers"]["processes"]]
    os.kill(b.process.pid, signal.SIGSTOP)  # B's front takes nothing for now
    try:
        time.sleep(4 * READ_BLOCK_MS / 1000)  # the read B had waiting in Redis has expired: it cannot get the item
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)  # A's workers take the item and never start it
        reply = a.slack.command("who does the Associate Sales Operations Analyst report to?", user="U0QUEUED")
        assert reply.status == 200 and reply.body == ""  # acked by A
        deadline = time.monotonic() + 10
        while r.xpending(STREAM, GROUP)["pending"] != 1:
            assert time.monotonic() < deadline, r.xinfo_consumers(STREAM, GROUP)
            time.sleep(0.05)
        [holder] = r.xpending(STREAM, GROUP)["consumers"]
        assert f"-{a.process.pid}-" in holder["name"]  # A took it
        assert fake.calls("response_url") == []
        a.killed = True
        a.process.kill()  # the replica dies with the work taken (its workers die with their parent)
        a.output = a.process.communicate(timeout=20)[0]
    finally:
        os.kill(b.process.pid, signal.SIGCONT)

    answers = settle(fake, "response_url", 1, seconds=2 * CLAIM_SECONDS)
    assert len(answers) == 1 and "Manager, Sales Operations" in answers[0].mrkdwn()  # by B, once
    assert answers[0].params["response_type"] == "ephemeral"
    deadline = time.monotonic() + 10
    while b.metric("rolecall_work_claimed_total", outcome="answered") < 1:
        assert time.monotonic() < deadline, "B did not count the claim"
        time.sleep(0.1)
    assert b.metric("rolecall_work_claimed_total", outcome="answered") == 1
    assert r.xlen(STREAM) == 0 and r.xpending(STREAM, GROUP)["pending"] == 0  # acknowledged and deleted
    with database() as conn:
        assert conn.execute("select question from questions").fetchall() == [
            ("who does the Associate Sales Operations Analyst report to?",)]
    deadline = time.monotonic() + 10
    for pid in workers:  # A's stopped workers did not outlive it
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, f"worker {pid} of the killed replica is still there"
            time.sleep(0.1)


def test_work_goes_through_one_bounded_stream_shared_by_the_replicas(replicas):
    import redis

    from bot.slack.workqueue import GROUP, STREAM

    (a, b), fake, redis_server, _ = replicas
    r = redis.Redis.from_url(redis_server.url, decode_responses=True)
    for n in range(6):
        replica = (a, b)[n % 2]
        assert replica.slack.command(f"what's grade {n + 3}?", user=f"U0STREAM{n}").status == 200
    answers = settle(fake, "response_url", 6)
    assert len(answers) == 6
    assert sorted(int(c.mrkdwn().split("grade ")[1][0]) for c in answers if "grade " in c.mrkdwn()) == [3, 4, 5, 6, 7, 8]
    assert r.xinfo_groups(STREAM)[0]["name"] == GROUP
    assert len(r.xinfo_consumers(STREAM, GROUP)) == 2  # one consumer a replica
    assert r.xlen(STREAM) == 0  # every finished item acknowledged and deleted: the stream holds only unfinished work
    assert a.metric("rolecall_work_queue_depth") == 0 and b.metric("rolecall_work_queue_depth") == 0


def test_a_slash_command_follow_up_on_the_other_replica_keeps_its_role(replicas):
    """The front's hand-off to the stream reads the conversation's context in the call that adds the item
    (bot.slack.workqueue, one round trip): the role one replica's answer set reaches the follow-up that
    the other replica's front handed on."""
    (a, b), fake, _, _ = replicas
    channel = a.slack.new_id("C")
    assert a.slack.command("who does the Associate Sales Operations Analyst report to?", channel=channel,
                           user="U0FOLLOW").status == 200
    [first] = fake.wait_for("response_url", 1)
    assert "Manager, Sales Operations" in first.mrkdwn()
    time.sleep(0.5)  # the answer's context goes to Redis with the answering replica's next write batch
    assert b.slack.command("and what grade is it?", channel=channel, user="U0FOLLOW").status == 200
    follow_up = fake.wait_for("response_url", 2)[-1]
    assert "*Associate Sales Operations Analyst* is grade 5" in follow_up.mrkdwn()
