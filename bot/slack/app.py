"""The Bolt app: every Slack surface of Rolecall, wired to the engine.

Surfaces: ``/hiring`` (ephemeral, with "Share in channel"), @-mentions
(answered in a thread), direct messages, the App Home tab and the buttons under
answers (role choices, feedback, share), plus ``/hiring gaps`` for admins. The
engine does the answering and logs every question; this module only decides
where an answer goes, what conversation it belongs to, and whether Rolecall
may answer there at all (``bot.slack.config.Access``).

Slack-specific rules handled here:

* every subscribed event is acknowledged, even the ones we ignore, because an
  unacknowledged event is retried by Slack;
* Events API retries are deduplicated by ``event_id`` (Bolt does not);
* slow work (the engine, Web API calls) happens after ``ack()``, so Slack gets
  its answer well inside 3 seconds even while the index is being rebuilt;
* Web API and ``response_url`` calls retry on 429 (honouring Retry-After) and
  5xx, and a call that still fails is logged, never raised into Bolt;
* posts are at most once: a post that timed out or lost its reply may have
  reached Slack, so it is not sent again (see :class:`UnsentRequestRetryHandler`).

Outside the allowlists: ``/hiring`` answers privately that Rolecall is not
enabled there, mentions get no answer (still acknowledged), a DM from a
workspace that is not allowed gets the same polite note as ``/hiring``, App
Home shows that note, and clicks on old buttons are acknowledged and ignored.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from http.client import HTTPException
from typing import Any, Protocol
from urllib.error import URLError
from urllib.parse import urlparse

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot import settings
from bot.answer import Answer
from bot.slack import blocks
from bot.slack.blocks import Asked, Message
from bot.slack.config import DEFAULT_HTTP_TIMEOUT, Access, SlackConfig
from bot.slack.state import ExpiringMap
from bot.slack.transport import RequestNotSent, TrackedWebClient, TrackedWebhookClient

COMMAND = "/hiring"
# Slack retries an event for about an hour at most; remembering ids for longer is pointless.
EVENT_DEDUPE_TTL = 60 * 60.0
HELP_WORDS = frozenset({"", "help", "?"})
MAX_RETRIES = 2
ACK_WAIT_SECONDS = 2.5  # Slack allows 3 s for an ack; a listener that has not acked by then is left to finish
# Methods whose repetition changes nothing (same message edited, same view published):
# only these are sent again after a timeout or a lost reply.
IDEMPOTENT_METHODS = frozenset({"auth.test", "apps.connections.open", "chat.update", "views.publish"})

# Where each surface's questions are logged (``surface`` in the question log).
SURFACE_COMMAND = "slack:command"
SURFACE_MENTION = "slack:mention"
SURFACE_DM = "slack:dm"
SURFACE_CHOICE = "slack:choice"  # a role picked from the buttons of an ambiguous answer
SURFACE_SHARE = "slack:share"  # "Share in channel" asks again to post the answer publicly

# "/hiring gaps" and "/hiring gaps 7" (the last 7 days); admins only.
GAPS = re.compile(r"^gaps\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
GAPS_DAYS = re.compile(r"^(\d{1,5})\s*(?:d|days?)?$", re.IGNORECASE)
GAPS_LIMIT = 20

NOT_ENABLED_TEAM = "Rolecall isn't enabled in this workspace."
NOT_ENABLED_CHANNEL = ("Rolecall isn't enabled in this channel. You can ask it in a direct message, "
                       "or in a channel where it is enabled.")
ADMINS_ONLY = "Sorry, only Rolecall admins can see the gaps report."
NO_ADMINS = " No admins are set up yet (`ROLECALL_ADMINS`)."
GAPS_USAGE = "Usage: `/hiring gaps` (everything logged) or `/hiring gaps 7` (the last 7 days)."

logger = logging.getLogger("rolecall.slack")
bolt_logger = logging.getLogger("rolecall.slack.bolt")


class _DropClientTokenWarning(logging.Filter):
    """Bolt warns that the token is ignored when a client is given, because it also reads
    SLACK_BOT_TOKEN from the environment; the client carries that very token, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


