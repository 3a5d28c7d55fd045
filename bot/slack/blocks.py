"""Block Kit for Rolecall: answers, help and the App Home view.

Every message carries a plain ``text`` fallback (notifications, screen readers,
old clients) next to its blocks. All page and user text goes through
``bot.render.to_mrkdwn`` so nothing can ping a channel or a person, and Slack's
limits are respected here, in one place: 3,000 characters a section, 50 blocks
a message, 25 buttons an actions block, 75 characters a button label and 2,000
characters a button value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.answer import Answer, Source
from bot.render import LINK, to_mrkdwn, to_plain

Block = dict[str, Any]
Message = dict[str, Any]

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
HOME_BLOCK_LIMIT = 100
HOME_PROBLEMS = 10  # the App Home lists this many index problems, then a count of the rest
# Beyond this much answer text a Slack message stops being readable: summarise instead.
ANSWER_CHAR_BUDGET = 12_000
FALLBACK_LIMIT = 3000
ACTIONS_LIMIT = 25
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
CONTEXT_ELEMENT_LIMIT = 10
FEEDBACK_QUESTION_LIMIT = 200

CHOOSE_ROLE = "choose_role"  # action ids are "choose_role:<n>": ids must be unique in a block
SHARE = "share_answer"
FEEDBACK_HELPFUL = "feedback:helpful"
FEEDBACK_NOT_HELPFUL = "feedback:not_helpful"
FEEDBACK_PREFIX = "feedback:"

CHOOSE_ROLE_PATTERN = re.compile(rf"^{CHOOSE_ROLE}:\d+$")
FEEDBACK_PATTERN = re.compile(rf"^{FEEDBACK_PREFIX}(helpful|not_helpful)$")
WORD = re.compile(rf"{LINK.pattern}|\S+")
LIST_ITEM = re.compile(r"^\s*(•|\d+\.)\s")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

NARROW_HINT = "Ask a narrower question to see the rest, e.g. name one role or one job family."


# --------------------------------------------------------------------------- button values


@dataclass(frozen=True)
class Asked:
    """The exact inputs of one ``engine.ask`` call, carried in a button so a click can repeat it.

    Repeating the call (rather than storing the answer) keeps the value small and
    needs no server-side state, so any replica can handle the click.
    """

    question: str
    last_role: str | None = None
    role: str | None = None
    role_page: str | None = None  # tells apart two pages that define the same title

    def to_value(self) -> str:
        """JSON for a button value, shortened to fit Slack's 2,000-character limit."""
        data = {"q": self.question, "l": self.last_role, "r": self.role, "p": self.role_page}
        encoded = _compact(data)
        question = self.question
        while len(encoded) > BUTTON_VALUE_LIMIT and question:
            question = question[: max(0, len(question) - (len(encoded) - BUTTON_VALUE_LIMIT) - 8)]
            encoded = _compact({**data, "q": question})
        return encoded

    @classmethod
    def from_value(cls, value: str | None) -> Asked | None:
        """Parse a button value; None for anything malformed (values come back from the client)."""
        data = decode_value(value)
        question = data.get("q")
        if not isinstance(question, str) or not question.strip():
            return None
        return cls(question=question, last_role=_opt_str(data.get("l")), role=_opt_str(data.get("r")),
                   role_page=_opt_str(data.get("p")))


def feedback_value(answer: Answer) -> str:
    """What a feedback click needs: the question log row of the answer (``answer.log_id``).

    The question rides along (shortened) so a report can tell what a click was
    about even when the row is gone; only the id is used to record the click.
    """
    return _compact({"id": answer.log_id, "q": answer.question[:FEEDBACK_QUESTION_LIMIT]})


def feedback_log_id(value: str | None) -> int | None:
    """The question log row a feedback button refers to, or None for anything else.

    Values come back from the client, so anything odd is refused here: no id
    (buttons from before the question log), a non-integer, or one SQLite could
    not even look up.
    """
    log_id = decode_value(value).get("id")
    if isinstance(log_id, bool) or not isinstance(log_id, int) or not 0 < log_id < 2**63:
        return None
    return log_id


