"""The App Home tab: what Rolecall knows, published each time the tab is opened."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.core import NOT_ENABLED_TEAM, SlackBot
from bot.slack.delivery import call_web_api

logger = logging.getLogger("rolecall.slack")


class Home:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def events(self) -> dict[str, Callable[..., None]]:
        return {"app_home_opened": self.on_home_opened}

    def on_home_opened(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        """Publish the App Home tab each time it is opened, so it shows the index being served now
        (after a reload: its new counts, problems and time)."""
        if event.get("tab") != "home" or not event.get("user"):
            return
        if not self.bot.access.team_allowed(body.get("team_id"), body.get("enterprise_id")):
            view = blocks.disabled_home_view(NOT_ENABLED_TEAM)
        else:
            try:
                view = blocks.home_view(self.bot.engine.stats(), self.bot.engine.help_text(), self.bot.engine.examples(),
                                        pages=self.pages())
            except Exception:
                logger.exception("Could not build the App Home view")
                return
        call_web_api(client.views_publish, user_id=event["user"], view=view)

    def pages(self) -> list[tuple[str, str, str]]:
        """Every page with when it last changed (computed once per index version), for the Home tab."""
        catalog = self.bot.catalog()
        if catalog is None:
            return []
        try:
            return [(title, url, blocks.changed_label(when)) for title, url, when in catalog.pages()]
        except Exception:
            logger.exception("Could not list the pages for the Home tab")
            return []


def register(app: Any, bot: SlackBot) -> Home:
    listeners = Home(bot)
    for event_type, listener in listeners.events().items():
        app.event(event_type)(bot.deferred(listener))
    return listeners
