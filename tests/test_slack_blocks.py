"""Block Kit rendering: Slack's limits, escaping, and what every message carries."""

from __future__ import annotations

import json

from bot.answer import Answer, Choice, Source
from bot.slack.blocks import (
    Asked,
    answer_message,
    fallback_text,
    feedback_log_id,
    help_message,
    home_view,
    split_sections,
)
from fake_slack import Call, assert_cannot_ping, block_kit_problems

URL = "https://about.gitlab.com/job-families/sales/sales-operations/"


def message_call(message: dict) -> Call:
    return Call("chat.postMessage", message, "/api/chat.postMessage")


def long_list(count: int) -> Answer:
    lines = [f"• [Role number {i} & friends](https://example.com/roles/{i}) (Some Family)" for i in range(count)]
    return Answer("list_roles", "answered", f"{count} roles:\n" + "\n".join(lines), [], [Source("all.md", "All roles", URL)], [], "list roles", log_id=7)


def test_a_short_answer_is_one_section_with_a_fallback_and_feedback_buttons():
    answer = Answer("grade", "answered", "*Sales Operations Analyst* is grade 6.", ["Sales Operations Analyst"], [Source("sales.md", "Job Grade", URL)], [], "grade of sales ops analyst", log_id=42)

    message = answer_message(answer, Asked(answer.question))

    assert message["text"] == "Sales Operations Analyst is grade 6."
    assert message["blocks"][0] == {"type": "section", "text": {"type": "mrkdwn", "text": "*Sales Operations Analyst* is grade 6."}}
    assert message["blocks"][1]["elements"][0]["text"] == f"Source: <{URL}|Job Grade>"  # the text did not link it
    helpful, not_helpful = message_call(message).buttons()
    assert feedback_log_id(helpful["value"]) == feedback_log_id(not_helpful["value"]) == 42  # the question log row
    assert block_kit_problems(message) == []


def test_an_answer_that_was_not_logged_has_no_feedback_buttons():
    """With the question log turned off (or a failed write) a click would have nowhere to go."""
    answer = Answer("grade", "answered", "*Sales Operations Analyst* is grade 6.", ["Sales Operations Analyst"], [], [], "q")

    buttons = message_call(answer_message(answer, Asked("q"), share=True)).buttons()

    assert [b["text"]["text"] for b in buttons] == ["Share in channel"]


def test_feedback_values_that_are_not_a_log_row_are_refused():
    assert feedback_log_id('{"id": 42, "q": "what\'s grade 7?"}') == 42
    assert feedback_log_id('{"q": "what\'s grade 7?", "i": "grade", "s": "answered"}') is None  # a button from before the log
    for forged in ('{"id": "42"}', '{"id": true}', '{"id": -1}', '{"id": 0}', '{"id": 4.2}', '{"id": 99999999999999999999999}',
                   '{"id": null}', "[42]", "42", "not json", "", None):
        assert feedback_log_id(forged) is None, forged


def test_a_source_already_linked_in_the_text_is_not_repeated():
    answer = Answer("grade", "answered", f"X is grade 6.\nSource: [Job Grade]({URL})", ["X"], [Source("sales.md", "Job Grade", URL)], [], "q", log_id=1)

    blocks = answer_message(answer, Asked("q"))["blocks"]

    assert [b["type"] for b in blocks] == ["section", "actions"]