def decode_value(value: str | None) -> dict[str, Any]:
    """A button value as a dict, or {} when it is not one of ours."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _compact(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# --------------------------------------------------------------------------- text


def fallback_text(text: str, limit: int = FALLBACK_LIMIT) -> str:
    """The message's ``text``: readable without markup, yet still escaped, at most ``limit`` characters.

    Slack parses ``text`` as mrkdwn for notifications too, so it gets the same
    escaping as the blocks (a ``<!channel>`` here would ping). Long answers are
    cut between lines; the blocks carry the full answer.
    """
    lines = to_mrkdwn(to_plain(text).strip()).split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) > limit - 1:
            if not kept:  # a single huge line: cut it, but not inside an entity like &amp;
                kept.append(re.sub(r"&[a-z]*$", "", line[: limit - 1]))
            return "\n".join(kept) + "…"
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def split_sections(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split light-Markdown text into pieces whose mrkdwn form fits one section.

    Splits between lines when it can, then between words; a link is never cut.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _fit_line(line, limit):
            cost = len(to_mrkdwn(piece))
            if current and size + 1 + cost > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
            size += cost + (1 if current else 0)
            current.append(piece)
    if current:
        chunks.append("\n".join(current))
    return [chunk for chunk in (c.strip("\n") for c in chunks) if chunk.strip()]


def _fit_line(line: str, limit: int) -> list[str]:
    """One line as pieces that each fit ``limit`` once rendered."""
    if len(to_mrkdwn(line)) <= limit:
        return [line]
    pieces: list[str] = []
    current = ""
    for word in _words(line):
        candidate = f"{current} {word}" if current else word
        if len(to_mrkdwn(candidate)) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if len(to_mrkdwn(word)) <= limit:
            current = word
        else:
            # A single "word" longer than a section: cut it; escaping grows text at most 5x.
            step = limit // 5
            pieces.extend(word[i : i + step] for i in range(0, len(word), step))
            current = ""
    if current:
        pieces.append(current)
    return pieces


def _words(line: str) -> list[str]:
    """Space-separated words, with each [label](url) link kept whole even if its label has spaces."""
    return [match.group(0) for match in WORD.finditer(line)]


def section(mrkdwn: str) -> Block:
    """A section block from already-rendered mrkdwn."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def context(mrkdwn_items: Iterable[str]) -> Block:
    """A context block (small grey text) from already-rendered mrkdwn items."""
    items = list(mrkdwn_items)[:CONTEXT_ELEMENT_LIMIT]
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": item[:SECTION_LIMIT]} for item in items]}


def text_blocks(text: str, *, max_blocks: int, char_budget: int = ANSWER_CHAR_BUDGET) -> list[Block]:
    """Sections for ``text`` within ``max_blocks`` blocks and ``char_budget`` characters."""
    return fit_text(text, max_blocks=max_blocks, char_budget=char_budget)[0]


def fit_text(text: str, *, max_blocks: int, char_budget: int = ANSWER_CHAR_BUDGET) -> tuple[list[Block], str]:
    """Sections for ``text``, and the part of ``text`` they show.

    When the text does not fit, its tail is replaced by one section that says how
    much was left out (list items when it is a list) and how to narrow the question.
    """
    chunks = split_sections(text)
    rendered = [to_mrkdwn(chunk) for chunk in chunks]
    if len(chunks) <= max_blocks and sum(map(len, rendered)) <= char_budget:
        return [section(r) for r in rendered], text
    kept = 0
    used = 0
    while kept < len(chunks) and kept + 2 <= max_blocks and used + len(rendered[kept]) <= char_budget:
        used += len(rendered[kept])
        kept += 1
    left_out = [line for line in "\n".join(chunks[kept:]).split("\n") if line.strip()]
    items = sum(1 for line in left_out if LIST_ITEM.match(line))
    what = f"{items} more items" if items else f"{len(left_out)} more lines"
    summary = section(to_mrkdwn(f"_…and {what} not shown._ {NARROW_HINT}"))
    return [section(r) for r in rendered[:kept]] + [summary], "\n".join(chunks[:kept])


