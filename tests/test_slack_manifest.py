"""app.yaml and the code agree, and Socket Mode runs the very same listeners.

The manifest is what a workspace admin installs; if it subscribes to an event
the app does not handle, Slack retries it forever, and every scope it asks
for must be one the app needs (admins review them).
"""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient

from bot import settings as settings_module
from fake_slack import (  # noqa: F401  (pytest fixtures)
    APP_TOKEN,
    BOT_USER_ID,
    TEAM_ID,
    FakeSlack,
    fake_slack,
    rolecall,
    running,
    serving,
)

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = yaml.safe_load((ROOT / "app.yaml").read_text())
SLACK_CODE = sorted((ROOT / "bot" / "slack").rglob("*.py"))  # the listeners live in bot/slack/listeners/

# What Slack requires (from the Web API and Events API reference pages).
SCOPE_OF_METHOD = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.unfurl": "links:write",
    "views.publish": None,
    "views.open": None,
    "views.update": None,
    "assistant.threads.setStatus": "assistant:write",
    "assistant.threads.setSuggestedPrompts": "assistant:write",
}
SCOPE_OF_EVENT = {"app_mention": "app_mentions:read", "message.im": "im:history", "app_home_opened": None,
                  "link_shared": "links:read", "assistant_thread_started": "assistant:write",
                  "assistant_thread_context_changed": "assistant:write"}
SCOPE_OF_FEATURE = {"slash_commands": "commands", "shortcuts": "commands"}


def web_api_methods_in_code() -> set[str]:
    """Every Web API method the Slack code calls, found by reading it: client.chat_postMessage -> chat.postMessage."""
    methods = set()
    for path in SLACK_CODE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and callable(getattr(WebClient, node.attr, None)):
                name = node.attr
                if "_" in name and not name.startswith("_") and name not in ("api_call",):
                    methods.add(name.replace("_", "."))  # assistant_threads_setStatus -> assistant.threads.setStatus
    return methods


