"""The gaps digest: once a period (``ROLECALL_DIGEST_DAYS``, a week by default), the gaps report of
that many days is posted to ``ROLECALL_DIGEST_CHANNEL`` for the handbook owners.

Several replicas may run it: a period is posted by whichever process first claims it in the
question log (a unique row, :meth:`bot.questionlog.QuestionLog.claim_digest`), so replicas that
share one log post it once. A post Slack certainly refused (or that never left) gives the claim
back and is tried again at the next check; one that may have been posted (no reply) keeps it:
at most once, as every post.

Periods are counted from Monday 1970-01-05 00:00 UTC, so a 7-day period runs Monday to Monday
everywhere, whatever the start time of each replica.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.delivery import FAILED, SENT, post_web_api

logger = logging.getLogger("rolecall.slack")

EPOCH_MONDAY = datetime(1970, 1, 5, tzinfo=timezone.utc)
CHECK_SECONDS = 60.0
DIGEST_LIMIT = 20


def period_of(now: float, days: float) -> tuple[str, datetime]:
    """The key and start of the period ``now`` (a Unix time) falls in."""
    length = days * 86400
    index = int((now - EPOCH_MONDAY.timestamp()) // length)
    start = EPOCH_MONDAY + timedelta(seconds=index * length)
    return f"{days:g}d:{start.strftime('%Y-%m-%dT%H:%M')}", start


class Digest:
    """Posts the gaps report once a period; :meth:`run_once` is one check, :meth:`start` checks forever."""

    def __init__(self, engine: Any, client: WebClient, channel: str, days: float = 7.0,
                 *, interval: float = CHECK_SECONDS, clock: Any = time.time) -> None:
        self.engine = engine
        self.client = client
        self.channel = channel
        self.days = days
        self.interval = interval
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def message(self, start: datetime) -> dict[str, Any]:
        end = start.strftime("%Y-%m-%d")
        report = self.engine.gaps(limit=DIGEST_LIMIT, days=self.days)
        period = f"the {self.days:g} day{'s' if self.days != 1 else ''} before {end}"
        return blocks.report_message(f"*Gaps digest* ({period}): the most-asked questions without a good answer\n{report}")

    def run_once(self) -> str | None:
        """Post this period's digest if no process has yet; the outcome (sent/failed/unknown) or None."""
        log = getattr(self.engine, "log", None)
        if log is None:
            return None
        key, start = period_of(self.clock(), self.days)
        if not log.claim_digest(key, self.channel):
            return None
        try:
            message = self.message(start)
        except Exception:
            logger.exception("Could not build the gaps digest")
            log.release_digest(key)
            return FAILED
        outcome = post_web_api(self.client.chat_postMessage, channel=self.channel, unfurl_links=False, unfurl_media=False, **message)
        if outcome == FAILED:
            log.release_digest(key)  # nothing was posted: the next check (here or in another replica) tries again
            logger.error("The gaps digest for %s could not be posted; it will be tried again", key)
        elif outcome == SENT:
            logger.info("Posted the gaps digest for %s", key)
        return outcome

    def start(self) -> "Digest":
        def loop() -> None:
            while True:
                try:
                    self.run_once()
                except Exception:
                    logger.exception("The gaps digest check failed")
                if self._stop.wait(self.interval):
                    return

        self._thread = threading.Thread(target=loop, name="rolecall-digest", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
