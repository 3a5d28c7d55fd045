"""``/hiring <question>``: an answer only the asker sees, with "Share in channel"; ``/hiring gaps`` for admins."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

import re

from bot.slack import blocks
from bot.slack.blocks import Asked, Message
from bot.slack.conversation import command_key
from bot.slack.core import COMMAND, HELP_WORDS, SURFACE_COMMAND, SlackBot

# "/hiring gaps" and "/hiring gaps 7" (the last 7 days); admins only.
GAPS = re.compile(r"^gaps\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
GAPS_DAYS = re.compile(r"^(\d{1,5})\s*(?:d|days?)?$", re.IGNORECASE)
GAPS_LIMIT = 20

ADMINS_ONLY = "Sorry, only Rolecall admins can see the gaps report."
NO_ADMINS = " No admins are set up yet (`ROLECALL_ADMINS`)."
GAPS_USAGE = "Usage: `/hiring gaps` (everything logged) or `/hiring gaps 7` (the last 7 days)."

logger = logging.getLogger("rolecall.slack")


class Commands:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def on_command(self, ack: Callable[..., None], command: dict[str, Any], client: WebClient | None = None) -> None:
        """``/hiring <question>``: acknowledge at once, then answer only to the asker.

        Outside the allowlists the acknowledgement itself says so (privately):
        no engine call, no Web API call.
        """
        team, channel, user = command.get("team_id"), command.get("channel_id"), command.get("user_id")
        refusal = self.bot.refusal(team, channel, command.get("enterprise_id"))
        if refusal is not None:
            logger.info("/hiring refused outside the allowlists (team %s, channel %s)", team, channel)
            ack(text=refusal, response_type="ephemeral")
            return
        ack()
        response_url = command.get("response_url")
        question = (command.get("text") or "").strip()
        if question.lower() in HELP_WORDS:
            self.bot.respond(response_url, {**self.bot.help_message(admin=self.bot.access.is_admin(user)), "response_type": "ephemeral"})
            return
        gaps = GAPS.match(question)
        if gaps is not None:
            self.bot.respond(response_url, {**self.gaps_message(user, gaps.group(1)), "response_type": "ephemeral"})
            return
        key = command_key(team, channel, user)
        asked = Asked(question, last_role=self.bot.contexts.get(key))
        answer = self.bot.ask(asked, surface=SURFACE_COMMAND, user=user)
        message = self.bot.error_message() if answer is None else self.bot.render(answer, asked, share=True)
        self.bot.remember(key, answer)
        outcome = self.bot.post_response(response_url, {**message, "response_type": "ephemeral"})
        self.bot.undelivered(outcome, SURFACE_COMMAND, self.bot.apologies(client, channel=channel, user=user))

    def gaps_message(self, user: str | None, argument: str) -> Message:
        """``/hiring gaps [days]``: the engine's gaps report for admins, a polite no for everyone else."""
        if not self.bot.access.is_admin(user):
            logger.info("/hiring gaps refused: %s is not an admin", user)
            return blocks.notice_message(ADMINS_ONLY + ("" if self.bot.access.admins else NO_ADMINS))
        argument = argument.strip()
        days: int | None = None
        if argument:
            match = GAPS_DAYS.match(argument)
            if match is None or int(match.group(1)) == 0:
                return blocks.notice_message(GAPS_USAGE)
            days = int(match.group(1))
        try:
            report = self.bot.engine.gaps(limit=GAPS_LIMIT, days=days)
        except Exception:
            logger.exception("The engine failed to produce the gaps report")
            return self.bot.error_message()
        period = f"the last {days} day{'s' if days != 1 else ''}" if days else "everything logged"
        return blocks.report_message(f"*Gaps report* ({period})\n{report}")


def register(app: Any, bot: SlackBot) -> Commands:
    listeners = Commands(bot)
    app.command(COMMAND)(bot.deferred(listeners.on_command))
    return listeners
