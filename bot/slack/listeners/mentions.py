"""@-mentions in a channel: answered in the thread under the message, with the thread's memory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack.conversation import is_dm, is_from_bot, strip_mention, thread_key
from bot.slack.core import SURFACE_MENTION, SlackBot

logger = logging.getLogger("rolecall.slack")


class Mentions:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def events(self) -> dict[str, Callable[..., None]]:
        return {"app_mention": self.on_app_mention}

    def on_app_mention(self, event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient) -> None:
        """An @-mention in a channel: answer in its thread, or start one under it."""
        channel = event.get("channel") or ""
        if is_dm(channel, event) or is_from_bot(event) or event.get("subtype"):
            return  # DMs are answered by on_message; bots (ourselves included) are never answered
        if not self.bot.access.allows(body.get("team_id"), channel, body.get("enterprise_id")):
            logger.info("Mention ignored outside the allowlists (team %s, channel %s)", body.get("team_id"), channel)
            return  # silent: a public "not enabled here" in someone's channel would be noise
        if not self.bot.answered.add_new((channel, event.get("ts")), True):
            return
        thread_ts = event.get("thread_ts") or event.get("ts")
        key = thread_key(body.get("team_id"), channel, thread_ts)
        question = strip_mention(event.get("text") or "", context.bot_user_id)
        self.bot.answer_in_conversation(client, channel=channel, thread_ts=thread_ts, key=key, question=question,
                                    surface=SURFACE_MENTION, user=event.get("user"))

def register(app: Any, bot: SlackBot) -> Mentions:
    listeners = Mentions(bot)
    for event_type, listener in listeners.events().items():
        app.event(event_type)(bot.deferred(listener))
    return listeners
