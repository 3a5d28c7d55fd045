"""The answer model: one shape for every surface (CLI, JSON, Slack).

Handlers build an :class:`Answer`; the CLI prints it, ``--json`` dumps it and
the Slack layer renders it as Block Kit. Keeping one model means a fact that is
right in the terminal is right in Slack too.

``text`` is light Markdown: ``*bold*`` role names, ``[label](url)`` links,
``•`` bullets and ``1.`` numbers, indented four spaces per nesting level,
and ``> `` lines quoting the page's own sentence.
``bot.render`` turns it into plain text or Slack mrkdwn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["answered", "not_documented", "ambiguous", "not_found", "unknown"]
STATUSES: tuple[str, ...] = ("answered", "not_documented", "ambiguous", "not_found", "unknown")


@dataclass(frozen=True)
class Source:
    """Where a fact was read: the page, the heading it sat under and a link to it."""

    page: str
    heading: str
    url: str


@dataclass(frozen=True)
class Choice:
    """One candidate offered when a role name is ambiguous."""

    role: str
    family: str
    page: str


@dataclass(frozen=True)
class Context:
    """What a follow-up needs from the previous answer: its one role (page included) and intent;
    ``role`` is empty when the answer was about the whole family on ``page``.

    Carried as one string (``encode``) in Slack's conversation memory and in button values; a
    plain role name, as older buttons carry, still decodes.
    """

    role: str
    page: str = ""
    intent: str = ""

    def encode(self) -> str:
        return json.dumps([self.role, self.page, self.intent], ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def decode(cls, value: "str | Context | None") -> "Context | None":
        if value is None or isinstance(value, Context):
            return value
        if value.startswith("["):
            try:
                role, page, intent = json.loads(value)
                return cls(str(role), str(page), str(intent))
            except (ValueError, TypeError):
                return None
        return cls(value) if value else None

    def __bool__(self) -> bool:
        return bool(self.role or self.page)


@dataclass
class Answer:
    """What Rolecall says back, independent of where it is said."""

    intent: str
    status: Status
    text: str
    roles: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    # The question as asked; surfaces use it to re-ask for a chosen role.
    question: str = ""
    # Row of the question log, for feedback; not part of the JSON form.
    log_id: int | None = field(default=None, compare=False)
    # The role and intent a follow-up continues from; not part of the JSON form.
    context: Context | None = field(default=None, compare=False)
    # How the question was routed (bot.router.Decision); shown by ``ask --explain``.
    decision: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form documented in the README (stable field names). Built field by field, not
        with ``dataclasses.asdict``, whose deep copy of every role name was most of the cost of a
        long list ("what's grade 7?" names 2,871 roles at 3,000 families); the same dict."""
        return {  # log_id is deliberately left out: it identifies a log row, not the answer
            "intent": self.intent,
            "status": self.status,
            "roles": list(self.roles),
            "text": self.text,
            "sources": [dict(vars(s)) for s in self.sources],
            "choices": [dict(vars(c)) for c in self.choices],
            "question": self.question,
        }
