"""Buttons under answers: a role picked from an ambiguity, "Share in channel", and feedback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.blocks import Asked
from bot.slack.conversation import Container
from bot.slack.core import SURFACE_CHOICE, SURFACE_SHARE, SlackBot
from bot.slack.delivery import SENT, call_web_api, post_web_api

logger = logging.getLogger("rolecall.slack")


class Actions:
    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot

    def on_choose_role(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """A role picked from an ambiguity: answer the original question for it, replacing the question."""
        ack()
        chosen = Asked.from_value(action.get("value"))
        where = Container(body)
        if chosen is None or chosen.role is None or not self.bot.click_allowed(where):
            return
        answer = self.bot.ask(chosen, surface=SURFACE_CHOICE, user=where.user)
        self.bot.remember(where.context_key, answer)
        if answer is None:
            message = self.bot.error_message()
        else:
            message = self.bot.render(answer, chosen, share=where.is_ephemeral)
        if where.is_ephemeral:
            outcome = self.bot.post_response(where.response_url, {**message, "response_type": "ephemeral", "replace_original": True})
        else:
            outcome = post_web_api(client.chat_update, channel=where.channel, ts=where.message_ts, **message)
        self.bot.undelivered(outcome, SURFACE_CHOICE,
                         self.bot.apologies(client, channel=where.channel, user=where.user, thread_ts=where.thread_ts))

    def on_share(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient | None = None) -> None:
        """Post an ephemeral answer publicly, then remove the private copy.

        It goes through the command's ``response_url``, which works in any channel
        the command was used in, even ones the bot is not a member of. The
        question is asked again (an ephemeral message cannot be read back), and
        logged as ``slack:share``.
        """
        ack()
        asked = Asked.from_value(action.get("value"))
        where = Container(body)
        if asked is None or not self.bot.click_allowed(where):
            return
        answer = self.bot.ask(asked, surface=SURFACE_SHARE, user=where.user)
        if answer is None:
            self.bot.respond(where.response_url, {**self.bot.error_message(), "response_type": "ephemeral", "replace_original": False})
            return
        shared = self.bot.render(answer, asked, shared_by=where.user)
        outcome = self.bot.post_response(where.response_url, {**shared, "response_type": "in_channel", "replace_original": False})
        if outcome == SENT:
            self.bot.respond(where.response_url, {"delete_original": True})
        # the private copy is still there; the apology says the sharing failed
        self.bot.undelivered(outcome, SURFACE_SHARE, self.bot.apologies(client, channel=where.channel, user=where.user))

    def on_feedback(self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """Record "Helpful" / "Not helpful" against the answer's question log row, and thank the clicker privately.

        A click that records nothing (a button from before the question log, a
        row pruned or unknown to this log, a forged value) is acknowledged and
        otherwise ignored: no thanks for feedback that went nowhere.
        """
        ack()
        where = Container(body)
        if not self.bot.click_allowed(where):
            return
        helpful = action.get("action_id") == blocks.FEEDBACK_HELPFUL
        log_id = blocks.feedback_log_id(action.get("value"))
        question = blocks.decode_value(action.get("value")).get("q")
        if not self.bot.record_feedback(log_id, helpful, where.user, question if isinstance(question, str) else None):
            logger.info("Feedback click not recorded (no such question in the log)")
            return
        thanks = blocks.notice_message(
            "Thanks, glad it helped!" if helpful else "Thanks for telling us. The handbook owners will see this question."
        )
        if not helpful and self.bot.handoff_channel is not None and isinstance(question, str):
            # "Not helpful": offer a person. The answer as shown rides along (a public message's text;
            # an ephemeral one cannot be read back, so only the question goes).
            shown = str((body.get("message") or {}).get("text") or "")
            handed = {"q": question, "a": shown[: blocks.HANDOFF_ANSWER_LIMIT], "s": "not_helpful", "u": "", "id": log_id}
            thanks["blocks"] = thanks["blocks"] + blocks.actions([blocks.handoff_button(blocks.fit_handoff(handed))])
        if where.is_ephemeral:
            self.bot.respond(where.response_url, {**thanks, "response_type": "ephemeral", "replace_original": False})
        else:
            call_web_api(
                client.chat_postEphemeral,
                channel=where.channel,
                user=where.user,
                thread_ts=where.thread_ts,
                **thanks,
            )

def register(app: Any, bot: SlackBot) -> Actions:
    listeners = Actions(bot)
    app.action(blocks.CHOOSE_ROLE_PATTERN)(bot.deferred(listeners.on_choose_role))
    app.action(blocks.SHARE)(bot.deferred(listeners.on_share))
    app.action(blocks.FEEDBACK_PATTERN)(bot.deferred(listeners.on_feedback))
    return listeners
