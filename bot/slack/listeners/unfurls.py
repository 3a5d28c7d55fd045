"""Link unfurls: a handbook job link pasted in a channel shows the role (or the family) it points at.

Slack sends ``link_shared`` for links to the domains in app.yaml's ``unfurl_domains`` (the
handbook's, ``ROLECALL_HANDBOOK_URL``); Rolecall answers with ``chat.unfurl``: for a role, its
name, grade, whom it reports to, one line about it and buttons for its responsibilities,
requirements and interview steps (see :mod:`bot.slack.listeners.cards`); for a page of several
roles without a role's anchor, the family's levels with their grades. Links the index has no
page for are left to Slack's own preview. Nothing is posted when nothing is known.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.core import SlackBot
from bot.slack.delivery import call_web_api

logger = logging.getLogger("rolecall.slack")

MAX_UNFURLS = 10  # links per message Rolecall unfurls (Slack sends at most a handful)


def handbook_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


class Unfurls:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def events(self) -> dict[str, Callable[..., None]]:
        return {"link_shared": self.on_link_shared}

    def unfurls_for(self, links: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """URL -> its unfurl (blocks), for the links that point at a page in the index."""
        catalog = self.bot.catalog()
        if catalog is None:
            return {}
        ours = handbook_host(self.bot.handbook_url)
        unfurls: dict[str, dict[str, Any]] = {}
        for link in links[:MAX_UNFURLS]:
            url = str(link.get("url") or "")
            if not url or handbook_host(url) != ours or url in unfurls:
                continue
            try:
                card = catalog.at_url(url)
                changed = blocks.changed_label(catalog.changed_at(card.page)) if card is not None else ""
            except Exception:
                logger.exception("Could not look up a shared link")
                continue
            if card is None:
                continue
            if hasattr(card, "levels"):
                unfurls[url] = {"blocks": blocks.family_card_blocks(card, changed=changed)}
            else:
                unfurls[url] = {"blocks": blocks.role_card_blocks(card, changed=changed)}
        return unfurls

    def on_link_shared(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        """Unfurl the handbook links of a message (or of a message being written: ``source: composer``)."""
        channel = event.get("channel")
        if not self.bot.access.allows(body.get("team_id"), channel, body.get("enterprise_id")):
            logger.info("Link not unfurled outside the allowlists (team %s, channel %s)", body.get("team_id"), channel)
            return
        unfurls = self.unfurls_for(list(event.get("links") or []))
        if not unfurls:
            return
        if event.get("unfurl_id") and event.get("source"):
            call_web_api(client.chat_unfurl, unfurl_id=event["unfurl_id"], source=event["source"], unfurls=unfurls)
        elif channel and event.get("message_ts"):
            call_web_api(client.chat_unfurl, channel=channel, ts=event["message_ts"], unfurls=unfurls)


def register(app: Any, bot: SlackBot) -> Unfurls:
    listeners = Unfurls(bot)
    for event_type, listener in listeners.events().items():
        app.event(event_type)(bot.deferred(listener))
    return listeners