def test_the_manifest_declares_the_surfaces_of_issue_3():
    features, settings = MANIFEST["features"], MANIFEST["settings"]
    assert [c["command"] for c in features["slash_commands"]] == ["/hiring"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == [
        "app_home_opened", "app_mention", "assistant_thread_context_changed", "assistant_thread_started", "link_shared", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["app_home"]["messages_tab_read_only_enabled"] is False  # users can DM the bot
    assert features["bot_user"]["display_name"]
    assert 175 <= len(MANIFEST["display_information"]["long_description"]) <= 4000


def test_every_command_and_event_in_the_manifest_has_a_listener(rolecall):
    from bot.slack.app import COMMAND, SlackBot

    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [COMMAND]
    listened = set(SlackBot(None, context_ttl=1).event_listeners())  # type: ignore[arg-type]
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        assert event.split(".")[0] in listened, event  # message.im arrives as a "message" event


def test_every_scope_is_needed_and_every_needed_scope_is_declared(rolecall):
    used_methods = web_api_methods_in_code() | {"auth.test"}  # Bolt calls auth.test at start-up
    assert used_methods <= set(SCOPE_OF_METHOD), f"add the scope of {used_methods - set(SCOPE_OF_METHOD)} here"
    needed = {SCOPE_OF_METHOD[m] for m in used_methods}
    needed |= {SCOPE_OF_EVENT[e] for e in MANIFEST["settings"]["event_subscriptions"]["bot_events"]}
    needed |= {SCOPE_OF_FEATURE[f] for f in MANIFEST["features"] if f in SCOPE_OF_FEATURE}
    needed.discard(None)

    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(needed)
    assert "user" not in MANIFEST["oauth_config"]["scopes"]  # no user token, no user scopes


def test_the_methods_called_at_run_time_are_the_ones_found_in_the_code(engine):
    """Drive every surface once and compare with the static list (so neither misses a method)."""
    with FakeSlack() as fake, serving(engine, fake, handoff_channel="C0HANDOFF") as rolecall:
        slack = rolecall.slack
        _, mention = slack.mention("who does the director of sales ops report to")
        question = rolecall.reply_to(mention)
        question.params["ts"] = "1800000000.000777"
        slack.click(question.button("Director, Sales Operations"), origin=question)
        answer = rolecall.fake.wait_for("chat.update")[0]
        answer.params["thread_ts"] = mention["ts"]
        slack.click(answer.button("Helpful"), origin=answer)
        slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home", "event_ts": slack.new_ts()})
        slack.command("what's grade 7?")
        for method in ("chat.postEphemeral", "views.publish", "response_url"):
            rolecall.fake.wait_for(method)
        # issue 12: unfurls, the role picker modal, assistant threads, hand-off
        slack.link_shared("https://about.gitlab.com/job-families/sales/sales-operations/#manager-sales-operations")
        rolecall.fake.wait_for("chat.unfurl")
        slack.global_shortcut()
        modal = rolecall.fake.wait_for("views.open")[0]
        view = {**modal.params["view"], "id": "V0MODAL1", "hash": "h1"}
        card = json.loads(slack.view_submission(view, {"role": {"role_pick": {"type": "external_select", "selected_option": {
            "value": '["Manager, Sales Operations","sales--sales-operations.md",""]'}}}}).body)["view"]
        slack.click_in_view({"action_id": "card:requirements", "text": {"type": "plain_text", "text": "Requirements"},
                             "value": json.dumps({"q": "requirements of the Manager, Sales Operations", "r": "Manager, Sales Operations",
                                                  "p": "sales--sales-operations.md"})}, view={**card, "id": "V0MODAL1", "hash": "h1"})
        rolecall.fake.wait_for("views.update")
        _, started = slack.assistant_thread_started()
        thread = started["assistant_thread"]
        rolecall.fake.wait_for("assistant.threads.setSuggestedPrompts")
        slack.dm("what's grade 7?", channel=thread["channel_id"], thread_ts=thread["thread_ts"])
        rolecall.fake.wait_for("assistant.threads.setStatus")
        slack.command("who does the chief happiness officer report to?")
        unknown = rolecall.response(count=2)
        assert "Ask a recruiter" in [b["text"]["text"].split(" ", 1)[-1] for b in unknown.buttons()]
        slack.click(unknown.button("Ask a recruiter"), origin=unknown)
        rolecall.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "C0HANDOFF")
        rolecall.settle()

        called = {call.method for call in rolecall.fake.calls()} - {"response_url", "auth.test"}  # Bolt calls auth.test
        assert called == web_api_methods_in_code()
        assert [(c.method, c.rejected) for c in rolecall.fake.rejected()] == []


def test_the_manifest_declares_the_surfaces_of_issue_12(rolecall):
    from bot.slack.listeners.shortcuts import ASK_SHORTCUT, LOOKUP_SHORTCUT
    from bot.slack.listeners.unfurls import handbook_host

    features = MANIFEST["features"]
    shortcuts = {(s["type"], s["callback_id"]): s["name"] for s in features["shortcuts"]}
    assert shortcuts == {("message", ASK_SHORTCUT): "Ask Rolecall", ("global", LOOKUP_SHORTCUT): "Look up a role"}
    assert all(len(s["description"]) <= 80 for s in features["shortcuts"])
    # the handbook's domain (ROLECALL_HANDBOOK_URL's default) is the one unfurled
    assert features["unfurl_domains"] == [handbook_host(settings_module.SETTINGS["ROLECALL_HANDBOOK_URL"].default)]
    assert features["assistant_view"]["assistant_description"]
    for scope in ("links:read", "links:write", "assistant:write"):
        assert scope in MANIFEST["oauth_config"]["scopes"]["bot"]


def test_every_shortcut_in_the_manifest_has_a_listener_and_is_answered(rolecall):
    """A shortcut nobody listens to shows the user an error; each one is acknowledged and does its job."""
    for shortcut in MANIFEST["features"]["shortcuts"]:
        if shortcut["type"] == "message":
            reply, _ = rolecall.slack.message_shortcut("what's grade 7?", callback_id=shortcut["callback_id"])
            assert reply.status == 200
            assert "Sr. Sales Operations Manager" in rolecall.response().mrkdwn()
        else:
            assert rolecall.slack.global_shortcut(callback_id=shortcut["callback_id"]).status == 200
            assert rolecall.fake.wait_for("views.open")[0].params["view"]["callback_id"] == "role_lookup"


def test_every_event_type_in_the_manifest_is_acknowledged(rolecall):
    """A 404 ("unhandled request") would make Slack retry: every subscribed event gets 200."""
    samples = {
        "app_mention": {"type": "app_mention", "user": "U0ALICE", "text": f"<@{BOT_USER_ID}> help", "channel": rolecall.slack.new_id("C")},
        "message.im": {"type": "message", "channel_type": "im", "user": "U0ALICE", "text": "help", "channel": rolecall.slack.new_id("D")},
        "app_home_opened": {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home"},
        "link_shared": {"type": "link_shared", "user": "U0ALICE", "channel": rolecall.slack.new_id("C"), "message_ts": rolecall.slack.new_ts(),
                        "links": [{"domain": "about.gitlab.com", "url": "https://about.gitlab.com/jobs/director-of-sales-operations/"}]},
        "assistant_thread_started": {"type": "assistant_thread_started", "assistant_thread": {
            "user_id": "U0ALICE", "channel_id": rolecall.slack.new_id("D"), "thread_ts": rolecall.slack.new_ts(), "context": {}}},
        "assistant_thread_context_changed": {"type": "assistant_thread_context_changed", "assistant_thread": {
            "user_id": "U0ALICE", "channel_id": rolecall.slack.new_id("D"), "thread_ts": rolecall.slack.new_ts(),
            "context": {"channel_id": "C0OTHER", "team_id": TEAM_ID}}},
    }
    for name in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        event = {**samples[name], "ts": rolecall.slack.new_ts(), "event_ts": rolecall.slack.new_ts()}
        assert rolecall.slack.event(event).status == 200, name
    assert rolecall.slack.command("help").status == 200


# --------------------------------------------------------------------------- Socket Mode


class RecordingSocketClient:
    """Stands in for the WebSocket: records the acknowledgements Bolt sends back."""

    def __init__(self, logger):
        self.logger = logger
        self.responses = []

    def send_socket_mode_response(self, response):
        self.responses.append(response)


@pytest.fixture
def socket_mode(rolecall):
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(rolecall.app, app_token=APP_TOKEN)  # the same App object as HTTP mode
    try:
        yield handler
    finally:
        handler.close()


def envelope(kind: str, payload: dict, *, retry_attempt: int | None = None):
    from slack_sdk.socket_mode.request import SocketModeRequest

    return SocketModeRequest(type=kind, envelope_id=f"env-{time.monotonic_ns()}", payload=payload, retry_attempt=retry_attempt)


def test_socket_mode_answers_a_mention_and_a_slash_command_with_the_same_listeners(rolecall, socket_mode):
    client = RecordingSocketClient(socket_mode.app.logger)
    channel = rolecall.slack.new_id("C")
    ts = rolecall.slack.new_ts()
    text = f"<@{BOT_USER_ID}> who does the Associate Sales Operations Analyst report to?"
    event = {"type": "app_mention", "user": "U0ALICE", "text": text, "channel": channel, "ts": ts, "event_ts": ts}
    events_api = {"type": "event_callback", "team_id": TEAM_ID, "event": event, "event_id": "Ev0SOCKET", "event_time": int(time.time())}

    socket_mode.handle(client, envelope("events_api", events_api))
    socket_mode.handle(client, envelope("events_api", events_api, retry_attempt=1))  # a retry: deduped

    reply = rolecall.reply_to(event)
    assert reply.params["thread_ts"] == ts
    assert "Manager, Sales Operations" in reply.mrkdwn()
    assert len(client.responses) == 2  # both envelopes acknowledged

    command = {
        "team_id": TEAM_ID,
        "channel_id": channel,
        "user_id": "U0ALICE",
        "command": "/hiring",
        "text": "what's grade 10?",
        "response_url": rolecall.fake.response_url("socket-cmd"),
    }
    socket_mode.handle(client, envelope("slash_commands", command))

    answer = rolecall.response()
    assert answer.params["response_type"] == "ephemeral"
    assert "Director, Sales Operations" in answer.mrkdwn()
    assert len(client.responses) == 3
    rolecall.settle()
    assert len(rolecall.fake.calls("chat.postMessage")) == 1


def test_socket_mode_clicks_reach_the_button_listeners(rolecall, socket_mode):
    client = RecordingSocketClient(socket_mode.app.logger)
    rolecall.slack.command("who does the director of sales ops report to")
    question = rolecall.response()
    button = question.button("Director, Sales Operations")
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": "U0ALICE"},
        "container": {"type": "message", "is_ephemeral": True, "channel_id": "C0SOCKET"},
        "channel": {"id": "C0SOCKET"},
        "response_url": rolecall.fake.response_url("socket-click"),
        "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"], "block_id": "b"}],
    }

    socket_mode.handle(client, envelope("interactive", payload))

    answer = rolecall.response(count=2)
    assert answer.params["replace_original"] is True
    assert "*Director, Sales Operations* reports to" in answer.mrkdwn()
    assert json.loads(button["value"])["r"] == "Director, Sales Operations"


