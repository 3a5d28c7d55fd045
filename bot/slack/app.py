"""The Bolt app: every Slack surface of Rolecall, wired to the engine.

Surfaces: ``/hiring`` (ephemeral, with "Share in channel"), @-mentions
(answered in a thread), direct messages, the App Home tab and the buttons under
answers (role choices, feedback, share). The engine does the answering; this
module only decides where an answer goes and what conversation it belongs to.

Slack-specific rules handled here:

* every subscribed event is acknowledged, even the ones we ignore, because an
  unacknowledged event is retried by Slack;
* Events API retries are deduplicated by ``event_id`` (Bolt does not);
* slow work (the engine, Web API calls) happens after ``ack()``, so Slack gets
  its answer well inside 3 seconds even while the index is being rebuilt;
* Web API and ``response_url`` calls retry on 429 (honouring Retry-After) and
  5xx, and a call that still fails is logged, never raised into Bolt.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Protocol

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from bot.answer import Answer
from bot.slack import blocks
from bot.slack.blocks import Asked, Message
from bot.slack.config import SlackConfig
from bot.slack.feedback import Feedback, FeedbackStore, default_path
from bot.slack.state import ExpiringMap

COMMAND = "/hiring"
# Slack retries an event for about an hour at most; remembering ids for longer is pointless.
EVENT_DEDUPE_TTL = 60 * 60.0
HELP_WORDS = frozenset({"", "help", "?"})
HTTP_TIMEOUT = 10
MAX_RETRIES = 2

logger = logging.getLogger("rolecall.slack")
bolt_logger = logging.getLogger("rolecall.slack.bolt")


class _DropClientTokenWarning(logging.Filter):
    """Bolt warns that the token is ignored when a client is given, because it also reads
    SLACK_BOT_TOKEN from the environment; the client carries that very token, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


bolt_logger.addFilter(_DropClientTokenWarning())


class EngineLike(Protocol):
    """The part of ``bot.engine.Engine`` the Slack layer uses."""

    def ask(self, question: str, *, last_role: str | None = None, role: str | None = None,
            role_page: str | None = None) -> Answer: ...

    def stats(self) -> dict[str, Any]: ...

    def examples(self) -> list[str]: ...

    def help_text(self) -> str: ...


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