# --------------------------------------------------------------------------- messages


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    """A button; the label is plain text (never parsed for mentions) and shortened to fit."""
    if len(label) > BUTTON_LABEL_LIMIT:
        label = label[: BUTTON_LABEL_LIMIT - 1] + "…"
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(elements: Sequence[Block], block_id: str | None = None) -> list[Block]:
    """Actions blocks holding ``elements``, 25 to a block."""
    blocks: list[Block] = []
    for start in range(0, len(elements), ACTIONS_LIMIT):
        block: Block = {"type": "actions", "elements": list(elements[start : start + ACTIONS_LIMIT])}
        if block_id:
            block["block_id"] = f"{block_id}{start // ACTIONS_LIMIT or ''}"
        blocks.append(block)
    return blocks


def source_items(sources: Sequence[Source], text: str = "") -> list[str]:
    """ "Source: <url|heading>" items for sources the answer text does not already link to.

    Every answer must name its source with a link; the engine's text usually
    does, and saying it twice would only add noise.
    """
    linked = {match.group(2) for match in LINK.finditer(text)}
    seen: set[str] = set()
    missing: list[Source] = []
    for source in sources:
        key = source.url or f"{source.page}#{source.heading}"
        if key not in seen and source.url not in linked:
            seen.add(key)
            missing.append(source)
    items: list[str] = []
    for source in missing[: CONTEXT_ELEMENT_LIMIT - 1]:
        label = (source.heading or source.page).replace("[", "(").replace("]", ")")
        items.append(to_mrkdwn(f"Source: [{label}]({source.url})" if source.url else f"Source: {label}"))
    if len(missing) > len(items):
        items.append(to_mrkdwn(f"…and {len(missing) - len(items)} more sources"))
    return items


def choice_buttons(answer: Answer, asked: Asked) -> list[Block]:
    """One button per candidate role; a click re-asks the original question for that role."""
    names = [choice.role for choice in answer.choices]
    elements = []
    for index, choice in enumerate(answer.choices):
        label = choice.role if names.count(choice.role) == 1 else f"{choice.role} ({choice.family})"
        value = Asked(question=asked.question, role=choice.role, role_page=choice.page).to_value()
        elements.append(button(label, f"{CHOOSE_ROLE}:{index}", value))
    return elements


def feedback_buttons(answer: Answer) -> list[Block]:
    """ "Helpful" / "Not helpful", each carrying the answer's question log row.

    An answer that was not logged (log turned off, or the write failed) gets no
    buttons: a click would have nowhere to go.
    """
    if answer.log_id is None:
        return []
    value = feedback_value(answer)
    return [
        button("👍 Helpful", FEEDBACK_HELPFUL, value),
        button("👎 Not helpful", FEEDBACK_NOT_HELPFUL, value),
    ]


