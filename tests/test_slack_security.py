"""Only Slack can drive the bot: forged, stale or malformed requests get 401 and cause nothing."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request

import pytest

from fake_slack import fake_slack, rolecall, running  # noqa: F401  (pytest fixtures)

QUESTION = "who does the Associate Sales Operations Analyst report to?"


def assert_nothing_was_called(rolecall):
    rolecall.settle()
    assert rolecall.fake.calls() == []


def test_a_forged_signature_gets_401_and_no_reply(rolecall):
    reply = rolecall.slack.command(QUESTION, signature="v0=" + "0" * 64)

    assert reply.status == 401
    assert_nothing_was_called(rolecall)


def test_a_request_signed_with_another_secret_gets_401(rolecall):
    rolecall.slack.signing_secret, real = "someone-elses-secret", rolecall.slack.signing_secret
    try:
        reply, _ = rolecall.slack.mention(QUESTION)
    finally:
        rolecall.slack.signing_secret = real

    assert reply.status == 401
    assert_nothing_was_called(rolecall)


def test_a_replayed_request_older_than_five_minutes_gets_401(rolecall):
    six_minutes_ago = str(int(time.time()) - 6 * 60)

    reply = rolecall.slack.command(QUESTION, timestamp=six_minutes_ago)  # correctly signed, but stale

    assert reply.status == 401
    assert_nothing_was_called(rolecall)


@pytest.mark.parametrize("timestamp", ["yesterday", "", "1e9", "0x10"])
def test_a_non_numeric_timestamp_gets_401_not_500(rolecall, timestamp):
    reply = rolecall.slack.command(QUESTION, timestamp=timestamp)

    assert reply.status == 401
    assert_nothing_was_called(rolecall)


def test_url_verification_must_be_signed_too(rolecall):
    body = json.dumps({"type": "url_verification", "challenge": "abc"})

    reply = rolecall.slack.post(body, "application/json", signature="v0=forged")

    assert reply.status == 401


def test_a_forged_retry_cannot_block_the_real_event(rolecall):
    """Dedupe happens after verification: a forged copy does not mark the event as seen."""
    forged, event = rolecall.slack.mention(QUESTION, event_id="Ev0FORGED", signature="v0=forged")
    assert forged.status == 401

    real = rolecall.slack.event(event, event_id="Ev0FORGED")

    assert real.status == 200
    assert "Manager, Sales Operations" in rolecall.reply_to(event).mrkdwn()


def test_health_endpoint_and_unknown_paths(rolecall):
    base = rolecall.server.url.rsplit("/slack/events", 1)[0]
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        health = json.loads(response.read())
    assert health["status"] == "ok"
    assert health["pages"] == 5

    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(base + "/admin", timeout=5)
    assert missing.value.code == 404


MALFORMED = [
    ("{not json", "application/json"),
    ("[]", "application/json"),
    ("null", "application/json"),
    (b"\xff\xfe\x00not utf-8", "application/json"),
    (b"text=\xff\xfe", "application/x-www-form-urlencoded"),
    ("payload=%7Bbad", "application/x-www-form-urlencoded"),
    ("payload=%5B%5D", "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_an_unsigned_malformed_body_gets_401_and_one_log_line(rolecall, caplog, body, content_type):
    with caplog.at_level("DEBUG"):
        reply = rolecall.slack.post(body, content_type, signature="v0=" + "0" * 64)
    assert reply.status == 401
    assert_nothing_was_called(rolecall)
    ours = [r for r in caplog.records if r.name.startswith(("rolecall", "slack_bolt", "slack_sdk")) and r.levelno >= logging.INFO]
    assert [r.getMessage() for r in ours] == ["Refused a request without a valid Slack signature (401)"]
    assert not any(r.exc_info for r in caplog.records)


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_a_signed_malformed_body_gets_400_not_500(rolecall, caplog, body, content_type):
    with caplog.at_level("DEBUG"):
        reply = rolecall.slack.post(body, content_type)  # correctly signed, but not something Slack sends
    assert reply.status == 400
    assert_nothing_was_called(rolecall)
    assert not any(r.exc_info for r in caplog.records)
    assert len([r for r in caplog.records if r.name.startswith("rolecall") and r.levelno >= logging.INFO]) == 1


def test_a_request_without_signature_headers_gets_401(rolecall):
    request = urllib.request.Request(rolecall.slack.url, data=b"{not json", method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 401