def retry_handlers() -> list[RetryHandler]:
    """Connection errors, 429 (after Retry-After) and 5xx are retried a couple of times."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
        RateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
        AnyServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
    ]


def make_web_client(config: SlackConfig) -> WebClient:
    """The bot's Web API client; ``SLACK_API_URL`` (config.api_url) replaces slack.com/api/."""
    options: dict[str, Any] = {"token": config.bot_token, "timeout": HTTP_TIMEOUT, "retry_handlers": retry_handlers()}
    if config.api_url:
        options["base_url"] = config.api_url
    return WebClient(**options)


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
        feedback: FeedbackStore | None = None,
    ) -> None:
        self.engine = engine
        self.feedback = feedback
        # Conversation key -> role of the last answer there, for follow-ups ("and what grade is it?").
        self.contexts: ExpiringMap[str] = ExpiringMap(context_ttl)
        # (channel, ts) of messages already answered: one message can arrive as two events
        # (an @-mention in a DM is both message.im and app_mention).
        self.answered: ExpiringMap[bool] = ExpiringMap(EVENT_DEDUPE_TTL, max_items=50_000)

    # ------------------------------------------------------------------ registration

    def register(self, app: App) -> None:
        """Attach every listener. The same app serves HTTP mode and Socket Mode."""
        app.command(COMMAND)(self.on_command)
        for event_type, listener in self.event_listeners().items():
            app.event(event_type)(listener)
        app.action(blocks.CHOOSE_ROLE_PATTERN)(self.on_choose_role)
        app.action(blocks.SHARE)(self.on_share)
        app.action(blocks.FEEDBACK_PATTERN)(self.on_feedback)
        # Safety nets, registered last so they only see what nothing above matched:
        # an unacknowledged event or click makes Slack retry it (and show the user an error).
        app.event(re.compile(r".*"))(self.on_other_event)
        app.action(re.compile(r".*"))(self.on_other_action)

    def event_listeners(self) -> dict[str, Callable[..., None]]:
        """Event type -> listener; the manifest test checks app.yaml against these keys."""
        return {
            "app_mention": self.on_app_mention,
            "message": self.on_message,
            "app_home_opened": self.on_home_opened,
        }

    # ------------------------------------------------------------------ slash command

    def on_command(self, ack: Callable[..., None], command: dict[str, Any]) -> None:
        """``/hiring <question>``: acknowledge at once, then answer only to the asker."""
        ack()
        response_url = command.get("response_url")
        question = (command.get("text") or "").strip()
        if question.lower() in HELP_WORDS:
            self.respond(response_url, {**self.help_message(), "response_type": "ephemeral"})
            return
        key = ("command", command.get("team_id"), command.get("channel_id"), command.get("user_id"))
        asked = Asked(question, last_role=self.contexts.get(key))
        answer = self.ask(asked)
        message = self.error_message() if answer is None else blocks.answer_message(answer, asked, share=True)
        self.remember(key, answer)
        self.respond(response_url, {**message, "response_type": "ephemeral"})

    # ------------------------------------------------------------------ events

    def on_app_mention(self, event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient) -> None:
        """An @-mention in a channel: answer in its thread, or start one under it."""
        channel = event.get("channel") or ""
        if _is_dm(channel, event) or _is_from_bot(event) or event.get("subtype"):
            return  # DMs are answered by on_message; bots (ourselves included) are never answered
        if not self.answered.add_new((channel, event.get("ts")), True):
            return
        thread_ts = event.get("thread_ts") or event.get("ts")
        key = ("thread", body.get("team_id"), channel, thread_ts)
        question = strip_mention(event.get("text") or "", context.bot_user_id)
        self.answer_in_conversation(client, channel=channel, thread_ts=thread_ts, key=key, question=question)

    def on_message(self, event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient) -> None:
        """A direct message: answer in the DM (in its thread if the user wrote in one).

        Everything else that arrives as a message event is acknowledged and ignored:
        bot messages (our own included), edits, deletions, joins and other subtypes.
        """
        channel = event.get("channel") or ""
        if event.get("channel_type") != "im" or event.get("subtype") or _is_from_bot(event):
            return
        user = event.get("user")
        if not user or user == context.bot_user_id:
            return
        if not self.answered.add_new((channel, event.get("ts")), True):
            return
        key = ("dm", body.get("team_id"), channel)
        question = strip_mention(event.get("text") or "", context.bot_user_id)
        self.answer_in_conversation(client, channel=channel, thread_ts=event.get("thread_ts"), key=key, question=question)

    def on_home_opened(self, event: dict[str, Any], client: WebClient) -> None:
        """Publish the App Home tab each time it is opened, so it shows the current index."""
        if event.get("tab") != "home" or not event.get("user"):
            return
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
        if chosen is None or chosen.role is None:
            return
        answer = self.ask(chosen)
        where = Container(body)
        self.remember(where.context_key, answer)
        if answer is None:
            message = self.error_message()
        else:
            message = blocks.answer_message(answer, chosen, share=where.is_ephemeral)
        if where.is_ephemeral:
            self.respond(where.response_url, {**message, "response_type": "ephemeral", "replace_original": True})
        else:
            call_web_api(client.chat_update, channel=where.channel, ts=where.message_ts, **message)

    def on_share(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        """Post an ephemeral answer publicly, then remove the private copy.

        It goes through the command's ``response_url``, which works in any channel
        the command was used in, even ones the bot is not a member of.
        """
        ack()
        asked = Asked.from_value(action.get("value"))
        where = Container(body)
        if asked is None:
            return
        answer = self.ask(asked)
        if answer is None:
            self.respond(where.response_url, {**self.error_message(), "response_type": "ephemeral", "replace_original": False})
            return
        shared = blocks.answer_message(answer, asked, shared_by=where.user)
        if self.respond(where.response_url, {**shared, "response_type": "in_channel", "replace_original": False}):
            self.respond(where.response_url, {"delete_original": True})

    def on_feedback(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """Record "Helpful" / "Not helpful" with the question, and thank the clicker privately."""
        ack()
        data = blocks.decode_value(action.get("value"))
        where = Container(body)
        helpful = action.get("action_id") == blocks.FEEDBACK_HELPFUL
        if self.feedback is not None and isinstance(data.get("q"), str):
            try:
                self.feedback.record(
                    Feedback(
                        surface=where.surface,
                        team_id=where.team or "",
                        user_id=where.user or "",
                        question=data["q"],
                        intent=str(data.get("i") or ""),
                        status=str(data.get("s") or ""),
                        roles=tuple(str(role) for role in data.get("r") or [] if isinstance(role, str)),
                        helpful=helpful,
                    )
                )
            except Exception:
                logger.exception("Could not record feedback")
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

    # ------------------------------------------------------------------ helpers

    def answer_in_conversation(
        self,
        client: WebClient,
        *,
        channel: str,
        thread_ts: str | None,
        key: tuple[Any, ...],
        question: str,
    ) -> None:
        """Answer ``question`` in a thread or DM, using and updating that conversation's context."""
        if question.lower() in HELP_WORDS:
            message = self.help_message()
        else:
            asked = Asked(question, last_role=self.contexts.get(key))
            answer = self.ask(asked)
            self.remember(key, answer)
            message = self.error_message() if answer is None else blocks.answer_message(answer, asked)
        call_web_api(
            client.chat_postMessage,
            channel=channel,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **message,
        )

    def ask(self, asked: Asked) -> Answer | None:
        """The engine's answer, or None when it failed (logged; the user gets an apology)."""
        try:
            return self.engine.ask(asked.question, last_role=asked.last_role, role=asked.role, role_page=asked.role_page)
        except Exception:
            logger.exception("The engine failed to answer a question")
            return None

    def remember(self, key: tuple[Any, ...], answer: Answer | None) -> None:
        """An answer about exactly one role makes it the conversation's context."""
        if answer is not None and len(answer.roles) == 1:
            self.contexts.set(key, answer.roles[0])

    def help_message(self) -> Message:
        """The engine's help text (an apology if even that fails)."""
        try:
            return blocks.help_message(self.engine.help_text())
        except Exception:
            logger.exception("The engine failed to produce help")
            return self.error_message()

    @staticmethod
    def error_message() -> Message:
        """What the user sees when the engine failed."""
        return blocks.notice_message("Sorry, I couldn't answer that just now. Please try again in a minute.")

    @staticmethod
    def respond(response_url: str | None, payload: Mapping[str, Any]) -> bool:
        """Post to a ``response_url`` with the same retries as the Web API; False if it failed.

        Bolt's own ``respond()`` has no retry handlers, hence this. The URL is a
        capability (anyone holding it can post), so it is never logged.
        """
        if not response_url:
            logger.warning("No response_url to answer on")
            return False
        client = WebhookClient(url=response_url, timeout=HTTP_TIMEOUT, retry_handlers=retry_handlers())
        try:
            response = client.send_dict(dict(payload))
        except (SlackClientError, OSError) as error:
            logger.error("Posting to response_url failed: %s", type(error).__name__)
            return False
        if response.status_code != 200:
            logger.error("Posting to response_url failed with HTTP %s", response.status_code)
            return False
        return True


class Container:
    """Where a clicked button lives: channel, message, thread, and whether it was ephemeral."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        container = body.get("container") or {}
        message = body.get("message") or {}
        self.team: str | None = (body.get("team") or {}).get("id") or body.get("team_id")
        self.user: str | None = (body.get("user") or {}).get("id")
        self.channel: str | None = (body.get("channel") or {}).get("id") or container.get("channel_id")
        self.message_ts: str | None = container.get("message_ts") or message.get("ts")
        self.thread_ts: str | None = container.get("thread_ts") or message.get("thread_ts")
        self.is_ephemeral: bool = bool(container.get("is_ephemeral"))
        self.response_url: str | None = body.get("response_url")

    @property
    def surface(self) -> str:
        """Which surface the click came from (recorded with feedback)."""
        if self.is_ephemeral:
            return "command"
        return "dm" if (self.channel or "").startswith("D") else "channel"

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
    try:
        method(**kwargs)
    except SlackApiError as error:
        logger.error("Slack Web API %s failed: %s", _method_name(method), error.response.get("error"))
        return False
    except (SlackClientError, OSError) as error:
        logger.error("Slack Web API %s failed: %s", _method_name(method), type(error).__name__)
        return False
    return True


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


# --------------------------------------------------------------------------- assembly


def build_app(
    engine: EngineLike,
    config: SlackConfig,
    *,
    client: WebClient | None = None,
    feedback: FeedbackStore | None = None,
    listener_executor: Executor | None = None,
) -> App:
    """The Bolt app for ``engine``; calls ``auth.test`` once to learn the bot's own ids.

    ``listener_executor`` runs the listeners after their ack (Bolt's default
    thread pool when None); tests pass one that can tell when the app is idle.
    """
    if feedback is None:
        index_db = getattr(engine, "db_path", None)
        feedback = FeedbackStore(config.feedback_db or default_path(Path(index_db) if index_db else None))
    app = App(
        # The token travels inside the client (Bolt warns when both are given).
        client=client or make_web_client(config),
        signing_secret=config.signing_secret,
        logger=bolt_logger,
        request_verification_enabled=False,
        before_authorize=VerifySignature(config.signing_secret),
        listener_executor=listener_executor,
    )
    app.use(DedupeEvents())
    SlackBot(engine, context_ttl=config.context_ttl, feedback=feedback).register(app)
    return app
