"""Rolecall's listeners, one module per feature, each with ``register(app, bot)``.

:func:`register_all` attaches them in order and adds the safety nets last: an event or a
click nothing above handles is still acknowledged, or Slack would retry it (and show the
user an error).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from bot.slack.core import SlackBot
from bot.slack.listeners import actions, commands, home, mentions, messages

logger = logging.getLogger("rolecall.slack")

FEATURES = (commands, mentions, messages, home, actions)


def register_all(app: Any, bot: SlackBot) -> None:
    for feature in FEATURES:
        feature.register(app, bot)
    app.event(re.compile(r".*"))(on_other_event)
    app.action(re.compile(r".*"))(on_other_action)


def event_listeners(bot: SlackBot) -> dict[str, Callable[..., None]]:
    """Event type -> listener, over every feature that listens to events."""
    found: dict[str, Callable[..., None]] = {}
    for feature in FEATURES:
        for cls in vars(feature).values():
            if isinstance(cls, type) and cls.__module__ == feature.__name__ and hasattr(cls, "events"):
                found.update(cls(bot).events())
    return found


def on_other_event(event: dict[str, Any]) -> None:
    """Acknowledge an event type we never asked for (Slack would retry it otherwise)."""
    logger.debug("Ignoring event of type %s", event.get("type"))


def on_other_action(ack: Callable[..., None], action: dict[str, Any]) -> None:
    """Acknowledge a click on something we no longer handle (e.g. a button on a very old message)."""
    ack()
    logger.debug("Ignoring action %s", action.get("action_id"))
