"""Buttons of a role card (in an unfurl, or in the "Look up a role" modal): one kind of answer about
the card's role.

The button carries the question and the role with its page (``Asked``), so the engine answers
for exactly that role, and any replica can handle the click. In a modal the answer replaces the
card (``views.update``, with the card's buttons kept under it); under an unfurl it comes privately
to the person who clicked (``response_url``), with "Share in channel".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.blocks import Asked
from bot.slack.conversation import Container, command_key
from bot.slack.core import SURFACE_CARD, SlackBot
from bot.slack.delivery import post_web_api

logger = logging.getLogger("rolecall.slack")


class Cards:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def on_card_button(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any],
                       client: WebClient) -> None:
        ack()
        asked = Asked.from_value(action.get("value"))
        where = Container(body)
        if asked is None or asked.role is None:
            return
        view = body.get("view") or {}
        in_modal = (body.get("container") or {}).get("type") == "view" or bool(view.get("id"))
        if in_modal:
            if not self.bot.access.team_allowed(where.team, where.enterprise):
                return
        elif not self.bot.click_allowed(where):
            return
        answer = self.bot.ask(asked, surface=SURFACE_CARD, user=where.user)
        if in_modal:
            card_buttons = [b for b in view.get("blocks") or [] if b.get("type") == "actions" and
                            str(b.get("block_id", "")).startswith("card")]
            if answer is None:
                body_blocks = self.bot.error_message()["blocks"] + card_buttons
            else:
                body_blocks = blocks.modal_answer_blocks(answer, self.bot.freshness(answer), card_buttons)
            modal = blocks.card_modal(asked.role, body_blocks, private_metadata=str(view.get("private_metadata") or ""))
            options: dict[str, Any] = {"view_id": view.get("id"), "view": modal}
            if view.get("hash"):
                options["hash"] = view["hash"]
            post_web_api(client.views_update, **options)
            return
        self.bot.remember(command_key(where.team, where.channel, where.user), answer)
        message = self.bot.error_message() if answer is None else self.bot.render(answer, asked, share=True)
        if where.response_url:
            outcome = self.bot.post_response(where.response_url, {**message, "response_type": "ephemeral", "replace_original": False})
        else:
            outcome = post_web_api(client.chat_postEphemeral, channel=where.channel, user=where.user,
                                   thread_ts=where.thread_ts, **message)
        self.bot.undelivered(outcome, SURFACE_CARD, self.bot.apologies(client, channel=where.channel, user=where.user))


def register(app: Any, bot: SlackBot) -> Cards:
    listeners = Cards(bot)
    app.action(blocks.CARD_PATTERN)(bot.deferred(listeners.on_card_button))
    return listeners
