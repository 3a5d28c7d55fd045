"""`rolecall serve` in HTTP mode as it runs in production: an ack-only front, answer worker processes
and one indexer, over real HTTP on 127.0.0.1 against the fake Slack.

The front is checked to never hold the index open; conversation context and dedupe live in it
while workers answer; an index refresh reaches every worker; and killing a worker mid-answer
loses nothing: the work goes to another worker, or the user is told, and an answer that may
already have been posted is not posted twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from fake_slack import BOT_TOKEN, SEEDS, SIGNING_SECRET, FakeSlack, SlackSender, stop_server, wait_for_health

ROOT = Path(__file__).resolve().parents[1]
SCRUBBED = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "HOST", "PORT",
            "ROLECALL_ALLOWED_TEAMS", "ROLECALL_ALLOWED_CHANNELS", "ROLECALL_ADMINS", "ROLECALL_HANDOFF_CHANNEL",
            "ROLECALL_DIGEST_CHANNEL", "ROLECALL_DIGEST_DAYS", "ROLECALL_WORKERS", "ROLECALL_LOG_FORMAT")
ALLOWED = "C0ALLOWED"

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Front:
    fake: FakeSlack
    slack: SlackSender
    process: subprocess.Popen
    base: str
    pages: Path
    index: Path
    questions: Path
    log: Path

    def health(self) -> dict:
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:  # 503 still has a body
            return json.loads(error.read())

    def metrics(self) -> str:
        with urllib.request.urlopen(self.base + "/metrics", timeout=5) as response:
            assert response.headers["Content-Type"].startswith("text/plain")
            return response.read().decode()

    def metric(self, name: str, **labels: str) -> float:
        """One sample of /metrics (0 when absent)."""
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in self.metrics().splitlines():
            sample, _, value = line.rpartition(" ")
            if "{" in sample:
                sample_name, _, rest = sample.partition("{")
                got = ",".join(sorted(rest.rstrip("}").split(",")))
            else:
                sample_name, got = sample, ""
            if sample_name == name and got == wanted:
                return float(value)
        return 0.0

    def wait_metric(self, name: str, at_least: float, timeout: float = 10.0, **labels: str) -> float:
        """Wait until a sample reaches ``at_least`` (the front applies workers' figures as they arrive)."""
        deadline = time.monotonic() + timeout
        while (value := self.metric(name, **labels)) < at_least:
            assert time.monotonic() < deadline, f"{name}{labels} stayed at {value}"
            time.sleep(0.05)
        return value

    def workers(self) -> list[dict]:
        return self.health()["workers"]["processes"]

    def wait_workers_ready(self, count: int = 2, timeout: float = 60.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            workers = [w for w in self.workers() if w["ready"]]
            if len(workers) >= count:
                return workers
            assert time.monotonic() < deadline, f"only {len(workers)} worker(s) ready: {self.health()['workers']}"
            time.sleep(0.1)

    def busy_worker(self, timeout: float = 10.0) -> dict:
        """The worker that holds an unfinished item."""
        deadline = time.monotonic() + timeout
        while True:
            busy = [w for w in self.workers() if w["unfinished"]]
            if busy:
                return busy[0]
            assert time.monotonic() < deadline, "no worker has the item"
            time.sleep(0.02)


@contextmanager
def serving(work: Path, workers: int = 2, **settings: str) -> Iterator[Front]:
    """``rolecall serve`` (HTTP mode, ``workers`` answer workers) on a copy of the seeds in ``work``, against
    a fake Slack, with ``settings`` added to its environment; stopped with SIGTERM, which must exit 0."""
    pages = work / "pages"
    shutil.copytree(SEEDS, pages)
    port = free_port()
    log = work / "serve.log"
    with FakeSlack() as fake, log.open("w") as output:
        env = {
            **{k: v for k, v in os.environ.items() if k not in SCRUBBED},
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "ROLECALL_SEEDS": str(pages),
            "ROLECALL_DB": str(work / "index.sqlite"),
            "ROLECALL_QUESTION_LOG": str(work / "questions.sqlite"),
            "ROLECALL_RELOAD_SECONDS": "0.5",
            "ROLECALL_WORKERS": str(workers),
            "ROLECALL_ALLOWED_CHANNELS": ALLOWED,
            "ROLECALL_LOG_FORMAT": "json",
            **settings,
        }
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(base + "/healthz", process, timeout=90)
            running = Front(fake, SlackSender(base + "/slack/events", fake=fake), process, base, pages,
                            work / "index.sqlite", work / "questions.sqlite", log)
            running.wait_workers_ready(workers)
            yield running
        finally:
            stop_server(process, timeout=30)
    assert process.returncode == 0, log.read_text()[-3000:]


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    with serving(tmp_path_factory.mktemp("front")) as running:
        yield running


@pytest.fixture
def fresh(front: Front) -> Iterator[Front]:
    """The running front, both workers ready, a clean record of Slack calls; afterwards, Slack accepted every call."""
    front.wait_workers_ready(2)
    deadline = time.monotonic() + 20
    while front.metric("rolecall_work_queue_depth") > 0:  # the previous test's work, finished and reported
        assert time.monotonic() < deadline, "work still unfinished"
        time.sleep(0.05)
    time.sleep(0.2)
    front.fake.reset()
    yield front
    assert [(c.method, c.rejected) for c in front.fake.rejected()] == []


def open_files(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.add(os.readlink(fd))
        except OSError:
            pass
    return found


# --------------------------------------------------------------------------- the split


def test_the_front_acks_and_workers_answer_and_only_workers_hold_the_index(fresh: Front):
    health = fresh.health()
    assert health["status"] == "ok" and health["pages"] == 5 and health["roles"] == 21
    assert health["workers"]["configured"] == 2 and health["indexer"]["alive"]

    reply = fresh.slack.command("who does the Associate Sales Operations Analyst report to?", channel=ALLOWED, user="U0SPLIT")
    assert reply.status == 200 and reply.body == ""
    assert "Manager, Sales Operations" in fresh.fake.wait_for("response_url")[0].mrkdwn()

    index = str(fresh.index.resolve())
    assert index not in open_files(fresh.process.pid)  # the front never opened the index
    assert all(index in open_files(w["pid"]) for w in fresh.workers())  # every worker has it open (read-only)
    with sqlite3.connect(fresh.questions) as log:
        assert ("slack:command", "who does the Associate Sales Operations Analyst report to?") in \
            log.execute("select surface, question from questions").fetchall()


def test_slash_commands_take_the_fast_path_and_events_do_not(fresh: Front):
    """``rolecall serve`` acks ``/hiring`` on the front's fast path (no Bolt dispatch); events go through Bolt."""
    taken = fresh.metric("rolecall_fast_acks_total")
    reply = fresh.slack.command("who does the Associate Sales Operations Analyst report to?", channel=ALLOWED, user="U0FAST")
    assert reply.status == 200 and reply.body == ""
    assert "Manager, Sales Operations" in fresh.fake.wait_for("response_url")[0].mrkdwn()
    assert fresh.metric("rolecall_fast_acks_total") == taken + 1
    fresh.slack.mention("who does the Associate Sales Operations Analyst report to?", channel=ALLOWED, user="U0FAST")
    fresh.fake.wait_for("chat.postMessage")
    assert fresh.metric("rolecall_fast_acks_total") == taken + 1


def test_access_rules_are_applied_in_the_front_with_the_refusal_in_the_ack(fresh: Front):
    handled = fresh.metric("rolecall_work_seconds_count")
    reply = fresh.slack.command("what's grade 7?", channel="C0ELSEWHERE", user="U0SPLIT")

    assert reply.status == 200 and "isn't enabled in this channel" in reply.json()["text"]
    time.sleep(0.5)
    assert fresh.fake.calls("response_url") == []
    assert fresh.metric("rolecall_work_seconds_count") == handled  # no worker was asked


def test_conversation_context_lives_in_the_front_across_workers(fresh: Front):
    """Each follow-up may land on the other worker; the context travels with the work item."""
    user = "U0CONTEXT"
    fresh.slack.command("who does the Associate Sales Operations Analyst report to?", channel=ALLOWED, user=user)
    fresh.fake.wait_for("response_url")
    for n, (question, expected) in enumerate([("and what grade is it?", "is grade 5"),
                                              ("and what about the senior one?", "Sr. Sales Operations Analyst is grade 7"),
                                              ("who does it report to?", "page for Sr. Sales Operations Analyst doesn't say")],
                                             start=2):
        fresh.slack.command(question, channel=ALLOWED, user=user)
        assert expected in fresh.fake.wait_for("response_url", n)[n - 1].mrkdwn(), question

    _, event = fresh.slack.mention("who does the Associate Sales Operations Analyst report to?", channel=ALLOWED)
    fresh.fake.wait_for("chat.postMessage")
    fresh.slack.mention("and what grade is it?", channel=ALLOWED, thread_ts=event["ts"])
    follow_up = fresh.fake.wait_for("chat.postMessage", 2)[1]
    assert follow_up.params["thread_ts"] == event["ts"] and "is grade 5" in follow_up.mrkdwn()


def test_a_retried_event_is_answered_once_whichever_worker_is_free(fresh: Front):
    ts = fresh.slack.new_ts()
    event = {"type": "app_mention", "user": "U0ALICE", "channel": ALLOWED, "ts": ts, "event_ts": ts,
             "text": "<@U0BOT> what's grade 7?"}
    for retry in (None, 1, 2):
        assert fresh.slack.event(event, event_id="Ev0FRONTDUP", retry_num=retry).status == 200
    fresh.fake.wait_for("chat.postMessage")
    time.sleep(1.0)
    assert len(fresh.fake.calls("chat.postMessage")) == 1


def test_acks_that_carry_index_data_wait_for_a_worker(fresh: Front):
    """The role picker's options and a "Look up a role" submission are answered from the index by a worker."""
    assert fresh.slack.global_shortcut().status == 200
    view = {**fresh.fake.wait_for("views.open")[0].params["view"], "id": "V0FRONT", "hash": "h1"}
    options = fresh.slack.block_suggestion("assoc", view=view).json()["options"]
    assert [o["text"]["text"] for o in options] == ["Associate Sales Operations Analyst"]

    reply = fresh.slack.view_submission(view, {"role": {"role_pick": {"type": "external_select", "selected_option": options[0]}}})
    assert reply.json()["response_action"] == "update"
    assert "Associate Sales Operations Analyst" in json.dumps(reply.json()["view"])


def test_a_new_index_generation_reaches_every_worker(fresh: Front):
    before = fresh.health()["generation"]
    page = fresh.pages / "sales--sales-operations.md"
    text = page.read_text()
    assert "The Manager, Sales Operations is a [grade 8]" in text
    page.write_text(text.replace("The Manager, Sales Operations is a [grade 8]", "The Manager, Sales Operations is a [grade 9]"))
    try:
        deadline = time.monotonic() + 30
        while not all(w["generation"] and w["generation"] > before for w in fresh.workers()):
            assert time.monotonic() < deadline, fresh.health()
            time.sleep(0.2)
        assert fresh.health()["indexer"]["generation"] > before
        assert fresh.metric("rolecall_index_generation", process="indexer") > before
        for n in (1, 2):  # whichever worker answers
            fresh.slack.command("what grade is the Manager, Sales Operations?", channel=ALLOWED, user=f"U0GEN{n}")
            assert "is grade 9" in fresh.fake.wait_for("response_url", n)[n - 1].mrkdwn()
    finally:
        page.write_text(text)


# --------------------------------------------------------------------------- killing workers


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def question_held_in_a_worker(front: Front, seconds: float) -> tuple[str, str, dict]:
    """Open an assistant thread and ask in it; the worker that takes the question is held for
    ``seconds`` in the status call it makes before answering. Returns the thread's channel and ts,
    and that worker (from /healthz)."""
    _, started = front.slack.assistant_thread_started()
    thread = started["assistant_thread"]
    channel, thread_ts = thread["channel_id"], thread["thread_ts"]
    front.fake.wait_for("assistant.threads.setSuggestedPrompts")
    time.sleep(0.3)
    front.fake.stall_next(1, seconds=seconds, method="assistant.threads.setStatus")
    front.slack.dm("who does the Associate Sales Operations Analyst report to?", channel=channel, thread_ts=thread_ts)
    front.fake.wait_for("assistant.threads.setStatus")
    return channel, thread_ts, front.busy_worker()


def test_a_worker_killed_mid_answer_hands_its_work_to_another(fresh: Front):
    redelivered = fresh.metric("rolecall_work_redelivered_total")
    channel, thread_ts, victim = question_held_in_a_worker(fresh, seconds=8)
    kill(victim["pid"])

    answers = fresh.fake.wait_for("chat.postMessage", 2, where=lambda c: c.params.get("channel") == channel, timeout=20)
    assert "Manager, Sales Operations" in answers[1].mrkdwn()
    assert answers[1].params["thread_ts"] == thread_ts
    time.sleep(1.0)
    assert len([c for c in fresh.fake.calls("chat.postMessage") if c.params.get("channel") == channel]) == 2  # once
    assert fresh.wait_metric("rolecall_work_redelivered_total", redelivered + 1) == redelivered + 1
    assert victim["pid"] not in [w["pid"] for w in fresh.wait_workers_ready(2)]  # replaced
    assert fresh.health()["workers"]["deaths"] >= 1

    fresh.slack.dm("and what grade is it?", channel=channel, thread_ts=thread_ts)  # its context survived the kill
    follow_up = fresh.fake.wait_for("chat.postMessage", 3, where=lambda c: c.params.get("channel") == channel)[2]
    assert "is grade 5" in follow_up.mrkdwn()


def test_work_that_kills_two_workers_is_apologised_for(fresh: Front):
    told = fresh.metric("rolecall_work_lost_total", outcome="told")
    _, started = fresh.slack.assistant_thread_started()
    thread = started["assistant_thread"]
    channel, thread_ts = thread["channel_id"], thread["thread_ts"]
    fresh.fake.wait_for("assistant.threads.setSuggestedPrompts")
    time.sleep(0.3)

    fresh.fake.stall_next(2, seconds=8, method="assistant.threads.setStatus")
    fresh.slack.dm("what's grade 7?", channel=channel, thread_ts=thread_ts)
    for attempt in (1, 2):
        fresh.fake.wait_for("assistant.threads.setStatus", attempt, timeout=20)
        kill(fresh.busy_worker(timeout=20)["pid"])

    apology = fresh.fake.wait_for("chat.postMessage", 2, where=lambda c: c.params.get("channel") == channel, timeout=20)[1]
    assert apology.params["thread_ts"] == thread_ts
    assert "Sorry, I couldn't answer that just now" in apology.mrkdwn()
    assert fresh.wait_metric("rolecall_work_lost_total", told + 1, outcome="told") == told + 1
    fresh.wait_workers_ready(2)


def test_a_worker_killed_while_posting_is_not_asked_to_post_again(fresh: Front):
    maybe = fresh.health()["delivery"]["answers_maybe_delivered"]
    fresh.fake.stall_next(1, seconds=8, method="response_url")
    fresh.slack.command("who reports to the Manager, Sales Operations?", channel=ALLOWED, user="U0POSTING")
    fresh.fake.wait_for("response_url")  # Slack has it (the user sees it); the worker waits for Slack's reply
    kill(fresh.busy_worker()["pid"])

    deadline = time.monotonic() + 10
    while fresh.health()["delivery"]["answers_maybe_delivered"] == maybe:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(1.0)
    assert len(fresh.fake.calls("response_url")) == 1  # not posted a second time
    assert fresh.wait_metric("rolecall_work_lost_total", 1, outcome="maybe_delivered") >= 1
    fresh.wait_workers_ready(2)


# --------------------------------------------------------------------------- operations


def test_metrics_count_answers_acks_failures_queue_and_generations(fresh: Front):
    answered = fresh.metric("rolecall_answers_total", intent="grade", status="answered", surface="slack:command")
    acks = fresh.metric("rolecall_ack_seconds_count")
    failures = fresh.metric("rolecall_slack_call_failures_total", method="response_url", outcome="failed")

    fresh.slack.command("what's grade 7?", channel=ALLOWED, user="U0METRICS")
    fresh.fake.wait_for("response_url")
    fresh.fake.fail_next(3, status=500, method="response_url")  # the post and both retries
    fresh.slack.command("what's grade 8?", channel=ALLOWED, user="U0METRICS")
    deadline = time.monotonic() + 15
    while fresh.metric("rolecall_slack_call_failures_total", method="response_url", outcome="failed") == failures:
        assert time.monotonic() < deadline
        time.sleep(0.1)

    text = fresh.metrics()
    assert fresh.wait_metric("rolecall_answers_total", answered + 2, intent="grade", status="answered",
                             surface="slack:command") == answered + 2
    assert fresh.metric("rolecall_ack_seconds_count") >= acks + 2
    assert 'rolecall_ack_seconds_bucket{le="0.1"}' in text
    assert 'rolecall_answer_seconds_bucket{intent="grade",le="0.005"}' in text
    assert "rolecall_work_queue_depth " in text
    assert fresh.metric("rolecall_workers", state="ready") == 2
    assert fresh.metric("rolecall_index_generation", process="indexer") >= 1
    assert fresh.metric("rolecall_index_generation", process="worker-1") >= 1
    assert "rolecall_index_reload_failures_total" in text or "rolecall_index_reload_failures" in text
    assert fresh.metric("rolecall_http_requests_total", code="200") >= 2


def test_every_process_logs_one_json_object_a_line(fresh: Front):
    fresh.slack.command("what's grade 7?", channel=ALLOWED, user="U0LOGS")
    fresh.fake.wait_for("response_url")
    lines = [line for line in fresh.log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line parses
    assert all({"time", "level", "logger", "process", "message"} <= set(r) for r in records)
    processes = {r["process"] for r in records}
    assert "MainProcess" in processes and {"rolecall-worker-1", "rolecall-worker-2"} & processes
    assert any(re.match(r"Rolecall listening on http://127\.0\.0\.1:\d+/slack/events", r["message"]) for r in records)
    assert any(r["level"] == "ERROR" and "died" in r["message"] for r in records)  # from the kill tests
    assert BOT_TOKEN not in fresh.log.read_text() and SIGNING_SECRET not in fresh.log.read_text()


# --------------------------------------------------------------------------- start-up


def test_start_up_errors_in_the_indexer_are_one_line_and_name_the_path(monkeypatch, tmp_path, capsys):
    from bot.slack.server import serve

    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("ROLECALL_WORKERS", "2")
    monkeypatch.setenv("ROLECALL_SEEDS", str(tmp_path / "missing"))
    monkeypatch.setenv("ROLECALL_DB", str(tmp_path / "index.sqlite"))
    assert serve() == 2
    assert f"rolecall serve: pages folder not found: {tmp_path / 'missing'}" in capsys.readouterr().err

    pages = tmp_path / "pages"
    shutil.copytree(SEEDS, pages)
    monkeypatch.setenv("ROLECALL_SEEDS", str(pages))
    monkeypatch.setenv("ROLECALL_DB", str(pages / "index.sqlite"))
    assert serve() == 2
    err = capsys.readouterr().err
    assert "would be inside the pages folder" in err and "Traceback" not in err


def test_a_context_handed_back_before_the_answer_is_stored_before_the_follow_up_reads_it():
    """A worker writes a conversation's new context to its pipe just before it posts the answer, and the
    user may ask the follow-up at once. The collector thread is not started here (it never gets the CPU
    in time); the front's context read itself must still find the new value while that conversation's
    item is unfinished, and reading again, with nothing left in the pipe, must not block. A read for a
    conversation with nothing unfinished leaves the pipes to the collector."""
    import multiprocessing

    from bot.slack.front import WorkItem
    from bot.slack.state import ExpiringMap, FrontContexts
    from bot.slack.workers import WorkerPool, _Worker

    pool = WorkerPool(None, None, 1)  # type: ignore[arg-type]
    received, sent = multiprocessing.Pipe(duplex=False)
    pool.workers.append(_Worker(1, process=None, work=None, results=received))
    stored: ExpiringMap[str] = ExpiringMap(60.0)
    pool.on_context = stored.set
    contexts = FrontContexts(stored, lambda: None)
    contexts.catch_up = pool.catch_up
    key, other = ("C0ALLOWED", "U0CONTEXT"), ("C0ALLOWED", "U0OTHER")
    stored.set(key, "Associate Sales Operations Analyst")
    item = WorkItem(7, "", {}, {key: "Associate Sales Operations Analyst"}, wants_ack=False, reach={})
    pool.submit(item)

    sent.send(("contexts", {other: "Manager, Sales Operations"}))
    assert contexts.get(other) is None and received.poll()  # nothing of that conversation is unfinished
    sent.send(("delivering", 7, {key: "Sr. Sales Operations Analyst"}))
    assert contexts.get(key) == "Sr. Sales Operations Analyst"
    assert stored.get(other) == "Manager, Sales Operations" and not received.poll()
    assert contexts.get(key) == "Sr. Sales Operations Analyst"

    pool.workers[0].flights.pop(7)
    pool._finished(item)  # answered: that conversation has nothing unfinished any more
    assert pool._readers == {}
    again = WorkItem(8, "", {}, {key: "Sr. Sales Operations Analyst"}, wants_ack=False, reach={})
    pool.submit(again)
    pool._lost(pool.workers[0].flights.pop(8))  # its worker died before answering: handed on, counted once
    assert pool._readers == {key: 1} and again.attempt == 2
    pool.workers[0].flights.pop(8)
    pool._finished(again)
    assert pool._readers == {}
