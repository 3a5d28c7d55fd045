"""Direct messages: answered in the DM, with the DM's memory (threads in a DM are assistant threads)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.conversation import dm_key, is_from_bot, strip_mention
from bot.slack.core import NOT_ENABLED_TEAM, SURFACE_DM, SlackBot
from bot.slack.delivery import call_web_api

logger = logging.getLogger("rolecall.slack")


class Messages:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def events(self) -> dict[str, Callable[..., None]]:
        return {"message": self.on_message}

    def on_message(self, event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient) -> None:
        """A direct message: answer in the DM (in its thread if the user wrote in one).

        Everything else that arrives as a message event is acknowledged and ignored:
        bot messages (our own included), edits, deletions, joins and other subtypes.
        DMs follow the team allowlist only (see ``bot.slack.config``).
        """
        channel = event.get("channel") or ""
        if event.get("channel_type") != "im" or event.get("subtype") or is_from_bot(event):
            return
        user = event.get("user")
        if not user or user == context.bot_user_id:
            return
        if not self.bot.answered.add_new((channel, event.get("ts")), True):
            return
        if not self.bot.access.team_allowed(body.get("team_id"), body.get("enterprise_id")):
            logger.info("DM answered with a refusal outside the team allowlist (team %s)", body.get("team_id"))
            call_web_api(client.chat_postMessage, channel=channel, thread_ts=event.get("thread_ts"),
                         **blocks.notice_message(NOT_ENABLED_TEAM))
            return
        key = dm_key(body.get("team_id"), channel)
        question = strip_mention(event.get("text") or "", context.bot_user_id)
        self.bot.answer_in_conversation(client, channel=channel, thread_ts=event.get("thread_ts"), key=key, question=question,
                                    surface=SURFACE_DM, user=user)

def register(app: Any, bot: SlackBot) -> Messages:
    listeners = Messages(bot)
    for event_type, listener in listeners.events().items():
        app.event(event_type)(bot.deferred(listener))
    return listeners
