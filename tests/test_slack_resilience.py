"""The Web API misbehaves (429 with Retry-After, 5xx, timeouts, dropped connections): the bot
retries within limits, never double-posts, stays up.

Posts are at most once: a post that timed out (or whose connection dropped before
the answer) may well have reached Slack, so it is not sent again; a second try
could show the answer twice. Only idempotent calls (``views.publish``,
``chat.update``) are repeated after a timeout. 429 and 5xx are answers saying
the call was not carried out, so those are retried for every call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from http.client import RemoteDisconnected
from urllib.error import URLError

import pytest

from fake_slack import NO_ANSWER, FakeSlack, Rolecall, fake_slack, rolecall, running, serving  # noqa: F401  (pytest fixtures)

QUESTION = "who does the Associate Sales Operations Analyst report to?"
CLIENT_TIMEOUT = 0.5  # seconds the bot waits for the fake Web API in the timeout tests
STALL = 1.5  # seconds the fake then takes: longer than the bot waits


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


# --------------------------------------------------------------------------- timeouts and dropped connections


@pytest.fixture(scope="module")
def impatient_app(engine) -> Iterator[Rolecall]:
    """Rolecall whose Web API calls give up after CLIENT_TIMEOUT seconds (10 in production)."""
    with FakeSlack() as fake, serving(engine, fake, http_timeout=CLIENT_TIMEOUT) as app:
        yield app


@pytest.fixture
def impatient(impatient_app: Rolecall) -> Iterator[Rolecall]:
    impatient_app.settle()
    impatient_app.fake.reset()
    yield impatient_app
    impatient_app.settle()


def attempts(rolecall: Rolecall, method: str) -> list[int]:
    """The HTTP status of each attempt of ``method`` (NO_ANSWER: the bot got none in time)."""
    return [status for name, status in rolecall.fake.attempts if name == method]


def test_a_post_that_timed_out_after_slack_took_it_is_not_posted_twice(impatient, caplog):
    caplog.set_level(logging.ERROR, logger="rolecall.slack")
    impatient.fake.stall_next(1, seconds=STALL, method="chat.postMessage")

    reply, event = impatient.slack.mention(QUESTION)

    assert reply.status == 200
    assert "Manager, Sales Operations" in impatient.reply_to(event).mrkdwn()  # Slack has it...
    wait_for_log(caplog, "chat.postMessage failed: TimeoutError")  # ...though the bot never heard back
    impatient.settle()
    assert attempts(impatient, "chat.postMessage") == [NO_ANSWER]  # not sent again
    assert len(impatient.fake.calls("chat.postMessage")) == 1


def test_a_connection_dropped_after_the_post_is_not_retried(impatient, caplog):
    caplog.set_level(logging.ERROR, logger="rolecall.slack")
    impatient.fake.drop_next(1, method="chat.postMessage")

    _, event = impatient.slack.mention(QUESTION)

    impatient.reply_to(event)
    wait_for_log(caplog, "chat.postMessage failed")
    impatient.settle()
    assert attempts(impatient, "chat.postMessage") == [NO_ANSWER]
    assert len(impatient.fake.calls("chat.postMessage")) == 1


def test_a_command_answer_that_timed_out_is_not_posted_twice(impatient, caplog):
    caplog.set_level(logging.ERROR, logger="rolecall.slack")
    impatient.fake.stall_next(1, seconds=STALL, method="response_url")

    impatient.slack.command(QUESTION)

    wait_for_log(caplog, "Posting to response_url failed")
    impatient.settle()
    assert attempts(impatient, "response_url") == [NO_ANSWER]
    assert len(impatient.fake.calls("response_url")) == 1


def test_an_idempotent_call_is_retried_after_a_timeout(impatient):
    """Publishing the same Home view twice changes nothing, so a timeout is worth a second try."""
    impatient.fake.stall_next(1, seconds=STALL, method="views.publish")

    impatient.slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home", "event_ts": impatient.slack.new_ts()})

    impatient.fake.wait_for("views.publish", 2)
    impatient.settle()
    assert attempts(impatient, "views.publish") == [NO_ANSWER, 200]


def test_after_timeouts_the_bot_is_still_up_and_answers(impatient):
    impatient.fake.stall_next(2, seconds=STALL, method="chat.postMessage")
    for _ in range(2):
        impatient.slack.mention("what's grade 7?")
    impatient.fake.wait_for("chat.postMessage", 2)
    impatient.settle()

    _, event = impatient.slack.mention(QUESTION)
    impatient.slack.command("what's grade 7?")

    assert "Manager, Sales Operations" in impatient.reply_to(event).mrkdwn()
    assert "Sr. Sales Operations Manager" in impatient.response().mrkdwn()
    assert len(impatient.fake.calls("chat.postMessage")) == 3  # two stalled-but-taken, one normal: none twice


@pytest.mark.parametrize(
    ("url", "error", "retried"),
    [
        ("https://slack.com/api/chat.postMessage", URLError(ConnectionRefusedError(111, "refused")), True),  # never reached Slack
        ("https://slack.com/api/chat.postMessage", TimeoutError("timed out"), False),  # may have been posted
        ("https://slack.com/api/chat.postMessage", RemoteDisconnected("no answer"), False),
        ("https://slack.com/api/chat.postEphemeral", ConnectionResetError(104, "reset"), False),
        ("https://hooks.slack.com/commands/T0/1/abc", TimeoutError("timed out"), False),  # a response_url post
        ("https://slack.com/api/views.publish", TimeoutError("timed out"), True),  # the same view again: harmless
        ("https://slack.com/api/chat.update", RemoteDisconnected("no answer"), True),
    ],
)
def test_which_connection_problems_are_retried(url, error, retried):
    from slack_sdk.http_retry.request import HttpRequest
    from slack_sdk.http_retry.state import RetryState

    from bot.slack.app import IDEMPOTENT_METHODS, UnsentRequestRetryHandler

    handler = UnsentRequestRetryHandler(idempotent=IDEMPOTENT_METHODS)
    request = HttpRequest(method="POST", url=url, headers={})

    assert handler.can_retry(state=RetryState(), request=request, error=error) is retried
