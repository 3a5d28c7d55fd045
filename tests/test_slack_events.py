"""Events API: @-mentions answered in threads, direct messages, follow-ups, App Home.

What the tests send is what Slack sends (signed ``event_callback`` JSON); what
they check is what the bot posted to the fake Web API.
"""

from __future__ import annotations

import shutil
import sqlite3
import time

import pytest

from bot.engine import Engine
from bot.questionlog import QuestionLog
from bot.slack.blocks import feedback_log_id, indexed_at
from bot.slack.config import Access
from fake_slack import (  # noqa: F401  (pytest fixtures)
    BOT_ID,
    BOT_USER_ID,
    SEEDS,
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


def test_context_expires(engine):
    with FakeSlack() as fake, serving(engine, fake, context_ttl=0.3) as rolecall:
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


def test_feedback_is_recorded_in_the_question_log_and_acknowledged_privately(rolecall):
    channel = rolecall.slack.new_id("C")
    _, event = rolecall.slack.mention("what's grade 7?", channel=channel)
    answer = rolecall.reply_to(event)

    rolecall.slack.click(answer.button("Not helpful"), origin=answer, user="U0BOB")

    thanks = rolecall.fake.wait_for("chat.postEphemeral")[0]
    assert thanks.params["user"] == "U0BOB"
    assert thanks.params["channel"] == channel
    assert thanks.params["thread_ts"] == event["ts"]
    log_id = feedback_log_id(answer.button("Not helpful")["value"])
    assert feedback_rows(rolecall, log_id) == [("what's grade 7?", "slack:mention", "grade", "answered", 0, rolecall.engine.log.hash_user("U0BOB"))]
    gaps = rolecall.engine.gaps(limit=10_000).splitlines()  # the engine is shared: other tests' gaps may rank first
    assert any("“what's grade 7?”" in line and "marked not helpful" in line for line in gaps), gaps


def test_a_helpful_click_on_a_private_answer_is_recorded_and_thanked_privately(rolecall):
    rolecall.slack.command("who does the Associate Sales Operations Analyst report to?", user="U0CAROL")
    answer = rolecall.response()

    rolecall.slack.click(answer.button("Helpful"), origin=answer, user="U0CAROL")

    thanks = rolecall.response(count=2)
    assert thanks.params["response_type"] == "ephemeral" and thanks.params["replace_original"] is False
    assert "Thanks, glad it helped!" in thanks.mrkdwn()
    log_id = feedback_log_id(answer.button("Helpful")["value"])
    assert feedback_rows(rolecall, log_id) == [
        ("who does the Associate Sales Operations Analyst report to?", "slack:command", "reports_to", "answered", 1, rolecall.engine.log.hash_user("U0CAROL")),
    ]


def test_a_double_click_records_one_row_per_user_and_answer(rolecall):
    channel = rolecall.slack.new_id("C")
    _, event = rolecall.slack.mention("what's grade 7?", channel=channel)
    answer = rolecall.reply_to(event)
    log_id = feedback_log_id(answer.button("Helpful")["value"])

    rolecall.slack.click(answer.button("Helpful"), origin=answer, user="U0HEIDI")
    rolecall.slack.click(answer.button("Helpful"), origin=answer, user="U0HEIDI")  # a double click
    rolecall.settle()
    assert [row[4] for row in feedback_rows(rolecall, log_id)] == [1]

    rolecall.slack.click(answer.button("Not helpful"), origin=answer, user="U0HEIDI")  # a change of mind
    rolecall.slack.click(answer.button("Helpful"), origin=answer, user="U0IVAN")  # another person counts
    rolecall.settle()
    rows = feedback_rows(rolecall, log_id)
    assert sorted((row[4], row[5]) for row in rows) == sorted([(0, rolecall.engine.log.hash_user("U0HEIDI")), (1, rolecall.engine.log.hash_user("U0IVAN"))])


@pytest.mark.parametrize(
    "value",
    [
        '{"id": 987654321}',  # no such row (pruned, or another replica's log)
        '{"id": "1"}',
        '{"id": 99999999999999999999999}',
        '{"q": "what\'s grade 7?", "i": "grade", "s": "answered", "r": []}',  # a button from before the question log
        "not json",
    ],
)
def test_forged_or_unknown_feedback_is_acknowledged_and_records_nothing(rolecall, value):
    _, event = rolecall.slack.mention("what's grade 7?")
    answer = rolecall.reply_to(event)
    before = feedback_count(rolecall)

    reply = rolecall.slack.click({**answer.button("Helpful"), "value": value}, origin=answer)

    assert reply.status == 200
    rolecall.settle()
    assert feedback_count(rolecall) == before
    assert rolecall.fake.calls("chat.postEphemeral") == []  # no thanks for feedback that went nowhere


def test_every_slack_surface_logs_its_questions_with_a_hashed_user(rolecall):
    rolecall.slack.command("what's grade 7?", user="U0DAVE")
    rolecall.response()
    _, mention = rolecall.slack.mention("what's grade 7?", user="U0DAVE")
    rolecall.reply_to(mention)
    _, dm = rolecall.slack.dm("what's grade 7?", user="U0DAVE")
    rolecall.reply_to(dm)
    rolecall.slack.command("who does the director of sales ops report to", user="U0DAVE")
    question = rolecall.response(count=2)
    rolecall.slack.click(question.button("Director, Sales Operations"), origin=question, user="U0DAVE")
    rolecall.response(count=3)

    with sqlite3.connect(rolecall.engine.log.path) as db:
        rows = db.execute("select surface, question, status from questions where user_hash = ? order by id", (rolecall.engine.log.hash_user("U0DAVE"),)).fetchall()
    assert rows == [
        ("slack:command", "what's grade 7?", "answered"),
        ("slack:mention", "what's grade 7?", "answered"),
        ("slack:dm", "what's grade 7?", "answered"),
        ("slack:command", "who does the director of sales ops report to", "ambiguous"),
        ("slack:choice", "who does the director of sales ops report to", "answered"),
    ]


def feedback_rows(rolecall, log_id: int) -> list[tuple]:
    """What the question log holds for the clicks on one answer."""
    with sqlite3.connect(rolecall.engine.log.path) as db:
        return db.execute(
            "select q.question, q.surface, q.intent, q.status, f.helpful, f.user_hash"
            " from feedback f join questions q on q.id = f.question_id where q.id = ? order by f.id",
            (log_id,),
        ).fetchall()


def feedback_count(rolecall) -> int:
    with sqlite3.connect(rolecall.engine.log.path) as db:
        return db.execute("select count(*) from feedback").fetchone()[0]


def test_app_home_shows_what_the_bot_knows_and_examples(rolecall):
    rolecall.slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home", "event_ts": rolecall.slack.new_ts()})

    home = rolecall.fake.wait_for("views.publish")[0]
    assert home.params["user_id"] == "U0ALICE"
    assert home.params["view"]["type"] == "home"
    text = home.mrkdwn()
    assert "*Pages*\n5" in text
    assert "Last indexed:" in text
    assert "Who does the Associate Sales Operations Analyst report to?" in text


def test_app_home_shows_a_reload_the_next_time_it_is_opened(tmp_path):
    """Pages change under the running bot; after the engine's reload, Home shows the new index."""
    pages = tmp_path / "pages"
    shutil.copytree(SEEDS, pages)
    engine = Engine(pages, tmp_path / "index.sqlite", question_log=QuestionLog(tmp_path / "questions.sqlite"))
    with FakeSlack() as fake, serving(engine, fake) as rolecall:
        before = open_home(rolecall)
        assert "*Pages*\n5" in before and "*Roles*\n21" in before
        assert "problem(s) found while indexing" not in before

        (pages / "people--recruiter.md").write_text("---\ntitle: Recruiter\n---\n\nThe Recruiter is a grade 6.\n")
        (pages / "sales--sales-operations.md").write_bytes(b"\x00\x00 not a page any more")
        engine.refresh()

        after = open_home(rolecall, count=2)
        assert "*Pages*\n6" in after and "*Roles*\n22" in after
        assert "*1 problem(s) found while indexing*" in after
        assert "sales--sales-operations.md:1: binary file, not a Markdown page; the last good version of this page is still served" in after
        assert f"Last indexed: {indexed_at(engine.stats()['indexed_at'])}" in after


def test_app_home_in_a_workspace_that_is_not_allowed_says_so(engine):
    with FakeSlack() as fake, serving(engine, fake, access=Access(teams=frozenset({"T0OTHER"}))) as rolecall:
        home = open_home(rolecall)
    assert "Rolecall isn't enabled in this workspace." in home
    assert "Pages" not in home


def open_home(rolecall, count: int = 1) -> str:
    """Open the Home tab as Slack reports it, and return what the published view shows."""
    rolecall.slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home", "event_ts": rolecall.slack.new_ts()})
    return rolecall.fake.wait_for("views.publish", count)[count - 1].mrkdwn()


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
