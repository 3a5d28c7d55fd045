"""Delivery of posts: at most once, every outcome counted.

A post either reached Slack (SENT), certainly did not (FAILED: never sent, or refused), or
may have (UNKNOWN: no reply). Only FAILED may be followed by an apology; UNKNOWN is logged
and not repeated (a second copy is worse than a rare missing one). ``/healthz`` shows
:data:`DELIVERY`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_sdk.errors import SlackApiError, SlackClientError

from bot import metrics
from bot.slack.transport import RequestNotSent

logger = logging.getLogger("rolecall.slack")

def call_web_api(method: Callable[..., Any], **kwargs: Any) -> bool:
    """Call a Web API method; log a failure (after slack_sdk's retries) instead of raising.

    A failed post must not take the app down or make Bolt answer Slack with an error.
    """
    return post_web_api(method, **kwargs) == SENT


def post_web_api(method: Callable[..., Any], **kwargs: Any) -> str:
    """:func:`call_web_api`, telling apart SENT, FAILED (not posted) and UNKNOWN (may have been posted)."""
    try:
        method(**kwargs)
    except SlackApiError as error:
        logger.error("Slack Web API %s failed: %s", _method_name(method), error.response.get("error"))
        slack_call_failed(_method_name(method), FAILED)
        return FAILED
    except (SlackClientError, OSError, HTTPException) as error:  # e.g. a timeout: the post is not sent again
        outcome = outcome_of(error)
        logger.error("Slack Web API %s failed: %s (%s)", _method_name(method), type(error).__name__,
                     "not delivered" if outcome == FAILED else "may have been delivered; not sent again")
        slack_call_failed(_method_name(method), outcome)
        return outcome
    return SENT


def slack_call_failed(method: str, outcome: str) -> None:
    """Count a Slack call that failed after its retries (``rolecall_slack_call_failures_total``)."""
    metrics.inc("rolecall_slack_call_failures", {"method": method, "outcome": outcome})


SENT, FAILED, UNKNOWN = "sent", "failed", "unknown"
UNDELIVERED = "Sorry, my answer to your question could not be delivered. Please ask again in a minute."


def outcome_of(error: BaseException) -> str:
    """FAILED when Slack cannot have acted on the call (never sent, or refused), UNKNOWN when it may have."""
    if isinstance(error, (URLError, RequestNotSent, SlackClientError)) and not isinstance(error, TimeoutError):
        return FAILED
    return UNKNOWN


class DeliveryCounters:
    """How answers fared on their way to Slack, for ``/healthz`` and ``/metrics`` (process-wide).

    In an answer worker process an addition travels to the front as a metrics event
    (:mod:`bot.metrics`), so the front's ``/healthz`` counts every worker's deliveries.
    """

    NAMES = ("answers_delivered", "answers_maybe_delivered", "answers_undelivered", "apologies_sent", "answers_lost")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.NAMES, 0)

    def add(self, name: str) -> None:
        metrics.emit("delivery", name)

    def _add_here(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1
        metrics.DELIVERIES.labels(outcome=name).inc()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


DELIVERY = DeliveryCounters()
metrics.on("delivery", DELIVERY._add_here)


def _method_name(method: Callable[..., Any]) -> str:
    return getattr(method, "__name__", "call").replace("_", ".")