def answer_message(
    answer: Answer,
    asked: Asked,
    *,
    share: bool = False,
    shared_by: str | None = None,
    freshness: Sequence[str] = (),
    handoff: bool = False,
) -> Message:
    """Block Kit for one answer.

    ``share`` adds the "Share in channel" button (ephemeral slash-command
    answers); ``shared_by`` (a Slack user id) heads a public copy with who shared
    it and what was asked. ``freshness``: rendered "page last changed" items for the sources
    (:func:`freshness_items`). ``handoff``: add "Ask a recruiter" under an answer that was not good
    enough (``not_found``, ``not_documented``).
    """
    head: list[Block] = []
    if shared_by:
        who = f"<@{shared_by}>" if SLACK_USER_ID.match(shared_by) else "Someone"
        head.append(context([f"{who} asked: {to_mrkdwn(unescape_slack(asked.question))}"]))
    buttons: list[Block] = []
    if answer.status != "ambiguous":
        buttons.extend(feedback_buttons(answer))
    if share and answer.status != "ambiguous":
        buttons.append(button("Share in channel", SHARE, asked.to_value(), style="primary"))
    if handoff and answer.status in HANDOFF_STATUSES:
        buttons.append(handoff_button(handoff_value(answer)))
    tail = actions(choice_buttons(answer, asked), block_id="choices") + actions(buttons, block_id="answer_actions")
    # One block is kept back for the sources, which depend on how much text is shown.
    room = MESSAGE_BLOCK_LIMIT - len(head) - len(tail) - 1
    body, shown = fit_text(answer.text or "(no answer)", max_blocks=max(1, room))
    sources = source_items(answer.sources, shown) + list(freshness)
    if sources:
        tail.insert(0, context(sources))
    return {"text": fallback_text(answer.text or "(no answer)"), "blocks": head + body + tail}


def help_message(help_text: str) -> Message:
    """How to ask, with examples (the engine's help text)."""
    return {"text": fallback_text(help_text), "blocks": text_blocks(help_text, max_blocks=MESSAGE_BLOCK_LIMIT)}


def report_message(text: str) -> Message:
    """A longer text of our own with user wording in it (the gaps report), escaped and fitted to Slack."""
    return {"text": fallback_text(text), "blocks": text_blocks(text, max_blocks=MESSAGE_BLOCK_LIMIT)}


def notice_message(text: str) -> Message:
    """A one-line message of our own (errors, thanks)."""
    return {"text": fallback_text(text), "blocks": [section(to_mrkdwn(text))]}


HOME_PAGES = 20  # the App Home lists this many pages with when each last changed, then a count of the rest


def home_view(stats: Mapping[str, Any], help_text: str, examples: Sequence[str],
              pages: Sequence[tuple[str, str, str]] = ()) -> dict[str, Any]:
    """The App Home tab: what the bot knows (``pages``: title, url, last changed), how to ask, examples to copy."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Rolecall", "emoji": True}},
        section(to_mrkdwn("I answer hiring questions about job roles, straight from the handbook's job-family pages.")),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": to_mrkdwn(f"*{label}*\n{stats.get(key, 0)}")}
                for key, label in (
                    ("pages", "Pages"),
                    ("roles", "Roles"),
                    ("grades", "Grades"),
                    ("reports_to", "Reporting lines"),
                    ("hiring_processes", "Hiring processes"),
                )
            ],
        },
        context([to_mrkdwn(f"Last indexed: {indexed_at(stats.get('indexed_at'))}")]),
    ]
    problems = [str(problem) for problem in stats.get("problems") or []]
    if problems:
        shown = "\n".join(f"• {problem}" for problem in problems[:HOME_PROBLEMS])
        more = f"\n…and {len(problems) - HOME_PROBLEMS} more (`rolecall index` lists them all)" if len(problems) > HOME_PROBLEMS else ""
        blocks.extend(text_blocks(f"*{len(problems)} problem(s) found while indexing*\n{shown}{more}", max_blocks=4))
    suspicions = [str(suspicion) for suspicion in stats.get("suspicions") or []]
    if suspicions:
        shown = "\n".join(f"• {suspicion}" for suspicion in suspicions[:HOME_PROBLEMS])
        more = f"\n…and {len(suspicions) - HOME_PROBLEMS} more (`rolecall index` lists them all)" if len(suspicions) > HOME_PROBLEMS else ""
        blocks.extend(text_blocks(f"*{len(suspicions)} suspicion(s): read, but probably not as meant*\n{shown}{more}", max_blocks=2))
    if pages:
        listed = "\n".join(f"• [{title}]({url}) — last changed {changed or 'unknown'}" if url.startswith("http")
                           else f"• {title} — last changed {changed or 'unknown'}" for title, url, changed in pages[:HOME_PAGES])
        more = f"\n…and {len(pages) - HOME_PAGES} more pages" if len(pages) > HOME_PAGES else ""
        blocks.extend(text_blocks(f"*Pages*\n{listed}{more}", max_blocks=3))
    blocks.append({"type": "divider"})
    blocks.append(section(to_mrkdwn("*How to ask*\n• `/hiring <question>` anywhere (only you see the answer)\n"
                                    "• mention me in a channel: I answer in a thread\n"
                                    "• or send me a direct message from the Messages tab\n"
                                    "• *Look up a role* from the shortcuts menu; *Ask Rolecall* on any message\n"
                                    "• paste a handbook job link: I show the role")))
    if examples:
        blocks.append(section(to_mrkdwn("*Examples*\n" + "\n".join(f"• {example}" for example in examples[:15]))))
    room = HOME_BLOCK_LIMIT - len(blocks) - 1
    if help_text.strip():
        blocks.append({"type": "divider"})
        blocks.extend(text_blocks(help_text, max_blocks=room))
    return {"type": "home", "blocks": blocks[:HOME_BLOCK_LIMIT]}


def disabled_home_view(notice: str) -> dict[str, Any]:
    """The App Home tab in a workspace Rolecall is not enabled in."""
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Rolecall", "emoji": True}},
            section(to_mrkdwn(notice)),
        ],
    }


def indexed_at(value: Any) -> str:
    """ "2025-01-01T08:00:00+00:00" as "2025-01-01 08:00:00 UTC" (anything else as it is)."""
    text = str(value or "")
    if not text:
        return "not yet"
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(?:\+00:00|Z)", text)
    return f"{match.group(1)} {match.group(2)} UTC" if match else text


def unescape_slack(text: str) -> str:
    """Undo Slack's own entity encoding of user text (it encodes only &, < and >)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --------------------------------------------------------------------------- freshness, hand-off, cards

