"""Where a request happened and which conversation it belongs to.

A conversation key names the place whose memory (the role of the last answer) a follow-up
uses: a thread, a DM, an assistant thread, or one person's slash commands in one channel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def command_key(team: str | None, channel: str | None, user: str | None) -> tuple[Any, ...]:
    """One person's ``/hiring`` answers in one channel (they are ephemeral: nobody else sees them)."""
    return ("command", team, channel, user)


def thread_key(team: str | None, channel: str | None, thread_ts: str | None) -> tuple[Any, ...]:
    return ("thread", team, channel, thread_ts)


def dm_key(team: str | None, channel: str | None) -> tuple[Any, ...]:
    return ("dm", team, channel)


def assistant_key(team: str | None, channel: str | None, thread_ts: str | None) -> tuple[Any, ...]:
    """An assistant thread (the split view's conversation): one memory per thread."""
    return ("assistant", team, channel, thread_ts)


class Container:
    """Where a clicked button lives: workspace, channel, message, thread, and whether it was ephemeral."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        container = body.get("container") or {}
        message = body.get("message") or {}
        self.team: str | None = (body.get("team") or {}).get("id") or body.get("team_id")
        self.enterprise: str | None = (body.get("enterprise") or {}).get("id")
        self.user: str | None = (body.get("user") or {}).get("id")
        self.channel: str | None = (body.get("channel") or {}).get("id") or container.get("channel_id")
        self.message_ts: str | None = container.get("message_ts") or message.get("ts")
        self.thread_ts: str | None = container.get("thread_ts") or message.get("thread_ts")
        self.is_ephemeral: bool = bool(container.get("is_ephemeral"))
        self.response_url: str | None = body.get("response_url")

    @property
    def context_key(self) -> tuple[Any, ...]:
        """The same conversation key the message's original question used."""
        if self.is_ephemeral:
            return command_key(self.team, self.channel, self.user)
        if (self.channel or "").startswith("D"):
            # a thread in Rolecall's DM is an assistant thread (bot.slack.listeners.assistant)
            return assistant_key(self.team, self.channel, self.thread_ts) if self.thread_ts else dm_key(self.team, self.channel)
        return thread_key(self.team, self.channel, self.thread_ts or self.message_ts)


def is_dm(channel: str, event: Mapping[str, Any]) -> bool:
    return event.get("channel_type") == "im" or channel.startswith("D")


def is_from_bot(event: Mapping[str, Any]) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile"))


MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """The question without our own @-mention (other mentions are left for the engine)."""
    if bot_user_id:
        text = MENTION.sub(lambda m: " " if m.group(1) == bot_user_id else m.group(0), text)
    return " ".join(text.split())
