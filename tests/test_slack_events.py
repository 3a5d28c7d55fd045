"""Events API: @-mentions answered in threads, direct messages, follow-ups, App Home.

What the tests send is what Slack sends (signed ``event_callback`` JSON); what
they check is what the bot posted to the fake Web API.
"""

from __future__ import annotations

import time

from fake_slack import (  # noqa: F401  (pytest fixtures)
    BOT_ID,
    BOT_USER_ID,
    FakeSlack,
    assert_cannot_ping,
    fake_slack,
    rolecall,
    running,
    serving,
)


def test_a_mention_is_answered_in_a_new_thread_under_it(rolecall):
    reply, event = rolecall.slack.mention("who does the Associate Sales Operations Analyst report to?")

    assert reply.status == 200
    answer = rolecall.reply_to(event)
    assert answer.params["thread_ts"] == event["ts"]
    assert "*Associate Sales Operations Analyst* reports to" in answer.mrkdwn()
    assert "Manager, Sales Operations" in answer.text
    assert [b["text"]["text"] for b in answer.buttons()] == ["👍 Helpful", "👎 Not helpful"]
    assert answer.params["unfurl_links"] is False


def test_a_mention_inside_a_thread_is_answered_in_that_thread(rolecall):
    thread = rolecall.slack.new_ts()
    _, event = rolecall.slack.mention("what's grade 7?", thread_ts=thread)

    answer = rolecall.reply_to(event)
    assert answer.params["thread_ts"] == thread
    assert "Sr. Sales Operations Analyst" in answer.mrkdwn()
    assert "Sr. Sales Operations Manager" in answer.mrkdwn()


def test_a_follow_up_in_the_thread_uses_the_role_of_the_last_answer(rolecall):
    channel = rolecall.slack.new_id("C")
    _, first = rolecall.slack.mention("who does the Associate Sales Operations Analyst report to?", channel=channel)
    thread = first["ts"]
    rolecall.reply_to(first)

    rolecall.slack.mention("and what grade is it?", channel=channel, thread_ts=thread)

    follow_up = rolecall.fake.wait_for("chat.postMessage", 2)[1]
    assert follow_up.params["thread_ts"] == thread
    assert "*Associate Sales Operations Analyst* is grade 5" in follow_up.mrkdwn()


def test_context_belongs_to_its_thread_only(rolecall):
    channel = rolecall.slack.new_id("C")
    _, first = rolecall.slack.mention("who does the Associate Sales Operations Analyst report to?", channel=channel)
    rolecall.reply_to(first)

    rolecall.slack.mention("and what grade is it?", channel=channel)  # a new thread in the same channel

    other_thread = rolecall.fake.wait_for("chat.postMessage", 2)[1]
    assert "Associate Sales Operations Analyst* is grade 5" not in other_thread.mrkdwn()


def test_context_expires(engine, tmp_path):
    with FakeSlack() as fake, serving(engine, fake, tmp_path, context_ttl=0.3) as rolecall:
        rolecall.slack.dm("who does the Associate Sales Operations Analyst report to?", channel="D0EXPIRE")
        fake.wait_for("chat.postMessage")
        time.sleep(0.5)
        rolecall.slack.dm("and what grade is it?", channel="D0EXPIRE")
        late = fake.wait_for("chat.postMessage", 2)[1]
        assert "Associate Sales Operations Analyst* is grade 5" not in late.mrkdwn()


def test_a_direct_message_is_answered_in_the_dm_and_remembers_the_role(rolecall):
    channel = rolecall.slack.new_id("D")
    rolecall.slack.dm("who does the Associate Sales Operations Analyst report to?", channel=channel)
    answer = rolecall.fake.wait_for("chat.postMessage")[0]
    assert answer.params["channel"] == channel
    assert "thread_ts" not in answer.params  # a plain DM reply, not a thread
    assert "Manager, Sales Operations" in answer.mrkdwn()

    rolecall.slack.dm("and what grade is it?", channel=channel)

    follow_up = rolecall.fake.wait_for("chat.postMessage", 2)[1]
    assert "*Associate Sales Operations Analyst* is grade 5" in follow_up.mrkdwn()


def test_a_dm_that_mentions_the_bot_is_answered_once(rolecall):
    """Slack may deliver such a message twice: as message.im and as app_mention."""
    channel = rolecall.slack.new_id("D")
    _, dm = rolecall.slack.dm(f"<@{BOT_USER_ID}> what's grade 7?", channel=channel)
    mention = {**dm, "type": "app_mention"}
    del mention["channel_type"]
    assert rolecall.slack.event(mention).status == 200

    rolecall.fake.wait_for("chat.postMessage")
    rolecall.settle()
    assert len(rolecall.fake.calls("chat.postMessage")) == 1
    assert "Sr. Sales Operations Manager" in rolecall.fake.calls("chat.postMessage")[0].mrkdwn()


def test_a_retried_event_gets_exactly_one_reply(rolecall):
    reply, event = rolecall.slack.mention("what's grade 7?", event_id="Ev0RETRY")
    assert reply.status == 200
    rolecall.reply_to(event)

    retry = rolecall.slack.event(event, event_id="Ev0RETRY", retry_num=1)

    assert retry.status == 200  # acknowledged, so Slack stops retrying
    rolecall.settle()
    assert len(rolecall.fake.calls("chat.postMessage")) == 1


