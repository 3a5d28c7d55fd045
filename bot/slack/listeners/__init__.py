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
from bot.slack.listeners import actions, assistant, cards, commands, handoff, home, mentions, messages, shortcuts, unfurls

logger = logging.getLogger("rolecall.slack")

# The assistant goes first: it is middleware that takes the messages of assistant (DM) threads.
FEATURES = (assistant, commands, mentions, messages, home, actions, cards, handoff, unfurls, shortcuts)


def register_all(app: Any, bot: SlackBot) -> None:
    for feature in FEATURES:
        feature.register(app, bot)
    app.event(re.compile(r".*"))(on_other_event)
    app.action(re.compile(r".*"))(on_other_action)
    app.shortcut(re.compile(r".*"))(on_other_action)
    app.view(re.compile(r".*"))(on_other_view)
    app.options(re.compile(r".*"))(on_other_options)


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


def on_other_action(ack: Callable[..., None], body: dict[str, Any]) -> None:
    """Acknowledge a click (or a shortcut) we no longer handle (e.g. a button on a very old message)."""
    ack()
    logger.debug("Ignoring %s", body.get("type"))


def on_other_view(ack: Callable[..., None], view: dict[str, Any]) -> None:
    """Acknowledge a submitted view we do not know (it closes)."""
    ack()
    logger.debug("Ignoring view %s", view.get("callback_id"))


def on_other_options(ack: Callable[..., None]) -> None:
    """No options for a menu we do not know."""
    ack(options=[])
