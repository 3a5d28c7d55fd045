"""Shortcuts: "Ask Rolecall" on any message, and "Look up a role" from anywhere.

* Message shortcut ``ask_rolecall``: the message's text (a job requisition, a candidate's
  question) is asked as a question; when that finds nothing but the text names a role (a
  requisition), the answer is that role's overview. It comes
  privately to the person who used the shortcut (the shortcut's ``response_url``), with
  "Share in channel", exactly like ``/hiring``.
* Global shortcut ``lookup_role``: a modal with a typeahead role picker (``external_select``;
  its options come from the index as the user types, ``block_suggestion``); "Show" replaces it
  with the role's card and a button for each kind of answer (see :mod:`bot.slack.listeners.cards`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.answer import Context
from bot.slack import blocks
from bot.slack.blocks import Asked
from bot.slack.conversation import command_key
from bot.slack.core import NOT_ENABLED_TEAM, SURFACE_SHORTCUT, SlackBot
from bot.slack.delivery import call_web_api

logger = logging.getLogger("rolecall.slack")

ASK_SHORTCUT = "ask_rolecall"
LOOKUP_SHORTCUT = "lookup_role"
MAX_MESSAGE_QUESTION = 500
NOTHING_TO_ASK = "That message has no text I could read. Try `/hiring` with the role's name."
NO_SUCH_ROLE = "That role is no longer in the handbook index. Please pick another one."


class Shortcuts:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    # ------------------------------------------------------------------ "Ask Rolecall" on a message

    def on_message_shortcut(self, ack: Callable[..., None], shortcut: dict[str, Any], client: WebClient | None = None) -> None:
        """Answer about the role a message names, privately to whoever used the shortcut."""
        team = (shortcut.get("team") or {}).get("id")
        enterprise = (shortcut.get("enterprise") or {}).get("id")
        channel = (shortcut.get("channel") or {}).get("id")
        user = (shortcut.get("user") or {}).get("id")
        refusal = self.bot.refusal(team, channel, enterprise)
        ack()
        response_url = shortcut.get("response_url")
        if refusal is not None:
            logger.info("Message shortcut refused outside the allowlists (team %s, channel %s)", team, channel)
            self.bot.respond(response_url, {**blocks.notice_message(refusal), "response_type": "ephemeral"})
            return
        message = shortcut.get("message") or {}
        question = " ".join(str(message.get("text") or "").split())[:MAX_MESSAGE_QUESTION]
        if not question:
            self.bot.respond(response_url, {**blocks.notice_message(NOTHING_TO_ASK), "response_type": "ephemeral"})
            return
        asked = Asked(question)
        answer = self.bot.ask(asked, surface=SURFACE_SHORTCUT, user=user)
        if answer is not None and answer.status in ("not_found", "unknown"):
            # Not a question Rolecall can answer as it stands (a requisition: "Req 4411: Associate Sales
            # Operations Analyst, Berlin"): when it names a role, show that role.
            catalog = self.bot.catalog()
            role = catalog.named_in(question) if catalog is not None else None
            if role is not None:
                asked = Asked(f"Tell me about the {role.name}", role=role.name, role_page=role.page)
                answer = self.bot.ask(asked, surface=SURFACE_SHORTCUT, user=user)
        self.bot.remember(command_key(team, channel, user), answer)  # a later /hiring follow-up continues from it
        reply = self.bot.error_message() if answer is None else self.bot.render(answer, asked, share=True)
        outcome = self.bot.post_response(response_url, {**reply, "response_type": "ephemeral"})
        self.bot.undelivered(outcome, SURFACE_SHORTCUT, self.bot.apologies(client, channel=channel, user=user))

    # ------------------------------------------------------------------ "Look up a role"

    def on_global_shortcut(self, ack: Callable[..., None], shortcut: dict[str, Any], client: WebClient) -> None:
        """Open the role picker (the trigger expires in 3 seconds: open first, think later)."""
        ack()
        team = (shortcut.get("team") or {}).get("id")
        enterprise = (shortcut.get("enterprise") or {}).get("id")
        if not self.bot.access.team_allowed(team, enterprise):
            view = blocks.card_modal("Rolecall", [blocks.section(blocks.to_mrkdwn(NOT_ENABLED_TEAM))])
        else:
            view = blocks.lookup_modal()
        call_web_api(client.views_open, trigger_id=shortcut.get("trigger_id"), view=view)

    def on_role_options(self, ack: Callable[..., None], payload: dict[str, Any], body: dict[str, Any]) -> None:
        """The picker's options for what the user has typed so far, straight from the index."""
        team = (body.get("team") or {}).get("id")
        if not self.bot.access.team_allowed(team, (body.get("enterprise") or {}).get("id")):
            ack(options=[])
            return
        catalog = self.bot.catalog()
        try:
            roles = catalog.search(str(payload.get("value") or ""), limit=blocks.OPTIONS_LIMIT) if catalog else []
        except Exception:
            logger.exception("Role search for the picker failed")
            roles = []
        ack(options=[blocks.role_option(role) for role in roles])

    def on_lookup_submitted(self, ack: Callable[..., None], view: dict[str, Any], body: dict[str, Any]) -> None:
        """"Show": replace the picker with the chosen role's card."""
        state = ((view.get("state") or {}).get("values") or {}).get(blocks.ROLE_PICK_BLOCK) or {}
        selected = (state.get(blocks.ROLE_PICK) or {}).get("selected_option") or {}
        chosen = Context.decode(str(selected.get("value") or "")) if selected.get("value") else None
        catalog = self.bot.catalog()
        role = catalog.role(chosen.role, chosen.page) if catalog is not None and chosen and chosen.role else None
        if role is None:
            ack(response_action="errors", errors={blocks.ROLE_PICK_BLOCK: NO_SUCH_ROLE})
            return
        try:
            card = catalog.card(role)
            changed = blocks.changed_label(catalog.changed_at(role.page))
        except Exception:
            logger.exception("Could not build a role card")
            ack(response_action="errors", errors={blocks.ROLE_PICK_BLOCK: "Sorry, I couldn't show that role just now."})
            return
        card_view = blocks.card_modal(role.name, blocks.role_card_blocks(card, changed=changed),
                                      private_metadata=Context(role.name, role.page).encode()[:3000])
        ack(response_action="update", view=card_view)


def register(app: Any, bot: SlackBot) -> Shortcuts:
    listeners = Shortcuts(bot)
    app.message_shortcut(ASK_SHORTCUT)(bot.deferred(listeners.on_message_shortcut))
    app.global_shortcut(LOOKUP_SHORTCUT)(bot.deferred(listeners.on_global_shortcut))
    app.options(blocks.ROLE_PICK)(bot.deferred(listeners.on_role_options))
    app.view(blocks.LOOKUP_VIEW)(bot.deferred(listeners.on_lookup_submitted))
    return listeners
