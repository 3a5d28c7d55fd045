"""Which kind of section a heading opens, matched tolerantly, with the reason recorded.

People misspell and rephrase section names ("Responsbilities", "What you'll
do", "Requirements for Applicants", "Interview team and focus areas"), and
often put the role's name in front ("Senior X Responsibilities"). A heading
is split into words; every run of words is compared (rapidfuzz) with a
vocabulary of section names, and the best run decides the kind, the words
before it name the role. The decision is scored, so a doubtful one can be
shown with its reason instead of silently guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from bot.names import fold

# (phrase, kind, whole): a ``whole`` phrase only counts when it is the entire heading (after
# generic words): "Experience" alone is a requirements heading, "Customer Experience" is not.
VOCABULARY: tuple[tuple[str, str, bool], ...] = (
    ("responsibilities", "responsibilities", False),
    ("responsibility", "responsibilities", False),
    ("job responsibilities", "responsibilities", False),
    ("duties", "responsibilities", False),
    ("job duties", "responsibilities", False),
    ("what you'll do", "responsibilities", False),
    ("what you will do", "responsibilities", False),
    ("what you'll be doing", "responsibilities", False),
    ("what you will be doing", "responsibilities", False),
    ("what you can expect", "responsibilities", False),
    ("the role", "responsibilities", True),
    ("your role", "responsibilities", True),
    ("scope", "responsibilities", True),
    ("description", "overview", False),
    ("job description", "overview", False),
    ("requirements", "requirements", False),
    ("requirement", "requirements", False),
    ("qualifications", "requirements", False),
    ("minimum qualifications", "requirements", False),
    ("basic qualifications", "requirements", False),
    ("requirements for applicants", "requirements", False),
    ("what you'll need", "requirements", False),
    ("what you need", "requirements", False),
    ("what you bring", "requirements", False),
    ("what you'll bring", "requirements", False),
    ("about you", "requirements", True),
    ("who you are", "requirements", False),
    ("ideal candidate", "requirements", False),
    ("must haves", "requirements", True),
    ("must have", "requirements", True),
    ("skills", "requirements", True),
    ("skills and experience", "requirements", True),
    ("experience", "requirements", True),
    ("nice to have", "nice_to_have", False),
    ("nice to haves", "nice_to_have", False),
    ("desirable skills", "nice_to_have", False),
    ("desirable", "nice_to_have", True),
    ("preferred qualifications", "nice_to_have", False),
    ("preferred requirements", "nice_to_have", False),
    ("preferred skills", "nice_to_have", False),
    ("preferred experience", "nice_to_have", False),
    ("bonus points", "nice_to_have", False),
    ("job grade", "grade", False),
    ("job grades", "grade", False),
    ("grade", "grade", False),
    ("grades", "grade", False),
    ("hiring process", "hiring_process", False),
    ("interview process", "hiring_process", False),
    ("interviewing process", "hiring_process", False),
    ("recruiting process", "hiring_process", False),
    ("hiring plan", "hiring_process", False),
    ("selection process", "hiring_process", False),
    ("interview team", "hiring_process", False),
    ("interview steps", "hiring_process", False),
    ("application process", "hiring_process", False),
    ("performance indicators", "performance_indicators", False),
    ("performance indicator", "performance_indicators", False),
    ("key performance indicators", "performance_indicators", False),
    ("kpis", "performance_indicators", False),
    ("kpi", "performance_indicators", False),
    ("metrics", "performance_indicators", True),
    ("success metrics", "performance_indicators", False),
    ("career ladder", "career_ladder", False),
    ("career path", "career_ladder", False),
    ("career progression", "career_ladder", False),
)
# Words in front of a section name that do not name a role: "Key Responsibilities".
GENERIC_PREFIX = re.compile(
    r"(?:(?:job|the|role|position|additional|general|our|key|core|main|primary|base|basic|minimum|must[\s-]*have|"
    r"essential|specific|typical|your|other|team|role's)\s*)+",
    re.I,
)
# Sentence-like headings the vocabulary cannot express.
RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("responsibilities", re.compile(r"^as an? .{1,60}? you will$|^(?:in this role|on this team),? you(?:'ll| will)\b", re.I)),
    ("requirements", re.compile(r"^you (?:may|might|could|would|will) be a (?:good |great )?fit\b|^you should apply if\b", re.I)),
)
WORD = re.compile(r"[A-Za-z0-9][\w'’.&-]*")
# compiled once: classify_heading tries many runs of words per heading
ONLY_BRACKETS = re.compile(r"^\s*\([^()]*\)\s*$")  # what follows a name is only a remark in brackets
TRAILING_JOINER = re.compile(r"\s*(?:&|and|/|,)\s*$")
FOR_ROLE = re.compile(r"(?:for|of)\s+(?:the\s+|all\s+|an?\s+)?(.+?)(?:\s+roles?)?", re.I)
PLURAL_OR_AND = re.compile(r"s|(?:and|&)\s+\w+(?:\s+\w+)?", re.I)
MAX_RUN = 4
FUZZY_FLOOR = 88.0


# phrase, kind, whole, and the phrase's spaces and length, by its first two letters
_BY_START: dict[str, list[tuple[str, str, bool, int, int]]] = {}
for _entry in VOCABULARY:
    _BY_START.setdefault(_entry[0][:2], []).append((*_entry, _entry[0].count(" "), len(_entry[0])))  # a typo rarely hits the first two letters
_LENGTHS = {start: (min(e[4] for e in entries), max(e[4] for e in entries)) for start, entries in _BY_START.items()}
# ... and, for each length a run of words can have, only the phrases within 3 characters of it (in
# the vocabulary's order): a run scores only against those (see classify_heading), so the others are never tried
_NEAR_LENGTH: dict[str, dict[int, list[tuple[str, str, bool, int, int]]]] = {
    start: {n: [e for e in entries if abs(e[4] - n) <= 3] for n in range(_LENGTHS[start][0] - 3, _LENGTHS[start][1] + 4)}
    for start, entries in _BY_START.items()
}


@dataclass(frozen=True)
class HeadingKind:
    """A heading's kind, the role words before the section name, and why."""

    kind: str
    prefix: str
    score: float
    reason: str
    role_first: bool = False  # the role words come before the section name ("Senior X Responsibilities")


