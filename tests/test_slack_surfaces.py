"""Issue 12, end to end: link unfurls, "Ask Rolecall" on a message, "Look up a role" with its typeahead,
assistant threads, hand-off to a recruiter, and freshness, over signed HTTP requests against the app
on 127.0.0.1 with the fake Slack Web API; what is posted holds the real facts of ``seeds/``.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.answer import Context
from fake_slack import (  # noqa: F401  (pytest fixtures)
    SEEDS,
    FakeSlack,
    assert_cannot_ping,
    fake_slack,
    rolecall,
    running,
    serving,
)

FAMILY_URL = "https://about.gitlab.com/job-families/sales/sales-operations/"
ASSOCIATE_URL = FAMILY_URL + "#associate-sales-operations-analyst"
MANAGER_SECTION_URL = FAMILY_URL + "#manager-sales-operations-responsibilities"


def git_date(page: str) -> str:
    """When git says ``page`` of seeds/ last changed (what every answer from it must say)."""
    return subprocess.run(["git", "log", "-1", "--format=%cs", "--", page], cwd=SEEDS, capture_output=True, text=True,
                          check=True).stdout.strip()


def button_labels(call) -> list[str]:
    return [b["text"]["text"].split(" ", 1)[-1] if b["text"]["text"][0] in "🙋👍👎" else b["text"]["text"] for b in call.buttons()]


@pytest.fixture
def handoff_app(engine):
    with FakeSlack() as fake, serving(engine, fake, handoff_channel="C0HANDOFF") as app:
        yield app
        app.settle()
        assert [(c.method, c.rejected) for c in fake.rejected()] == []


# --------------------------------------------------------------------------- link unfurls


def test_a_pasted_role_link_unfurls_as_its_card_with_grade_manager_summary_and_buttons(rolecall):
    reply, link = rolecall.slack.link_shared(ASSOCIATE_URL)

    assert reply.status == 200
    unfurl = rolecall.fake.wait_for("chat.unfurl")[0]
    assert (unfurl.params["channel"], unfurl.params["ts"]) == (link["channel"], link["message_ts"])
    assert list(unfurl.params["unfurls"]) == [ASSOCIATE_URL]
    text = unfurl.mrkdwn()
    assert f"<{ASSOCIATE_URL}|Associate Sales Operations Analyst>" in text
    assert "*Grade*\n5" in text
    assert "*Reports to*\n<" + FAMILY_URL + "#manager-sales-operations|Manager, Sales Operations>" in text
    assert "Collaborate with the sales and support functions" in text  # one line about the role, from its page
    assert f"Page last changed {git_date('sales--sales-operations.md')}" in text
    assert button_labels(unfurl) == ["Responsibilities", "Requirements", "Interview steps"]


def test_a_link_to_a_section_of_a_role_unfurls_that_role(rolecall):
    rolecall.slack.link_shared(MANAGER_SECTION_URL)

    text = rolecall.fake.wait_for("chat.unfurl")[0].mrkdwn()
    assert "|Manager, Sales Operations>" in text and "*Grade*\n8" in text
    assert "|Director, Sales Operations>" in text  # whom it reports to


def test_a_link_to_a_page_of_many_roles_unfurls_the_family_with_its_levels_and_grades(rolecall):
    rolecall.slack.link_shared(FAMILY_URL)

    text = rolecall.fake.wait_for("chat.unfurl")[0].mrkdwn()
    assert f"<{FAMILY_URL}|Sales Operations>* job family: 17 levels" in text
    assert "|Associate Sales Operations Analyst> — grade 5" in text
    assert "|Sr. Sales Operations Analyst> — grade 7" in text
    assert "|Senior Director, Sales Operations> — grade 11" in text
    assert "|Partner Operations Project Manager> — grade not stated" in text


def test_a_link_being_written_is_unfurled_in_the_composer(rolecall):
    _, link = rolecall.slack.link_shared("https://about.gitlab.com/jobs/director-of-sales-operations/", composer=True)

    unfurl = rolecall.fake.wait_for("chat.unfurl")[0]
    assert (unfurl.params["unfurl_id"], unfurl.params["source"]) == (link["unfurl_id"], "composer")
    assert "|Director of Sales Operations>" in unfurl.mrkdwn()


def test_links_to_pages_the_index_lacks_or_to_other_sites_are_left_alone(rolecall):
    rolecall.slack.link_shared("https://about.gitlab.com/handbook/values/", "https://example.com/job-families/sales/sales-operations/")

    rolecall.settle()
    assert rolecall.fake.calls("chat.unfurl") == []


def test_a_button_of_an_unfurl_answers_the_clicker_privately_with_share(rolecall):
    _, link = rolecall.slack.link_shared(ASSOCIATE_URL)
    unfurl = rolecall.fake.wait_for("chat.unfurl")[0]

    rolecall.slack.click_in_unfurl(unfurl.button("Requirements"), link=link, url=ASSOCIATE_URL, user="U0CAROL")

    answer = rolecall.response()
    assert answer.params["response_type"] == "ephemeral" and answer.params["replace_original"] is False
    assert "Requirements of *Associate Sales Operations Analyst*" in answer.mrkdwn()
    assert "BA/BS degree" in answer.mrkdwn()
    assert "Share in channel" in button_labels(answer)
    assert rolecall.engine.log.count() > 0


# --------------------------------------------------------------------------- "Ask Rolecall" on a message


def test_ask_rolecall_on_a_message_answers_privately_and_share_posts_it(rolecall):
    _, shortcut = rolecall.slack.message_shortcut("<!channel> who does the Associate Sales Operations Analyst report to?")

    answer = rolecall.response()
    assert answer.params["response_type"] == "ephemeral"
    assert "*Associate Sales Operations Analyst* reports to" in answer.mrkdwn()
    assert "Manager, Sales Operations" in answer.mrkdwn()
    assert_cannot_ping(answer.mrkdwn())

    rolecall.slack.click(answer.button("Share in channel"), origin=answer, channel=shortcut["channel"]["id"])

    shared = rolecall.response(count=2)
    assert shared.params["response_type"] == "in_channel"
    assert "<@U0ALICE> asked:" in shared.mrkdwn() and "Manager, Sales Operations" in shared.mrkdwn()
    assert_cannot_ping(shared.mrkdwn())


def test_ask_rolecall_on_a_requisition_shows_the_role_it_names(rolecall):
    rolecall.slack.message_shortcut("Req 4411: we are hiring an Associate Sales Operations Analyst in Berlin, please screen")

    answer = rolecall.response()
    assert "Associate Sales Operations Analyst" in answer.mrkdwn()
    assert "Job grade: 5" in answer.mrkdwn() and "Reports to: <" in answer.mrkdwn() and "|Manager, Sales Operations>" in answer.mrkdwn()


# --------------------------------------------------------------------------- "Look up a role"


def opened_modal(rolecall) -> dict:
    assert rolecall.slack.global_shortcut().status == 200
    call = rolecall.fake.wait_for("views.open")[0]
    assert call.params["trigger_id"].startswith("trigger-")
    return {**call.params["view"], "id": "V0MODAL9", "hash": "h9"}


def test_look_up_a_role_offers_roles_from_the_index_as_the_user_types(rolecall):
    view = opened_modal(rolecall)
    picker = view["blocks"][0]["element"]
    assert picker["type"] == "external_select" and picker["action_id"] == "role_pick"

    options = rolecall.slack.block_suggestion("assoc", view=view).json()["options"]
    assert [o["text"]["text"] for o in options] == ["Associate Sales Operations Analyst"]
    assert Context.decode(options[0]["value"]) == Context("Associate Sales Operations Analyst", "sales--sales-operations.md")

    names = [o["text"]["text"] for o in rolecall.slack.block_suggestion("sales ops man", view=view).json()["options"]]
    assert "Manager, Sales Operations" in names  # abbreviations, as questions read them

    everything = rolecall.slack.block_suggestion("", view=view).json()["options"]
    assert len(everything) == 21
    assert all(len(o["value"]) <= 150 and len(o["text"]["text"]) <= 75 for o in everything)


def test_look_up_a_role_shows_its_card_then_each_kind_of_answer_in_the_modal(rolecall):
    view = opened_modal(rolecall)
    option = next(o for o in rolecall.slack.block_suggestion("manager sales", view=view).json()["options"]
                  if o["text"]["text"] == "Manager, Sales Operations")

    reply = rolecall.slack.view_submission(view, {"role": {"role_pick": {"type": "external_select", "selected_option": option}}})

    update = reply.json()
    assert update["response_action"] == "update"
    card = update["view"]
    text = "\n".join(json.dumps(b) for b in card["blocks"])
    assert "Manager, Sales Operations" in card["title"]["text"] or card["title"]["text"].startswith("Manager, Sales")
    assert "*Grade*\\n8" in text and "Director, Sales Operations" in text
    buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Responsibilities", "Requirements", "Interview steps"]

    shown = {**card, "id": "V0MODAL9", "hash": "h10"}
    rolecall.slack.click_in_view(buttons[0], view=shown)

    updated = rolecall.fake.wait_for("views.update")[0]
    assert updated.params["view_id"] == "V0MODAL9" and updated.params["hash"] == "h10"
    assert "Responsibilities of *Manager, Sales Operations*" in updated.mrkdwn()
    assert "Quote to Cash" in updated.mrkdwn()
    assert [b["text"]["text"] for b in updated.buttons()] == ["Responsibilities", "Requirements", "Interview steps"]


def test_a_pick_that_is_no_longer_in_the_index_is_an_error_in_the_modal(rolecall):
    view = opened_modal(rolecall)
    gone = {"text": {"type": "plain_text", "text": "Chief Happiness Officer"}, "value": Context("Chief Happiness Officer", "x.md").encode()}

    reply = rolecall.slack.view_submission(view, {"role": {"role_pick": {"type": "external_select", "selected_option": gone}}})

    assert reply.json() == {"response_action": "errors", "errors": {"role": "That role is no longer in the handbook index. Please pick another one."}}


# --------------------------------------------------------------------------- assistant threads


def test_an_assistant_thread_starts_with_prompts_built_from_the_index(rolecall, engine):
    _, started = rolecall.slack.assistant_thread_started()
    thread = started["assistant_thread"]

    greeting = rolecall.fake.wait_for("chat.postMessage")[0]
    assert (greeting.params["channel"], greeting.params["thread_ts"]) == (thread["channel_id"], thread["thread_ts"])
    prompts = rolecall.fake.wait_for("assistant.threads.setSuggestedPrompts")[0].params
    assert (prompts["channel_id"], prompts["thread_ts"]) == (thread["channel_id"], thread["thread_ts"])
    messages = [p["message"] for p in prompts["prompts"]]
    assert messages == [
        "Who does the Associate Sales Operations Analyst report to?",  # a real role
        "What roles are grade 7?",  # a real grade
        "What levels are there in Sales Operations?",  # a real family
        "What are the interview steps for Inside Sales, Mid-Market?",
    ]
    assert all(engine.ask(m).status == "answered" for m in messages)  # every prompt has an answer


def test_an_assistant_thread_answers_with_a_status_and_follows_up(rolecall):
    _, started = rolecall.slack.assistant_thread_started()
    thread = started["assistant_thread"]
    channel, thread_ts = thread["channel_id"], thread["thread_ts"]

    rolecall.slack.dm("who does the Associate Sales Operations Analyst report to?", channel=channel, thread_ts=thread_ts)

    answers = rolecall.fake.wait_for("chat.postMessage", 2)
    status = rolecall.fake.wait_for("assistant.threads.setStatus")[0]
    assert (status.params["channel_id"], status.params["thread_ts"]) == (channel, thread_ts)
    assert status.params["status"] == "is looking it up in the handbook…"
    assert status.at <= answers[1].at  # the status shows while the answer is worked out
    assert answers[1].params["thread_ts"] == thread_ts
    assert "Manager, Sales Operations" in answers[1].mrkdwn()

    rolecall.slack.dm("and what grade is it?", channel=channel, thread_ts=thread_ts)

    follow_up = rolecall.fake.wait_for("chat.postMessage", 3)[2]
    assert follow_up.params["thread_ts"] == thread_ts
    assert "*Associate Sales Operations Analyst* is grade 5" in follow_up.mrkdwn()
    rows = rolecall.engine.log._conn.execute("select surface from questions where question = 'and what grade is it?'").fetchall()
    assert ("slack:assistant",) in rows


# --------------------------------------------------------------------------- hand-off


def test_a_not_found_answer_can_be_handed_to_a_recruiter(handoff_app):
    _, event = handoff_app.slack.mention("<!here> who does the chief happiness officer report to?")
    answer = handoff_app.reply_to(event)
    assert "Ask a recruiter" in button_labels(answer)

    answer.params["ts"] = "1800000000.123456"
    handoff_app.slack.click(answer.button("Ask a recruiter"), origin=answer, user="U0ALICE")

    post = handoff_app.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "C0HANDOFF")[0]
    text = post.mrkdwn()
    assert "<@U0ALICE> needs a recruiter: Rolecall found nothing." in text
    assert "chief happiness officer" in text  # the question
    assert "I couldn't find a role matching" in text  # the answer it got
    assert_cannot_ping(text)
    told = handoff_app.fake.wait_for("chat.postEphemeral")[0]
    assert told.params["user"] == "U0ALICE" and told.params["channel"] == event["channel"]
    assert "passed your question on to the recruiters in <#C0HANDOFF>" in told.mrkdwn()


def test_a_not_documented_answer_offers_the_hand_off_and_a_good_one_does_not(handoff_app):
    handoff_app.slack.command("what are the benefits of the Manager, Sales Operations?")
    gap = handoff_app.response()
    assert "doesn't say anything about benefits" in gap.mrkdwn()
    assert "Ask a recruiter" in button_labels(gap)

    handoff_app.slack.click(gap.button("Ask a recruiter"), origin=gap)
    post = handoff_app.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "C0HANDOFF")[0]
    assert "the handbook does not say" in post.mrkdwn() and "job grade 8" in post.mrkdwn()
    assert "passed your question on" in handoff_app.response(count=2).mrkdwn()  # privately, where the answer was

    handoff_app.slack.command("what's grade 7?")
    assert "Ask a recruiter" not in button_labels(handoff_app.response(count=3))


def test_not_helpful_offers_a_recruiter(handoff_app):
    _, event = handoff_app.slack.mention("what's grade 7?")
    answer = handoff_app.reply_to(event)
    handoff_app.slack.click(answer.button("Not helpful"), origin=answer, user="U0BOB")

    thanks = handoff_app.fake.wait_for("chat.postEphemeral")[0]
    assert "Ask a recruiter" in button_labels(thanks)
    handoff_app.slack.click(thanks.button("Ask a recruiter"), origin=thanks, user="U0BOB", channel=event["channel"])

    post = handoff_app.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "C0HANDOFF")[0]
    assert "<@U0BOB> needs a recruiter: they marked the answer Not helpful." in post.mrkdwn()
    assert "what's grade 7?" in post.mrkdwn() and "Sr. Sales Operations Manager" in post.mrkdwn()


def test_without_a_hand_off_channel_there_is_no_hand_off_button(rolecall):
    rolecall.slack.command("who does the chief happiness officer report to?")
    assert "Ask a recruiter" not in button_labels(rolecall.response())


# --------------------------------------------------------------------------- freshness


def test_every_answer_says_when_its_page_last_changed(rolecall):
    _, event = rolecall.slack.mention("who does the Associate Sales Operations Analyst report to?")

    answer = rolecall.reply_to(event)
    assert f"Page “Sales Operations Roles” last changed {git_date('sales--sales-operations.md')}" in answer.mrkdwn()


def test_app_home_lists_every_page_with_when_it_last_changed(rolecall):
    rolecall.slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home", "event_ts": rolecall.slack.new_ts()})

    home = rolecall.fake.wait_for("views.publish")[0].mrkdwn()
    assert f"|Sales Operations Roles> — last changed {git_date('sales--sales-operations.md')}" in home
    assert home.count("— last changed ") == 5


def test_freshness_is_worked_out_once_per_index_version_not_per_answer(tmp_path, monkeypatch):
    import shutil

    from bot import catalog as catalog_module
    from bot.engine import Engine
    from bot.questionlog import QuestionLog

    pages = tmp_path / "pages"
    shutil.copytree(SEEDS, pages)
    calls = []
    real = catalog_module.page_freshness
    monkeypatch.setattr(catalog_module, "page_freshness", lambda folder, names: calls.append(folder) or real(folder, names))
    engine = Engine(pages, tmp_path / "index.sqlite", question_log=QuestionLog(tmp_path / "questions.sqlite"))
    with FakeSlack() as fake, serving(engine, fake) as app:
        for _ in range(3):
            _, event = app.slack.mention("who does the Associate Sales Operations Analyst report to?")
            assert "last changed" in app.reply_to(event).mrkdwn()
            fake.reset()
        assert len(calls) == 1
        page = pages / "sales--sales-operations.md"
        page.write_text(page.read_text() + "\n")
        engine.refresh()
        _, event = app.slack.mention("what's grade 7?")
        app.reply_to(event)
        assert len(calls) == 2  # the new index version, once
