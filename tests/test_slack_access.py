"""Access control: where Rolecall answers (ROLECALL_ALLOWED_TEAMS / _CHANNELS) and who sees `/hiring gaps` (ROLECALL_ADMINS).

The app under test is configured the way the environment would configure it:
it answers in the workspace T0TEST, in the channel C0HIRING and in DMs, and
U0ADMIN is its admin. Unset lists mean "everywhere"; the other Slack tests run
that way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from bot.engine import Engine
from bot.questionlog import QuestionLog
from bot.slack.config import Access, ConfigError, SlackConfig
from fake_slack import BOT_TOKEN, SEEDS, TEAM_ID, FakeSlack, Rolecall, assert_cannot_ping, serving

HIRING = "C0HIRING"
ADMIN = "U0ADMIN"
QUESTION = "who does the Associate Sales Operations Analyst report to?"
ENVIRONMENT = {"ROLECALL_ALLOWED_TEAMS": TEAM_ID, "ROLECALL_ALLOWED_CHANNELS": HIRING, "ROLECALL_ADMINS": f"{ADMIN}, U0OTHERADMIN"}


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rolecall]:
    """Rolecall with allowlists and admins from ENVIRONMENT, and a question log of its own (for the gaps report)."""
    folder = tmp_path_factory.mktemp("access")
    engine = Engine(SEEDS, folder / "index.sqlite", question_log=QuestionLog(folder / "questions.sqlite"))
    access = SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", **ENVIRONMENT}).access
    with FakeSlack() as fake, serving(engine, fake, access=access) as rolecall:
        yield rolecall


@pytest.fixture
def guarded(guarded_app: Rolecall) -> Iterator[Rolecall]:
    guarded_app.settle()
    guarded_app.fake.reset()
    yield guarded_app
    guarded_app.settle()
    assert guarded_app.fake.rejected() == []


# --------------------------------------------------------------------------- configuration


def test_the_lists_come_from_the_environment():
    access = SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", **ENVIRONMENT}).access

    assert access == Access(teams=frozenset({TEAM_ID}), channels=frozenset({HIRING}), admins=frozenset({ADMIN, "U0OTHERADMIN"}))


def test_unset_or_blank_lists_allow_everywhere_and_make_nobody_admin():
    for environ in ({}, {"ROLECALL_ALLOWED_TEAMS": "", "ROLECALL_ALLOWED_CHANNELS": "  ", "ROLECALL_ADMINS": ""}):
        access = SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", **environ}).access
        assert access.allows("T0ANY", "C0ANY")
        assert not access.is_admin("U0ALICE")


def test_dms_follow_the_team_allowlist_only():
    access = Access(teams=frozenset({TEAM_ID}), channels=frozenset({HIRING}))

    assert access.allows(TEAM_ID, "D0ANYONE")  # DM ids cannot be listed in advance; only the asker sees the answer
    assert not access.allows("T0OTHER", "D0ANYONE")
    assert not access.allows(TEAM_ID, "C0RANDOM")
    assert not access.allows(None, HIRING)  # no team id: refused (fail closed)


def test_an_enterprise_grid_org_id_allows_all_its_workspaces():
    access = Access(teams=frozenset({"E0ORG"}))

    assert access.team_allowed("T0ANY", enterprise="E0ORG")
    assert not access.team_allowed("T0ANY", enterprise="E0ELSE")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ROLECALL_ALLOWED_CHANNELS": "C0HIRING,#general"}, "ROLECALL_ALLOWED_CHANNELS: entry 2 is not a Slack channel id"),
        ({"ROLECALL_ALLOWED_TEAMS": "rolecall-test"}, "ROLECALL_ALLOWED_TEAMS: entry 1 is not a Slack workspace id"),
        ({"ROLECALL_ADMINS": "@alice"}, "ROLECALL_ADMINS: entry 1 is not a Slack user id"),
        ({"ROLECALL_ADMINS": " , "}, "ROLECALL_ADMINS lists no ids"),
    ],
)
def test_names_instead_of_ids_stop_start_up(environ, message):
    """A name would never match and silently lock everyone out."""
    with pytest.raises(ConfigError) as error:
        SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", **environ})
    assert message in str(error.value)


# --------------------------------------------------------------------------- slash command


def test_the_command_is_answered_in_an_allowed_channel(guarded):
    guarded.slack.command(QUESTION, channel=HIRING)

    assert "*Associate Sales Operations Analyst* reports to" in guarded.response().mrkdwn()


def test_the_command_elsewhere_says_politely_that_rolecall_is_not_enabled_there(guarded):
    asked_before = guarded.engine.log.count()

    reply = guarded.slack.command(QUESTION, channel="C0RANDOM")

    assert reply.status == 200
    assert reply.json() == {
        "text": "Rolecall isn't enabled in this channel. You can ask it in a direct message, or in a channel where it is enabled.",
        "response_type": "ephemeral",
    }
    guarded.settle()
    assert guarded.fake.calls() == []
    assert guarded.engine.log.count() == asked_before  # not answered, so not logged


def test_the_command_in_another_workspace_says_so(guarded):
    reply = guarded.slack.command(QUESTION, channel=HIRING, team="T0OTHER")

    assert reply.json() == {"text": "Rolecall isn't enabled in this workspace.", "response_type": "ephemeral"}
    guarded.settle()
    assert guarded.fake.calls() == []


def test_the_command_in_a_dm_needs_only_the_workspace(guarded):
    guarded.slack.command("what's grade 7?", channel="D0ALICE")

    assert "Sr. Sales Operations Manager" in guarded.response().mrkdwn()


# --------------------------------------------------------------------------- mentions and DMs


def test_a_mention_in_an_allowed_channel_is_answered(guarded):
    _, event = guarded.slack.mention(QUESTION, channel=HIRING)

    assert "Manager, Sales Operations" in guarded.reply_to(event).mrkdwn()


def test_a_mention_elsewhere_is_acknowledged_and_not_answered(guarded):
    other_channel, _ = guarded.slack.mention(QUESTION, channel="C0RANDOM")
    other_team, _ = guarded.slack.mention(QUESTION, channel=HIRING, team="T0OTHER")

    assert other_channel.status == other_team.status == 200  # acknowledged, so Slack does not retry
    guarded.settle()
    assert guarded.fake.calls() == []


def test_a_dm_is_answered_in_an_allowed_workspace(guarded):
    _, event = guarded.slack.dm(QUESTION, channel="D0ALICE")

    assert "Manager, Sales Operations" in guarded.reply_to(event).mrkdwn()


def test_a_dm_from_another_workspace_gets_a_polite_note_and_no_answer(guarded):
    _, event = guarded.slack.dm(QUESTION, channel="D0STRANGER", team="T0OTHER")

    note = guarded.reply_to(event)
    assert note.text == "Rolecall isn't enabled in this workspace."
    assert "Manager, Sales Operations" not in note.mrkdwn()


def test_buttons_in_a_place_that_is_no_longer_allowed_are_acknowledged_and_ignored(guarded):
    guarded.slack.command(QUESTION, channel=HIRING)
    answer = guarded.response()
    clicks_before = feedback_count(guarded)

    reply = guarded.slack.click(answer.button("Not helpful"), origin=answer, channel=HIRING, team="T0OTHER")

    assert reply.status == 200
    guarded.settle()
    assert len(guarded.fake.calls("response_url")) == 1  # only the answer: no thanks
    assert feedback_count(guarded) == clicks_before


def feedback_count(rolecall: Rolecall) -> int:
    with sqlite3.connect(rolecall.engine.log.path) as db:
        return db.execute("select count(*) from feedback").fetchone()[0]


# --------------------------------------------------------------------------- /hiring gaps


def test_gaps_shows_admins_the_most_asked_questions_without_a_good_answer(guarded):
    for user in ("U0ALICE", "U0BOB"):
        guarded.slack.command("who does the Chief Happiness Officer report to?", channel=HIRING, user=user)
    guarded.slack.command("who does the Sr. Sales Operations Analyst report to?", channel=HIRING)
    guarded.fake.wait_for("response_url", 3)

    guarded.slack.command("gaps", channel=HIRING, user=ADMIN)

    report = guarded.response(count=4)
    assert report.params["response_type"] == "ephemeral"
    text = report.mrkdwn()
    assert "*Gaps report* (everything logged)" in text
    assert "2× “who does the Chief Happiness Officer report to?”: no such role, 2 people" in text
    assert "“who does the Sr. Sales Operations Analyst report to?” (Sr. Sales Operations Analyst): not in the handbook" in text


def test_gaps_for_the_last_days(guarded):
    guarded.slack.command("what's the weather like in the handbook?", channel=HIRING)
    guarded.response()

    guarded.slack.command("gaps 7", channel=HIRING, user=ADMIN)

    text = guarded.response(count=2).mrkdwn()
    assert "*Gaps report* (the last 7 days)" in text
    assert "“what's the weather like in the handbook?”: not understood" in text


def test_gaps_report_cannot_ping_even_when_questions_tried_to(guarded):
    guarded.slack.command("<!channel> <@U0EVE> who does the chief happiness officer report to?", channel=HIRING)
    guarded.response()

    guarded.slack.command("gaps", channel="D0ADMIN", user=ADMIN)

    text = guarded.response(count=2).mrkdwn()
    assert "chief happiness officer" in text
    assert_cannot_ping(text)


def test_gaps_refuses_non_admins_politely(guarded):
    guarded.slack.command("gaps", channel=HIRING, user="U0ALICE")

    refusal = guarded.response()
    assert refusal.text == "Sorry, only Rolecall admins can see the gaps report."
    assert "Most-asked" not in refusal.mrkdwn()


def test_gaps_with_something_other_than_a_number_of_days_shows_how_to_use_it(guarded):
    guarded.slack.command("gaps soon", channel=HIRING, user=ADMIN)

    assert "`/hiring gaps 7` (the last 7 days)" in guarded.response().mrkdwn()


def test_admins_find_gaps_in_the_help(guarded):
    guarded.slack.command("help", channel=HIRING, user=ADMIN)
    guarded.fake.wait_for("response_url", 1)  # one at a time: two answers in flight may arrive in either order
    guarded.slack.command("help", channel=HIRING, user="U0ALICE")

    admin_help, user_help = guarded.fake.wait_for("response_url", 2)
    assert "`/hiring gaps`" in admin_help.mrkdwn()
    assert "gaps" not in user_help.mrkdwn()


def test_without_admins_nobody_sees_gaps_and_the_refusal_says_why(engine):
    with FakeSlack() as fake, serving(engine, fake) as rolecall:
        rolecall.slack.command("gaps", user="U0ALICE")
        refusal = rolecall.response()
    assert refusal.text == "Sorry, only Rolecall admins can see the gaps report. No admins are set up yet (`ROLECALL_ADMINS`)."


# --------------------------------------------------------------------------- issue 12 surfaces


def test_links_are_unfurled_only_inside_the_allowlists(guarded):
    url = "https://about.gitlab.com/job-families/sales/sales-operations/#associate-sales-operations-analyst"
    guarded.slack.link_shared(url, channel="C0ELSEWHERE")
    guarded.slack.link_shared(url, channel=HIRING, team="T0OTHER")
    guarded.settle()
    assert guarded.fake.calls("chat.unfurl") == []

    guarded.slack.link_shared(url, channel=HIRING)
    assert "*Grade*\n5" in guarded.fake.wait_for("chat.unfurl")[0].mrkdwn()


def test_ask_rolecall_outside_the_allowlists_says_so_privately(guarded):
    guarded.slack.message_shortcut(QUESTION, channel="C0ELSEWHERE")
    refusal = guarded.response()
    assert refusal.params["response_type"] == "ephemeral"
    assert "isn't enabled in this channel" in refusal.mrkdwn()

    guarded.slack.message_shortcut(QUESTION, channel=HIRING)
    assert "Manager, Sales Operations" in guarded.response(count=2).mrkdwn()


def test_look_up_a_role_in_another_workspace_says_so_and_offers_nothing(guarded):
    guarded.slack.global_shortcut(team="T0OTHER")
    modal = guarded.fake.wait_for("views.open")[0]
    assert "isn't enabled in this workspace" in modal.mrkdwn()
    view = {"id": "V1", "callback_id": "role_lookup", "type": "modal", "blocks": []}
    payload = {"type": "block_suggestion", "action_id": "role_pick", "block_id": "role", "value": "assoc",
               "view": view, "team": {"id": "T0OTHER"}}
    assert guarded.slack.interactive(payload).json() == {"options": []}


def test_assistant_threads_follow_the_workspace_allowlist(guarded):
    guarded.slack.assistant_thread_started(team="T0OTHER")
    notice = guarded.fake.wait_for("chat.postMessage")[0]
    assert "isn't enabled in this workspace" in notice.mrkdwn()
    guarded.settle()
    assert guarded.fake.calls("assistant.threads.setSuggestedPrompts") == []


def test_hand_off_and_digest_channels_must_be_channel_ids():
    base = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s"}
    config = SlackConfig.from_env({**base, "ROLECALL_HANDOFF_CHANNEL": "C0RECRUIT", "ROLECALL_DIGEST_CHANNEL": "G0OWNERS",
                                   "ROLECALL_DIGEST_DAYS": "14"})
    assert (config.handoff_channel, config.digest_channel, config.digest_days) == ("C0RECRUIT", "G0OWNERS", 14.0)
    unset = SlackConfig.from_env(base)
    assert (unset.handoff_channel, unset.digest_channel, unset.digest_days) == (None, None, 7.0)
    for name, value in (("ROLECALL_HANDOFF_CHANNEL", "#recruiters"), ("ROLECALL_DIGEST_CHANNEL", "owners"), ("ROLECALL_DIGEST_DAYS", "0")):
        with pytest.raises(ConfigError) as error:
            SlackConfig.from_env({**base, name: value})
        assert name in str(error.value) and value not in str(error.value).replace(name, "")