SPACES_OR_HYPHENS = re.compile(r"[\s-]+")


@lru_cache(maxsize=65536)
def _folded(text: str) -> str:
    """A heading word as the vocabulary spells it; cached, since headings share most of their words."""
    return SPACES_OR_HYPHENS.sub(" ", fold(text).replace("’", "'")).strip(" .:&")


def _unless_only_brackets(rest: str) -> str:
    """``ONLY_BRACKETS.sub("", rest)``: the pattern is anchored at both ends, so it either matches
    the whole text (which becomes "") or nothing; one match at the start, where ``sub`` tried
    every position of every heading's tail."""
    return "" if ONLY_BRACKETS.match(rest) else rest


Match = tuple[str, str, bool, float]  # phrase, kind, whole, score


@lru_cache(maxsize=65536)
def _run_matches(start: str, candidate: str) -> tuple[Match, ...]:
    """The vocabulary phrases a run of folded words scores against at or above the floor, in the
    vocabulary's order, with their scores (``start``: the first two letters of the run's first
    word, which pick the phrases it can be). Cached: a run's scores depend on its words alone, and headings share most runs
    ("senior", "requirements", "senior product") while each heading is new, so classify_heading
    scored the same runs again on page after page; it now only judges the matches in place."""
    starts = _NEAR_LENGTH[start].get(len(candidate))
    if not starts:  # a run scores only when its length is within 3 of a phrase's
        return ()
    spaces = candidate.count(" ")
    out: list[Match] = []
    for phrase, kind, whole, phrase_spaces, phrase_length in starts:
        if abs(phrase_spaces - spaces) > 1:
            continue
        # the score: exact for short words (a typo of "kpi" is another word), else the rapidfuzz
        # ratio of a run that has the phrase's first two letters and is within 3 characters of
        # its length (by construction); the cutoff lets rapidfuzz stop early on the many runs
        # that score below it (0)
        if candidate == phrase:
            score = 100.0
        elif phrase_length <= 6:
            continue
        else:
            score = fuzz.ratio(candidate, phrase, score_cutoff=FUZZY_FLOOR)
            if score < FUZZY_FLOOR:
                continue
        out.append((phrase, kind, whole, score))
    return tuple(out)


