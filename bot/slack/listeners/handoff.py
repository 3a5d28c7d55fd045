"""Hand-off to a person: "Ask a recruiter" under an answer that was not good enough.

The button appears under ``not_found`` and ``not_documented`` answers and under the thanks for a
"Not helpful" click, when ``ROLECALL_HANDOFF_CHANNEL`` is set. A click posts the question, the
answer Rolecall gave and a link to the asker into that channel, and tells the asker privately
that it was passed on. Everything the post needs rides in the button (question, answer,
status, first source), so any replica can handle the click and nothing is asked again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.conversation import Container
from bot.slack.core import SlackBot
from bot.slack.delivery import SENT, call_web_api, post_web_api

logger = logging.getLogger("rolecall.slack")

PASSED_ON = "I passed your question on to the recruiters in <#{channel}>; someone will get back to you."
NOT_PASSED_ON = "Sorry, I couldn't pass your question on just now. Please try again in a minute."


class Handoff:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def on_handoff(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        where = Container(body)
        channel = self.bot.handoff_channel
        handed = blocks.decode_value(action.get("value"))
        if channel is None or not isinstance(handed.get("q"), str) or not self.bot.click_allowed(where):
            return
        post = blocks.handoff_post(handed, where.user, where.team)
        outcome = post_web_api(client.chat_postMessage, channel=channel, unfurl_links=False, unfurl_media=False, **post)
        if outcome != SENT:
            logger.error("A hand-off could not be posted to the hand-off channel")
        notice = blocks.notice_message(NOT_PASSED_ON) if outcome != SENT else {
            "text": PASSED_ON.format(channel=channel),
            "blocks": [blocks.section(PASSED_ON.format(channel=channel))],  # our own text: the channel link is ours
        }
        self.tell(client, where, notice)

    def tell(self, client: WebClient, where: Container, notice: dict[str, Any]) -> None:
        """A private note to the clicker, where the button was."""
        if where.is_ephemeral and where.response_url:
            self.bot.respond(where.response_url, {**notice, "response_type": "ephemeral", "replace_original": False})
        elif where.channel and where.user:
            call_web_api(client.chat_postEphemeral, channel=where.channel, user=where.user, thread_ts=where.thread_ts, **notice)


def register(app: Any, bot: SlackBot) -> Handoff:
    listeners = Handoff(bot)
    app.action(blocks.HANDOFF)(bot.deferred(listeners.on_handoff))
    return listeners
