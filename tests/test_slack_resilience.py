"""The Web API misbehaves (429 with Retry-After, 5xx): the bot retries, never double-posts, stays up."""

from __future__ import annotations

import logging
import time

from fake_slack import fake_slack, rolecall, running  # noqa: F401  (pytest fixtures)

QUESTION = "who does the Associate Sales Operations Analyst report to?"


def wait_for_log(caplog, fragment: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(fragment in record.getMessage() for record in caplog.records):
        assert time.monotonic() < deadline, f"no log line containing {fragment!r}"
        time.sleep(0.05)


def test_rate_limited_post_is_retried_after_retry_after(rolecall):
    rolecall.fake.fail_next(1, status=429, retry_after=1, method="chat.postMessage")
    started = time.monotonic()

    reply, event = rolecall.slack.mention(QUESTION)

    assert reply.status == 200
    answer = rolecall.reply_to(event)
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert "Manager, Sales Operations" in answer.mrkdwn()
    assert [a for a in rolecall.fake.attempts if a[0] == "chat.postMessage"] == [("chat.postMessage", 429), ("chat.postMessage", 200)]
    assert len(rolecall.fake.calls("chat.postMessage")) == 1


def test_server_errors_are_retried(rolecall):
    rolecall.fake.fail_next(1, status=500, method="chat.postMessage")
    rolecall.fake.fail_next(1, status=502, method="chat.postMessage")

    _, event = rolecall.slack.mention(QUESTION)

    assert "Manager, Sales Operations" in rolecall.reply_to(event).mrkdwn()
    statuses = [status for method, status in rolecall.fake.attempts if method == "chat.postMessage"]
    assert statuses == [500, 502, 200]


def test_response_url_posts_are_retried_too(rolecall):
    rolecall.fake.fail_next(1, status=503, method="response_url")

    rolecall.slack.command(QUESTION)

    assert "Manager, Sales Operations" in rolecall.response().mrkdwn()


def test_a_post_that_keeps_failing_is_logged_and_the_app_stays_up(rolecall, caplog):
    rolecall.fake.fail_next(3, status=500, method="chat.postMessage")  # more than the retries allowed
    caplog.set_level(logging.ERROR, logger="rolecall.slack")

    rolecall.slack.mention(QUESTION)

    wait_for_log(caplog, "chat.postMessage failed")
    assert rolecall.fake.calls("chat.postMessage") == []

    _, next_event = rolecall.slack.mention("what's grade 7?")
    assert "Sr. Sales Operations Manager" in rolecall.reply_to(next_event).mrkdwn()


def test_no_token_or_secret_in_the_logs(rolecall, caplog):
    from fake_slack import BOT_TOKEN, SIGNING_SECRET

    caplog.set_level(logging.DEBUG)
    rolecall.fake.fail_next(1, status=400, method="chat.postMessage")  # not retried: logged at once
    _, event = rolecall.slack.mention(QUESTION)
    rolecall.slack.command(QUESTION, signature="v0=forged")
    rolecall.slack.command(QUESTION, timestamp=str(int(time.time()) - 600))  # stale but genuine
    wait_for_log(caplog, "chat.postMessage failed")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert BOT_TOKEN not in logged
    assert SIGNING_SECRET not in logged
    assert "legacy-verification-token" not in logged