def test_socket_mode_unfurls_links_and_opens_the_role_picker_with_the_same_listeners(rolecall, socket_mode):
    client = RecordingSocketClient(socket_mode.app.logger)
    url = "https://about.gitlab.com/job-families/sales/sales-operations/#senior-director-sales-operations"
    event = {"type": "link_shared", "channel": "C0SOCKET2", "user": "U0ALICE", "message_ts": "1700000000.999001",
             "links": [{"domain": "about.gitlab.com", "url": url}]}
    socket_mode.handle(client, envelope("events_api", {"type": "event_callback", "team_id": TEAM_ID, "event": event,
                                                        "event_id": "Ev0SOCKETLINK", "event_time": int(time.time())}))
    unfurl = rolecall.fake.wait_for("chat.unfurl")[0]
    assert "*Grade*\n11" in unfurl.mrkdwn() and "VP, Field Operations" in unfurl.mrkdwn()

    shortcut = {"type": "shortcut", "callback_id": "lookup_role", "trigger_id": "t-socket", "team": {"id": TEAM_ID},
                "user": {"id": "U0ALICE"}}
    socket_mode.handle(client, envelope("interactive", shortcut))
    assert rolecall.fake.wait_for("views.open")[0].params["trigger_id"] == "t-socket"
    assert len(client.responses) == 2
