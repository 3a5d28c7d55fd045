"""What every listener shares: the engine, the rules, conversation memory, and the way answers
are computed and delivered.

Listeners live in :mod:`bot.slack.listeners` (one module per feature); this module holds the
:class:`SlackBot` they all use:

* :meth:`SlackBot.deferred`, the ack wrapper: a listener acks, then works on a pool, so Slack
  gets its answer well inside 3 seconds even while the index is being rebuilt;
* :meth:`SlackBot.ask`, the one way to the engine (answer slots keep acks from queueing);
* conversation memory (``contexts``: key -> ``answer.context.encode()``) and seen messages;
* delivery with at-most-once posts, counted, with apologies for what did not arrive.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from http.client import HTTPException
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot import metrics, settings
from bot.answer import Answer
from bot.catalog import ANSWER_WAIT
from bot.slack import blocks
from bot.slack.blocks import Asked, Message
from bot.slack.config import DEFAULT_HANDBOOK_URL, DEFAULT_HTTP_TIMEOUT, Access
from bot.slack.conversation import Container
from bot.slack.delivery import DELIVERY, FAILED, SENT, UNDELIVERED, UNKNOWN, outcome_of, post_web_api, slack_call_failed
from bot.slack.state import context_store, dedupe_store
from bot.slack.transport import TrackedWebhookClient, retry_handlers

COMMAND = "/hiring"
HELP_WORDS = frozenset({"", "help", "?"})
ACK_WAIT_SECONDS = 2.5  # Slack allows 3 s for an ack; a listener that has not acked by then is left to finish

# Where each surface's questions are logged (``surface`` in the question log).
SURFACE_COMMAND = "slack:command"
SURFACE_MENTION = "slack:mention"
SURFACE_DM = "slack:dm"
SURFACE_CHOICE = "slack:choice"  # a role picked from the buttons of an ambiguous answer
SURFACE_SHARE = "slack:share"  # "Share in channel" asks again to post the answer publicly
SURFACE_SHORTCUT = "slack:shortcut"  # "Ask Rolecall" on a message
SURFACE_CARD = "slack:card"  # a button of a role card (unfurl, "Look up a role")
SURFACE_ASSISTANT = "slack:assistant"  # a question in an assistant thread

NOT_ENABLED_TEAM = "Rolecall isn't enabled in this workspace."
NOT_ENABLED_CHANNEL = ("Rolecall isn't enabled in this channel. You can ask it in a direct message, "
                       "or in a channel where it is enabled.")

logger = logging.getLogger("rolecall.slack")


class FeedbackLog(Protocol):
    """The part of ``bot.questionlog.QuestionLog`` feedback clicks use."""

    def feedback(self, question_id: int, helpful: bool, user: str | None = None) -> bool: ...


class EngineLike(Protocol):
    """The part of ``bot.engine.Engine`` the Slack layer uses."""

    # The question log (None when turned off): feedback clicks are recorded there.
    log: FeedbackLog | None

    def ask(self, question: str, *, last_role: str | None = None, role: str | None = None,
            role_page: str | None = None, surface: str = "api", user: str | None = None) -> Answer: ...

    def stats(self) -> dict[str, Any]: ...

    def examples(self) -> list[str]: ...

    def help_text(self) -> str: ...

    def gaps(self, limit: int = 20, days: float | None = None) -> str: ...



class SlackBot:
    """Listeners and the little state they share (conversation context, seen messages)."""

    def __init__(
        self,
        engine: EngineLike,
        *,
        context_ttl: float,
        access: Access | None = None,
        http_timeout: float = DEFAULT_HTTP_TIMEOUT,
        work_executor: Executor | None = None,
        handoff_channel: str | None = None,
        handbook_url: str = DEFAULT_HANDBOOK_URL,
    ) -> None:
        self.engine = engine
        self.access = access or Access()
        self.http_timeout = http_timeout
        # "Ask a recruiter" posts there (ROLECALL_HANDOFF_CHANNEL); None: no such button.
        self.handoff_channel = handoff_channel
        # Links to this site are unfurled (the engine's own base URL wins: pages are indexed under it).
        self.handbook_url = str(getattr(engine, "base_url", None) or handbook_url)
        # Conversation key -> role of the last answer there, for follow-ups ("and what grade is it?").
        # Where it is kept: bot.slack.state (the one module that makes these stores).
        self.contexts = context_store(context_ttl)
        # (channel, ts) of messages already answered: one message can arrive as two events
        # (an @-mention in a DM is both message.im and app_mention).
        self.answered = dedupe_store("messages")
        # Answering is CPU work under one GIL. Listeners ack first and then answer; letting
        # only as many answers run at once as there are cores keeps the threads that deliver
        # acks from queueing behind dozens of answers (50 concurrent commands: ack p99 < 100 ms).
        self.answering = threading.BoundedSemaphore(answer_slots())
        # Listeners run here after their ack (see ``deferred``); tests pass one that tells when it is idle.
        self.work: Executor = work_executor or ThreadPoolExecutor(max_workers=listener_threads(), thread_name_prefix="rolecall-work")

    # ------------------------------------------------------------------ registration

    def register(self, app: Any) -> None:
        """Attach every listener (see :func:`bot.slack.listeners.register_all`)."""
        from bot.slack.listeners import register_all

        register_all(app, self)

    def deferred(self, listener: Callable[..., None]) -> Callable[..., None]:
        """Run ``listener`` on the work pool and return as soon as it has acked.

        The app runs with ``process_before_response`` so Bolt returns the ack when the
        registered function returns. Bolt's own asynchronous mode instead polls for the ack
        every 10 ms from the request thread, which under a burst of requests turns into
        hundreds of milliseconds; an Event wakes the request thread the moment ack() runs.
        """

        takes_ack = "ack" in inspect.signature(listener).parameters

        @functools.wraps(listener)  # Bolt reads the wrapped signature to know what to pass
        def run(**kwargs: Any) -> None:
            acked = threading.Event()
            if takes_ack:
                ack = kwargs["ack"]

                def ack_then_signal(*args: Any, **ack_kwargs: Any) -> None:
                    try:
                        ack(*args, **ack_kwargs)
                    finally:
                        acked.set()

                kwargs["ack"] = ack_then_signal
            else:
                acked.set()  # events are acknowledged by Bolt itself

            def work() -> None:
                try:
                    listener(**kwargs)
                except Exception:
                    logger.exception("A listener failed")
                finally:
                    acked.set()  # never leave the request waiting

            self.work.submit(work)
            acked.wait(ACK_WAIT_SECONDS)

        return run
    def event_listeners(self) -> dict[str, Callable[..., None]]:
        """Event type -> listener of every feature; the manifest test checks app.yaml against these keys."""
        from bot.slack.listeners import event_listeners

        return event_listeners(self)

    # ------------------------------------------------------------------ access

    def refusal(self, team: str | None, channel: str | None, enterprise: str | None = None) -> str | None:
        """Why Rolecall may not answer in this channel of this workspace, or None when it may."""
        if not self.access.team_allowed(team, enterprise):
            return NOT_ENABLED_TEAM
        if not self.access.channel_allowed(channel):
            return NOT_ENABLED_CHANNEL
        return None

    def click_allowed(self, where: Container) -> bool:
        """Buttons follow the rules of the place they are in (an allowlist may have changed since)."""
        if self.access.allows(where.team, where.channel, where.enterprise):
            return True
        logger.info("Click ignored outside the allowlists (team %s, channel %s)", where.team, where.channel)
        return False

    def record_feedback(self, log_id: int | None, helpful: bool, user: str | None, question: str | None = None) -> bool:
        """Store a click in the question log; False when there is no log or no such row.

        The question carried by the button must match the row's, so a click that reaches
        another replica's log (same row id, other question) records nothing.
        """
        log = getattr(self.engine, "log", None)
        if log is None or log_id is None:
            return False
        try:
            return bool(log.feedback(log_id, helpful, user=user, question=question))
        except Exception:
            logger.exception("Could not record feedback")
            return False

    # ------------------------------------------------------------------ helpers

    def answer_in_conversation(
        self,
        client: WebClient,
        *,
        channel: str,
        thread_ts: str | None,
        key: tuple[Any, ...],
        question: str,
        surface: str,
        user: str | None,
    ) -> None:
        """Answer ``question`` in a thread or DM, using and updating that conversation's context."""
        if question.lower() in HELP_WORDS:
            message = self.help_message()
        else:
            asked = Asked(question, last_role=self.contexts.get(key))
            answer = self.ask(asked, surface=surface, user=user)
            self.remember(key, answer)
            message = self.error_message() if answer is None else self.render(answer, asked)
        outcome = post_web_api(
            client.chat_postMessage,
            channel=channel,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **message,
        )
        fallbacks = self.apologies(client, channel=channel, user=user, thread_ts=thread_ts)
        if surface == SURFACE_DM and user:  # in a DM the ephemeral would land in the same place: post plainly there
            notice = blocks.notice_message(UNDELIVERED)
            fallbacks = [lambda: post_web_api(client.chat_postMessage, channel=channel, thread_ts=thread_ts, **notice)]
        self.undelivered(outcome, surface, fallbacks)

    def ask(self, asked: Asked, *, surface: str, user: str | None) -> Answer | None:
        """The engine's answer (logged under ``surface`` and ``user``), or None when it failed
        (logged; the user gets an apology)."""
        try:
            with self.answering:  # see __init__: acks must not wait behind many answers at once
                started = time.perf_counter()
                answer = self.engine.ask(asked.question, last_role=asked.last_role, role=asked.role, role_page=asked.role_page,
                                         surface=surface, user=user)
                took = time.perf_counter() - started
        except Exception:
            logger.exception("The engine failed to answer a question")
            metrics.inc("rolecall_answers", {"intent": "none", "status": "error", "surface": surface})
            return None
        intent, status = str(getattr(answer, "intent", "") or "none"), str(getattr(answer, "status", "") or "none")
        metrics.inc("rolecall_answers", {"intent": intent, "status": status, "surface": surface})
        metrics.observe("rolecall_answer_seconds", took, {"intent": intent})
        return answer

    # ------------------------------------------------------------------ catalog, rendering

    def catalog(self) -> Any | None:
        """The engine's :class:`bot.catalog.Catalog` (cards, URL lookups, role search, freshness),
        or None for an engine without one (or when it fails)."""
        get = getattr(self.engine, "catalog", None)
        if not callable(get):
            return None
        try:
            return get()
        except Exception:
            logger.exception("The engine failed to give its catalog")
            return None

    def freshness(self, answer: Answer) -> list[str]:
        """ "Page … last changed …" items for the pages an answer's sources come from (computed once per
        index version by the catalog; a lookup here)."""
        catalog = self.catalog() if answer.sources else None
        if catalog is None:
            return []
        try:
            pages = {source.page for source in answer.sources}
            changed = {page: catalog.changed_at(page, wait=ANSWER_WAIT) for page in pages}
            titles = {page: catalog.title(page) for page in pages}
        except Exception:
            logger.exception("Could not tell when the pages last changed")
            return []
        return blocks.freshness_items(answer, changed, titles)

    def render(self, answer: Answer, asked: Asked, **options: Any) -> Message:
        """Block Kit for an answer, with its pages' freshness and, when a hand-off channel is set,
        "Ask a recruiter" under an answer that was not good enough."""
        return blocks.answer_message(answer, asked, freshness=self.freshness(answer),
                                     handoff=self.handoff_channel is not None, **options)

    def remember(self, key: tuple[Any, ...], answer: Answer | None) -> None:
        """An answer about exactly one role makes it the conversation's context."""
        if answer is not None and answer.context is not None:
            self.contexts.set(key, answer.context.encode())

    def help_message(self, *, admin: bool = False) -> Message:
        """The engine's help text (an apology if even that fails); admins also learn about ``/hiring gaps``."""
        try:
            text = self.engine.help_text()
        except Exception:
            logger.exception("The engine failed to produce help")
            return self.error_message()
        if admin:
            text += "\n*For admins:* `/hiring gaps` lists the most-asked questions without a good answer (`/hiring gaps 7`: the last 7 days)."
        return blocks.help_message(text)

    @staticmethod
    def error_message() -> Message:
        """What the user sees when the engine failed."""
        return blocks.notice_message("Sorry, I couldn't answer that just now. Please try again in a minute.")

    def respond(self, response_url: str | None, payload: Mapping[str, Any]) -> bool:
        """Post to a ``response_url`` with the same retries as Web API posts (at most once); False if it failed.

        Bolt's own ``respond()`` has no retry handlers, hence this. The URL is a
        capability (anyone holding it can post), so it is never logged.
        """
        if not response_url:
            logger.warning("No response_url to answer on")
            return False
        return self.post_response(response_url, payload) == SENT

    def post_response(self, response_url: str | None, payload: Mapping[str, Any]) -> str:
        """:meth:`respond`, telling apart SENT, FAILED (Slack did not post it) and UNKNOWN (it may have)."""
        if not response_url:
            logger.warning("No response_url to answer on")
            return FAILED
        client = TrackedWebhookClient(url=response_url, timeout=self.http_timeout, retry_handlers=retry_handlers())
        try:
            response = client.send_dict(dict(payload))
        except (SlackClientError, OSError, HTTPException) as error:
            outcome = outcome_of(error)
            logger.error("Posting to response_url failed: %s (%s)", type(error).__name__,
                         "not delivered" if outcome == FAILED else "may have been delivered; not sent again")
            slack_call_failed("response_url", outcome)
            return outcome
        if response.status_code != 200:
            logger.error("Posting to response_url failed with HTTP %s", response.status_code)
            slack_call_failed("response_url", FAILED)
            return FAILED
        return SENT

    def undelivered(self, outcome: str, surface: str, fallbacks: list[Callable[[], str]]) -> None:
        """An answer that did not reach the user: count it, log it once, and apologise through the
        first channel to the user that still works. An answer that may have been delivered (no
        reply from Slack) gets no apology: it could be the second message the user sees."""
        if outcome == SENT:
            DELIVERY.add("answers_delivered")
            return
        if outcome == UNKNOWN:
            DELIVERY.add("answers_maybe_delivered")
            logger.warning("An answer (%s) may not have reached the user: Slack did not reply; not sent again", surface)
            return
        DELIVERY.add("answers_undelivered")
        for attempt in fallbacks:
            if attempt() == SENT:
                DELIVERY.add("apologies_sent")
                logger.error("An answer (%s) could not be delivered; the user got an apology instead", surface)
                return
        DELIVERY.add("answers_lost")
        logger.error("An answer (%s) could not be delivered, and no channel to the user worked for an apology", surface)

    def apologies(self, client: WebClient | None, *, channel: str | None, user: str | None,
                  thread_ts: str | None = None) -> list[Callable[[], str]]:
        """Ways to tell ``user`` that an answer was lost: privately in the channel, then in a DM."""
        if client is None or not user:
            return []
        notice = blocks.notice_message(UNDELIVERED)
        ways: list[Callable[[], str]] = []
        if channel:
            ways.append(lambda: post_web_api(client.chat_postEphemeral, channel=channel, user=user, thread_ts=thread_ts, **notice))
        ways.append(lambda: post_web_api(client.chat_postMessage, channel=user, **notice))
        return ways



def answer_slots() -> int:
    """``ROLECALL_ANSWER_SLOTS``: answers computed at once (default: the number of cores)."""
    return settings.positive_int("ROLECALL_ANSWER_SLOTS", max(1, os.cpu_count() or 1))


def listener_threads() -> int:
    """``ROLECALL_LISTENER_THREADS``: listeners running at once after their ack (default 64; most wait to answer)."""
    return settings.positive_int("ROLECALL_LISTENER_THREADS", 64)

