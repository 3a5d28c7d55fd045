"""Turn an answer's light Markdown into what each surface displays.

Answers are written once (see ``bot.answer``); this module is the only place
that knows how a link or a bold role name looks in a terminal or in Slack, and
the only place that escapes text for Slack.
"""

from __future__ import annotations

import re

# [label](url) with no nested brackets; urls never contain spaces here.
LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]+)\)")
BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
BROADCAST = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"


def defuse_mentions(text: str) -> str:
    """Keep ``@here``/``@channel``/``@everyone`` from pinging when ``link_names`` is on."""
    return BROADCAST.sub("@" + ZERO_WIDTH_SPACE, text)


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack reserves for its own markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_plain(text: str) -> str:
    """Terminal form: links as ``label (url)``, bold markers dropped."""

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        return label if label == url else f"{label} ({url})"

    return BOLD.sub(r"\1", LINK.sub(link, text))


def to_mrkdwn(text: str) -> str:
    """Slack mrkdwn, line by line: a leading "> " stays a quote marker, the rest is escaped."""
    return "\n".join(
        ">" + _line_to_mrkdwn(line[1:]) if line.startswith("> ") else _line_to_mrkdwn(line)
        for line in text.split("\n")
    )


def _line_to_mrkdwn(text: str) -> str:
    """Slack mrkdwn: every character of page or user text escaped, links as ``<url|label>``.

    Escaping happens piecewise so that the link syntax we add is the only
    ``<...>`` in the result: nothing from a page or a question can become a
    ``<!channel>`` or a ``<@U123>`` mention.
    """
    out: list[str] = []
    pos = 0
    for match in LINK.finditer(text):
        out.append(escape_mrkdwn(text[pos : match.start()]))
        label = escape_mrkdwn(match.group(1)).replace("|", "\u2223")
        url = escape_mrkdwn(match.group(2)).replace("|", "%7C")
        out.append(f"<{url}|{label}>")
        pos = match.end()
    out.append(escape_mrkdwn(text[pos:]))
    return defuse_mentions("".join(out))
