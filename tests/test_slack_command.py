"""`/hiring <question>`: acknowledged at once, answered only to the asker, shareable.

Each test sends what Slack sends (a signed form body) to the app running in
HTTP mode, and reads what the app sent back through the fake Slack.
"""

from __future__ import annotations

import threading
import time

from fake_slack import (  # noqa: F401  (pytest fixtures)
    FakeSlack,
    assert_cannot_ping,
    fake_slack,
    rolecall,
    running,
    serving,
)


def test_the_answer_is_ephemeral_with_the_fact_its_source_and_buttons(rolecall):
    reply = rolecall.slack.command("who does the Associate Sales Operations Analyst report to?")

    assert reply.status == 200 and reply.body == ""  # the ack: nothing visible, nothing public
    answer = rolecall.response()
    assert answer.params["response_type"] == "ephemeral"
    assert "*Associate Sales Operations Analyst* reports to" in answer.mrkdwn()
    assert "Manager, Sales Operations" in answer.text  # the plain-text fallback says it too
    assert "<https://about.gitlab.com/job-families/sales/sales-operations/#associate-sales-operations-analyst|" in answer.mrkdwn()
    assert [b["text"]["text"] for b in answer.buttons()] == ["👍 Helpful", "👎 Not helpful", "Share in channel"]
    assert rolecall.fake.calls("chat.postMessage") == []  # nothing was posted publicly


def test_grade_seven_lists_both_senior_roles(rolecall):
    rolecall.slack.command("what's grade 7?")

    text = rolecall.response().mrkdwn()
    assert "Sr. Sales Operations Analyst" in text
    assert "Sr. Sales Operations Manager" in text


def test_ack_comes_first_even_while_the_engine_is_busy(engine):
    """Slack wants the ack within 3 s; a slow answer (e.g. an index rebuild) must not delay it."""
    release = threading.Event()

    class BusyEngine:
        def __getattr__(self, name):
            return getattr(engine, name)

        def ask(self, question, **kwargs):
            release.wait(timeout=10)  # held until the test has seen the ack
            return engine.ask(question, **kwargs)

    with FakeSlack() as fake, serving(BusyEngine(), fake) as rolecall:
        started = time.monotonic()
        reply = rolecall.slack.command("what's grade 7?")
        acked_after = time.monotonic() - started
        assert reply.status == 200
        assert acked_after < 1.0
        assert fake.calls("response_url") == []  # the answer is still being computed
        release.set()
        assert "Sr. Sales Operations Manager" in rolecall.response().mrkdwn()


def test_hiring_alone_or_help_shows_how_to_ask(rolecall):
    rolecall.slack.command("")
    rolecall.slack.command("help")

    for count in (1, 2):
        help_message = rolecall.response(count=count)
        assert help_message.params["response_type"] == "ephemeral"
        assert "I answer questions about job roles" in help_message.mrkdwn()
        assert "grade 7" in help_message.mrkdwn()


def test_share_in_channel_posts_the_same_answer_publicly_and_removes_the_private_copy(rolecall):
    rolecall.slack.command("who does the Associate Sales Operations Analyst report to?", user="U0ALICE")
    private = rolecall.response()

    reply = rolecall.slack.click(private.button("Share in channel"), origin=private, user="U0ALICE")

    assert reply.status == 200
    public, delete = rolecall.fake.wait_for("response_url", 3)[1:]
    assert public.params["response_type"] == "in_channel"
    assert "<@U0ALICE> asked: who does the Associate Sales Operations Analyst report to?" in public.mrkdwn()
    assert "Manager, Sales Operations" in public.mrkdwn()
    assert "Share in channel" not in [b["text"]["text"] for b in public.buttons()]
    assert delete.params == {"delete_original": True}


def test_a_follow_up_command_keeps_the_role_of_the_previous_one(rolecall):
    channel = rolecall.slack.new_id("C")
    rolecall.slack.command("who does the Associate Sales Operations Analyst report to?", channel=channel)
    rolecall.response()
    rolecall.slack.command("and what grade is it?", channel=channel)

    follow_up = rolecall.response(count=2)
    assert "*Associate Sales Operations Analyst* is grade 5" in follow_up.mrkdwn()


def test_shared_follow_up_repeats_the_same_answer_not_a_context_free_one(rolecall):
    channel = rolecall.slack.new_id("C")
    rolecall.slack.command("who does the Associate Sales Operations Analyst report to?", channel=channel)
    rolecall.response()
    rolecall.slack.command("and what grade is it?", channel=channel)
    follow_up = rolecall.response(count=2)

    rolecall.slack.click(follow_up.button("Share in channel"), origin=follow_up, channel=channel)

    public = rolecall.response(count=3)
    assert "*Associate Sales Operations Analyst* is grade 5" in public.mrkdwn()


def test_ambiguous_role_offers_buttons_and_a_click_answers_the_original_question(rolecall):
    rolecall.slack.command("who does the director of sales ops report to")
    question = rolecall.response()
    labels = [b["text"]["text"] for b in question.buttons()]
    assert labels == ["Director of Sales Operations", "Director, Sales Operations"]

    rolecall.slack.click(question.button("Director, Sales Operations"), origin=question)

    answer = rolecall.response(count=2)
    assert answer.params["replace_original"] is True  # the question message becomes the answer
    assert answer.params["response_type"] == "ephemeral"
    assert "*Director, Sales Operations* reports to" in answer.mrkdwn()
    assert "Senior Director, Sales Operations" in answer.mrkdwn()
    assert "Share in channel" in [b["text"]["text"] for b in answer.buttons()]


def test_the_other_choice_says_what_is_not_documented(rolecall):
    rolecall.slack.command("who does the director of sales ops report to")
    question = rolecall.response()

    rolecall.slack.click(question.button("Director of Sales Operations"), origin=question)

    answer = rolecall.response(count=2)
    assert "doesn't say who it reports to" in answer.mrkdwn()


def test_broadcasts_in_the_question_cannot_ping(rolecall):
    rolecall.slack.command("<!channel> @here who does the Associate Sales Operations Analyst report to?")
    answer = rolecall.response()
    assert_cannot_ping(answer.mrkdwn())
    assert "Manager, Sales Operations" in answer.mrkdwn()

    rolecall.slack.click(answer.button("Share in channel"), origin=answer)
    public = rolecall.response(count=2)
    assert_cannot_ping(public.mrkdwn().replace("<@U0ALICE>", ""))
    assert "&lt;!channel&gt; @\u200bhere who does" in public.mrkdwn()  # echoed, visibly, harmlessly



def test_an_engine_failure_gets_an_apology_not_silence(engine):
    class BrokenEngine:
        def __getattr__(self, name):
            return getattr(engine, name)

        def ask(self, question, **kwargs):
            raise RuntimeError("index is corrupt")

    with FakeSlack() as fake, serving(BrokenEngine(), fake) as rolecall:
        assert rolecall.slack.command("what's grade 7?").status == 200
        _, event = rolecall.slack.mention("what's grade 7?")

        assert "Sorry, I couldn't answer that just now" in rolecall.response().mrkdwn()
        assert "Sorry, I couldn't answer that just now" in rolecall.reply_to(event).mrkdwn()