bolt_logger.addFilter(_DropClientTokenWarning())


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


# --------------------------------------------------------------------------- Web API plumbing


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retry every 5xx, not only the 500 and 503 that slack_sdk's handler covers (502/504 happen too)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


class UnsentRequestRetryHandler(RetryHandler):
    """Retry a connection problem only when Slack cannot have acted on the request.

    urllib raises ``URLError`` while connecting or sending, before Slack has the
    whole request, and :class:`bot.slack.transport.RequestNotSent` is a connection
    reset before Slack acknowledged a byte of it: both are always safe to send again
    (within ``max_retry_count``). A timeout waiting for the reply,
    or a connection dropped before it, leaves the outcome unknown: Slack may
    have posted the message. Sending it again could post it twice, so that is
    done only for methods in ``idempotent`` (editing a message, publishing a
    view). slack_sdk's own handler retries dropped connections for every
    method, which is why it is not used.
    """

    def __init__(self, max_retry_count: int = MAX_RETRIES, *, idempotent: frozenset[str] = frozenset()) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.idempotent = idempotent

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is None or response is not None:
            return False  # an HTTP answer (429, 5xx) is for the other handlers
        if isinstance(error, (URLError, RequestNotSent)):
            return True  # never reached Slack (see bot.slack.transport): sending again cannot post twice
        if isinstance(error, (TimeoutError, ConnectionError, HTTPException)):
            return api_method(request.url) in self.idempotent
        return False


def api_method(url: str) -> str:
    """ "https://slack.com/api/chat.postMessage" -> "chat.postMessage" (a response_url gives its last segment)."""
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


def retry_handlers(idempotent: frozenset[str] = frozenset()) -> list[RetryHandler]:
    """Unsent requests, 429 (after Retry-After) and 5xx are retried a couple of times.

    ``idempotent``: the methods that may also be repeated after a timeout or a
    lost reply. Posts (chat.postMessage, chat.postEphemeral, response_url) are
    not among them: they are sent at most once.
    """
    return [
        UnsentRequestRetryHandler(MAX_RETRIES, idempotent=idempotent),
        RateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
        AnyServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
    ]


def make_web_client(config: SlackConfig) -> WebClient:
    """The bot's Web API client; ``SLACK_API_URL`` (config.api_url) replaces slack.com/api/."""
    options: dict[str, Any] = {
        "token": config.bot_token,
        "timeout": config.http_timeout,
        "retry_handlers": retry_handlers(IDEMPOTENT_METHODS),
    }
    if config.api_url:
        options["base_url"] = config.api_url
    return TrackedWebClient(**options)


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
        self.seen: ExpiringMap[bool] = ExpiringMap(ttl, max_items=50_000)

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


