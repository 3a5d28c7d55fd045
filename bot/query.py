"""A question on its way to a handler: the text, the index, and the conversation so far."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from functools import lru_cache

from bot.knowledge import Knowledge
from bot.names import ascii_lower, clean_slack
from bot.resolve import FamilyRef, Resolution, RoleRef

# "and the senior one?", "what about staff?", "same for the director": a follow-up naming a level.
ELLIPSIS = re.compile(
    r"^\s*(?:and|also|ok(?:ay)?|so|then)?\s*(?:what|how)\s+about\b|^\s*and\b|^\s*same\s+(?:for|with)\b"
    r"|^\s*(?:ok(?:ay)?|and)?\s*for\s+the\b|^\s*(?:the\s+)?\w+(?:\s+\w+)?\s+one\s*\??\s*$",
    re.I,
)

# "it", "that role", "they": the question is about the role we just talked about.
FOLLOW_UP = re.compile(
    r"\b(it|its|it's|that role|this role|that one|this one|that position|this position|same role|"
    r"they|them|their|he|she|his|her|the role|the position)\b",
    re.IGNORECASE,
)

DIGIT = re.compile(r"\d")  # what a number in digits needs (the patterns' \d{1,2})
# a link as pasted ("https://…"), or as Slack sends it ("<https://…>", "<https://…|label>")
HANDBOOK_LINK = re.compile(r"<(?P<url>https?://[^\s|>]+)(?:\|[^>]*)?>|(?<![<|])\b(?P<bare>https?://[^\s<>|]+)")
GRADE_WORDS = r"(?:grades?|levels?|bands?)"  # what a grade number follows or precedes
GRADE_DIGITS = r"\d{1,2}(?:\.\d)?"  # "7", "9.5"

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}


class once:
    """A property computed on first use and kept in the instance (``functools.cached_property``
    without its lock: Python 3.11's takes one class-wide lock on every first use, a few a
    question, though a Query belongs to the one thread answering it)."""

    def __init__(self, func: Any) -> None:
        self.func, self.name, self.__doc__ = func, func.__name__, func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass
class Query:
    """What a handler receives. Resolution is lazy: help and search never need a role."""

    text: str
    kb: Knowledge
    intent: str = ""
    last_role: RoleRef | None = None
    forced_role: RoleRef | None = None
    last_intent: str = ""  # the intent of the answer ``last_role`` came from
    last_family: FamilyRef | None = None  # or the family the last answer was about
    decision: Any = None  # bot.router.Decision, once routed
    notes: list[str] = field(default_factory=list)

    @property
    def follow_up_intent(self) -> str:
        """The previous answer's intent, when there is a conversation to follow."""
        return self.last_intent if self.last_role or self.last_family else ""

    @once
    def elliptical(self) -> bool:
        """"and the senior one?", "what about staff?": the question leans on the previous one."""
        return bool(ELLIPSIS.search(self.clean))

    @once
    def clean(self) -> str:
        """The question without Slack markup, whitespace folded (``str.split`` splits at exactly the
        characters ``\\s`` matches: as ``re.sub(r"\\s+", " ", ...).strip()``, without the regex), a
        name word typed in two parts written as one (see :meth:`bot.resolve.Resolver.join_compounds`)."""
        text = self.text
        if "://" in text:
            text = HANDBOOK_LINK.sub(self._named_link, text)
        return self.kb.resolver.join_compounds(" ".join(clean_slack(text).split()))

    def _named_link(self, match: re.Match[str]) -> str:
        """A pasted link to a role's (or a family's) handbook page as that role's name: "who does
        <https://about.gitlab.com/job-families/finance/tax/#manager-tax> report to" asks about the
        Manager, Tax. Any other link stays as it was."""
        found = self.kb.at_url(match.group("url") or match.group("bare").rstrip(".,;:!?)"))
        return f" {found.name} " if found is not None else match.group(0)

    @property
    def own_words(self) -> str:
        """The question with the role's name masked, as the router scored it: a check for the
        question's own words ("what does it *pay*") must not read them inside a name ("what's the
        level of a *Compensation* Analyst" asks a grade, not pay)."""
        masked = getattr(self.decision, "masked", "")
        return masked or self.clean

    @once
    def resolution(self) -> Resolution:
        """Which role the question is about, using the conversation for follow-ups."""
        if self.forced_role:
            return Resolution("one", role=self.forced_role)
        resolver = self.kb.resolver
        if (self.last_role or self.last_family) and self.elliptical:
            # "and the senior one?": another level of the family we were talking about, first
            family = self.kb.family_roles_of(self.last_role) if self.last_role else self.kb.family_roles(self.last_family)
            sibling = resolver.sibling(self.clean, self.last_role, family)
            if sibling is not None:
                return sibling
            level = resolver.other_level(self.clean, self.last_role) if self.last_role else None
            if level is not None:
                return level
        found = resolver.resolve(self.clean)
        if self.last_role and self.elliptical and found.status != "one":
            # "and the CTO one?" after the Chief of Staff to the CFO: the current name with its
            # distinguishing words swapped, on any page, when exactly one role is that
            swapped = resolver.sibling(self.clean, self.last_role, list(self.kb.roles.values()))
            if swapped is not None and swapped.status == "one":
                return swapped
        if (self.last_role or self.last_family) and found.status == "none" and (
            FOLLOW_UP.search(resolver.without_role_it(self.clean)) or all(w is None for w in resolver.query_words(self.clean))
        ):
            if self.last_role:
                return Resolution("one", role=self.last_role, span="(follow-up)")
            return Resolution("family", family=self.last_family, span="(follow-up)")
        return found

    @once
    def _names_a_grade_word(self) -> bool:
        """Whether a word of :data:`GRADE_WORDS` is in the question at all, as both of
        :meth:`number`'s patterns need (their twenty-odd alternatives tried at every position cost
        more than the rest of routing a question that has none)."""
        lowered = self.clean.lower()
        return "grade" in lowered or "level" in lowered or "band" in lowered

    @once
    def _names_a_number(self) -> bool:
        """Whether a digit or a number word ("seven") is in the question in any case ``re.I``
        takes, as both of :meth:`number`'s patterns need (most grade questions have none: "what
        grade is the X"). Under ``re.I`` only "İ", the dotless "ı" and "ſ" stand for an ASCII
        letter of a number word beside its two cases (checked over all of Unicode), and
        ``lower`` makes "İ" an "i" with a combining dot."""
        if DIGIT.search(self.clean):
            return True
        lowered = ascii_lower(self.clean)
        return any(word in lowered for word in NUMBER_WORDS)

    def numbers(self) -> list[int | float]:
        """Every grade number asked about: "grade 6 and 7", "grades 5, 6 or 8"."""
        first = self.number()
        if first is None:
            return []
        tail = re.search(r"\bgrades?\b(.*)$", self.clean, re.I)
        found = [first]
        if tail:
            for word in re.findall(r"\b(" + GRADE_DIGITS + "|" + "|".join(NUMBER_WORDS) + r")\b", tail.group(1), re.I):
                value = grade_value(word)
                if value not in found:
                    found.append(value)
        return found

    def number(self, after: str = GRADE_WORDS) -> int | float | None:
        """A number after a keyword, in digits or words ("grade 7", "grade seven", "grade 9.5":
        the handbook has half grades, and "9.5" read as 9 listed the grade 9 roles)."""
        if after == GRADE_WORDS and not self._names_a_grade_word:
            return None  # routing asks every question; most have neither pattern's keyword
        if not self._names_a_number:
            return None
        following, preceding = _number_patterns(after)
        match = following.search(self.clean) or preceding.search(self.clean)
        if not match:
            return None
        return grade_value(match.group(1))


def grade_value(word: str) -> int | float:
    """"7" -> 7, "9.5" -> 9.5, "seven" -> 7 ("ſix" too: it is six, not a KeyError)."""
    if word[:1].isdigit():
        number = float(word)
        return int(number) if number.is_integer() else number
    return NUMBER_WORDS[ascii_lower(word)]


@lru_cache(maxsize=64)
def _number_patterns(after: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """:meth:`Query.number`'s two patterns for a keyword, compiled once (every question asks)."""
    words = "|".join(NUMBER_WORDS)
    return (re.compile(after + r"\s*(?:#|no\.?|number)?\s*(" + GRADE_DIGITS + "|" + words + r")\b", re.I),
            re.compile(r"\b(" + GRADE_DIGITS + "|" + words + r")\s*" + after, re.I))
