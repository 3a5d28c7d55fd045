"""Assistant threads (Slack's assistant panel), through Bolt's ``Assistant`` middleware.

* ``assistant_thread_started``: a greeting in the new thread and up to four suggested prompts made
  from the index (a real role, a real grade, a real family, a role with interview steps).
* a user's message in the thread: a status ("is looking it up in the handbook…") while the engine
  answers, then the answer in the thread. The thread remembers the role of its last answer, so
  follow-ups ("and what grade is it?") continue from it, as in any thread.
* ``assistant_thread_context_changed`` (the user looks at another channel): acknowledged; answers
  do not depend on the channel being viewed, so nothing is stored.

Any reply in a thread of Rolecall's DM arrives the same way, so DM threads are answered here too.
Assistant threads are DMs: they follow the workspace allowlist only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Assistant
from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.blocks import Asked
from bot.slack.conversation import assistant_key, strip_mention
from bot.slack.core import HELP_WORDS, NOT_ENABLED_TEAM, SURFACE_ASSISTANT, SlackBot
from bot.slack.delivery import UNDELIVERED, call_web_api, post_web_api

logger = logging.getLogger("rolecall.slack")

GREETING = ("Hi! I answer questions about job roles, straight from the handbook's job-family pages: "
            "who a role reports to, its grade, responsibilities, requirements and interview steps. What would you like to know?")
STATUS = "is looking it up in the handbook…"
PROMPTS_TITLE = "Try one of these:"


class AssistantThreads:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def events(self) -> dict[str, Callable[..., None]]:
        return {"assistant_thread_started": self.on_thread_started,
                "assistant_thread_context_changed": self.on_context_changed}

    def prompts(self) -> list[dict[str, str]]:
        catalog = self.bot.catalog()
        if catalog is None:
            return []
        try:
            return [{"title": title, "message": message} for title, message in catalog.prompts(limit=4)]
        except Exception:
            logger.exception("Could not build suggested prompts")
            return []

    def on_thread_started(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        thread = event.get("assistant_thread") or {}
        channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
        if not channel or not thread_ts:
            return
        if not self.bot.access.team_allowed(body.get("team_id"), body.get("enterprise_id")):
            call_web_api(client.chat_postMessage, channel=channel, thread_ts=thread_ts, **blocks.notice_message(NOT_ENABLED_TEAM))
            return
        call_web_api(client.chat_postMessage, channel=channel, thread_ts=thread_ts, **blocks.notice_message(GREETING))
        prompts = self.prompts()
        if prompts:
            call_web_api(client.assistant_threads_setSuggestedPrompts, channel_id=channel, thread_ts=thread_ts,
                         title=PROMPTS_TITLE, prompts=prompts)

    def on_context_changed(self, event: dict[str, Any]) -> None:
        logger.debug("Assistant thread context changed; nothing to keep")

    def on_user_message(self, event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient) -> None:
        channel, thread_ts, user = event.get("channel") or "", event.get("thread_ts"), event.get("user")
        if not channel or not thread_ts or not user or user == getattr(context, "bot_user_id", None):
            return
        if not self.bot.answered.add_new((channel, event.get("ts")), True):
            return
        if not self.bot.access.team_allowed(body.get("team_id"), body.get("enterprise_id")):
            call_web_api(client.chat_postMessage, channel=channel, thread_ts=thread_ts, **blocks.notice_message(NOT_ENABLED_TEAM))
            return
        question = strip_mention(event.get("text") or "", getattr(context, "bot_user_id", None))
        key = assistant_key(body.get("team_id"), channel, thread_ts)
        if question.lower() in HELP_WORDS:
            message = self.bot.help_message()
        else:
            call_web_api(client.assistant_threads_setStatus, channel_id=channel, thread_ts=thread_ts, status=STATUS)
            asked = Asked(question, last_role=self.bot.contexts.get(key))
            answer = self.bot.ask(asked, surface=SURFACE_ASSISTANT, user=user)
            self.bot.remember(key, answer)
            message = self.bot.error_message() if answer is None else self.bot.render(answer, asked)
        outcome = post_web_api(client.chat_postMessage, channel=channel, thread_ts=thread_ts,
                               unfurl_links=False, unfurl_media=False, **message)
        if outcome != "sent":  # the status would spin on: clear it (a reply clears it by itself)
            call_web_api(client.assistant_threads_setStatus, channel_id=channel, thread_ts=thread_ts, status="")
        notice = blocks.notice_message(UNDELIVERED)
        self.bot.undelivered(outcome, SURFACE_ASSISTANT,
                             [lambda: post_web_api(client.chat_postMessage, channel=channel, thread_ts=thread_ts, **notice)])


def register(app: Any, bot: SlackBot) -> AssistantThreads:
    listeners = AssistantThreads(bot)
    assistant = Assistant()
    assistant.thread_started(bot.deferred(listeners.on_thread_started))
    assistant.user_message(bot.deferred(listeners.on_user_message))
    assistant.thread_context_changed(bot.deferred(listeners.on_context_changed))
    app.assistant(assistant)
    return listeners
