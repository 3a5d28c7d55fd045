"""Stage 3, facts: grades, reporting lines and "Extends" read from the sentences themselves.

The same fact is phrased in many ways ("is a [grade 8](…)", "is a [6](…)",
"is a grade [8].", "is a job grade [level 11]", "Role | Grade" tables;
"reports to", "reports into", "Reporting to the X, you …"), so each fact has
a sentence pattern that tolerates the variants, and a sentence that mentions
a grade or a reporting line but cannot be read becomes a suspicion rather
than silence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.names import norm
from bot.page_names import in_specialty_group, is_level_only, looks_like_role
from bot.page_model import ExtendsFact, GradeFact, Item, Page, ReportsFact, Section
from bot.page_structure import in_order, is_acronym_of

NUMBER = r"[#+]?\s*(?P<n>\d{1,2}(?:\.\d)?)(?![\d.]\d)"
GRADE_WORD = r"(?:job\s+)?(?:grade|level)"
# "is a [grade 8](…)", "is a grade [8].", "is a [6](…grades)", "is a job grade [level 11]", "are grade 9.5"
GRADE_SENTENCE = re.compile(
    r"(?P<subj>[^.;!?|]*?)\s+(?:role\s+)?(?:is|are|(?:will|can|may|could)\s+be)\s+(?:a|an)?\s*(?:job\s+)?(?:grade|level)\s*(?:(?:grade|level)\s*)?" + NUMBER,
    re.I,
)
# GRADE_SENTENCE.finditer without trying every position of a sentence it failed on (see
# SENTENCE_START below; "|" ends a sentence here too): grade_sentences.
GRADE_SENTENCE_START = re.compile(r"(?:^|(?<=[.;!?|]))" + GRADE_SENTENCE.pattern, GRADE_SENTENCE.flags)
# A link whose whole text is the number ("[6](…grades)", "[level 11](…)") stands for "grade N".
NUMBER_LINK = re.compile(r"\[\s*(?:(?:job\s+)?(?:grade|level)\s*)?[#+]?\s*(\d{1,2}(?:\.\d)?)\s*\]\(([^()\s]*)\)", re.I)
MORE_GRADES = re.compile(r"(?:\s*(?:or|and|/|-|to)\s*(?:an?\s+)?(?:(?:job\s+)?grade\s*)?\d{1,2}(?:\.\d)?\b)*", re.I)
MAY_HOLD_GRADE = re.compile(r"grade|level\s*\[?\s*\d|\[\s*\d", re.I)
PLAIN_GRADE = re.compile(r"\b(?:grade|level)\s*\[?\s*(?P<n>\d{1,2}(?:\.\d)?)\b", re.I)
LINK_MD = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")
BRACKETS = re.compile(r"\[([^\[\]]*)\](?!\()")
# A sentence pattern whose subject is "[^.;!?]*?" and whose object runs to the sentence end can only
# match from a sentence's start: from any later start in the same sentence it finds the same verbs
# or fewer, and a match ends at a sentence end. SENTENCE_START says so, and finditer no longer scans
# the rest of a sentence it failed on from every one of its positions (quadratic in its length):
# the same matches (tests/test_parse_stages.py, and 200,000 random strings checked against the
# pattern without it), at a fifteenth of the cost on the texts of 200 pages.
SENTENCE_START = r"(?:^|(?<=[.;!?]))"
REPORTS_SENTENCE = re.compile(
    SENTENCE_START + r"(?P<subj>[^.;!?]*?)\b(?P<verb>reports|report|reporting)\s+"
    r"(?:either\s+|directly\s+|(?P<dotted>dotted[\s-]+line\s+)|(?:the\s+)?)?(?:in)?(?:to|so|the)\s+(?P<obj>[^.;!?]+)",
    re.I,
)
# "... and has a dotted line to the VP, X": a second, dotted reporting line, kept as such
DOTTED_SENTENCE = re.compile(
    SENTENCE_START + r"(?P<subj>[^.;!?]*?)\b(?:has|have|with)\s+a\s+(?P<dotted>dotted[\s-]+line)\s+(?:reporting\s+)?(?:relationship\s+)?(?:in)?to\s+(?P<obj>[^.;!?]+)",
    re.I,
)
EXTENDS_ITEM = re.compile(
    r"^\s*extends?\s+(?:that\s+of\s+)?(?:the\s+)?"
    r"(?:(?P<k1>responsibilities|requirements)\s+of\s+(?:the\s+)?)?"
    r"(?P<x>.+?)"
    r"(?:\s+(?P<k2>responsibilit\w*|requirements?))?"
    r"(?:\s+(?:in|with|by)\b.*|,?\s*plus\b.*)?[\s.:;,]*$",
    re.I,
)
# "The requirements of the Senior X extend the X role and include:" and "All the responsibilities
# of a Y, plus:": an Extends written as a sentence.
EXTENDS_SENTENCE = re.compile(
    r"^\s*(?:all\s+)?(?:the\s+)?(?P<k>responsibilities|requirements)\s+of\s+(?:the|a|an)\s+.+?\s+extends?\s+"
    r"(?:(?:that|those)\s+of\s+)?(?:the\s+|a\s+|an\s+)?(?P<x>.+?)(?:\s+role)?(?:\s+and\s+include\b.*|,?\s*plus\b.*)?[\s.:;,]*$",
    re.I,
)
ALL_OF_ROLE = re.compile(
    r"^\s*all\s+(?:of\s+)?the\s+(?P<k>responsibilities|requirements)\s+of\s+(?:the|a|an)\s+(?P<x>.+?)"
    r"(?:\s+at\s+(?:the\s+)?previous\s+levels?)?(?:,?\s*plus\b.*)?[\s.:;,]*$",
    re.I,
)
# "The same responsibilities of a Manager, X, plus the below": an Extends in other words.
SAME_AS_ROLE = re.compile(
    r"^\s*(?:the\s+)?same\s+(?P<k>responsibilities|requirements)\s+(?:of|as)\s+(?:a|an|the)\s+(?P<x>.+?)(?:,?\s*plus\b.*)?[\s.:;,]*$", re.I
)
# "Senior recruiters share the same requirements as the Intermediate recruiter listed above, but
# also carry the following:", "... shares the same responsibilities and requirements as the Open
# Source Program Manager listed above": an Extends of that role, said as a sentence.
SHARES_SAME_AS_ROLE = re.compile(
    r"\b(?:shares?|has|have)\s+(?:all\s+)?(?:of\s+)?the\s+same\s+"
    r"(?P<k>(?:responsibilit\w*|requirements?)(?:\s+(?:and|&)\s+(?:responsibilit\w*|requirements?))?)\s+(?:as|of|with)\s+"
    r"(?:the\s+|a\s+|an\s+)?(?P<x>[^,.;:]+?)(?:\s+roles?)?(?:\s+(?:listed|outlined|described|stated|mentioned)\s+above)?"
    r"\s*(?:[,.;:]|\bbut\b|\bwith\s+the\s+addition\b|\bplus\b|\band\s+also\b|$)", re.I)
# "The Junior Data Analyst Requirements extend the Requirements section above", "... are listed in
# the Responsibilities section above", "has all the same requirements as the ones outlined above":
# the family's section of that kind, further up the page.
SECTION_ABOVE = re.compile(
    r"\b(?:extends?|includes?|including|shar(?:e|es|ing)|listed\s+in|in\s+addition\s+to)\b[^.;:]*?"
    r"\b(?:the|same|all|general)\s+(?:general\s+)?(?:(?P<k>responsibilities|requirements)(?:\s+(?:and|&)\s+(?:responsibilities|requirements))?\s+"
    r"(?:section\s+)?(?:(?:outlined|listed|described|stated|mentioned|defined)\s+)?above\b"
    r"|(?P<k2>responsibilities|requirements)\s+as\s+the\s+ones\s+(?:outlined|listed|described|stated|mentioned|defined)\s+above\b)", re.I)
# "The X Specialists share the same responsibilities outlined above": the family's section.
SAME_AS_ABOVE = re.compile(
    r"\b(?:share|shares|has|have)\s+(?:all\s+)?the\s+same\s+(?:responsibilities|requirements)\s+(?:outlined|listed|described|stated|as)\s+above\b", re.I
)
SELF_SUBJECTS = re.compile(
    r"^(you|this role|the role|this position|the position|this person|this individual|"
    r"this team member|the team member|they|he|she|it|the candidate|this job|who)?$",
    re.I,
)
ABBREVIATION_DOT = re.compile(r"\b(Sr|Jr|Snr|Mgr|Assoc|Dir|Mr|Ms|Mrs|Dr|St|vs|Inc|Co|Corp|Ltd|No|Sen|VP)\.")
DOT_STANDIN = "\u2024"  # ONE DOT LEADER: looks like a period, is not a sentence end
LINK_STANDIN = re.compile("\x01(\\d+)\x02")
OTHER_PEOPLE_SUBJECT = re.compile(r"\b(who|that|which|people|ics|reports|team members|managers)\s*$", re.I)
FAMILY_SUBJECT = re.compile(r"^(?:this|the)\s+(?:job\s+)?family$|^(?:all|every)\s+(?:roles?|levels?)(?:\s+in\s+this\s+family)?$", re.I)
PRONOUN_OBJECT = re.compile(r"^(them|you|him|her|me|us|it|whom|each other)\b", re.I)
# Where a reporting-line target ends: a clause, a place, a purpose; never inside "VP, People & Culture".
TARGET_END = re.compile(
    r",\s+(?=[a-z])"
    r"|\s+(?i:who|which|with|to|as|in order|on|where|while|for|at gitlab|at the company|in the|within|on the"
    r"|and (?:is|are|will|works?|collaborates?|partners?|manages?|has|leads?|helps?|supports?)\b"
    r"|and (?:a|an|the|their|your)\s+\w+\s+team|and above|or above|or a\b|or an\b|over the course)\b",
)
# Bullets that mention reporting as work ("Report to the CFO on metrics") are duties, not the role's line.
DUTY_VERBS = re.compile(r"^\s*(?:prepare|create|build|provide|deliver|present|produce|own|develop|drive|support|manage|maintain|assist|help|work|partner|collaborate)\b", re.I)


LEADING_ARTICLE = re.compile(r"^\s*(?:the|our|a|an)\s+", re.I)
TRAILING_ROLE_WORD = re.compile(r"\s+(?:role|position)$", re.I)
# compiled once, not looked up in re's cache on every call (the facts of every sentence of every page)
GRADE_LINK_WORDS = re.compile(r"grade|compensation|level", re.I)
ALSO_WORD = re.compile(r"\balso\b")
GRADE_NUMBER = re.compile(r"\d{1,2}(?:\.\d)?")
UNREAD_GRADE_SENTENCE = re.compile(r"\b(?:is|are)\s+(?:a|an)\s+(?:job\s+)?\[?\s*grade\b", re.I)
SUBJECT_PARTS = re.compile(r"\s+(?:&|and)\s+|\s*,\s+(?=the\b)")
GRADE_CELL_ROW = re.compile(r"\|\s*\d{1,2}(?:\.\d)?\s*(?:\||$)")
GRADE_CELL = re.compile(r"(?:grade|level)?\s*\d{1,2}(?:\.\d)?", re.I)
DIGIT = re.compile(r"\d")
TRAILING_AUX = re.compile(r"\s+(will|shall|would|directly|currently|also|to|typically|usually)\s*$", re.I)
REPORTS_WORD = re.compile(r"\s+\breports?\b", re.I)
DUTY_SUBJECT = re.compile(r"\b(?:prepare|create|build|provide|deliver|present|produce|own)s?\b", re.I)
AND_WITH = re.compile(r"^and\b.*?\bwith\s+", re.I)
LEADING_TARGET_ARTICLE = re.compile(r"^(?:the|our|a|an|either|one of)\s+(?:(?:to|the|a|an)\s+)?", re.I)
LINK_LIST = re.compile(r"(\x01\d+\x02)((?:\s*,\s*(?:(?:the|a|an)\s+)?\x01\d+\x02)*(?:\s*,?\s*(?:or|and)\s+(?:(?:the|a|an)\s+)?\x01\d+\x02)?)(?:[\s,;:].*)?", re.S)
LEAD_IN_WORDS = re.compile(r"^(?:(?:regional|respective|appropriate|local|relevant|global|functional|assigned)\s+){1,2}(?=[A-Z])")
NEXT_TARGET = re.compile(r"\s+(?:and|or)\s+(?=(?:the|a|an|our)\s)")
OR_ANOTHER = re.compile(r",?\s+or\s+(?:(?:the|a|an|our)\s+)?(?=[A-Z])")
ANY_LETTER = re.compile(r"[A-Za-z]")
LEADING_SUBJECT_ARTICLE = re.compile(r"^(?:the|our|all)\s+", re.I)
PLURAL_END = re.compile(r"[a-z]s$")
MANAGER_LEVEL = re.compile(r"(?:(?:senior|sr\.?|associate)\s+)?(?:manager|director|vp|head|lead)", re.I)
TARGET_ARTICLE = re.compile(r"^(?:the|our|a|an)\s+", re.I)
BROKEN_LINK_TAIL = re.compile(r"\]\(.*$")
OR_ABOVE = re.compile(r"\s*\((?:or|and) (?:above|higher)\)$|\s+(?:role|position)$", re.I)
AT_COMPANY = re.compile(r"\s+(?:at gitlab|at the company)$", re.I)


def unlink(text: str) -> str:
    """Links reduced to their labels: LINK_MD.sub, after the substring test every match passes
    (the sub call alone, with its template, cost more than most texts it was given)."""
    return LINK_MD.sub(r"\1", text) if "](" in text else text


def unbracket(text: str) -> str:
    """Bare brackets dropped ("a grade [8]"): BRACKETS.sub, after the same kind of substring test."""
    return BRACKETS.sub(r"\1", text) if "[" in text else text


def may_hold_grade(text: str, lowered: str) -> bool:
    """MAY_HOLD_GRADE (``lowered`` is ``text.lower()``) with plain substring tests first: the
    pattern is case-insensitive with three branches, slow to scan across a long paragraph. Its
    first branch is the bare word "grade", which is in the lowered text exactly when the pattern
    finds it (no other character folds to those letters); the others need "level" or "[". """
    if "grade" in lowered:
        return True
    return ("level" in lowered or "[" in text) and MAY_HOLD_GRADE.search(text) is not None


def grade_sentences(text: str) -> Iterator[re.Match[str]]:
    """``GRADE_SENTENCE.finditer(text)``: the same matches, found without the quadratic scan.

    The subject is ``[^.;!?|]*?``, so from any start inside a sentence the pattern finds the same
    grade sentences as from an earlier start in it, or fewer: a match starts where a sentence
    starts or where the previous match ended (a sentence may name two grades: "X is a grade 7, Y
    is a grade 8"). Only those starts are tried (tests/test_parse_stages.py checks the matches
    against finditer's); finditer tried every position of a sentence it failed on.
    """
    match = GRADE_SENTENCE_START.search(text)
    while match:
        yield match
        end = match.end()
        match = GRADE_SENTENCE.match(text, end) or GRADE_SENTENCE_START.search(text, end)


def may_report(lowered: str) -> bool:
    """Whether a text can hold a reporting line at all: both sentence patterns need one of these words."""
    return "report" in lowered or "dotted" in lowered


def extends_head(text: str) -> str:
    """The start of a text as the "Extends" tests read it: lowered, leading spaces off."""
    return text[:12].lower().lstrip()


def may_extend(text: str, lowered: str) -> str | None:
    """The head (:func:`extends_head`) of a text that can be any kind of "Extends", else None:
    every pattern of read_extends needs one of these words. They are looked for in the lowered
    text first (the head is part of it), so most items never make a head."""
    if "extend" not in lowered and "all " not in lowered and "same" not in lowered and "above" not in lowered:
        return None
    head = extends_head(text)
    return head if head.startswith(("extend", "all ")) or "same" in lowered or " extend" in lowered or "above" in lowered else None


def grade_text(text: str) -> str:
    """Links reduced to their labels, a number-only link to a grades page read as "grade N",
    and bare brackets dropped ("is a grade [8]."), so one sentence pattern reads them all."""
    def number_link(match: re.Match[str]) -> str:
        if GRADE_LINK_WORDS.search(match.group(0)):
            return f"grade {match.group(1)}"
        return match.group(0)

    text = NUMBER_LINK.sub(number_link, text)
    return unbracket(unlink(text))


def read_facts(page: Page) -> None:
    """Grades, reporting lines and Extends of every section: stage 3 of parsing."""
    reader = _FactReader(page)
    for section in page.sections:
        for item in section.items:
            # the words each reader cannot do without, tested here once on one lowered text: most
            # items are none of the three kinds, and the readers are only called with candidates
            text = item.text
            lowered = text.lower()
            if may_hold_grade(text, lowered):
                reader.read_grades(section, item)
            if may_report(lowered):
                reader.read_reports(section, item, lowered)
            head = may_extend(text, lowered)
            if head is not None:
                reader.read_extends(section, item, head)
    reader.apply_family_reports()
    specialties_extend_the_family(page)


def specialties_extend_the_family(page: Page) -> None:
    """A specialty's Responsibilities/Requirements add to the family's (the handbook's meaning of
    a specialty), as does a "<Role> also" list, so they inherit the family section of the same
    kind, as an "Extends" would."""
    family_kinds = {s.kind for s in page.sections if s.owner is None}
    extended = {e.line for e in page.extends}
    for section in page.sections:
        role = page.roles.get(section.owner or "")
        if (role is None or section.kind not in ("responsibilities", "requirements") or section.kind not in family_kinds
                or not (in_specialty_group(role.group) or ALSO_WORD.search(section.heading)) or not section.items):
            continue
        if any(i.line in extended for i in section.items):
            continue  # it says what it extends
        first = section.items[0]
        page.extends.append(ExtendsFact(role.name, section.kind, "family", section.kind, first.line, "(a specialty adds to the family's section)"))


class _FactReader:
    def __init__(self, page: Page) -> None:
        from bot.page_structure import _StructureReader  # the page's role lookups, without re-walking it

        self.page = page
        self.roles = _StructureReader(page, [])
        self.grade_counts: dict[int, int] = {}
        self.family_reports: list[tuple[list[tuple[str, str]], Item, str, bool]] = []  # targets, item, quote, dotted

    def find_role(self, name: str, threshold: float = 90) -> str | None:
        return self.roles.find_role(name, threshold)

    def resolve_subject(self, subject: str, fallback: str | None) -> str | None:
        """The role a sentence's subject names; the section's role when it is "you", "this role"."""
        subject = unlink(subject)
        subject = unbracket(subject).strip(" {}")
        subject = LEADING_ARTICLE.sub("", subject.strip())
        subject = TRAILING_ROLE_WORD.sub("", subject).strip(" ,{}")
        if self.page.single_role:
            only = next(iter(self.page.roles))
            if subject and not SELF_SUBJECTS.match(subject) and looks_like_role(subject):
                if norm(subject) != norm(only):
                    self.page.roles[only].aliases.add(subject)
            return only
        if not subject or SELF_SUBJECTS.match(subject):
            return fallback
        found = self.find_role(subject, threshold=85) or self.roles.loose_role(subject)
        if found:
            return found
        if len(self.page.roles) == 1 and looks_like_role(subject):
            return next(iter(self.page.roles))  # one role on the page: the sentence is about it, spelled otherwise
        return fallback

    # --- grades ----------------------------------------------------------------

    def read_grades(self, section: Section, item: Item) -> None:
        """The grades an item states (called for items :func:`may_hold_grade` passes)."""
        if item.kind == "row":
            self.read_grade_row(item)
            return
        plain = grade_text(item.text)
        text, _ = shield(plain)
        found = False
        for match in grade_sentences(text):
            found = True
            numbers = [float(match.group("n"))]
            more = MORE_GRADES.match(text, match.end()).group(0)  # "is a grade 8 or 9", "grade 8/9"
            numbers += [float(n) for n in GRADE_NUMBER.findall(more)]
            for n in dict.fromkeys(numbers):
                self.grade_sentence(section, item, n, unshield(match.group("subj").strip(), []))
        if not found and section.kind == "grade" and section.owner:
            bare = PLAIN_GRADE.search(plain)
            if bare:
                self.add_grade(section.owner, float(bare.group("n")), item)
                found = True
        if not found and UNREAD_GRADE_SENTENCE.search(plain):
            self.page.suspect(item.line, f"a grade sentence whose grade could not be read: '{plain[:100]}'")

    def grade_sentence(self, section: Section, item: Item, n: float, subject: str) -> None:
        owner = section.owner if section.kind == "grade" else None
        subject = unlink(subject)
        # "The A & B are a grade 7": two roles, if both parts name one ("Learning & Development
        # Manager" is one role whose name has an "&", and its parts name none).
        parts = SUBJECT_PARTS.split(subject)
        split = [self.resolve_subject(p, None) for p in parts] if len(parts) > 1 else []
        if split and all(split):
            names = [r for r in split if r]
        else:
            whole = self.resolve_subject(subject, None)
            names = [whole] if whole else []
        if owner and len(names) <= 1 and owner not in names and not (names and self.several_grade_sentences(section)):
            # one grade sentence under a role's Job Grade heading is that role's, whatever its subject says
            # (copied from the level above); several name their own roles ("X is 7. Senior X is 8.")
            names = [owner]
        if not names and section.owner:
            names = [section.owner]
            self.alias_from_subject(section.owner, subject)
        elif owner and names == [owner] and self.resolve_subject(subject, None) is None:
            self.alias_from_subject(owner, subject)
        if not names:
            self.page.suspect(item.line, f"a grade sentence whose role could not be told: '{subject[:80]}'")
        for name in dict.fromkeys(names):
            self.add_grade(name, n, item)

    def alias_from_subject(self, role: str, subject: str) -> None:
        """"The Recruiting Lead is a grade 8" under the Lead Recruiter's heading: the page's own
        other name for that role, worth resolving ("recruiting lead grade"), unless it names another
        role or is only a level or the family."""
        name = LEADING_ARTICLE.sub("", unbracket(subject))
        name = TRAILING_ROLE_WORD.sub("", name.strip(" ,{}"))
        if (not looks_like_role(name) or SELF_SUBJECTS.match(name) or is_level_only(name) or len(name.split()) < 2
                or norm(name) in {norm(self.page.family), norm(self.page.title)} or self.roles.loose_role(name) not in (None, role)):
            return
        if not same_words_by_stem(norm(name).split(), norm(role).split()):
            return  # a sentence copied from another role ("The Junior X is ..." under "Intern, X")
        if all(norm(name) != norm(a) for a in self.page.roles[role].aliases | {role}):
            self.page.roles[role].aliases.add(name)

    def several_grade_sentences(self, section: Section) -> bool:
        key = id(section)
        if key not in self.grade_counts:
            self.grade_counts[key] = sum(1 for i in section.items for _ in grade_sentences(shield(grade_text(i.text))[0]))
        return self.grade_counts[key] > 1

    def read_grade_row(self, item: Item) -> None:
        """"Role | Grade" table rows; a table may be the only place a role appears."""
        text = unlink(item.text)
        if not PLAIN_GRADE.search(text) and not GRADE_CELL_ROW.search(text):
            return
        cells = [c.strip() for c in text.split(" | ")]
        grade_cell = next((c for c in cells if GRADE_CELL.fullmatch(c)), None)
        name_cell = next((c for c in cells if c and not DIGIT.search(c)), None)
        if not grade_cell or not name_cell:
            return
        n = float(GRADE_NUMBER.search(grade_cell).group(0))
        role = self.find_role(name_cell, 85)
        if role is None and is_level_only(name_cell):
            role = self.find_role(self.roles.level_role_name(name_cell), 85) or self.find_role(f"{name_cell} {self.page.family}", 80)
        if role is None and not self.page.single_role:
            words = norm(name_cell).split()
            near = [r for r in self.page.roles if in_order(words, norm(r).split()) or in_order(norm(r).split(), words)]
            if len(near) == 1:
                role = near[0]  # "Sr Analyst" for "Senior Tax Analyst", "Manager, Tax (Domestic)" for "Manager, Tax"
            elif not near and looks_like_role(name_cell) and not is_level_only(name_cell):
                # a "Role | Grade" table may be the only place a role appears
                role = self.roles.add_role(name_cell, item.line)
                self.page.suspect(item.line, f"role '{role}' appears only in a table")
        if role:
            self.add_grade(role, n, item)

    def add_grade(self, role: str, grade: float, item: Item) -> None:
        sentence = unbracket(unlink(item.text))
        for known in self.page.grades:
            if known.role == role and known.grade == grade:
                if item.kind != "row" and " | " in known.sentence:
                    known.sentence, known.line = sentence, item.line  # a sentence quotes better than a table row
                return
        self.page.grades.append(GradeFact(role, grade, item.line, sentence))

    # --- reports-to --------------------------------------------------------------

    def read_reports(self, section: Section, item: Item, lowered: str) -> None:
        """The reporting lines an item states (called for items :func:`may_report` passes;
        ``lowered`` is its text lowered)."""
        text, links = shield(item.text)
        matches = list(REPORTS_SENTENCE.finditer(text)) if "report" in lowered else []
        if "dotted" in lowered:  # the pattern scans every position: only where it can match
            matches += DOTTED_SENTENCE.finditer(text)
        for match in matches:
            subject = TRAILING_AUX.sub("", match.group("subj").strip())
            subject = REPORTS_WORD.split(subject, maxsplit=1)[0]  # "X reports to Y and has a dotted line to Z"
            if match.re is REPORTS_SENTENCE and match.group("verb").lower() == "reporting" and subject and not subject.endswith(","):
                continue  # "financial reporting to the Board", "from ETL to Reporting to Analysis": work, not a line
            if OTHER_PEOPLE_SUBJECT.search(subject) and not self.find_role(LEADING_ARTICLE.sub("", subject), 85):
                continue  # "the people who report to ...", not "The Manager, Partner Managers reports to ..."
            if item.kind == "item" and not subject and DUTY_VERBS.match(item.text):
                continue
            if DUTY_SUBJECT.search(subject):
                continue  # "prepares and reports to the board": a duty
            targets = self.targets(match.group("obj"), links)
            subject = unshield(subject, links)
            if targets is None:
                continue
            if not targets:
                self.page.suspect(item.line, f"a reports-to sentence whose manager could not be read: '{item.text[:100]}'")
                continue
            # "Reporting to the X, you will ..." has no subject before it: the section's role; in the
            # page's own text above its roles, the role the page is titled with
            owner = section.owner or self.page.title_role or (next(iter(self.page.roles)) if len(self.page.roles) == 1 else None)
            if section.owner is None and self.names_every_role(subject.strip()):
                quote = unlink(unshield(sentence_around(text, match.start("obj"), match.end("obj")), links))
                self.family_reports.append((targets, item, quote, bool(match.group("dotted"))))
                continue
            role = self.resolve_subject(subject.strip(), owner)
            if role is None:
                if looks_like_role(subject):
                    self.page.suspect(item.line, f"reports-to sentence about '{subject[:60]}', which is no role of this page")
                continue
            if section.owner and role != section.owner and self.copied_subject(section, role):
                self.page.suspect(item.line, f"reports-to sentence names '{role}' but sits under '{section.owner}'; read as '{section.owner}''s")
                role = section.owner
            quote = unlink(unshield(sentence_around(text, match.start("obj"), match.end("obj")), links))
            for obj, url in targets:
                if any(r.role == role and norm(r.target) == norm(obj) for r in self.page.reports):
                    continue
                self.page.reports.append(ReportsFact(role, obj, url, item.line, quote, dotted=bool(match.group("dotted"))))

    def targets(self, text: str, links: list[str]) -> list[tuple[str, str]] | None:
        """The manager(s) a reports-to sentence names, with their links: "either to a [A], a [B]
        or the [C]" names three. None when the words after "report to" name no one (a duty)."""
        obj = text.strip()
        obj = AND_WITH.sub("", obj)
        obj = LEADING_TARGET_ARTICLE.sub("", obj)
        if not obj or PRONOUN_OBJECT.match(obj):
            return None
        link_list = LINK_LIST.fullmatch(obj)
        if link_list:
            found = []
            for index in LINK_STANDIN.findall(link_list.group(1) + link_list.group(2)):
                label_url = LINK_MD.match(links[int(index)])
                if label_url:
                    label, url = label_url.group(1), label_url.group(2)
                    found.append((self.anchor_target(links[int(index)]) or clean_target(label), url))
            return [(name, url) for label, url in found if label for name in alternatives(label)]
        lead_in = LEAD_IN_WORDS.match(obj)
        if lead_in:
            obj = obj[lead_in.end():]  # "the regional Field Marketing Leader"
        if not obj[0].isupper():
            return None  # "ad hoc reporting to support projects": not a person or role
        either = self.either_of(obj, links)
        if either:
            return either
        obj = TARGET_END.split(obj, maxsplit=1)[0]
        obj = NEXT_TARGET.split(obj, maxsplit=1)[0]
        obj = clean_target(unlink(unshield(obj, links)))
        return [(name, "") for name in alternatives(obj)] if obj and ANY_LETTER.search(obj) else []

    def either_of(self, obj: str, links: list[str]) -> list[tuple[str, str]]:
        """"the Director of Legal, or Senior Director of Legal" and "the A or the B": two managers,
        each a title of its own (the second was cut at ", or" or dropped). Levels sharing one
        title's words ("Manager or Senior Manager, Sales Strategy") are :func:`alternatives`'."""
        parts = OR_ANOTHER.split(obj, maxsplit=1)
        if len(parts) != 2:
            return []
        names = []
        for part in parts:
            part = NEXT_TARGET.split(TARGET_END.split(part, maxsplit=1)[0], maxsplit=1)[0]
            names.append(clean_target(unlink(unshield(part, links))))
        if all(name and looks_like_role(name) and not is_level_only(name) and not MANAGER_LEVEL.fullmatch(name) for name in names):
            return [(name, "") for name in names]
        return []

    def names_every_role(self, subject: str) -> bool:
        """"This job family", or the roles in the plural ("Product Designers" on a page whose
        roles are all Product Designers): a sentence about every role of the page."""
        if FAMILY_SUBJECT.match(subject):
            return True
        subject = LEADING_SUBJECT_ARTICLE.sub("", subject)
        if not PLURAL_END.search(subject) or len(self.page.roles) < 2 or self.find_role(subject, 85):
            return False
        words = set(norm(subject).split())  # norm makes plurals singular
        return bool(words) and all(words <= set(norm(r).split()) for r in self.page.roles)

    def apply_family_reports(self) -> None:
        """"This job family reports to the IT Manager": every role of the page that states no
        reporting line of its own reports there."""
        for targets, item, quote, dotted in self.family_reports:
            stated = {r.role for r in self.page.reports}
            for role in self.page.roles:
                if role in stated:
                    continue
                for obj, url in targets:
                    self.page.reports.append(ReportsFact(role, obj, url, item.line, quote, dotted=dotted))

    def copied_subject(self, section: Section, named: str) -> bool:
        """A reporting line under one role's heading that names another role of the page whose
        heading comes before it: copied from the level above and not updated. The sentence's
        place on the page decides, as it does for a reader."""
        owner, other = self.page.roles.get(section.owner or ""), self.page.roles.get(named)
        if owner is None or other is None or other.line >= owner.line:
            return False
        return not any(s.owner == other.name and s.line > owner.line for s in self.page.sections)

    # --- extends -----------------------------------------------------------------

    def read_extends(self, section: Section, item: Item, head: str) -> None:
        """The "Extends" an item states (called for items :func:`may_extend` passes; ``head`` is
        the head it returned)."""
        text = unlink(item.text)
        sentence = EXTENDS_SENTENCE.match(text) or ALL_OF_ROLE.match(text)
        if sentence and item.depth <= 1:
            target = self.anchor_target(item.text) or sentence.group("x").strip(" ,")
            kind = "requirements" if sentence.group("k").lower().startswith("req") else "responsibilities"
            self.page.extends.append(ExtendsFact(section.owner, section.kind, self.near_miss(target), kind, item.line, item.text))
            return
        shares = SHARES_SAME_AS_ROLE.search(text)
        if shares and item.depth <= 1:
            kinds = [k for k in ("responsibilities", "requirements") if k[:9] in shares.group("k").lower()]
            kind = section.kind if section.kind in kinds else kinds[0]
            target = self.near_miss(self.anchor_target(item.text) or shares.group("x").strip())
            # "has the same requirements as the ones outlined above" / "as other [X]s": no role of
            # this page, so no Extends; "shares the same ... as the Y" may name one the index links
            if target in self.page.roles or shares.group(0).lower().startswith("share"):
                self.page.extends.append(ExtendsFact(section.owner, section.kind, target, kind, item.line, item.text))
                return
        if SAME_AS_ABOVE.search(text) and item.depth <= 1:
            kind = section.kind if section.kind in ("responsibilities", "requirements") else "responsibilities"
            self.page.extends.append(ExtendsFact(section.owner, section.kind, "family", kind, item.line, item.text))
            return
        above = SECTION_ABOVE.search(text)
        if above and item.depth <= 1 and section.owner:
            named = above.group(0).lower()
            # the section's own kind when the sentence names it, else the one it names, for a text
            # under the role's heading; a requirements list pointing at the responsibilities is not one
            kind = section.kind if section.kind in named else (above.group("k") or above.group("k2")).lower()
            if section.kind == "overview" or kind == section.kind:
                # the family's section, or (a page whose levels each have their own) the nearest
                # role's above: "This role includes all of the requirements above, plus:"
                target = "family" if self.family_has(kind) else \
                    self.nearest_above(kind, section.owner, item.line) if section.kind == kind else None
                if target:
                    self.page.extends.append(ExtendsFact(section.owner, section.kind, target, kind, item.line, item.text))
            return
        same = SAME_AS_ROLE.match(text)
        if same and item.depth <= 1:
            target = self.anchor_target(item.text) or same.group("x").strip()
            kind = "requirements" if same.group("k").lower().startswith("req") else "responsibilities"
            self.page.extends.append(ExtendsFact(section.owner, section.kind, self.near_miss(target), kind, item.line, item.text))
            return
        if not head.startswith("extend"):
            return
        match = EXTENDS_ITEM.match(text)
        if not match or item.depth > 1:
            return
        target = self.anchor_target(item.text) or match.group("x").strip()
        kind_word = (match.group("k1") or match.group("k2") or "").lower()
        target_kind = "requirements" if kind_word.startswith("req") else "responsibilities" if kind_word else ""
        self.page.extends.append(
            ExtendsFact(section.owner, section.kind, self.near_miss(target), target_kind, item.line, item.text)
        )

    def nearest_above(self, kind: str, owner: str, line: int) -> str | None:
        """The role whose own section of this kind is the nearest one above ``line`` (not ``owner``'s)."""
        above = [s for s in self.page.sections if s.kind == kind and s.owner and s.owner != owner and s.line < line and s.items]
        return max(above, key=lambda s: s.line).owner if above else None

    def family_has(self, kind: str) -> bool:
        """Whether the page has a family-wide section of this kind to inherit."""
        return any(s.owner is None and s.kind == kind and s.items for s in self.page.sections)

    def anchor_target(self, text: str) -> str | None:
        """"Extends that of the [Senior X](#senior-y)": the link's anchor names the role meant."""
        for label, url in LINK_MD.findall(text):
            if "#" not in url or not url.startswith(self.page.url) and not url.startswith("#"):
                continue
            anchor = url.rsplit("#", 1)[1]
            for role in self.page.roles.values():
                if role.anchor and role.anchor == anchor:
                    return role.name
            for s in self.page.sections:
                if s.anchor == anchor and s.owner:
                    return s.owner
        return None

    def near_miss(self, target: str) -> str:
        """A near-miss name resolves within the page first: "Senior Data Analyst" on a page
        whose role is "Senior Product Data Analyst" is that role, when it is the only one."""
        if self.find_role(target, 85):
            return self.find_role(target, 85) or target
        spelled = [r.name for r in self.page.roles.values() if is_acronym_of(target, r.name)]
        if len(spelled) == 1:  # "Extends that of the AVP Requirements": the page's Area Vice President
            return spelled[0]
        words = set(norm(target).split())
        if not words:
            return target
        fits = [r.name for r in self.page.roles.values() if words < set(norm(r.name).split())
                and len(set(norm(r.name).split()) - words) == 1]
        return fits[0] if len(fits) == 1 else target


def same_words_by_stem(left: list[str], right: list[str]) -> bool:
    """"recruiting lead" ~ "lead recruiter": the same words up to their endings, in any order."""
    def stems(words: list[str]) -> list[str]:
        return sorted(w[:5] for w in dict.fromkeys(words))
    return bool(left) and stems(left) == stems(right)


SHARED_TAIL = re.compile(r"^(?P<a>[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)\s*(?:/|\s+or\s+)\s*(?P<b>[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?),\s*(?P<tail>.+)$")


def alternatives(target: str) -> list[str]:
    """"Manager/Senior Manager, CSM" and "Director or Senior Director, X" name two managers
    sharing the words after the comma; any other target is one."""
    shared = SHARED_TAIL.match(target)
    if shared and all(is_level_only(w) or MANAGER_LEVEL.fullmatch(w)
                      for w in (shared.group("a"), shared.group("b"))):
        return [f"{shared.group('a')}, {shared.group('tail')}", f"{shared.group('b')}, {shared.group('tail')}"]
    return [target]


def clean_target(obj: str) -> str:
    """A manager's name without articles, broken-link residue or "(or above)"."""
    obj = TARGET_ARTICLE.sub("", obj.strip(" ,")).strip()
    obj = BROKEN_LINK_TAIL.sub("", obj)  # a broken link: "Manager, X](/job-families/...)"
    obj = OR_ABOVE.sub("", obj)
    return AT_COMPANY.sub("", obj).strip(" ,[")


SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that contains ``[start, end)``: quotes stay short and on topic."""
    begin = 0
    for match in SENTENCE_END.finditer(text, 0, start):
        begin = match.end()
    after = SENTENCE_END.search(text, end)
    stop = after.end() if after else len(text)
    return text[begin:stop].strip()


def shield(text: str) -> tuple[str, list[str]]:
    """Hide links and abbreviation dots so sentence patterns see "Sr." and URLs as words."""
    links: list[str] = []

    def keep(match: re.Match[str]) -> str:
        links.append(match.group(0))
        return f"\x01{len(links) - 1}\x02"

    if "](" in text:
        text = LINK_MD.sub(keep, text)
    if "." in text:
        text = ABBREVIATION_DOT.sub(lambda m: m.group(1) + DOT_STANDIN, text)
    return text, links


def unshield(text: str, links: list[str]) -> str:
    """Undo :func:`shield` on a piece of matched text."""
    if "\x01" in text:
        text = LINK_STANDIN.sub(lambda m: links[int(m.group(1))], text)
    return text.replace(DOT_STANDIN, ".")