HANDOFF = "handoff"  # "Ask a recruiter" under an answer that was not good enough
HANDOFF_STATUSES = frozenset({"not_found", "not_documented"})
HANDOFF_ANSWER_LIMIT = 1200
CARD_PREFIX = "card:"  # "card:responsibilities" etc.: a kind of answer about the card's role
CARD_PATTERN = re.compile(rf"^{CARD_PREFIX}(responsibilities|requirements|interview_steps)$")
ROLE_PICK = "role_pick"  # the external_select of the "Look up a role" modal
ROLE_PICK_BLOCK = "role"
LOOKUP_VIEW = "role_lookup"  # callback_id of the modal
OPTION_VALUE_LIMIT = 150
OPTION_TEXT_LIMIT = 75
OPTIONS_LIMIT = 100
MODAL_TITLE_LIMIT = 24


def changed_label(when: Any) -> str:
    """A page's last change as a date ("2026-11-23"), or "" when unknown."""
    return when.strftime("%Y-%m-%d") if hasattr(when, "strftime") else ""


def freshness_items(answer: Answer, changed: Mapping[str, Any], titles: Mapping[str, str]) -> list[str]:
    """ "Page “Sales Operations Roles” last changed 2026-11-23", one per page the answer's sources
    come from (sources are data in the answer; nothing is read back out of its text)."""
    items = []
    for page in dict.fromkeys(source.page for source in answer.sources):
        label = changed_label(changed.get(page))
        if label:
            items.append(to_mrkdwn(f"Page “{titles.get(page) or page}” last changed {label}"))
    return items


def handoff_value(answer: Answer) -> str:
    """What "Ask a recruiter" hands over, carried in the button so any replica can post it:
    the question, the answer as given (shortened), its status, first source and log row."""
    return fit_handoff({"q": answer.question[:FEEDBACK_QUESTION_LIMIT], "a": answer.text[:HANDOFF_ANSWER_LIMIT],
                        "s": answer.status, "u": answer.sources[0].url if answer.sources else "", "id": answer.log_id})