def test_a_very_long_list_fits_slack_and_says_how_much_is_left_out():
    message = answer_message(long_list(3000), Asked("list roles"), share=True)

    assert block_kit_problems(message) == []
    assert len(message["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if b["type"] == "section")
    summary = [b for b in message["blocks"] if b["type"] == "section"][-1]["text"]["text"]
    assert "more items not shown" in summary and "narrower question" in summary
    shown = sum(line.startswith("• ") for b in message["blocks"][:-3] for line in b["text"]["text"].split("\n"))
    assert 100 < shown < 3000
    assert f"…and {3000 - shown} more items not shown" in summary
    assert message["blocks"][-1]["elements"][-1]["text"]["text"] == "Share in channel"
    assert len(message["text"]) <= 3000


def test_a_long_answer_within_budget_is_split_between_lines_never_inside_a_link():
    answer = long_list(60)

    chunks = split_sections(answer.text, limit=500)

    assert len(chunks) > 1
    assert "\n".join(chunks) == answer.text
    assert all(chunk.count("[") == chunk.count("](") for chunk in chunks)


def test_page_and_question_text_cannot_ping_or_inject_links():
    answer = Answer(
        "unknown", "unknown",
        "I don't know “<!channel> @here <@U0EVE> <https://evil.example|click> a & b”.", [], [], [], "<!channel> @here",
    )

    message = answer_message(answer, Asked(answer.question), shared_by="U0ALICE")

    text = message_call(message).mrkdwn()
    assert_cannot_ping(text.replace("<@U0ALICE>", ""))
    assert "<https://evil.example" not in text
    assert "&lt;https://evil.example|click&gt; a &amp; b" in text
    assert_cannot_ping(fallback_text(answer.text))


def test_ambiguity_offers_one_button_per_choice_carrying_the_original_question():
    answer = Answer(
        "reports_to", "ambiguous", "Which role do you mean?", [], [],
        [Choice("Director of Sales Operations", "Director of Sales Operations", "a.md"), Choice("Director, Sales Operations", "Sales Operations", "b.md")],
        "who does the director of sales ops report to",
    )

    message = answer_message(answer, Asked(answer.question), share=True)

    buttons = message_call(message).buttons()
    assert [b["text"]["text"] for b in buttons] == ["Director of Sales Operations", "Director, Sales Operations"]
    assert [Asked.from_value(b["value"]) for b in buttons] == [
        Asked("who does the director of sales ops report to", role="Director of Sales Operations", role_page="a.md"),
        Asked("who does the director of sales ops report to", role="Director, Sales Operations", role_page="b.md"),
    ]
    assert len({b["action_id"] for b in buttons}) == 2  # unique within the block
    assert block_kit_problems(message) == []


def test_same_role_name_in_two_families_gets_labels_that_tell_them_apart():
    choices = [Choice("Manager", "Sales", "a.md"), Choice("Manager", "Marketing", "b.md")]
    answer = Answer("reports_to", "ambiguous", "Which one?", [], [], choices, "q")

    labels = [b["text"]["text"] for b in message_call(answer_message(answer, Asked("q"))).buttons()]

    assert labels == ["Manager (Sales)", "Manager (Marketing)"]


def test_button_values_and_labels_stay_within_slack_limits():
    question = "who does the " + "very " * 1000 + "long role report to?"
    role = "A role with an extraordinarily long name that goes on and on and on and on and on"
    answer = Answer("reports_to", "ambiguous", "Which?", [], [], [Choice(role, "F", "p.md")], question)

    message = answer_message(answer, Asked(question))

    assert block_kit_problems(message) == []
    value = message_call(message).buttons()[0]["value"]
    assert Asked.from_value(value).role == role
    assert len(json.loads(value)["q"]) < len(question)


def test_malformed_button_values_are_refused():
    assert Asked.from_value("not json") is None
    assert Asked.from_value('{"q": ""}') is None
    assert Asked.from_value("[1, 2]") is None
    assert Asked.from_value(None) is None


def test_help_and_home_fit_their_limits():
    help_text = "Ask me:\n" + "\n".join(f"• example question {i} <b>" for i in range(400))
    stats = {"pages": 5, "roles": 21, "grades": 8, "reports_to": 8, "hiring_processes": 2,
             "problems": [f"page{i}.md:1: <!channel> broken" for i in range(30)], "indexed_at": "2025-01-01T00:00:00+00:00"}

    help_ = help_message(help_text)
    home = {"user_id": "U0ALICE", "view": home_view(stats, help_text, ["what's grade 7?"])}

    for published in (help_, home):
        assert block_kit_problems(published) == []
        assert_cannot_ping(message_call(published).mrkdwn())
    home = message_call(home).mrkdwn()
    assert "30 problem(s) found while indexing" in home
    assert "…and 20 more" in home


def test_not_found_with_close_candidates_offers_them_as_did_you_mean_buttons():
    answer = Answer(
        "reports_to", "not_found", "I couldn't find “sales opps analyst”. Did you mean one of these?", [], [],
        [Choice("Sales Operations Analyst", "Sales Operations", "sales--sales-operations.md")], "who does the sales opps analyst report to?",
        log_id=3,
    )

    buttons = message_call(answer_message(answer, Asked(answer.question))).buttons()

    assert [b["text"]["text"] for b in buttons] == ["Sales Operations Analyst", "👍 Helpful", "👎 Not helpful"]
    assert Asked.from_value(buttons[0]["value"]) == Asked(answer.question, role="Sales Operations Analyst", role_page="sales--sales-operations.md")
