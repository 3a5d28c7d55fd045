"""Listener callbacks on their own, with mocked ``ack`` and ``client`` (like the bolt-python starter
template's tests), on the real engine over ``seeds/``. The same callbacks run end to end in the
other test_slack_* files."""

from __future__ import annotations

import json
from unittest.mock import MagicMock, call

import pytest

from bot.answer import Context
from bot.slack.core import SlackBot
from bot.slack.digest import Digest
from bot.slack.listeners.assistant import STATUS, AssistantThreads
from bot.slack.listeners.cards import Cards
from bot.slack.listeners.handoff import Handoff
from bot.slack.listeners.home import Home
from bot.slack.listeners.mentions import Mentions
from bot.slack.listeners.shortcuts import Shortcuts
from bot.slack.listeners.unfurls import Unfurls

ASSOCIATE_URL = "https://about.gitlab.com/job-families/sales/sales-operations/#associate-sales-operations-analyst"


@pytest.fixture
def bot(engine):
    return SlackBot(engine, context_ttl=60, handoff_channel="C0HANDOFF")


def strings(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_link_shared_unfurls_the_role_with_its_facts(bot):
    client = MagicMock()
    event = {"type": "link_shared", "channel": "C1", "message_ts": "1.2", "links": [{"domain": "about.gitlab.com", "url": ASSOCIATE_URL}]}

    Unfurls(bot).on_link_shared(event=event, body={"team_id": "T1"}, client=client)

    client.chat_unfurl.assert_called_once()
    kwargs = client.chat_unfurl.call_args.kwargs
    assert (kwargs["channel"], kwargs["ts"]) == ("C1", "1.2")
    card = strings(kwargs["unfurls"][ASSOCIATE_URL])
    assert "*Grade*\\n5" in card and "Manager, Sales Operations" in card


def test_link_shared_for_an_unknown_page_calls_nothing(bot):
    client = MagicMock()
    event = {"channel": "C1", "message_ts": "1.2", "links": [{"url": "https://about.gitlab.com/company/"}]}
    Unfurls(bot).on_link_shared(event=event, body={}, client=client)
    client.chat_unfurl.assert_not_called()


def test_the_role_picker_acks_with_options_from_the_index(bot):
    ack = MagicMock()

    Shortcuts(bot).on_role_options(ack=ack, payload={"value": "director sales"}, body={"team": {"id": "T1"}})

    ack.assert_called_once()
    options = ack.call_args.kwargs["options"]
    names = [o["text"]["text"] for o in options]
    assert names == ["Director, Sales Operations", "Director of Sales Operations", "Director, Sales Operations (Channel)",
                     "Senior Director, Sales Operations", "Senior Director, Sales Operations (Channel)"]  # names that start so first
    assert Context.decode(options[names.index("Director, Sales Operations")]["value"]).page == "sales--sales-operations.md"


def test_submitting_the_picker_acks_with_the_role_card(bot):
    ack = MagicMock()
    value = Context("Director, Sales Operations", "sales--sales-operations.md").encode()
    view = {"state": {"values": {"role": {"role_pick": {"selected_option": {"value": value}}}}}}

    Shortcuts(bot).on_lookup_submitted(ack=ack, view=view, body={})

    kwargs = ack.call_args.kwargs
    assert kwargs["response_action"] == "update"
    card = strings(kwargs["view"])
    assert "*Grade*\\n10" in card and "Senior Director, Sales Operations" in card


def test_the_global_shortcut_acks_then_opens_the_picker(bot):
    ack, client = MagicMock(), MagicMock()
    parent = MagicMock()
    parent.attach_mock(ack, "ack")
    parent.attach_mock(client.views_open, "views_open")

    Shortcuts(bot).on_global_shortcut(ack=ack, shortcut={"trigger_id": "t-1", "team": {"id": "T1"}}, client=client)

    assert [c[0] for c in parent.mock_calls] == ["ack", "views_open"]
    assert client.views_open.call_args.kwargs["trigger_id"] == "t-1"
    assert client.views_open.call_args.kwargs["view"]["callback_id"] == "role_lookup"


def test_a_card_button_in_a_modal_updates_the_modal_with_the_answer(bot):
    ack, client = MagicMock(), MagicMock()
    value = json.dumps({"q": "What are the requirements for the Associate Sales Operations Analyst?",
                        "r": "Associate Sales Operations Analyst", "p": "sales--sales-operations.md"})
    body = {"container": {"type": "view", "view_id": "V1"}, "view": {"id": "V1", "hash": "h", "blocks": []},
            "user": {"id": "U1"}, "team": {"id": "T1"}}

    Cards(bot).on_card_button(ack=ack, body=body, action={"action_id": "card:requirements", "value": value}, client=client)

    ack.assert_called_once_with()
    kwargs = client.views_update.call_args.kwargs
    assert (kwargs["view_id"], kwargs["hash"]) == ("V1", "h")
    assert "BA/BS degree" in strings(kwargs["view"])


def test_assistant_thread_started_sets_four_prompts(bot):
    client = MagicMock()
    event = {"assistant_thread": {"channel_id": "D1", "thread_ts": "5.6", "user_id": "U1"}}

    AssistantThreads(bot).on_thread_started(event=event, body={"team_id": "T1"}, client=client)

    client.chat_postMessage.assert_called_once()
    kwargs = client.assistant_threads_setSuggestedPrompts.call_args.kwargs
    assert (kwargs["channel_id"], kwargs["thread_ts"]) == ("D1", "5.6")
    assert len(kwargs["prompts"]) == 4 and "What roles are grade 7?" in [p["message"] for p in kwargs["prompts"]]


def test_an_assistant_message_sets_a_status_then_answers_in_the_thread(bot):
    client = MagicMock()
    context = MagicMock(bot_user_id="U0BOT")
    event = {"channel": "D2", "thread_ts": "7.8", "ts": "7.9", "user": "U1", "text": "what's grade 10?"}

    AssistantThreads(bot).on_user_message(event=event, body={"team_id": "T1"}, context=context, client=client)

    names = [c[0] for c in client.mock_calls]
    assert names == ["assistant_threads_setStatus", "chat_postMessage"]
    assert client.assistant_threads_setStatus.call_args == call(channel_id="D2", thread_ts="7.8", status=STATUS)
    posted = client.chat_postMessage.call_args.kwargs
    assert posted["thread_ts"] == "7.8" and "Director, Sales Operations" in strings(posted["blocks"])


def test_a_hand_off_posts_to_the_channel_and_tells_the_clicker(bot):
    ack, client = MagicMock(), MagicMock()
    value = json.dumps({"q": "who is the chief happiness officer?", "a": "I couldn't find a role matching that.", "s": "not_found"})
    body = {"user": {"id": "U0ALICE"}, "team": {"id": "T1"}, "channel": {"id": "C9"},
            "container": {"type": "message", "channel_id": "C9", "message_ts": "1.1"}}

    Handoff(bot).on_handoff(ack=ack, body=body, action={"action_id": "handoff", "value": value}, client=client)

    ack.assert_called_once_with()
    post = client.chat_postMessage.call_args.kwargs
    assert post["channel"] == "C0HANDOFF"
    assert post["text"].startswith("<@U0ALICE> needs a recruiter: who is the chief happiness officer?")
    told = client.chat_postEphemeral.call_args.kwargs
    assert (told["channel"], told["user"]) == ("C9", "U0ALICE") and "<#C0HANDOFF>" in told["text"]


def test_a_mention_is_answered_in_its_thread(bot):
    client = MagicMock()
    event = {"type": "app_mention", "channel": "C3", "ts": "3.3", "user": "U1", "text": "<@U0BOT> who does the Manager, Sales Operations report to?"}

    Mentions(bot).on_app_mention(event=event, body={"team_id": "T1"}, context=MagicMock(bot_user_id="U0BOT"), client=client)

    posted = client.chat_postMessage.call_args.kwargs
    assert posted["thread_ts"] == "3.3" and "Director, Sales Operations" in posted["text"]


def test_app_home_lists_pages_with_their_freshness(bot):
    client = MagicMock()
    Home(bot).on_home_opened(event={"tab": "home", "user": "U1"}, body={"team_id": "T1"}, client=client)
    view = strings(client.views_publish.call_args.kwargs["view"])
    assert view.count("last changed") == 5


def test_the_digest_posts_once_with_a_mocked_client(engine):
    client = MagicMock()
    digest = Digest(engine, client, "C0DIGEST", 1, clock=lambda: 86400 * 30000.5)

    assert digest.run_once() == "sent"
    assert digest.run_once() is None
    assert client.chat_postMessage.call_count == 1
    assert client.chat_postMessage.call_args.kwargs["channel"] == "C0DIGEST"


def test_a_command_outside_the_channel_allowlist_is_refused_in_the_ack(engine):
    from bot.slack.config import Access
    from bot.slack.listeners.commands import Commands

    guarded = SlackBot(engine, context_ttl=60, access=Access(channels=frozenset({"C0HIRING"})))
    ack, client = MagicMock(), MagicMock()

    Commands(guarded).on_command(ack=ack, command={"team_id": "T1", "channel_id": "C0OTHER", "user_id": "U1", "text": "what's grade 7?"},
                                 client=client)

    assert ack.call_args.kwargs["response_type"] == "ephemeral"
    assert "isn't enabled in this channel" in ack.call_args.kwargs["text"]
    assert client.mock_calls == []


def test_a_forged_feedback_click_is_acked_and_records_nothing(bot):
    from bot.slack.listeners.actions import Actions

    ack, client = MagicMock(), MagicMock()
    body = {"user": {"id": "U1"}, "team": {"id": "T1"}, "channel": {"id": "C1"}, "container": {"channel_id": "C1"}}

    Actions(bot).on_feedback(ack=ack, body=body, action={"action_id": "feedback:helpful", "value": '{"id": "42"}'}, client=client)

    ack.assert_called_once_with()
    client.chat_postEphemeral.assert_not_called()
