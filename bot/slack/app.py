"""The Bolt app for Rolecall: a thin builder, in the shape of the bolt-python starter template.

What lives where:

* :mod:`bot.slack.listeners` — one module per feature (commands, mentions, messages, home,
  actions, unfurls, shortcuts, assistant, hand-off), each with ``register(app, bot)``;
* :mod:`bot.slack.core` — :class:`SlackBot`, what every listener shares: the engine, access
  rules, conversation memory, the ack wrapper and delivery with apologies;
* :mod:`bot.slack.middleware` — the signature check and Events API retry deduplication;
* :mod:`bot.slack.transport` — the HTTP transport, retry handlers (posts at most once) and
  the Web API client; :mod:`bot.slack.delivery` — outcomes of posts and their counters;
* :mod:`bot.slack.conversation` — where a request happened and its conversation key;
* :mod:`bot.slack.blocks` — Block Kit;
* :mod:`bot.slack.front` and :mod:`bot.slack.workers` — HTTP mode's ack-only front, its answer
  worker processes and its indexer process (the same listeners, split at their hand-off point);
* :mod:`bot.slack.state` — the conversation context and dedupe stores (made in one place).

Names that used to live here are re-exported, so ``from bot.slack.app import ...`` keeps working.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.config import SlackConfig
from bot.slack.conversation import Container, strip_mention  # noqa: F401  (re-exported)
from bot.slack.core import (  # noqa: F401  (re-exported)
    COMMAND,
    HELP_WORDS,
    NOT_ENABLED_CHANNEL,
    NOT_ENABLED_TEAM,
    SURFACE_CHOICE,
    SURFACE_COMMAND,
    SURFACE_DM,
    SURFACE_MENTION,
    SURFACE_SHARE,
    EngineLike,
    FeedbackLog,
    SlackBot,
    answer_slots,
    listener_threads,
)
from bot.slack.delivery import (  # noqa: F401  (re-exported)
    DELIVERY,
    FAILED,
    SENT,
    UNDELIVERED,
    UNKNOWN,
    DeliveryCounters,
    call_web_api,
    outcome_of,
    post_web_api,
)
from bot.slack.middleware import EVENT_DEDUPE_TTL, DedupeEvents, VerifySignature, _DropClientTokenWarning  # noqa: F401
from bot.slack.transport import (  # noqa: F401  (re-exported)
    IDEMPOTENT_METHODS,
    MAX_RETRIES,
    AnyServerErrorRetryHandler,
    UnsentRequestRetryHandler,
    api_method,
    make_web_client,
    retry_handlers,
)

bolt_logger = logging.getLogger("rolecall.slack.bolt")
bolt_logger.addFilter(_DropClientTokenWarning())


def bolt_app(config: SlackConfig, client: WebClient | None = None) -> App:
    """A Bolt app as every Rolecall process serves it (the one-process app and the front alike):
    the signature checked on the raw bytes first, retried events dropped; calls ``auth.test`` once."""
    app = App(
        # The token travels inside the client (Bolt warns when both are given).
        client=client or make_web_client(config),
        signing_secret=config.signing_secret,
        logger=bolt_logger,
        request_verification_enabled=False,
        before_authorize=VerifySignature(config.signing_secret),
        # Listeners ack and hand their work on themselves (SlackBot.deferred, the front's hand-off).
        process_before_response=True,
    )
    app.use(DedupeEvents())
    return app


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
    app = bolt_app(config, client)
    bot = SlackBot(engine, context_ttl=config.context_ttl, access=config.access, http_timeout=config.http_timeout,
                   work_executor=listener_executor, handoff_channel=config.handoff_channel,
                   handbook_url=config.handbook_url)
    bot.register(app)
    bot.catalog()  # builds the catalog and starts working out page freshness now, not on the first answer
    return app
