"""Bolt middleware of Rolecall: the signature check and Events API retry deduplication."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.middleware.request_verification import RequestVerification

from bot.slack.state import DEDUPE_TTL, dedupe_store

EVENT_DEDUPE_TTL = DEDUPE_TTL

logger = logging.getLogger("rolecall.slack")


class _DropClientTokenWarning(logging.Filter):
    """Bolt warns that the token is ignored when a client is given, because it also reads
    SLACK_BOT_TOKEN from the environment; the client carries that very token, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()



class VerifySignature(RequestVerification):
    """Bolt's signature check, answering 401 (not 500) to a non-numeric timestamp.

    Bolt passes the header to ``int()`` unguarded, so junk there became a 500
    with a traceback. It also logs rejected bodies, which may hold the
    (legacy) verification token; we log only that a request was rejected.
    """

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse:
        if not self._can_skip(req.mode, req.body):
            timestamp = req.headers.get("x-slack-request-timestamp", [""])[0]
            if not _is_integer(timestamp):
                self._debug_log_error("", timestamp, "")
                return self._build_error_response()
        return super().process(req=req, resp=resp, next=next)

    def _debug_log_error(self, signature: str, timestamp: str, body: Any) -> None:
        self.logger.info("Rejected a request with a bad signature or timestamp (timestamp %r)", str(timestamp)[:20])


def _is_integer(text: str) -> bool:
    try:
        int(text)
    except (TypeError, ValueError):
        return False
    return True


class DedupeEvents(Middleware):
    """Acknowledge an Events API delivery whose ``event_id`` was already handled, and stop there.

    Slack retries (``X-Slack-Retry-Num``) when our 200 was slow or lost; the
    first delivery is already being answered, so the retry must not be.
    """

    def __init__(self, ttl: float = EVENT_DEDUPE_TTL) -> None:
        self.seen = dedupe_store("events", ttl)

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse:
        event_id = req.body.get("event_id") if req.body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not self.seen.add_new(event_id, True):
            retry = req.headers.get("x-slack-retry-num", ["?"])[0]
            logger.info("Ignoring a repeated delivery of event %s (retry %s)", event_id, retry)
            return BoltResponse(status=200, body="")
        return next()

