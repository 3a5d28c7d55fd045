"""The front's two limits, on a real ``rolecall serve`` over HTTP against the fake Slack:

* a hung answer worker (alive, stopped with SIGSTOP mid-answer) is found once it has held its item
  longer than ``ROLECALL_ANSWER_TIMEOUT``, killed and replaced, and its item is answered by another
  worker, once;
* a full work queue (``ROLECALL_QUEUE_LIMIT``) still acks every request at once and tells each user
  the bot is busy, instead of queueing without bound;
* a clean stop (SIGTERM) with work still queued in the front finishes it, or, past
  ``ROLECALL_STOP_SECONDS``, tells each asker: acknowledged work is never dropped in silence.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.slack.front import BUSY
from fake_slack import stop_server
from test_front import ALLOWED, Front, question_held_in_a_worker, serving

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")

HANG_TIMEOUT = 3.0
QUEUE_LIMIT = 3


@pytest.fixture(scope="module")
def hang_front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    with serving(tmp_path_factory.mktemp("hang"), ROLECALL_ANSWER_TIMEOUT=str(HANG_TIMEOUT)) as running:
        yield running
        assert [(c.method, c.rejected) for c in running.fake.rejected()] == []


@pytest.fixture(scope="module")
def busy_front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    with serving(tmp_path_factory.mktemp("busy"), ROLECALL_QUEUE_LIMIT=str(QUEUE_LIMIT)) as running:
        yield running
        assert [(c.method, c.rejected) for c in running.fake.rejected()] == []


def test_a_hung_worker_is_killed_and_its_work_answered_by_another(hang_front: Front):
    front = hang_front
    assert front.health()["workers"]["configured"] == 2
    # The worker that takes the question is stopped (not killed) in the status call it makes before answering.
    channel, thread_ts, victim = question_held_in_a_worker(front, seconds=2)
    os.kill(victim["pid"], signal.SIGSTOP)
    stopped_at = time.monotonic()

    answers = front.fake.wait_for("chat.postMessage", 2, where=lambda c: c.params.get("channel") == channel, timeout=30)
    assert time.monotonic() - stopped_at >= HANG_TIMEOUT - 0.5  # answered only once the limit had passed
    assert "Manager, Sales Operations" in answers[1].mrkdwn() and answers[1].params["thread_ts"] == thread_ts
    time.sleep(1.0)
    assert len([c for c in front.fake.calls("chat.postMessage") if c.params.get("channel") == channel]) == 2  # once

    assert front.wait_metric("rolecall_workers_hung_total", 1) == 1
    assert front.wait_metric("rolecall_work_redelivered_total", 1) == 1
    assert victim["pid"] not in [w["pid"] for w in front.wait_workers_ready(2)]  # replaced
    with pytest.raises(ProcessLookupError):
        os.kill(victim["pid"], 0)  # killed and reaped, not left stopped
    log = front.log.read_text()
    assert f"(pid {victim['pid']}) is hung" in log and "killing it" in log


def test_a_full_queue_still_acks_at_once_and_says_it_is_busy(busy_front: Front):
    front = busy_front
    assert front.health()["workers"]["limit"] == QUEUE_LIMIT
    # QUEUE_LIMIT answers hold their workers: Slack takes 6 s to accept each post.
    front.fake.stall_next(QUEUE_LIMIT, seconds=6, method="response_url")
    for n in range(QUEUE_LIMIT):
        reply = front.slack.command("what's grade 7?", channel=ALLOWED, user=f"U0HELD{n}")
        assert reply.status == 200 and reply.body == ""
    front.fake.wait_for("response_url", QUEUE_LIMIT)
    assert front.metric("rolecall_work_queue_depth") == QUEUE_LIMIT

    # A burst while the queue is full: every request is acked at once, each asker told privately.
    def ask(n: int) -> tuple[float, object]:
        sent = time.monotonic()
        reply = front.slack.command(f"what's grade {n % 9 + 1}?", channel=ALLOWED, user=f"U0BUSY{n}")
        return time.monotonic() - sent, reply

    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(ask, range(30)))
    for seconds, reply in replies:
        assert reply.status == 200 and seconds < 3.0  # Slack's limit for an ack
        assert reply.json() == {"text": BUSY, "response_type": "ephemeral"}
    _, event = front.slack.mention("what's grade 7?", channel=ALLOWED, user="U0MENTION")
    notice = front.fake.wait_for("chat.postEphemeral")[0]
    assert notice.params["user"] == "U0MENTION" and notice.params["thread_ts"] == event["ts"]
    assert "try again in a minute" in notice.mrkdwn()
    assert front.wait_metric("rolecall_work_refused_total", 31, outcome="told") == 31
    assert front.metric("rolecall_work_queue_depth") == QUEUE_LIMIT  # nothing more was queued

    # Once the held answers are through, questions are answered again.
    deadline = time.monotonic() + 20
    while front.metric("rolecall_work_queue_depth") > 0:
        assert time.monotonic() < deadline, "the held answers never finished"
        time.sleep(0.1)
    reply = front.slack.command("what's grade 8?", channel=ALLOWED, user="U0AFTER")
    assert reply.status == 200 and reply.body == ""
    answers = front.fake.wait_for("response_url", QUEUE_LIMIT + 1)
    assert "grade 8" in answers[-1].mrkdwn()
    assert len(front.fake.calls("response_url")) == QUEUE_LIMIT + 1  # no busy request was answered after all


# --------------------------------------------------------------------------- a clean stop

QUEUED = 4  # commands waiting in the front's backlog when SIGTERM comes
GRADES = range(5, 6 + QUEUED)  # one question a grade, so each answer names its own


def queue_behind_a_held_answer(front: Front, hold: float) -> None:
    """One worker with one thread: the first command's answer is held by Slack for ``hold`` seconds (its
    post is recorded at once); the next :data:`QUEUED` commands wait in the front's backlog behind it."""
    front.fake.stall_next(1, seconds=hold, method="response_url")
    first, *queued = GRADES
    assert front.slack.command(f"what's grade {first}?", channel=ALLOWED, user="U0STOP0").status == 200
    front.fake.wait_for("response_url")
    for n, grade in enumerate(queued, 1):
        reply = front.slack.command(f"what's grade {grade}?", channel=ALLOWED, user=f"U0STOP{n}")
        assert reply.status == 200 and reply.body == ""
    assert front.health()["workers"]["backlog"] == QUEUED