# --------------------------------------------------------------------------- the bot


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
    ) -> None:
        self.engine = engine
        self.access = access or Access()
        self.http_timeout = http_timeout
        # Conversation key -> role of the last answer there, for follow-ups ("and what grade is it?").
        self.contexts: ExpiringMap[str] = ExpiringMap(context_ttl)
        # (channel, ts) of messages already answered: one message can arrive as two events
        # (an @-mention in a DM is both message.im and app_mention).
        self.answered: ExpiringMap[bool] = ExpiringMap(EVENT_DEDUPE_TTL, max_items=50_000)
        # Answering is CPU work under one GIL. Listeners ack first and then answer; letting
        # only as many answers run at once as there are cores keeps the threads that deliver
        # acks from queueing behind dozens of answers (50 concurrent commands: ack p99 < 100 ms).
        self.answering = threading.BoundedSemaphore(answer_slots())
        # Listeners run here after their ack (see ``deferred``); tests pass one that tells when it is idle.
        self.work: Executor = work_executor or ThreadPoolExecutor(max_workers=listener_threads(), thread_name_prefix="rolecall-work")

    # ------------------------------------------------------------------ registration

    def register(self, app: App) -> None:
        """Attach every listener. The same app serves HTTP mode and Socket Mode."""
        app.command(COMMAND)(self.deferred(self.on_command))
        for event_type, listener in self.event_listeners().items():
            app.event(event_type)(self.deferred(listener))
        app.action(blocks.CHOOSE_ROLE_PATTERN)(self.deferred(self.on_choose_role))
        app.action(blocks.SHARE)(self.deferred(self.on_share))
        app.action(blocks.FEEDBACK_PATTERN)(self.deferred(self.on_feedback))
        # Safety nets, registered last so they only see what nothing above matched:
        # an unacknowledged event or click makes Slack retry it (and show the user an error).
        app.event(re.compile(r".*"))(self.on_other_event)
        app.action(re.compile(r".*"))(self.on_other_action)

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
        """Event type -> listener; the manifest test checks app.yaml against these keys."""
        return {
            "app_mention": self.on_app_mention,
            "message": self.on_message,
            "app_home_opened": self.on_home_opened,
        }

    # ------------------------------------------------------------------ access

    def refusal(self, team: str | None, channel: str | None, enterprise: str | None = None) -> str | None:
        """Why Rolecall may not answer in this channel of this workspace, or None when it may."""
        if not self.access.team_allowed(team, enterprise):
            return NOT_ENABLED_TEAM
        if not self.access.channel_allowed(channel):
            return NOT_ENABLED_CHANNEL
        return None

    # ------------------------------------------------------------------ slash command

    def on_command(self, ack: Callable[..., None], command: dict[str, Any], client: WebClient | None = None) -> None:
        """``/hiring <question>``: acknowledge at once, then answer only to the asker.

        Outside the allowlists the acknowledgement itself says so (privately):
        no engine call, no Web API call.
        """
        team, channel, user = command.get("team_id"), command.get("channel_id"), command.get("user_id")
        refusal = self.refusal(team, channel, command.get("enterprise_id"))
        if refusal is not None:
            logger.info("/hiring refused outside the allowlists (team %s, channel %s)", team, channel)
            ack(text=refusal, response_type="ephemeral")
            return
        ack()
        response_url = command.get("response_url")
        question = (command.get("text") or "").strip()
        if question.lower() in HELP_WORDS:
            self.respond(response_url, {**self.help_message(admin=self.access.is_admin(user)), "response_type": "ephemeral"})
            return
        gaps = GAPS.match(question)
        if gaps is not None:
            self.respond(response_url, {**self.gaps_message(user, gaps.group(1)), "response_type": "ephemeral"})
            return
        key = ("command", team, channel, user)
        asked = Asked(question, last_role=self.contexts.get(key))
        answer = self.ask(asked, surface=SURFACE_COMMAND, user=user)
        message = self.error_message() if answer is None else blocks.answer_message(answer, asked, share=True)
        self.remember(key, answer)
        outcome = self.post_response(response_url, {**message, "response_type": "ephemeral"})
        self.undelivered(outcome, SURFACE_COMMAND, self.apologies(client, channel=channel, user=user))

    def gaps_message(self, user: str | None, argument: str) -> Message:
        """``/hiring gaps [days]``: the engine's gaps report for admins, a polite no for everyone else."""
        if not self.access.is_admin(user):
            logger.info("/hiring gaps refused: %s is not an admin", user)
            return blocks.notice_message(ADMINS_ONLY + ("" if self.access.admins else NO_ADMINS))
        argument = argument.strip()
        days: int | None = None
        if argument:
            match = GAPS_DAYS.match(argument)
            if match is None or int(match.group(1)) == 0:
                return blocks.notice_message(GAPS_USAGE)
            days = int(match.group(1))
        try:
            report = self.engine.gaps(limit=GAPS_LIMIT, days=days)
        except Exception:
            logger.exception("The engine failed to produce the gaps report")
            return self.error_message()
        period = f"the last {days} day{'s' if days != 1 else ''}" if days else "everything logged"
        return blocks.report_message(f"*Gaps report* ({period})\n{report}")

    # ------------------------------------------------------------------ events

    def on_app_mention(self, event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient) -> None:
        """An @-mention in a channel: answer in its thread, or start one under it."""
        channel = event.get("channel") or ""
        if _is_dm(channel, event) or _is_from_bot(event) or event.get("subtype"):
            return  # DMs are answered by on_message; bots (ourselves included) are never answered
        if not self.access.allows(body.get("team_id"), channel, body.get("enterprise_id")):
            logger.info("Mention ignored outside the allowlists (team %s, channel %s)", body.get("team_id"), channel)
            return  # silent: a public "not enabled here" in someone's channel would be noise
        if not self.answered.add_new((channel, event.get("ts")), True):
            return
        thread_ts = event.get("thread_ts") or event.get("ts")
        key = ("thread", body.get("team_id"), channel, thread_ts)
        question = strip_mention(event.get("text") or "", context.bot_user_id)
        self.answer_in_conversation(client, channel=channel, thread_ts=thread_ts, key=key, question=question,
                                    surface=SURFACE_MENTION, user=event.get("user"))

    def on_message(self, event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient) -> None:
        """A direct message: answer in the DM (in its thread if the user wrote in one).

        Everything else that arrives as a message event is acknowledged and ignored:
        bot messages (our own included), edits, deletions, joins and other subtypes.
        DMs follow the team allowlist only (see ``bot.slack.config``).
        """
        channel = event.get("channel") or ""
        if event.get("channel_type") != "im" or event.get("subtype") or _is_from_bot(event):
            return
        user = event.get("user")
        if not user or user == context.bot_user_id:
            return
        if not self.answered.add_new((channel, event.get("ts")), True):
            return
        if not self.access.team_allowed(body.get("team_id"), body.get("enterprise_id")):
            logger.info("DM answered with a refusal outside the team allowlist (team %s)", body.get("team_id"))
            call_web_api(client.chat_postMessage, channel=channel, thread_ts=event.get("thread_ts"),
                         **blocks.notice_message(NOT_ENABLED_TEAM))
            return
        key = ("dm", body.get("team_id"), channel)
        question = strip_mention(event.get("text") or "", context.bot_user_id)
        self.answer_in_conversation(client, channel=channel, thread_ts=event.get("thread_ts"), key=key, question=question,
                                    surface=SURFACE_DM, user=user)

    def on_home_opened(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        """Publish the App Home tab each time it is opened, so it shows the index being served now
        (after a reload: its new counts, problems and time)."""
        if event.get("tab") != "home" or not event.get("user"):
            return
        if not self.access.team_allowed(body.get("team_id"), body.get("enterprise_id")):
            view = blocks.disabled_home_view(NOT_ENABLED_TEAM)
        else:
            try:
                view = blocks.home_view(self.engine.stats(), self.engine.help_text(), self.engine.examples())
            except Exception:
                logger.exception("Could not build the App Home view")
                return
        call_web_api(client.views_publish, user_id=event["user"], view=view)

    def on_other_event(self, event: dict[str, Any]) -> None:
        """Acknowledge an event type we never asked for (Slack would retry it otherwise)."""
        logger.debug("Ignoring event of type %s", event.get("type"))

    # ------------------------------------------------------------------ buttons

    def on_choose_role(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """A role picked from an ambiguity: answer the original question for it, replacing the question."""
        ack()
        chosen = Asked.from_value(action.get("value"))
        where = Container(body)
        if chosen is None or chosen.role is None or not self.click_allowed(where):
            return
        answer = self.ask(chosen, surface=SURFACE_CHOICE, user=where.user)
        self.remember(where.context_key, answer)
        if answer is None:
            message = self.error_message()
        else:
            message = blocks.answer_message(answer, chosen, share=where.is_ephemeral)
        if where.is_ephemeral:
            outcome = self.post_response(where.response_url, {**message, "response_type": "ephemeral", "replace_original": True})
        else:
            outcome = post_web_api(client.chat_update, channel=where.channel, ts=where.message_ts, **message)
        self.undelivered(outcome, SURFACE_CHOICE,
                         self.apologies(client, channel=where.channel, user=where.user, thread_ts=where.thread_ts))

    def on_share(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient | None = None) -> None:
        """Post an ephemeral answer publicly, then remove the private copy.

        It goes through the command's ``response_url``, which works in any channel
        the command was used in, even ones the bot is not a member of. The
        question is asked again (an ephemeral message cannot be read back), and
        logged as ``slack:share``.
        """
        ack()
        asked = Asked.from_value(action.get("value"))
        where = Container(body)
        if asked is None or not self.click_allowed(where):
            return
        answer = self.ask(asked, surface=SURFACE_SHARE, user=where.user)
        if answer is None:
            self.respond(where.response_url, {**self.error_message(), "response_type": "ephemeral", "replace_original": False})
            return
        shared = blocks.answer_message(answer, asked, shared_by=where.user)
        outcome = self.post_response(where.response_url, {**shared, "response_type": "in_channel", "replace_original": False})
        if outcome == SENT:
            self.respond(where.response_url, {"delete_original": True})
        # the private copy is still there; the apology says the sharing failed
        self.undelivered(outcome, SURFACE_SHARE, self.apologies(client, channel=where.channel, user=where.user))

    def on_feedback(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """Record "Helpful" / "Not helpful" against the answer's question log row, and thank the clicker privately.

        A click that records nothing (a button from before the question log, a
        row pruned or unknown to this log, a forged value) is acknowledged and
        otherwise ignored: no thanks for feedback that went nowhere.
        """
        ack()
        where = Container(body)
        if not self.click_allowed(where):
            return
        helpful = action.get("action_id") == blocks.FEEDBACK_HELPFUL
        log_id = blocks.feedback_log_id(action.get("value"))
        question = blocks.decode_value(action.get("value")).get("q")
        if not self.record_feedback(log_id, helpful, where.user, question if isinstance(question, str) else None):
            logger.info("Feedback click not recorded (no such question in the log)")
            return
        thanks = blocks.notice_message(
            "Thanks, glad it helped!" if helpful else "Thanks for telling us. The handbook owners will see this question."
        )
        if where.is_ephemeral:
            self.respond(where.response_url, {**thanks, "response_type": "ephemeral", "replace_original": False})
        else:
            call_web_api(
                client.chat_postEphemeral,
                channel=where.channel,
                user=where.user,
                thread_ts=where.thread_ts,
                **thanks,
            )

    def on_other_action(self, ack: Callable[..., None], action: dict[str, Any]) -> None:
        """Acknowledge a click on something we no longer handle (e.g. a button on a very old message)."""
        ack()
        logger.debug("Ignoring action %s", action.get("action_id"))

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
            message = self.error_message() if answer is None else blocks.answer_message(answer, asked)
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
                return self.engine.ask(asked.question, last_role=asked.last_role, role=asked.role, role_page=asked.role_page,
                                       surface=surface, user=user)
        except Exception:
            logger.exception("The engine failed to answer a question")
            return None

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
            return outcome
        if response.status_code != 200:
            logger.error("Posting to response_url failed with HTTP %s", response.status_code)
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


class Container:
    """Where a clicked button lives: workspace, channel, message, thread, and whether it was ephemeral."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        container = body.get("container") or {}
        message = body.get("message") or {}
        self.team: str | None = (body.get("team") or {}).get("id") or body.get("team_id")
        self.enterprise: str | None = (body.get("enterprise") or {}).get("id")
        self.user: str | None = (body.get("user") or {}).get("id")
        self.channel: str | None = (body.get("channel") or {}).get("id") or container.get("channel_id")
        self.message_ts: str | None = container.get("message_ts") or message.get("ts")
        self.thread_ts: str | None = container.get("thread_ts") or message.get("thread_ts")
        self.is_ephemeral: bool = bool(container.get("is_ephemeral"))
        self.response_url: str | None = body.get("response_url")

    @property
    def context_key(self) -> tuple[Any, ...]:
        """The same conversation key the message's original question used."""
        if self.is_ephemeral:
            return ("command", self.team, self.channel, self.user)
        if (self.channel or "").startswith("D"):
            return ("dm", self.team, self.channel)
        return ("thread", self.team, self.channel, self.thread_ts or self.message_ts)


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
        return FAILED
    except (SlackClientError, OSError, HTTPException) as error:  # e.g. a timeout: the post is not sent again
        outcome = outcome_of(error)
        logger.error("Slack Web API %s failed: %s (%s)", _method_name(method), type(error).__name__,
                     "not delivered" if outcome == FAILED else "may have been delivered; not sent again")
        return outcome
    return SENT


SENT, FAILED, UNKNOWN = "sent", "failed", "unknown"
UNDELIVERED = "Sorry, my answer to your question could not be delivered. Please ask again in a minute."


def outcome_of(error: BaseException) -> str:
    """FAILED when Slack cannot have acted on the call (never sent, or refused), UNKNOWN when it may have."""
    if isinstance(error, (URLError, RequestNotSent, SlackClientError)) and not isinstance(error, TimeoutError):
        return FAILED
    return UNKNOWN


class DeliveryCounters:
    """How answers fared on their way to Slack, for ``/healthz`` and the logs (process-wide)."""

    NAMES = ("answers_delivered", "answers_maybe_delivered", "answers_undelivered", "apologies_sent", "answers_lost")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.NAMES, 0)

    def add(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


DELIVERY = DeliveryCounters()


def _method_name(method: Callable[..., Any]) -> str:
    return getattr(method, "__name__", "call").replace("_", ".", 1)


def _is_dm(channel: str, event: Mapping[str, Any]) -> bool:
    return event.get("channel_type") == "im" or channel.startswith("D")


def _is_from_bot(event: Mapping[str, Any]) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile"))


MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """The question without our own @-mention (other mentions are left for the engine)."""
    if bot_user_id:
        text = MENTION.sub(lambda m: " " if m.group(1) == bot_user_id else m.group(0), text)
    return " ".join(text.split())


def answer_slots() -> int:
    """``ROLECALL_ANSWER_SLOTS``: answers computed at once (default: the number of cores)."""
    return settings.positive_int("ROLECALL_ANSWER_SLOTS", max(1, os.cpu_count() or 1))


def listener_threads() -> int:
    """``ROLECALL_LISTENER_THREADS``: listeners running at once after their ack (default 64; most wait to answer)."""
    return settings.positive_int("ROLECALL_LISTENER_THREADS", 64)


# --------------------------------------------------------------------------- assembly


def build_app(
    engine: EngineLike,
    config: SlackConfig,
    *,
    client: WebClient | None = None,
    listener_executor: Executor | None = None,
) -> App:
    """The Bolt app for ``engine``; calls ``auth.test`` once to learn the bot's own ids.

    ``listener_executor`` runs the listeners after their ack (Bolt's default
    thread pool when None); tests pass one that can tell when the app is idle.
    """
    app = App(
        # The token travels inside the client (Bolt warns when both are given).
        client=client or make_web_client(config),
        signing_secret=config.signing_secret,
        logger=bolt_logger,
        request_verification_enabled=False,
        before_authorize=VerifySignature(config.signing_secret),
        # Listeners ack and hand their work to SlackBot.work themselves (SlackBot.deferred).
        process_before_response=True,
    )
    app.use(DedupeEvents())
    bot = SlackBot(engine, context_ttl=config.context_ttl, access=config.access, http_timeout=config.http_timeout,
                   work_executor=listener_executor)
    bot.register(app)
    return app