def fit_handoff(data: dict[str, Any]) -> str:
    """A hand-off button value within Slack's 2,000 characters (the answer is shortened)."""
    data = {**data, "q": str(data.get("q") or "")[:FEEDBACK_QUESTION_LIMIT], "a": str(data.get("a") or "")[:HANDOFF_ANSWER_LIMIT]}
    encoded = _compact(data)
    while len(encoded) > BUTTON_VALUE_LIMIT and (data["a"] or data.get("u")):
        if not data["a"]:
            data["u"] = ""
        data["a"] = data["a"][: max(0, len(data["a"]) - (len(encoded) - BUTTON_VALUE_LIMIT) - 8)]
        encoded = _compact(data)
    return encoded


def handoff_button(value: str) -> Block:
    return button("🙋 Ask a recruiter", HANDOFF, value)


def handoff_post(handed: Mapping[str, Any], asker: str | None, team: str | None) -> Message:
    """What the hand-off channel sees: who asked (a link to them), the question, the answer they got."""
    who = f"<@{asker}>" if asker and SLACK_USER_ID.match(asker) else "Someone"
    question = str(handed.get("q") or "")
    answer = str(handed.get("a") or "")
    status = str(handed.get("s") or "")
    why = {"not_found": "Rolecall found nothing", "not_documented": "the handbook does not say",
           "not_helpful": "they marked the answer Not helpful"}.get(status, "the answer was not good enough")
    blocks: list[Block] = [
        section(f"{who} needs a recruiter: {to_mrkdwn(why)}."),
        section(to_mrkdwn(f"*Question:* {unescape_slack(question)}"[:SECTION_LIMIT // 5])),
    ]
    if answer.strip():
        blocks.extend(text_blocks("*Rolecall answered:*\n" + answer, max_blocks=4, char_budget=SECTION_LIMIT))
    url = str(handed.get("u") or "")
    if url.startswith("http"):
        blocks.append(context([to_mrkdwn(f"Source: [{url}]({url})")]))
    return {"text": f"{who} needs a recruiter: " + fallback_text(unescape_slack(question), limit=FALLBACK_LIMIT - 40), "blocks": blocks}


def _grades(grades: Sequence[int]) -> str:
    return ", ".join(str(g) for g in grades) if grades else "not stated"


def card_buttons(card: Any) -> list[Block]:
    """One button per kind of answer (responsibilities, requirements, interview steps) about the card's role."""
    from bot.catalog import CARD_KINDS

    return [button(label, f"{CARD_PREFIX}{kind}", Asked(question.format(role=card.role), role=card.role, role_page=card.page).to_value())
            for kind, label, question in CARD_KINDS]


def role_card_blocks(card: Any, *, changed: str = "", buttons: bool = True) -> list[Block]:
    """A role at a glance: name (linked), family, grade, whom it reports to, one line, and buttons."""
    reports = ", ".join(f"[{name}]({url})" if url else name for name, url in card.reports_to) or "not stated"
    fields = [
        {"type": "mrkdwn", "text": to_mrkdwn(f"*Grade*\n{_grades(card.grades)}")[:2000]},
        {"type": "mrkdwn", "text": to_mrkdwn(f"*Reports to*\n{reports}")[:2000]},
    ]
    head = f"*[{card.role}]({card.url})*" + (f" · {card.family}" if card.family and card.family != card.role else "")
    out: list[Block] = [section(to_mrkdwn(head)), {"type": "section", "fields": fields}]
    if card.summary:
        out.append(section(to_mrkdwn(card.summary)))
    if changed:
        out.append(context([to_mrkdwn(f"Page last changed {changed}")]))
    if buttons:
        out.extend(actions(card_buttons(card), block_id="card"))
    return out


def family_card_blocks(card: Any, *, changed: str = "") -> list[Block]:
    """A job family: its levels with their grades, in page order."""
    levels = "\n".join(f"• [{level.role}]({level.url}) — grade {_grades(level.grades)}" for level in card.levels)
    out: list[Block] = [section(to_mrkdwn(f"*[{card.family}]({card.url})* job family: {len(card.levels)} levels"))]
    if card.summary:
        out.append(section(to_mrkdwn(card.summary)))
    out.extend(text_blocks(levels, max_blocks=6, char_budget=SECTION_LIMIT * 2))
    if changed:
        out.append(context([to_mrkdwn(f"Page last changed {changed}")]))
    return out


def card_text(card: Any) -> str:
    """The plain fallback of a card (notifications, screen readers)."""
    if hasattr(card, "levels"):
        return fallback_text(f"{card.family} job family: " + "; ".join(f"{l.role} (grade {_grades(l.grades)})" for l in card.levels))
    reports = ", ".join(name for name, _ in card.reports_to) or "not stated"
    return fallback_text(f"{card.role}: grade {_grades(card.grades)}, reports to {reports}. {card.summary}")


def role_option(role: Any) -> Block:
    """One option of the role picker; its value is the role's context (name and page), never a bare name."""
    from bot.answer import Context

    label = role.name if len(role.name) <= OPTION_TEXT_LIMIT else role.name[: OPTION_TEXT_LIMIT - 1] + "…"
    value = Context(role.name, role.page).encode()
    if len(value) > OPTION_VALUE_LIMIT:
        value = Context(role.name[: OPTION_VALUE_LIMIT - len(role.page) - 12], role.page).encode()
    option: Block = {"text": {"type": "plain_text", "text": label, "emoji": False}, "value": value}
    if role.family and role.family != role.name:
        option["description"] = {"type": "plain_text", "text": role.family[:OPTION_TEXT_LIMIT]}
    return option


def lookup_modal(private_metadata: str = "") -> dict[str, Any]:
    """The "Look up a role" modal: a typeahead over the index."""
    return {
        "type": "modal",
        "callback_id": LOOKUP_VIEW,
        "title": {"type": "plain_text", "text": "Look up a role"},
        "submit": {"type": "plain_text", "text": "Show"},
        "close": {"type": "plain_text", "text": "Close"},
        "private_metadata": private_metadata,
        "blocks": [
            {
                "type": "input",
                "block_id": ROLE_PICK_BLOCK,
                "label": {"type": "plain_text", "text": "Role"},
                "element": {
                    "type": "external_select",
                    "action_id": ROLE_PICK,
                    "placeholder": {"type": "plain_text", "text": "Start typing a role name"},
                    "min_query_length": 0,
                },
            },
            context([to_mrkdwn("Roles come from the handbook's job-family pages.")]),
        ],
    }


def card_modal(title: str, body: list[Block], private_metadata: str = "") -> dict[str, Any]:
    """A modal showing a card or an answer (no submit; Close)."""
    if len(title) > MODAL_TITLE_LIMIT:
        title = title[: MODAL_TITLE_LIMIT - 1] + "…"
    return {
        "type": "modal",
        "callback_id": "role_card",
        "title": {"type": "plain_text", "text": title or "Rolecall"},
        "close": {"type": "plain_text", "text": "Close"},
        "private_metadata": private_metadata,
        "blocks": body[:HOME_BLOCK_LIMIT],
    }


def modal_answer_blocks(answer: Answer, freshness: Sequence[str] = (), extra: Sequence[Block] = ()) -> list[Block]:
    """An answer inside a modal: its text and sources, then ``extra`` (the card's buttons). No feedback
    or share buttons: a modal has no channel to thank or share in."""
    room = HOME_BLOCK_LIMIT - len(extra) - 2
    body, shown = fit_text(answer.text or "(no answer)", max_blocks=max(1, room))
    items = source_items(answer.sources, shown) + list(freshness)
    return body + ([context(items)] if items else []) + list(extra)