def slack_commands_logged(front: Front) -> int:
    with sqlite3.connect(front.questions) as db:
        return db.execute("select count(*) from questions where surface = 'slack:command'").fetchone()[0]


def test_a_clean_stop_answers_the_work_still_queued_in_the_front(tmp_path):
    with serving(tmp_path, workers=1, ROLECALL_WORKER_THREADS="1") as front:
        queue_behind_a_held_answer(front, hold=2.0)
        assert stop_server(front.process, timeout=30) == 0  # SIGTERM while four commands wait for the worker

        answers = [call.mrkdwn() for call in front.fake.calls("response_url")]
        assert len(answers) == len(GRADES)
        for grade in GRADES:
            assert len([a for a in answers if f"grade {grade}" in a]) == 1, (grade, answers)
        assert not any("Sorry" in a for a in answers)
        assert slack_commands_logged(front) == len(GRADES)
        assert "Stopping: finishing 5 acknowledged work item(s) first" in front.log.read_text()


def test_work_a_clean_stop_cannot_finish_in_time_is_apologised_for(tmp_path):
    with serving(tmp_path, workers=1, ROLECALL_WORKER_THREADS="1", ROLECALL_STOP_SECONDS="3") as front:
        queue_behind_a_held_answer(front, hold=60.0)  # longer than the stop may take
        stopping = time.monotonic()
        assert stop_server(front.process, timeout=30) == 0
        assert time.monotonic() - stopping < 3 + 5  # the budget, the worker's last second, the apologies

        posts = [call.mrkdwn() for call in front.fake.calls("response_url")]
        assert len(posts) == 1 + QUEUED  # the held answer (which Slack has: not posted again) and one apology each
        assert "grade 5" in posts[0]
        assert all("Sorry, I couldn't answer that just now" in post for post in posts[1:])
        log = front.log.read_text()
        assert "Stopping with 5 work item(s) unfinished" in log
        assert log.count("was not done before the front stopped; the user was told") == QUEUED
        assert "its worker died while posting the answer; it may have arrived" in log