@lru_cache(maxsize=32768)
def classify_heading(heading: str) -> HeadingKind | None:
    """The section kind a heading opens, or None when it names no section (a role, a topic)."""
    text = heading.strip()
    for kind, pattern in RULES:
        if pattern.match(text):  # every branch is anchored at the start (^, no MULTILINE): search tried every position
            return HeadingKind(kind, "", 100.0, f"rule: sentence heading ({kind})")
    # (start, end, folded) of each word that folds to something
    words = [(m.start(), m.end(), folded) for m in WORD.finditer(text) if (folded := _folded(m.group(0)))]
    best: tuple[tuple, HeadingKind] | None = None
    count = len(words)
    for i in range(count):
        # every run from word i starts with that word's first two letters (a one-letter word gives
        # "x" or "x ", never a phrase's start): when no phrase starts so, no run from i can match
        first = words[i][2]
        start = first[:2]
        if start not in _LENGTHS:
            continue
        longest = _LENGTHS[start][1]
        candidate = ""
        for j in range(i + 1, min(count, i + MAX_RUN) + 1):
            # the run's words joined by single spaces, grown by one word a step (as " ".join gave)
            candidate = first if j == i + 1 else f"{candidate} {words[j - 1][2]}"
            # runs from i only grow, so past the longest phrase no longer run can match either
            if len(candidate) > longest + 3:
                break
            for phrase, kind, whole, score in _run_matches(start, candidate):
                prefix = text[: words[i][0]].strip(" -–:,(")
                rest = _unless_only_brackets(text[words[j - 1][1]:]).strip(" -–:,.)")
                found = _accept(kind, whole, prefix, rest, text[words[i][0]:words[j - 1][1]], phrase, score)
                if found is None:
                    continue
                # prefer: nothing after the name, then the longest name, then the best score, then the last
                rank = (not rest, j - i, score, i)
                if best is None or rank > best[0]:
                    best = (rank, found)
                if score == 100.0:
                    break  # the run is this phrase: any other phrase scores less on the same run, so ranks lower
    if best is None:
        return None
    found = best[1]
    if found.prefix:
        # "Nice-to-have Requirements", "X Responsibilities & Requirements": the first section
        # name decides, the words before it name the role
        earlier = classify_heading(TRAILING_JOINER.sub("", found.prefix))
        if earlier is not None and earlier.kind != found.kind:
            return HeadingKind(earlier.kind, earlier.prefix, earlier.score,
                               f"{earlier.reason}, before a second section name", earlier.role_first)
    return found


def _accept(kind: str, whole: bool, prefix: str, rest: str, seen: str, phrase: str, score: float) -> HeadingKind | None:
    """Whether a matched run really names the heading's section, and which role words it leaves."""
    how = f"'{seen}' = '{phrase}'" if score == 100 else f"'{seen}' ~ '{phrase}' ({score:.0f})"
    generic = not prefix or GENERIC_PREFIX.fullmatch(prefix) is not None
    if whole:
        if rest or not generic:
            return None
        return HeadingKind(kind, "", score, f"section name {how}, whole heading")
    if rest:
        for_role = FOR_ROLE.fullmatch(rest)
        if for_role and generic:
            return HeadingKind(kind, for_role.group(1), score, f"section name {how} + 'for <role>'")
        if for_role:
            # "Senior level Requirements for US Public Sector": the role first, then what it is for
            return HeadingKind(kind, prefix, score, f"section name {how} after role words '{prefix}' + '{rest}'", role_first=True)
        if PLURAL_OR_AND.fullmatch(rest) and (generic or kind != "grade"):
            return HeadingKind(kind, "" if generic else prefix, score, f"section name {how} + '{rest}'", role_first=not generic)
        if generic:
            # a heading that opens with the section name is that section, whatever follows
            # ("Hiring Process for EMEA", "Interview team and focus areas for each person")
            return HeadingKind(kind, "", score, f"section name {how} opens the heading")
        return None
    if generic:
        return HeadingKind(kind, "", score, f"section name {how}")
    return HeadingKind(kind, prefix, score, f"section name {how} after role words '{prefix}'", role_first=True)