def test_bot_messages_edits_deletions_joins_are_acknowledged_and_ignored(rolecall):
    ignored = [
        {"subtype": "bot_message", "bot_id": "B0OTHER"},
        {"bot_id": BOT_ID, "user": BOT_USER_ID},  # our own reply, as Slack echoes it back
        {"user": BOT_USER_ID},
        {"subtype": "message_changed", "message": {"text": "what's grade 7?", "user": "U0ALICE"}},
        {"subtype": "message_deleted", "previous_message": {"text": "what's grade 7?"}},
        {"subtype": "channel_join"},
        {"subtype": "file_share"},
    ]
    for extra in ignored:
        reply, _ = rolecall.slack.dm("what's grade 7?", **extra)
        assert reply.status == 200, extra  # acknowledged: Slack must not retry

    rolecall.settle()
    assert rolecall.fake.calls("chat.postMessage") == []


def test_other_bots_mentioning_us_are_not_answered(rolecall):
    _, event = rolecall.slack.mention("what's grade 7?")
    rolecall.reply_to(event)
    rolecall.fake.reset()

    bot_event = {**event, "ts": rolecall.slack.new_ts(), "bot_id": "B0OTHER", "channel": rolecall.slack.new_id("C")}
    assert rolecall.slack.event(bot_event).status == 200
    rolecall.settle()
    assert rolecall.fake.calls("chat.postMessage") == []


def test_a_bare_mention_gets_help(rolecall):
    _, event = rolecall.slack.mention("")

    answer = rolecall.reply_to(event)
    assert "I answer questions about job roles" in answer.mrkdwn()


def test_broadcasts_and_mentions_in_a_question_cannot_ping(rolecall):
    _, event = rolecall.slack.mention("<!channel> @here <!everyone> who does the Associate Sales Operations Analyst report to?")
    answer = rolecall.reply_to(event)
    assert_cannot_ping(answer.mrkdwn())
    assert "Manager, Sales Operations" in answer.mrkdwn()

    _, event = rolecall.slack.mention("<!here> @channel tell me about <@U0MALLORY>")
    answer = rolecall.reply_to(event)
    assert_cannot_ping(answer.mrkdwn())


def test_ambiguity_in_a_thread_is_resolved_by_a_click_that_replaces_the_question(rolecall):
    channel = rolecall.slack.new_id("C")
    _, event = rolecall.slack.mention("who does the director of sales ops report to", channel=channel)
    question = rolecall.reply_to(event)
    assert [b["text"]["text"] for b in question.buttons()] == ["Director of Sales Operations", "Director, Sales Operations"]
    question.params["ts"] = "1800000000.424242"  # the ts Slack gave the bot's message

    rolecall.slack.click(question.button("Director, Sales Operations"), origin=question)

    update = rolecall.fake.wait_for("chat.update")[0]
    assert update.params["channel"] == channel
    assert update.params["ts"] == "1800000000.424242"
    assert "*Director, Sales Operations* reports to" in update.mrkdwn()
    assert "Senior Director, Sales Operations" in update.mrkdwn()

    # The chosen role is now the thread's context.
    rolecall.slack.mention("and what grade is it?", channel=channel, thread_ts=event["ts"])
    follow_up = rolecall.fake.wait_for("chat.postMessage", 2)[1]
    assert "*Director, Sales Operations* is grade 10" in follow_up.mrkdwn()


def test_feedback_is_recorded_with_the_question_and_acknowledged_privately(rolecall):
    import sqlite3

    channel = rolecall.slack.new_id("C")
    _, event = rolecall.slack.mention("what's grade 7?", channel=channel)
    answer = rolecall.reply_to(event)

    rolecall.slack.click(answer.button("Not helpful"), origin=answer, user="U0BOB")

    thanks = rolecall.fake.wait_for("chat.postEphemeral")[0]
    assert thanks.params["user"] == "U0BOB"
    assert thanks.params["channel"] == channel
    assert thanks.params["thread_ts"] == event["ts"]
    with sqlite3.connect(rolecall.feedback_db) as db:
        rows = db.execute("select question, intent, status, helpful, user_hash from feedback").fetchall()
    assert ("what's grade 7?", "grade", "answered", 0) in [row[:4] for row in rows]
    assert all("U0BOB" not in row[4] for row in rows)  # only a hash of the user is kept


def test_app_home_shows_what_the_bot_knows_and_examples(rolecall):
    rolecall.slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home", "event_ts": rolecall.slack.new_ts()})

    home = rolecall.fake.wait_for("views.publish")[0]
    assert home.params["user_id"] == "U0ALICE"
    assert home.params["view"]["type"] == "home"
    text = home.mrkdwn()
    assert "*Pages*\n5" in text
    assert "Last indexed:" in text
    assert "Who does the Associate Sales Operations Analyst report to?" in text


def test_opening_the_messages_tab_is_acknowledged_without_publishing(rolecall):
    reply = rolecall.slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "messages", "event_ts": rolecall.slack.new_ts()})
    assert reply.status == 200
    rolecall.settle()
    assert rolecall.fake.calls("views.publish") == []


def test_an_event_type_nobody_subscribed_to_is_still_acknowledged(rolecall):
    reply = rolecall.slack.event({"type": "reaction_added", "user": "U0ALICE", "reaction": "eyes", "event_ts": rolecall.slack.new_ts()})
    assert reply.status == 200  # a 404 would make Slack retry it


def test_url_verification_echoes_the_challenge(rolecall):
    reply = rolecall.slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")

    assert reply.status == 200
    assert reply.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
