"""Find the role a question is about (rapidfuzz), or say honestly that it is unclear.

A recruiter types "sr sales ops analyst", "Assocaite Sales Operations Analyst",
"the ISR for mid-market" or pastes a Slack link. The resolver corrects each
word against the vocabulary of role names, then scores every run of words in
the question against every role name and alias. It returns exactly one role
only when one is clearly best; several equally good roles come back as
choices, and a weak match comes back as "not found" with suggestions.
Never a wild guess: a wrong confident answer is worse than "which one?".
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate, compress
from operator import attrgetter, itemgetter
from typing import Iterable, Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from bot.names import JOB_NOUNS, LEVEL_WORDS, RANK_WORDS, ROLE_ACRONYMS, WORD_ABBREVIATIONS, ascii_lower, clean_slack, fold, key as name_key, singular, tokens

NOT_ALNUM = re.compile(r"[^a-z0-9]")
RAW_WORD = re.compile(r"[a-z0-9&][a-z0-9&'.-]*")
ASKED_WORD = re.compile(r"[\w&][\w&.'’-]*")  # a word as asked_phrase reads it
POSSESSIVE_OF_ROLE = re.compile(r"(\w)['’]s\s+(?:line\s+)?(?:manager|boss|supervisor|lead|reports?|team|direct reports)\b", re.I)
# Little words names leave out that still part two names in a question ("of", "and", "in" join them).
SEPARATORS = frozenset({"the", "a", "an", "for", "to", "at", "on", "with"})
VICE_PRESIDENT = re.compile(r"\bvice[\s-]+(p[a-z]{6,10})\b", re.I)  # "president", or a typo of it (see _vp)
UNKNOWN = ""  # marks a word of the question that no role name contains
INITIALISM = "\x00"  # a word that may be the initials of name words, expanded once all words are read
PRONOUN = "\x01"  # an "it" that is the pronoun unless a role word is beside it (see Resolver.read)
# Pronouns that are name words too ("Manager, IT", "Payroll Analyst, US"): a name's word only
# beside another role word; "tell us the grade of ..." names no US role.
BESIDE_NAME_ONLY = frozenset({"it", "us"})
# Little words inside a name or between two ("Software Engineer in Test", "manager of sales"): not
# the words of a question's phrase, for Resolver._phrase_words_off.
LINK_WORDS = frozenset({"of", "the", "a", "an", "in", "for", "to", "and", "or", "at", "on", "with", "&", "s"})
UNUSED_WORD_PENALTY = 6.0  # per role word next to the matched name that the name does not explain
RANK_WORD_PENALTY = 6.0  # on top, per left-out level or rank word ("manager", "senior", "director")
UNKNOWN_WORD_PENALTY = 12.0  # per unknown word touching it: "sales operations *wizard*" is no known role
ACCEPT = 90.0  # a span must match a name at least this well to count
FLOOR = 62.0  # a span's match with a name below this is not kept at all (SUGGEST - 10)
TIE = 2.0  # candidates this close to the best are equally likely
SUGGEST = 72.0  # "did you mean" below this is noise
AGENT_ENDINGS = frozenset({"r", "er", "or", "rs", "ers", "ors"})  # "sourcer" is who sources: another word (see _agent_noun_of)
SUGGEST_FLOOR = 50.0  # ... in the name-only "did you mean" (no span matched at all)
CUTOFF_SLACK = 0.5  # score points under a floor that rapidfuzz is asked for (its cutoffs round)
NEAR_NAMES = 2000  # names sharing a word scored first, for a "did you mean" floor
MAX_CHOICES = 8
BOUND_SLACK = 1e-9  # a length bound is computed in floats: never leave a tie out on rounding
# Words that name a level rather than the work: swapped when a follow-up asks for another level.
LEVEL_TOKENS = frozenset(
    "junior intermediate senior staff principal distinguished associate lead manager director vp head "
    "intern fellow chief executive group".split()
)
MAX_SPAN = 9
MEMO_LIMIT = 20_000  # words remembered per index version (typed words are unbounded: then start over)

# Question words that also occur in role names are removed before matching,
# so "who is the manager's manager" does not match a role named "... Who ...".
QUERY_FILLER = frozenset(
    """
    who whom whose what whats which where when why how does do did is are was were be been the a an of
    to for in on at and or with about tell me us show list give describe explain please pls thanks
    thank hi hey hello report reports reporting reportee reportees manager's boss grade grades graded
    level levels leveling role roles job jobs position positions title titles responsibility
    responsibilities duty duties requirement requirements require required requires need needs needed
    qualification qualifications skill skills interview interviews interviewing step steps stage stages
    hiring hire hired process loop career ladder path next promotion promoted kpi kpis metric metrics
    performance indicator indicators measured overview description summary info information this that
    it its they them their same one ones these those there here all any every each family families
    specialty specialties have has get can could would should will my our your we i you expected
    expectations look like looks day life typical main key top what's who's whos it's
    two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    manage manages managing direct directly supervise supervises oversee oversees
    """.split()
)
# Everyday words that are ignored unless some role name uses them ("User Experience Researcher").
SOFT_FILLER = frozenset(
    """
    line chain structure org chart experience experienced candidate candidates person someone
    anyone people folks folk guys peeps employees employee members member staffers applicant applicants new hire hires opening openings vacancy req reqs quals
    currently now today again also just really actually exactly more less most much many some
    need know want wondering curious quick question q asap please thx ty cheers ok okay so then
    like as into from by up down out over under after before between than gitlab company
    handbook page pages doc docs link work working works team
    """.split()
)
# Of those, the words that are never part of a name, even where a page's title has them.
HARD_FILLER = frozenset(
    """
    who whom whose what whats which where when why how does do did is are was were be been the a an of to
    for in on at and or with about tell me us show list give please pls thanks thank hi hey hello
    report reports reporting reportee reportees boss grade grades graded role roles job jobs responsibility
    responsibilities duty duties requirement requirements require required requires need needs needed
    qualification qualifications interview interviews interviewing hiring hire hired kpi kpis
    this that it its they them their same one ones these those there here my our your we i you
    what's who's whos it's manage manages managing supervise supervises oversee oversees
    """.split()
)
QUERY_FILLER = QUERY_FILLER | {singular(w) for w in QUERY_FILLER}
HARD_FILLER = HARD_FILLER | {singular(w) for w in HARD_FILLER}
SOFT_FILLER = SOFT_FILLER | {singular(w) for w in SOFT_FILLER}


@lru_cache(maxsize=1)
def question_vocabulary() -> frozenset[str]:
    """Words the intents' phrases use ("band", "rounds", "apply"), in the resolver's token form:
    question words, never role words, unless some role name has them. Derived from the router, so a
    word added to an intent can never break role resolution."""
    from bot.router import vocabulary

    return frozenset(t for w in vocabulary() for t in tokens(w))


_last_vocab: list[frozenset[str]] = [frozenset()]


def _same_vocab(vocab: frozenset[str]) -> frozenset[str]:
    """The previous version's vocabulary object when the words are the same (a reload that changed
    no role name). Why: routing remembers question shapes keyed on it, and a lookup with an equal
    but distinct set compares the two word by word: 1.5 ms a question for 20,000 words, on every
    question after each reload; compared once here instead."""
    if vocab == _last_vocab[0]:
        return _last_vocab[0]
    _last_vocab[0] = vocab
    return vocab


@lru_cache(maxsize=4096)
def is_question_word_typo(word: str) -> bool:
    """"reprots", "responsibilites": a misspelled question word, not an unknown role word."""
    from bot.router import misspelled_word  # the router's rule for misspelled question words

    if 3 <= len(word) <= 4:  # "teh", "waht", "hwo": two letters swapped in a little word, not a name's word
        return any(word[:i] + word[i + 1] + word[i] + word[i + 2:] in QUERY_FILLER for i in range(len(word) - 1))
    return misspelled_word(word, list(question_vocabulary() | QUERY_FILLER)) is not None


@dataclass(frozen=True)
class RoleRef:
    """An indexed role as the rest of the bot sees it."""

    id: int
    name: str
    family: str
    page: str
    page_url: str
    url: str
    page_id: int


@dataclass(frozen=True)
class FamilyRef:
    """A job family (one multi-role page), for "levels of Sales Operations" questions."""

    name: str
    page: str
    page_url: str
    page_id: int
    role_ids: tuple[int, ...]


@dataclass
class Resolution:
    """The outcome of resolving a question: one role, a family, a choice, or nothing."""

    status: Literal["one", "family", "ambiguous", "none"]
    role: RoleRef | None = None
    family: FamilyRef | None = None
    choices: list[RoleRef] = field(default_factory=list)
    suggestions: list[RoleRef] = field(default_factory=list)
    span: str = ""
    too_many: int = 0  # how many roles matched when there were too many to offer


@dataclass(frozen=True)
class _Entry:
    key: str  # normalised name, in its word order
    bag: str  # its distinct words sorted: word order and repeats do not matter
    role: RoleRef | None
    family: FamilyRef | None
    literal: str  # the name as written, folded, for literal-containment tie breaks
    canonical: bool = True  # the role's own name, not an alias


def _by_id(roles: list[RoleRef]) -> dict[int, RoleRef]:
    return dict(zip(map(attrgetter("id"), roles), roles))


class _RolesAt(Sequence):
    """The role of each resolver entry (None for a family's), looked up by id in a version's roles
    as they are made (``bot.knowledge``: a version opened from its snapshot makes a role when it
    is first used, and the first answer looks at a few of 28,000 names), until
    :meth:`Resolver.fill_roles` puts a plain list in its place."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, roles: Mapping[int, RoleRef], ids: list[int], families: int) -> None:
        self.roles, self.ids, self.families = roles, ids, families
        self._size = len(ids) + families

    @staticmethod
    def listed(roles: Mapping[int, RoleRef], ids: list[int], families: int) -> list[RoleRef | None]:
        """The same entries as a plain list (every role made)."""
        return [*map(roles.__getitem__, ids), *[None] * families]

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, i: int) -> RoleRef | None:  # type: ignore[override]
        if isinstance(i, int) and i >= 0:
            ids = self.ids
            if i < len(ids):
                return self.roles[ids[i]]
            if i < self._size:
                return None
            raise IndexError(i)
        return self.listed(self.roles, self.ids, self.families)[i]  # a negative index or a slice, as a list takes it

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, _RolesAt)) and list(self) == list(other)


class Resolver:
    """Built once per index version; resolving is read-only and thread-safe."""

    # Where the pages write some letters in capitals (Knowledge.acronym_uses), set by the knowledge
    # that serves this resolver; None (a resolver on its own) reads initialisms from titles alone.
    acronym_uses: Callable[[str], tuple[frozenset[int], tuple[str, ...]]] | None = None

    def __init__(self, roles: list[RoleRef], aliases: list[tuple[int, str]], families: list[FamilyRef],
                 alias_norms: list[str] | None = None) -> None:
        """``alias_norms``, beside ``aliases``, are their ``names.norm`` as the index stored them:
        the key is then read from it instead of tokenising every alias again on each load
        (most of opening an index of 24,000 roles)."""
        self._setup(_by_id(roles), families, name_table(roles, aliases, families, alias_norms))

    @classmethod
    def from_table(cls, roles: Mapping[int, RoleRef] | list[RoleRef], families: list[FamilyRef], table: dict) -> "Resolver":
        """The resolver whose :meth:`table` this is, for the same roles (by id, or a list in the
        same order) and families: the serving snapshot (``bot.knowledge``) stores the table, so
        opening an index does not tokenise and post 28,000 names again. Roles given as a mapping
        that is not a dict (a version's roles made on first use, ``bot.knowledge``) are looked up
        in it only when a name is looked at (:class:`_RolesAt`). Raises ``ValueError`` when the
        table does not fit them (a damaged or foreign snapshot is then not used)."""
        resolver = cls.__new__(cls)
        resolver._setup(roles if isinstance(roles, Mapping) else _by_id(roles), families, table)
        raw_vocab = table.get("raw_vocab")
        if raw_vocab is not None:  # stored with it: no warm-up work beside the first answers
            if not isinstance(raw_vocab, dict):
                raise ValueError("a typo vocabulary that is not a mapping")
            resolver.__dict__["raw_vocab"] = raw_vocab
        by_length = table.get("by_length")
        if by_length is not None:  # stored with it: the first exactly named question does not make it
            resolver.__dict__["_by_length"] = _stored_lengths(by_length, len(resolver.keys))
        return resolver

    def fill_roles(self, roles: dict[int, RoleRef]) -> None:
        """Every role is made now (:meth:`bot.knowledge.Knowledge.fill_roles`): look names' roles up
        in a plain list from here on, the same objects, at a tenth of the lazy lookup's cost."""
        if isinstance(self.entry_role, _RolesAt):
            self.entry_role = self.entry_role.listed(roles, self.entry_role.ids, self.entry_role.families)
        self.roles = roles

    def table(self) -> dict:
        """What this resolver was built from, as plain data (lists, tuples, a dict of strings and
        ints) that :mod:`marshal` can store: see :func:`name_table`."""
        return self._table

    def stored_table(self) -> dict:
        """:meth:`table` with the typo vocabulary (:attr:`raw_vocab`) and the entries by bag length
        (:attr:`_by_length`), each built now if it was not yet, for the serving snapshot: a version
        opened from it then has both at once (the length table was one pass over 28,000 names in
        the first answer of every new process)."""
        return {**self._table, "raw_vocab": self.raw_vocab, "by_length": self._by_length}

    def _setup(self, roles: Mapping[int, RoleRef], families: list[FamilyRef], table: dict) -> None:
        self.roles = roles
        aliases, entry_alias, keys = table["aliases"], table["entry_alias"], table["keys"]
        family_entry, by_token = table["family_entry"], table["by_token"]
        if len(entry_alias) + len(family_entry) != len(keys):
            raise ValueError("a name table whose entries do not add up")
        # One slot per name (aliases first, then families), kept as plain columns: building an
        # object per name was most of the construction, and most names are never looked at.
        try:
            named = list(map(aliases.__getitem__, entry_alias))
            entry_ids, written = list(map(itemgetter(0), named)), list(map(itemgetter(1), named))
            self.first_family = len(written)  # entries from here on are families
            written.extend(families[f].name for f in family_entry)
            self.entry_family: list[FamilyRef | None] = [None] * self.first_family + [families[f] for f in family_entry]
            if not roles.keys() >= set(entry_ids):
                raise KeyError("a role not given")
        except (KeyError, IndexError, TypeError):
            raise ValueError("a name table that names roles or families not given") from None
        self.entry_role: list[RoleRef | None] | _RolesAt = (
            _RolesAt(roles, entry_ids, len(family_entry)) if not isinstance(roles, dict) else _RolesAt.listed(roles, entry_ids, len(family_entry)))
        self.keys: list[str] = keys  # the name's normalised words, repeats dropped, in its word order
        self.written: list[str] = written  # the name as written (literal tie breaks, canonical or alias)
        self.by_token: dict[str, list[int]] = by_token
        self.vocab = sorted(by_token)
        self.vocab_set = _same_vocab(frozenset(by_token))  # frozen: routing passes it on every question without a copy
        self._aliases = aliases
        self._table = table
        # filled as names are first looked at (see _words_at, _bag_at)
        self._entry_words: list[frozenset[str] | None] = [None] * len(keys)
        self._bags: list[str | None] = [None] * len(keys)
        self._word_sets: dict[frozenset[str], frozenset[str]] = {}  # one object per distinct word set
        self._contraction_memo: dict[str, dict[str, int]] = {}
        self._word_memo: dict[tuple[str, str], str | None] = {}
        self._tokens_memo: dict[str, tuple[str, ...]] = {}  # see tokens_of
        self._singular_memo: dict[str, tuple[str, ...]] = {}  # see singular_tokens_of
        self._read_memo: dict[str, tuple[tuple[str | None, str], ...]] = {}  # see _read_raw
        self._posting_sets: dict[str, frozenset[int]] = {}
        self._posting_bits: dict[str, int] = {}  # see _bits
        self._windows: dict[int, int] = {}  # see _length_window

    def _words_at(self, i: int) -> frozenset[str]:
        """Entry ``i``'s words as a set, made on first use (one shared object per distinct set)."""
        own = self._entry_words[i]
        if own is None:
            own = frozenset(map(sys.intern, self.keys[i].split()))
            own = self._entry_words[i] = self._word_sets.setdefault(own, own)
        return own

    def _bag_at(self, i: int) -> str:
        """Entry ``i``'s name as fuzzy matching compares it (see :func:`_bag`), made on first use."""
        bag = self._bags[i]
        if bag is None:
            bag = self._bags[i] = " ".join(sorted(self.keys[i].split()))
        return bag

    @cached_property
    def bags(self) -> list[str]:
        """Every entry's bag, for a "did you mean" over all names (the first one builds the rest,
        and keeps them for :meth:`_bag_at`)."""
        bags = [bag if bag is not None else " ".join(sorted(key.split())) for bag, key in zip(self._bags, self.keys)]
        self._bags = bags  # type: ignore[assignment]  # the same strings, every one made
        return bags

    def _entry(self, i: int) -> _Entry:
        """Entry ``i`` as one object, for the few tie-break rules that read every field of a name."""
        role, family = self.entry_role[i], self.entry_family[i]
        name = self.written[i]
        return _Entry(self.keys[i], self._bag_at(i), role, family, fold(name), role is None or name == role.name)

    @cached_property
    def raw_vocab(self) -> dict[str, str]:
        """Role-name words as written ("facilities") -> their token ("facility"), for typo matching.

        Built on the first typo that needs it, not with every index version.
        """
        vocab: dict[str, str] = {}
        # Each distinct word once, in the order the aliases first use it (the first alias to spell
        # a word decides its token, as before): one regex pass over every alias, joined by a line
        # break, which no word contains, instead of a pass and a tokenising of every word of each.
        # 25,000 aliases share a few thousand words; this was 0.18 s of CPU at 3,000 families, in
        # the warm-up thread that runs beside a reload's first answers.
        every = "\n".join(fold(alias) for _, alias in self._aliases)
        for raw in dict.fromkeys(RAW_WORD.findall(every)):
            word_tokens = tokens(raw)
            plain = NOT_ALNUM.sub("", raw)
            if len(word_tokens) == 1 and len(plain) >= 5:
                vocab.setdefault(plain, word_tokens[0])
        return vocab

    @cached_property
    def raw_vocab_words(self) -> list[str]:
        return list(self.raw_vocab)

    # --- words --------------------------------------------------------------

    def correct(self, word: str, raw: str = "") -> str | None:
        """The vocabulary word a typed word stands for, or None if it is not a role word.

        ``raw`` is the word as typed (before plural folding), compared with the role names'
        own spellings: "faciliteis" is one swap from "facilities", not from "facility".
        """
        if word in self.vocab_set:
            return word
        if len(word) < 4 or word.isdigit():
            return None
        # 85: "assocaite" -> "associate" (89), but not "marketing" -> "market" (80)
        match = process.extractOne(word, self.vocab, scorer=fuzz.ratio, score_cutoff=85)
        if match and not _agent_noun_of(word, match[0]):
            return match[0]
        # a part of a hyphenated word is whole, not clipped: "full-time" is no "fullstack"
        prefixed = self._completions(word) if "-" not in raw else []
        if len(prefixed) == 1:  # "infra" -> "infrastructure", "comms" -> "communications"
            return prefixed[0]
        typed = NOT_ALNUM.sub("", raw) or word
        if len(typed) >= 5 and typed in self.raw_vocab:  # as some name writes it
            return self.raw_vocab[typed]
        if len(typed) >= 7:
            # swapped letters ("roboitcs", "logisitcs") are one edit for Damerau-Levenshtein, two for
            # ratio; at six letters one edit is under the cutoff (1 - 1/6), so only longer words
            swapped = process.extractOne(typed, self.raw_vocab_words, scorer=DamerauLevenshtein.normalized_similarity, score_cutoff=0.85)
            if swapped and not _agent_noun_of(typed, swapped[0]):
                return self.raw_vocab[swapped[0]]
        elif len(typed) >= 5:
            # five or six letters: only two neighbours swapped ("slaes", "senoir"), never another
            # letter ("stuff" is not "staff"); one swap of six letters is under the cutoff above
            near = process.extract(typed, self.raw_vocab_words, scorer=DamerauLevenshtein.distance, score_cutoff=1, limit=None)
            swaps = [word for word, _, _ in near if sorted(word) == sorted(typed)]
            if len(swaps) == 1:
                return self.raw_vocab[swaps[0]]
        return None

    def _completions(self, word: str) -> list[str]:
        """Role-name words that begin with ``word`` (5+ letters, or 4 for a clipped word), a clipped spelling."""
        if len(word) < 4:
            return []
        start = bisect_left(self.vocab, word)
        out = []
        for candidate in self.vocab[start : start + 3]:
            if candidate.startswith(word) and len(candidate) > len(word):
                out.append(candidate)
        return out

    def join_compounds(self, text: str) -> str:
        """The question with a name word typed in two parts written as one ("front end" /
        "front-end" engineer is a *Frontend* Engineer, "back end", "full stack", "data base"): two
        adjacent words of letters whose concatenation (or its singular) is a role-name word, or an
        abbreviation of name words ("dev rel" is "devrel", developer relations). Plain string work,
        no regex: every question passes here, and most leave at the first check."""
        split = text.lower().replace("-", " ").split()
        if self._joinable_or_plural.isdisjoint([a + b for a, b in zip(split, split[1:])]):
            return text  # most questions: no two neighbours make a name word (or its plural)
        vocab = self._joinable
        words = text.split(" ")
        out: list[str] = []
        for word in words:
            if "-" in word:
                word = "-".join(_joined_pairs(word.split("-"), vocab))
            out.append(word)
        return " ".join(_joined_pairs(out, vocab)) if len(out) > 1 else out[0]

    @cached_property
    def _joinable(self) -> frozenset[str]:
        """What two typed parts may make (see :meth:`join_compounds`): the name words and the
        abbreviations that stand for name words."""
        return self.vocab_set | frozenset(WORD_ABBREVIATIONS)

    @cached_property
    def _joinable_or_plural(self) -> frozenset[str]:
        """:attr:`_joinable` and each of its words with an "s": a pair that is neither joins nothing."""
        return self._joinable | {w + "s" for w in self._joinable}

    def query_words(self, text: str) -> list[str | None]:
        """The question's words, corrected (see :meth:`read`)."""
        return self.read(text)[0]

    def read(self, text: str) -> tuple[list[str | None], list[str]]:
        """The question's words, corrected, and beside each the token as typed.

        None marks a question word ("who", "grade", any word of an intent's phrases that no role
        name uses); UNKNOWN ("") a word that is neither a question word nor part of any role name
        ("happiness"). "it" and "us" are role words only beside other role words ("the IT manager").
        """
        text = clean_slack(text)
        if "'" in text or "’" in text:  # the apostrophe the possessive needs (most questions have none)
            text = POSSESSIVE_OF_ROLE.sub(r"\1", text)
        if _may_say_vice(text):
            text = VICE_PRESIDENT.sub(_vp, text)  # names read "Vice President" as one word, "vp"
        out: list[str | None] = []
        typed: list[str] = []  # the word as typed, for initialisms
        pronouns: list[int] = []
        memo = self._read_memo
        for raw in RAW_WORD.findall(fold(text)):
            read = memo.get(raw)
            if read is None:
                read = self._read_raw(raw)
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                memo[raw] = read
            for word, letters in read:
                if word == PRONOUN:
                    pronouns.append(len(out))
                    word = None
                out.append(word)
                typed.append(letters)
        for i in pronouns:  # "manager, it" / "it operations" / "payroll analyst, US": part of the name
            beside = [out[j] for j in (i - 1, i + 1) if 0 <= j < len(out)]
            if any(b for b in beside):
                out[i] = typed[i]
        if "hiring" in typed:  # "the hiring manager for the senior product designer" asks who interviews:
            for i in range(1, len(out)):  # no name's "manager"
                if out[i] == "manager" and out[i - 1] is None and typed[i - 1] == "hiring":
                    out[i] = None
        shared = self._question_name_words
        if shared.intersection(out):
            self._phrase_words_off(out, typed, shared)
        if INITIALISM in out:
            known = {w for w in out if w and w != INITIALISM and not self.is_question_word(w)}
            expanded: list[str | None] = []
            expanded_typed: list[str] = []
            for word, letters in zip(out, typed):
                if word == INITIALISM:
                    full = self.initialism(letters, known)
                    parts = full.split() if full else [UNKNOWN]
                    expanded.extend(parts)
                    expanded_typed.extend([letters] * len(parts))
                else:
                    expanded.append(word)
                    expanded_typed.append(letters)
            out, typed = expanded, expanded_typed
        return out, typed

    def _agents_beside_names(self, words: list[str | None], typed: list[str]) -> list[str | None]:
        """The words with an agent noun of a name word ("researcher" of "research") read as that
        word when, with the words of the work beside it, it makes a name: a "security researcher"
        is a *Security Research* Engineer. Alone it stays another word: "what does a sourcer do" is
        not the *Open Source* Program Manager. Asked only when no role was found; ``typed`` is each
        word as typed (:meth:`read`)."""
        out = list(words)
        for i, word in enumerate(words):
            if word is None:
                continue
            base = self._agent_base(typed[i] if word == UNKNOWN else word)
            if not base:
                continue
            telling = _of_the_work((words[i - 1] if i else None, words[i + 1] if i + 1 < len(words) else None))
            if telling and self._entries_with(telling | {base}):
                out[i] = base
        return out

    def _agent_base(self, letters: str) -> str:
        """The name word ``letters`` is the agent noun of ("researcher": "research"), or ""."""
        for ending in AGENT_ENDINGS:
            if letters.endswith(ending) and len(letters) > len(ending) + 2:
                stem = letters[: -len(ending)]
                for base in (stem, stem + "e"):
                    if base in self.vocab_set and _agent_noun_of(letters, base):
                        return base
        return ""

    def _read_raw(self, raw: str) -> tuple[tuple[str | None, str], ...]:
        """One typed word as :meth:`read` reads it, out of context: (word, token as typed) per
        token, the word PRONOUN for an "it" or "us" that its neighbours decide. Remembered per index
        version (``_read_memo``): the same words come back question after question, and each
        cost a regex pass, a tokenising and a lookup per token."""
        plain = NOT_ALNUM.sub("", raw)
        if plain in SEPARATORS:  # "the hiring mgr for the sr analyst": two names, not one
            return ((None, plain),)
        if plain in ROLE_ACRONYMS and self._initialisms(plain):
            # "pm" is usually a product manager, but a program manager beside "technical enablement"
            return ((INITIALISM, plain),)
        read: list[tuple[str | None, str]] = []
        for w in tokens(raw):
            if w in BESIDE_NAME_ONLY and w in self.vocab_set:
                read.append((PRONOUN, w))
                continue
            read.append((self._word(w, raw), w))
        return tuple(read)

    @cached_property
    def _question_name_words(self) -> frozenset[str]:
        """Words of the intents' phrases that some names use too ("process": *Director of Business
        Process Automation*; "performance", "career", "technical"), never a whole name alone."""
        return frozenset(w for w in question_vocabulary() | QUERY_FILLER if w in self.vocab_set) - BESIDE_NAME_ONLY

    @staticmethod
    def _phrase_words_off(out: list[str | None], typed: list[str], shared: frozenset[str]) -> None:
        """Such a word beside a word of the question's phrase and no role word is the phrase's:
        "technical accounting interview *process*", "*performance* indicators for ...". It took
        "process" for a name's and read *technical accounting* as "accounting" alone."""
        for i, word in enumerate(out):
            if word not in shared:
                continue
            beside = [j for j in (i - 1, i + 1) if 0 <= j < len(out)]
            if any(out[j] for j in beside):
                continue
            if any(typed[j] not in LINK_WORDS and (typed[j] in QUERY_FILLER or typed[j] in question_vocabulary()) for j in beside):
                out[i] = None

    def name_like_words(self, text: str) -> frozenset[str]:
        """When no role is found, the words that still look like a name, so they do not count
        against the question's phrasing: runs of two or more words with at least one role word,
        unknown words inside them included ("chief *happiness* officer"). A lone role word ("design"
        in "who designs the swag") may well be the question's own."""
        words, typed = self.read(text)
        found: set[str] = set()
        run: list[int] = []
        for i, word in enumerate(words + [None]):
            if word is not None:
                run.append(i)
                continue
            if len(run) >= 2 and any(words[j] for j in run):
                found.update(words[j] or typed[j] for j in run)
            run = []
        return frozenset(found)

    def _word(self, w: str, raw: str) -> str | None:
        """One question word: a role-name token, None for a question word, UNKNOWN otherwise.

        Remembered per index version: a question's words are read several times (resolving,
        masking the role, name-like runs), and a word that is no name's ("magician") costs
        fuzzy searches of the whole vocabulary each time."""
        memo = self._word_memo
        found = memo.get((w, raw), memo)
        if found is memo:
            found = self._read_word(w, raw)
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[(w, raw)] = found
        return found  # type: ignore[return-value]

    def _read_word(self, w: str, raw: str) -> str | None:
        if w in HARD_FILLER or ((w in QUERY_FILLER or w in SOFT_FILLER or w in question_vocabulary()) and w not in self.vocab_set):
            return None
        corrected = self.correct(w, raw)
        if corrected:
            return corrected
        if w.isdigit() or is_question_word_typo(w):
            return None
        if 2 <= len(w) <= 8 and w.isalpha() and (self._initialisms(w) or self._initialisms(w[:-1]) or self._contractions(w)):
            return INITIALISM
        return UNKNOWN

    def singular_tokens_of(self, raw: str, context: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """:meth:`tokens_of` each made singular, as masking compares them with the role's words
        (remembered beside it: masking reads every word of every question)."""
        known = self._singular_memo.get(raw)
        if known is not None:
            return known
        found = tuple(map(singular, self.tokens_of(raw, context)))
        if raw in self._tokens_memo:  # not read in context (no initialism): the same every time
            if len(self._singular_memo) >= MEMO_LIMIT:
                self._singular_memo.clear()
            self._singular_memo[raw] = found
        return found

    def tokens_of(self, raw: str, context: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """A typed word's tokens as the resolver reads them (corrected, initialisms expanded).
        Remembered per index version unless an initialism, read in ``context``, is among them:
        masking reads every word of every question ("who", "does", "report" again and again).
        Shared with the memo, so callers only read it."""
        known = self._tokens_memo.get(raw)
        if known is not None:
            return known
        out: list[str] = []
        in_context = False
        for w in tokens(raw):
            word = self._word(w, raw)
            if word == UNKNOWN:
                out.append(w)  # a word of no name: only ever masked as part of a name-like run
                continue
            if word == INITIALISM:
                in_context = True
                out.extend(self.initialism(w, set(context)).split())
                continue
            out.extend((word or "").split())
        found = tuple(out)
        if not in_context:
            if len(self._tokens_memo) >= MEMO_LIMIT:
                self._tokens_memo.clear()
            self._tokens_memo[raw] = found
        return found

    def without_role_it(self, text: str) -> str:
        """The question without the "it"s that are part of a role name, for pronoun checks."""
        if "it" not in self.vocab_set:
            return text

        def drop_if_role(match: re.Match[str]) -> str:
            before = RAW_WORD.findall(fold(text[: match.start()]))
            after = RAW_WORD.findall(fold(text[match.end():]))
            beside = before[-1:] + after[:1]
            return "" if any(self._word(t, raw) for raw in beside for t in tokens(raw)) else match.group(0)

        return re.sub(r"(?i)\bit\b", drop_if_role, text)

    def _initialisms(self, letters: str) -> dict[str, int] | None:
        """The runs of name words ``letters`` abbreviates (see :attr:`_initialism_runs`), None if
        none. Letters no run of two to five name words can spell (each word gives its initial, a
        word of one or two letters itself) are told apart without building the table, which
        takes 0.1-0.2 s at 3,000 families: a word of no name ("magician") needs no table."""
        if not self._could_abbreviate(letters):
            return None
        return self._initialism_runs.get(letters)

    def _could_abbreviate(self, letters: str) -> bool:
        """Whether ``letters`` splits into two to five parts that name words could give: one
        letter some word begins with, or a whole word of two letters."""
        singles, pairs = self._initial_parts
        counts: list[set[int]] = [set() for _ in range(len(letters) + 1)]  # parts used to reach each place
        counts[0].add(0)
        for at in range(len(letters)):
            if not counts[at]:
                continue
            steps = [1] if letters[at] in singles else []
            if letters[at : at + 2] in pairs:
                steps.append(2)
            for step in steps:
                counts[at + step].update(n + 1 for n in counts[at] if n < 5)
        return any(2 <= n <= 5 for n in counts[len(letters)])

    @cached_property
    def _initial_parts(self) -> tuple[frozenset[str], frozenset[str]]:
        """What a name word gives an initialism: the letters words begin with (a word of one
        letter is that letter), and the words of two letters, which stand whole."""
        singles = {w[0] for w in self.vocab if len(w) != 2}
        return frozenset(singles), frozenset(w for w in self.vocab if len(w) == 2)

    @cached_property
    def _initialism_runs(self) -> dict[str, dict[str, int]]:
        """Letters -> the runs of name words they abbreviate, with how many names have each run.
        A short word that is itself an acronym ("vp", "it") stands whole: "avp" is "area vp"."""
        counts: dict[str, dict[str, int]] = {}
        for key in self.keys:
            words = key.split()
            n = len(words)
            initials = [w if len(w) <= 2 else w[0] for w in words]
            for start in range(n - 1):  # runs of two to five words, grown one word at a time
                text, letters = words[start], initials[start]
                for end in range(start + 1, min(n, start + 5)):
                    text = f"{text} {words[end]}"
                    letters += initials[end]
                    runs = counts.get(letters)
                    if runs is None:
                        counts[letters] = {text: 1}
                    else:
                        runs[text] = runs.get(text, 0) + 1
        return {k: v for k, v in counts.items() if k not in self.vocab_set and k not in QUERY_FILLER and k not in SOFT_FILLER}

    @cached_property
    def _runs_by_letters(self) -> tuple[dict[str, list[tuple[int, str]]], dict[str, int]]:
        """Two- and three-word runs of name words, for contractions ("pubsec"), keyed by the first
        two letters of their first two words ("pu" + "se"): a contraction takes at least two
        letters of each word, so only those runs can spell it. Beside each run its place among all
        runs (contractions are listed in that order) and, apart, how many names have it. Keyed by
        the first word alone, one check read thousands of runs ("ma": every "manager ...")."""
        counts: dict[str, int] = {}
        get = counts.get
        for key in self.keys:
            words = key.split()
            for start in range(len(words) - 1):
                two = f"{words[start]} {words[start + 1]}"
                counts[two] = get(two, 0) + 1
                if start + 2 < len(words):
                    three = f"{two} {words[start + 2]}"
                    counts[three] = get(three, 0) + 1
        by_letters: dict[str, list[tuple[int, str]]] = {}
        for place, text in enumerate(counts):
            first, second = text.split(" ", 2)[:2]
            if len(first) >= 2 and len(second) >= 2:  # a one-letter word cannot give two letters
                by_letters.setdefault(first[:2] + second[:2], []).append((place, text))
        return by_letters, counts

    def _contractions(self, word: str) -> dict[str, int]:
        """"pubsec" -> "public sector": runs of name words whose beginnings, joined, spell the word
        (at least two letters of each), with how many names have each. Remembered per word: a
        question reads its words several times (resolving, masking, name-like runs)."""
        if len(word) < 4 or not word.isalpha():
            return {}
        known = self._contraction_memo.get(word)
        if known is not None:
            return known
        if not self._could_contract(word):  # no table needed (0.08 s at 3,000 families to build)
            if len(self._contraction_memo) >= MEMO_LIMIT:
                self._contraction_memo.clear()
            known = self._contraction_memo[word] = {}
            return known
        by_letters, counts = self._runs_by_letters
        keys = dict.fromkeys(word[:2] + word[k : k + 2] for k in range(2, len(word) - 1))
        found = sorted(
            (place, run) for key in keys for place, run in by_letters.get(key, ()) if _spells(word, run.split())
        )
        if len(self._contraction_memo) >= MEMO_LIMIT:
            self._contraction_memo.clear()
        known = self._contraction_memo[word] = {run: counts[run] for _, run in found}
        return known

    def _could_contract(self, word: str) -> bool:
        """Whether ``word`` splits into two or three pieces of two letters or more that each begin
        some name word: a contraction's runs are of name words, so without such a split it has none."""
        n = len(word)
        for a in range(2, n - 1):
            if not self._begins_a_word(word[:a]):
                return False  # nor does any longer first piece
            if self._begins_a_word(word[a:]):
                return True
            for b in range(a + 2, n - 1):
                if not self._begins_a_word(word[a:b]):
                    break
                if self._begins_a_word(word[b:]):
                    return True
        return False

    def _begins_a_word(self, piece: str) -> bool:
        """Some name word begins with ``piece`` (the sorted vocabulary, bisected)."""
        at = bisect_left(self.vocab, piece)
        return at < len(self.vocab) and self.vocab[at].startswith(piece)

    @cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(self.keys)

    def _entries_with(self, words: set[str]) -> list[int]:
        """The entries whose names have every one of ``words``, in entry order: the intersection of
        their postings (as sets, in C; the rarest first)."""
        if not words or any(w not in self.by_token for w in words):
            return []
        sets = sorted((self._posting_set(w) for w in words), key=len)
        return sorted(sets[0].intersection(*sets[1:]))

    def _fits(self, run: str, context: set[str]) -> bool:
        wanted = set(run.split()) | context
        return bool(self._entries_with(wanted))

    def _attested(self, letters: str, runs: dict[str, int] | None) -> dict[str, int] | None:
        """The runs the handbook's own use of ``letters`` allows. Letters written in capitals on
        some page ("AR and AP" on the accounting pages) mean what they mean there: a run is kept
        when a role named with it is on such a page, or a section writing the letters writes its
        words too ("talent acquisition (TA)"). Else it is a reading made from titles alone that the
        handbook never uses: "AP specialist" is no role, not *Agile-Planning Specialist*. Letters
        no page writes ("TMM") keep every run: the titles are all there is to go on."""
        if not runs or self.acronym_uses is None:
            return runs
        pages, texts = self.acronym_uses(letters.upper())
        if not pages:
            return runs
        kept = {run: n for run, n in runs.items()
                if any(f" {run} " in f" {text} " for text in texts)
                or any(r.page_id in pages for r in self._distinct_roles(self._entries_with(set(run.split()))))}
        return kept or None

    def initialism(self, letters: str, context: set[str]) -> str:
        """The name words an initialism stands for ("tmm": "technical marketing manager"), "" if none.

        Derived from the index, so the pages' own titles define their acronyms (plurals too:
        "sres"). Of several runs with the same letters, the one that makes a name with the other
        role words of the question wins ("AR specialist": accounts receivable), else the one that
        is a whole name, else the one in clearly more names; otherwise none: never a guess."""
        runs = self._initialisms(letters)
        if not runs and letters.endswith("s"):
            runs = self._initialisms(letters[:-1])
            letters_of = letters[:-1]
        else:
            letters_of = letters
        table = " ".join(tokens(letters)) if letters in ROLE_ACRONYMS else ""
        # the question's other role words: not a reading of the letters themselves (masking passes
        # the words the resolver read, "ASM" among them as "area sales manager")
        plain = {singular(w) for w in context}
        own = {w for reading in (table, *(runs or ())) if (words := {singular(x) for x in reading.split()}) <= plain for w in words}
        if own:
            context = {w for w in context if singular(w) not in own}
        # words of the work, not just a level or a job noun, among the question's other role words
        telling = _of_the_work(context)
        if not telling:  # beside them, the letters must make a name with them, below: evidence enough
            runs = self._attested(letters_of, runs)
        if not runs:
            runs = self._contractions(letters)
        if table:
            # the common reading ("pm": product manager, "sre manager") unless the words of the work
            # make a name with another reading ("technical enablement pm")
            if not telling or self._fits(table, context):
                return table
            runs = {**(runs or {}), table: 10**6}
        if not runs:
            return ""
        if len(runs) == 1 and not telling:
            # beside another name ("does the staff tax analyst need a CPA") the letters must make a
            # name with it, below; else they are what is asked about, not *Community Programs Associate*
            return next(iter(runs))
        if context:
            # the run that makes a name with the question's other role words, with the fewest words left over
            extra: dict[str, int] = {}
            for run in runs:
                wanted = set(run.split()) | context
                left = [len(self._words_at(i) - wanted) for i in self._entries_with(wanted)]
                if left:
                    extra[run] = min(left)
            if not extra:
                return ""
            fewest = min(extra.values())
            fits = [r for r, n in extra.items() if n == fewest]
            return fits[0] if len(fits) == 1 else ""
        whole = [r for r in runs if r in self._names]
        if len(whole) == 1:
            return whole[0]
        ordered = sorted(runs.items(), key=lambda kv: -kv[1])
        return ordered[0][0] if ordered[0][1] >= 2 * ordered[1][1] else ""

    # --- resolving ------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        """Resolve the role a question names (see the module docstring for the rules).

        A question word that some name also has ("process" in "interview process", and in
        "Business Process Automation") is tried both ways: as part of the name, and as the
        question's own word when the name does not need it."""
        words, typed = self.read(text)
        found = self._resolve(text, words)
        # optional: a question word beside another question word or an end ("interview process"),
        # not one inside a name ("director, technical writer")
        padded = [None] + words + [None]
        optional_at = {i for i, w in enumerate(words) if w and (padded[i] is None or padded[i + 2] is None) and self.is_question_word(w)}
        optional = {words[i] for i in optional_at}
        if optional:
            plain = [None if i in optional_at else w for i, w in enumerate(words)]
            carried = found.status != "none" and set(found.span.split()) <= optional
            if found.status == "none" or carried:
                alternative = self._resolve(text, plain)
                # neither found a role: the "did you mean" of the reading with every word, if it has one
                if alternative.status != "none" or (found.status == "none" and not found.suggestions):
                    found = alternative
                elif carried and len(set(found.span.split())) == 1:
                    # "what's the interview process?": one question word never names a role alone
                    found = Resolution("none", span=self.asked(text))
            elif not set(w for i, w in enumerate(words) if w and i not in optional_at) <= set(found.span.split()):
                # "interview *process* for chief of staff to the cfo": with the question's word in
                # it, the role words split by "to the" were never read as one name, and the CFO
                # alone was answered; read without it, the longer name wins
                alternative = self._resolve(text, plain)
                if alternative.status in ("one", "ambiguous") and len(alternative.span.split()) > len(found.span.split()):
                    found = alternative
        if found.status == "none" and words:
            agents = self._agents_beside_names(words, typed)
            if agents != words:
                alternative = self._resolve(text, agents)
                if alternative.status != "none":
                    found = alternative
        if found.status == "none" and found.span and not found.suggestions:
            found.suggestions = self.suggest(text)
        return found

    def asked(self, text: str) -> str:
        """What the question names, for "I couldn't find ...": its words less those resolving read as
        the question's own ("how much does it *pay*" names no role; "intreview", a misspelled
        question word, neither), keeping any word a role name uses ("technical")."""
        words = [w.strip(".'’-") for w in ASKED_WORD.findall(clean_slack(text))]
        phrase = [bool(asked_phrase(w)) for w in words]
        read = [[self._word(t, w) for t in tokens(w)] for w in words]
        keep = [p and not (r and all(x is None for x in r)) for p, r in zip(phrase, read)]
        for i, r in enumerate(read):
            # a filler word the names use, beside the name's other words ("*people* ops specialist")
            if not keep[i] and any(r) and any(0 <= j < len(keep) and keep[j] for j in (i - 1, i + 1)):
                keep[i] = True
        return " ".join(w for w, k in zip(words, keep) if k)

    def is_question_word(self, word: str) -> bool:
        """A role-name word that questions use too ("process", "experience"); never a job noun or a
        level ("manager", "senior"), which name a role far more often than they ask something."""
        if word in JOB_NOUNS or word in LEVEL_WORDS or word in LEVEL_TOKENS:
            return False
        return word in QUERY_FILLER or word in SOFT_FILLER or word in question_vocabulary()

    def _resolve(self, text: str, words: list[str | None]) -> Resolution:
        exact = self._exactly_named(words)
        if exact is not None:  # most questions: a name typed as it is
            # no _named_more: the words beside the one run are the question's own (None), never a
            # name word it could have named more with
            return self._decide(exact[0], text, " ".join(exact[1]))
        return self._scored(text, words)

    def _scored(self, text: str, words: list[str | None]) -> Resolution:
        """:meth:`_resolve` by scoring the question's spans against the candidate names."""
        spans = _spans(words)
        if not spans:
            return Resolution("none", span=self.asked(text))
        # Names sharing the most words with the question are the only ones that can win; scoring
        # thousands of "... Manager" names for every question would cost milliseconds each.
        cand = self._candidates({w for w in words if w})
        if not cand:
            return Resolution("none", span=self.asked(text))
        bags, bag_at = self._bags, self._bag_at
        cand_bags = list(itemgetter(*cand)(bags)) if len(cand) > 1 else [bags[cand[0]]]  # read in C
        if None in cand_bags:  # names not looked at before in this version
            cand_bags = [bag or bag_at(i) for i, bag in zip(cand, cand_bags)]
        # every span against every candidate, best first (rapidfuzz: score, then candidate order);
        # a span too short or too long for every candidate cannot reach FLOOR (fuzz.ratio is at
        # most 200 * shorter / (sum of lengths)) and is not scored
        sizes = list(map(len, cand_bags))
        shortest, longest = min(sizes), max(sizes)
        near = (FLOOR - CUTOFF_SLACK) / (200 - FLOOR + CUTOFF_SLACK)
        # Spans are scored least penalised first: once the best reading is accepted, a span whose
        # perfect match (100 less its penalty) falls short of the tie band can change neither the
        # best score nor the names within reach of it, and is not scored against every candidate
        # (_ranked still reads its scores on the few names within reach, for their order).
        readings: list = [None] * len(spans)
        top_score: float | None = None
        penalties = [penalty for _, penalty in spans]
        order = sorted(range(len(spans)), key=penalties.__getitem__)
        for at, n in enumerate(order):
            span, penalty = spans[n]
            if top_score is not None and top_score >= ACCEPT and 100 - penalty < top_score - TIE:
                # not scored: out of reach, and so is every span after it (penalised as much or
                # more, while the top score stays what it is)
                for rest in order[at:]:
                    readings[rest] = (None, *spans[rest])
                break
            bag = _bag(span)
            size = len(bag)
            found = (_matches(bag, cand_bags)
                     if size * near <= longest and shortest * near <= size else [])
            if found and (top_score is None or found[0][1] - penalty > top_score):
                top_score = found[0][1] - penalty
            readings[n] = (found, span, penalty)
        if top_score is None:
            return self._partial(words, text)
        if top_score < ACCEPT:
            partial = self._partial(words, text)
            if partial.status != "none":
                return partial
            ranked = self._ranked(readings, cand, cand_bags, SUGGEST)
            return Resolution("none", suggestions=self._suggestions(words, [e for e, _ in ranked]), span=self.asked(text))
        ranked = self._ranked(readings, cand, cand_bags, top_score - TIE)
        tied = [e for e, _ in ranked]
        # "associate sales ops analyst" also contains "sales ops analyst": the longer reading wins
        longest = max(best[1] for _, best in ranked)
        tied = [e for e, best in ranked if best[1] == longest]
        readings_of = dict(ranked)
        kept = tied
        swaps = {e: _swapped_words(readings_of[e][2], bags[e] or bag_at(e)) for e in tied}
        if any(swaps.values()):  # the question's typed words only then (most questions have none)
            typed = _typed_words(text)
            kept = [e for e in tied if not swaps[e] & typed]
        if not kept:
            return Resolution("none", suggestions=self._with_most_of(self._distinct_roles(tied), words)[:3], span=self.asked(text))
        span = readings_of[kept[0]][2]
        return self._named_more(self._decide(kept, text, span), words, span)

    def _exactly_named(self, words: list[str | None]) -> tuple[list[int], list[str]] | None:
        """The names whose words are exactly the question's one run of role words (the common
        case: "who does the senior backend engineer report to"), in entry order, with that run;
        None when the full scoring of :meth:`_resolve` is needed. It returns what that scoring
        ties at the top, so the decision made from it is the same, without scoring spans against
        every candidate:

        - with one run touching no unknown word, the whole run is the only span without a penalty
          (a shorter one loses at least :data:`UNUSED_WORD_PENALTY`), so a name whose bag is the
          run's scores 100, nothing scores more, and no other span is scored or comes within
          :data:`TIE` of it;
        - another candidate's bag ties only if its ratio with the run's bag is within :data:`TIE`
          of 100; the ratio is ``100 * (1 - d / (la + lb))`` for an indel distance ``d`` of at
          least ``|la - lb|`` (and 1), so only bags of a few lengths can: those candidates (the
          names missing at most one of the words, as bits) are scored, and any tie leaves the
          question to the full scoring;
        - the names with the run's bag hold every word of it, so they are candidates; they score
          alike against every span, so they rank in entry order; no word of theirs was swapped."""
        run = _the_one_run(words)
        if run is None or len(run) > MAX_SPAN:
            return None
        wanted = set(run)
        if not wanted <= self.vocab_set:  # a word no name has (vocab_set: the words of by_token)
            return None
        postings = [self._bits(w) for w in wanted]
        common = -1
        for bits in postings:
            common &= bits
        if not common:
            return None
        bag = _bag(run)
        bags, bag_at = self._bags, self._bag_at
        having = [common.bit_length() - 1] if not common & (common - 1) else _bit_positions(common)  # most: one name
        exact = [i for i in having if (bags[i] or bag_at(i)) == bag]
        if not exact:
            return None
        window = self._length_window(len(bag))
        if window:  # a bag of 25 characters or more: a name one letter longer or shorter may tie
            near = postings[0] if len(postings) == 1 else _near_bits(postings)
            rivals = near & window & ~(common if len(exact) == len(having) else _bitset(exact))
            tie = 100 - TIE  # as _resolve compares; rapidfuzz's cutoff (which rounds) only drops the far ones
            if rivals:  # the best of them, scored in one call (a ratio call each cost more than the ratio)
                best = process.extractOne(bag, [bags[i] or bag_at(i) for i in _bit_positions(rivals)],
                                          scorer=fuzz.ratio, score_cutoff=tie - CUTOFF_SLACK)
                if best is not None and best[1] >= tie:
                    return None
        return exact, run

    def _length_window(self, size: int) -> int:
        """The entries whose bag's length lets it score within :data:`TIE` of 100 against a
        different bag of ``size`` characters (see :meth:`_exactly_named`), as bits: none below 25
        characters, two lengths up to 49. A bag is its key's words in another order, so it is as
        long as the key."""
        found = self._windows.get(size)
        if found is None:
            by_length = self._by_length
            found = 0
            for length, bits in by_length.items():
                # the least indel distance between different strings of these lengths: their
                # difference, or 2 for equal lengths (a distance has the parity of la + lb)
                if (abs(length - size) or 2) <= TIE / 100 * (length + size) + BOUND_SLACK:
                    found |= bits
            self._windows[size] = found
        return found

    @cached_property
    def _by_length(self) -> dict[int, int]:
        """Bag length -> the entries of that length, as bits (made on first use, kept per index:
        one pass setting bits in a bytearray per length, a few milliseconds at 28,000 names)."""
        size = len(self.keys) // 8 + 1
        packed: dict[int, bytearray] = {}
        for i, length in enumerate(map(len, self.keys)):
            row = packed.get(length)
            if row is None:
                row = packed[length] = bytearray(size)
            row[i >> 3] |= 1 << (i & 7)
        return {length: int.from_bytes(row, "little") for length, row in packed.items()}

    def _suggestions(self, words: list[str | None], near: list[int], limit: int = 3) -> list[RoleRef]:
        """A "did you mean" for a question no name matched well enough: first the few roles whose
        names have every word of it that is not a level ("renewals mgr": *Senior Director,
        Renewals*, the only role of renewals, though "manager" spells *Manager, Red Team* more
        alike), closest first; then the names nearest by spelling (``near``, best first). Only a
        few: a word that many names have ("data") picks out none of them."""
        core = {w for w in words if w and w not in LEVEL_TOKENS and not self.is_question_word(w)}
        holding = self._distinct_roles(self._entries_with(core)) if core else []
        if len(holding) > MAX_CHOICES:
            holding = []
        asked = _bag([w for w in words if w])
        holding.sort(key=lambda r: fuzz.ratio(asked, _bag(tokens(r.name))), reverse=True)
        nearest = self._with_most_of(self._distinct_roles(near), core)
        return list({r.id: r for r in [*holding, *nearest]}.values())[:limit]

    @staticmethod
    def _with_most_of(roles: list[RoleRef], words: Iterable[str | None]) -> list[RoleRef]:
        """Of names near by spelling, those with most of the words of the work asked: "SDR" (sales
        development representative) is not the *VP of Development* nor the *Senior Director,
        Development*, "TAM" (technical account manager) not the *Manager, Accounting*. Asked
        nothing but levels and job nouns ("chief happiness officer"), every name stays."""
        telling = _of_the_work(words)
        if not telling:
            return roles

        def shared(role: RoleRef) -> int:  # a word and its kin count ("account" / "accounting")
            own = tokens(role.name)
            return sum(1 for w in telling if any(x.startswith(w[:5]) or w.startswith(x[:5]) for x in own))
        return [r for r in roles if 2 * shared(r) > len(telling)]

    def _named_more(self, found: Resolution, words: list[str | None], span: str) -> Resolution:
        """One role, unless the question named more than it: a name word typed right beside the span
        that the role's name lacks but other names have together with the span ("product designer":
        *Designer* is named exactly, *Product Designer (UX) - Marketing* has both words). Answering
        Designer would leave "product" unexplained, a confident guess: ask which one instead."""
        if found.status != "one" or found.role is None:
            return found
        run = span.split()
        at = next((i for i in range(len(words) - len(run) + 1) if words[i:i + len(run)] == run), None)
        if at is None:
            return found
        own = set(tokens(found.role.name))
        left = words[at - 1] if at else None
        right = words[at + len(run)] if at + len(run) < len(words) else None
        others: dict[int, RoleRef] = {}
        named = list(run)
        for word, before in ((left, True), (right, False)):
            if not word or word in own or word in LEVEL_WORDS or word in LEVEL_TOKENS or self.is_question_word(word):
                continue
            more = [r for r in self._distinct_roles(self._entries_with(set(run) | {word})) if r.id != found.role.id]
            if more:
                others.update((r.id, r) for r in more)
                named = [word, *named] if before else [*named, word]
        if not others:
            return found
        specialty = _the_specialty(found.role, list(others.values()))
        if specialty is not None:
            return Resolution("one", role=specialty, span=" ".join(named))
        choices = [*others.values(), found.role]  # the names that explain every word first
        return Resolution("ambiguous", choices=choices[:MAX_CHOICES], span=" ".join(named),
                          too_many=len(choices) if len(choices) > MAX_CHOICES else 0)

    def _ranked(self, readings: list[tuple[list | None, list[str], float]], cand: list[int], cand_bags: list[str],
                floor: float) -> list[tuple[int, tuple[float, int, str]]]:
        """The names whose best reading scores at least ``floor``, best first, each with that
        reading (score less penalty, span length, span text); equal ones in the order they were
        first met (span by span, best first). A reading is (its matches with the candidates, best
        first, or None when it was not scored; its span; its penalty). Only the names within reach
        of ``floor`` are looked at one by one: a two-word question ("payments manager") matches
        thousands of names somewhat, and walking all of them in Python cost milliseconds. The first
        row's score is ``_resolve``'s top score: the name that scored it is within reach, and no
        reading scores more (a span left unscored against every candidate cannot reach ``floor``)."""
        near: dict[int, None] = {}  # candidate positions
        for found, _, penalty in readings:
            for _, score, pos in found or ():  # best first: stop at the first one out of reach
                if score - penalty < floor:
                    break
                near[pos] = None
        if len(near) == 1:
            return self._one_within_reach(readings, cand, next(iter(near)), floor)
        positions = list(near)
        near_bags = [cand_bags[pos] for pos in positions]
        scored = [
            {positions[k]: score for _, score, k in _matches(_bag(span), near_bags)}
            if positions and (found is None or found) else {}  # no match with any candidate: none with these
            for found, span, _ in readings
        ]
        rows = []
        for pos in positions:
            best: tuple[float, int, list[str]] | None = None
            first: tuple[int, float, int] | None = None
            for n, (scores, (_, span, penalty)) in enumerate(zip(scored, readings)):
                score = scores.get(pos)
                if score is None:
                    continue
                if first is None:
                    first = (n, -score, pos)
                reading = (score - penalty, len(span), span)
                if best is None or reading[:2] > best[:2]:
                    best = reading
            if best is not None and first is not None and best[0] >= floor:
                rows.append((first, cand[pos], (best[0], best[1], " ".join(best[2]))))
        rows.sort(key=lambda row: row[0])
        ranked = sorted(((entry, best) for _, entry, best in rows), key=lambda kv: (kv[1][0], kv[1][1]), reverse=True)
        return ranked

    @staticmethod
    def _one_within_reach(readings: list[tuple[list | None, list[str], float]], cand: list[int], pos: int,
                          floor: float) -> list[tuple[int, tuple[float, int, str]]]:
        """:meth:`_ranked` when one name is within reach of ``floor`` (most questions): its best
        reading, read from the matches the readings already have. Why no new scoring is needed: a
        score does not depend on the other names scored with it, so a scored reading's match with
        this name is in its matches (best first: the ones under ``floor`` cannot be its best, which
        is at least ``floor`` since the name is within reach); an unscored one cannot reach
        ``floor``; and with one row there is no order of equals to keep."""
        best: tuple[float, int, list[str]] | None = None
        for found, span, penalty in readings:
            for _, score, at in found or ():
                if score - penalty < floor:
                    break
                if at == pos:
                    reading = (score - penalty, len(span), span)
                    if best is None or reading[:2] > best[:2]:
                        best = reading
                    break
        if best is None:
            return []
        return [(cand[pos], (best[0], best[1], " ".join(best[2])))]

    def _candidates(self, wanted: set[str]) -> list[int]:
        """The entries whose names share the most of ``wanted``, or one fewer, in entry order.

        Postings are read rarest first, as sets (intersections in C). Usually some name has every
        word: the candidates are then the names missing at most one, the union of the
        intersections of all postings but one. Otherwise an entry met first in the j-th of k
        postings is in none of the earlier ones, so its count is exact once the later postings are
        checked for it; an entry in none of the first j has at most k - j of the words, so once
        some entry met has k - j + 2, no unread entry can be within one of the best, and the huge
        postings ("manager", "senior") are never walked. The candidates are the same as counting
        every posting.
        """
        by_token = self.by_token
        words = sorted((w for w in wanted if w in by_token), key=lambda w: len(by_token[w]))
        k = len(words)
        if not words:
            return []
        if k == 1:
            return sorted(self._posting_set(words[0]))
        near = _missing_at_most_one([self._bits(w) for w in words])
        if near is not None:
            return near
        sets = [self._posting_set(w) for w in words]
        counts: Counter[int] = Counter()
        seen: set[int] = set()
        for j in range(k):
            new = sets[j].difference(seen) if seen else sets[j]
            if not new:
                continue
            seen.update(new)
            counts.update(new)
            for later in sets[j + 1 :]:
                counts.update(new & later)
            if max(counts.values()) >= k - (j + 1) + 2:
                break
        most = max(counts.values())
        return sorted(i for i, n in counts.items() if n >= most - 1)

    def _bits(self, word: str) -> int:
        """The entries whose names have ``word``, as one int with bit ``i`` set for entry ``i``
        (made on first use, kept per index). Candidates are found by and-ing these: a few hundred
        machine words a posting, where intersecting sets of thousands of ints (the postings of
        "manager", "senior") probed a hash table per entry, a third of resolving a question."""
        found = self._posting_bits.get(word)
        if found is None:
            found = self._posting_bits[word] = _bitset(self.by_token[word])
        return found

    def _posting_set(self, word: str) -> frozenset[int]:
        """The entries whose names have ``word``, as a set (made on first use, kept per index)."""
        found = self._posting_sets.get(word)
        if found is None:
            found = self._posting_sets[word] = frozenset(self.by_token[word])
        return found

    def sibling(self, text: str, current: RoleRef | None, family: list[RoleRef]) -> Resolution | None:
        """"and the senior one?" after the Sales Strategy Manager: the role of the same family whose
        name is the current one with the words asked for in place of its level. None when no role
        of the family has those words, so the question is resolved as usual."""
        words = {w for w in self.query_words(text) if w}
        if not words:
            return None
        candidates = [r for r in family if (current is None or r.id != current.id) and words <= set(tokens(r.name))]
        if not candidates:
            return None
        current_words = set(tokens(current.name)) if current else set()
        want = (current_words - LEVEL_TOKENS) | words
        # nearest to "the current name with its level swapped", then to "the current name plus the words"
        distance = {r.id: (len(set(tokens(r.name)) ^ want), len(set(tokens(r.name)) ^ (current_words | words))) for r in candidates}
        nearest = min(distance.values())
        top = [r for r in candidates if distance[r.id] == nearest]
        span = " ".join(sorted(words))
        if len(top) == 1:
            return Resolution("one", role=top[0], span=span)
        return Resolution("ambiguous", choices=top[:MAX_CHOICES], span=span)

    def other_level(self, text: str, current: RoleRef) -> Resolution | None:
        """"and the principal one?" after the Senior Frontend Engineer: the role named like it but
        for the level asked, on any page (one name on several pages is one role to answer for).
        When none has that level, not found, offering the levels that exist: the lone word
        "principal" resolved anywhere (*Principal Engineer*) would answer for another job. None
        when the question names more than levels, so it is resolved as usual."""
        asked = [w for w in self.query_words(text) if w]
        if not asked or not set(asked) <= LEVEL_TOKENS:
            return None
        named = tokens(current.name)
        core = set(named) - LEVEL_TOKENS
        if not core:
            return None
        levels = [r for r in self._distinct_roles(self._entries_with(core)) if set(tokens(r.name)) - LEVEL_TOKENS == core]
        found = self.sibling(text, current, levels)
        if found is not None and (found.status == "one" or len({r.name for r in found.choices}) == 1):
            return found
        others = list({r.name: r for r in levels if r.name != current.name}.values())
        return Resolution("none", suggestions=others[:3], span=" ".join([*asked, *(w for w in named if w in core)]))

    def _decide(self, tied: list[int], text: str, span: str) -> Resolution:
        """Several names scored alike: one role if a tie-break singles it out, else a choice."""
        roles = self._distinct_roles(tied)
        keys, entry_role, entry_family = self.keys, self.entry_role, self.entry_family
        family_at = [i for i in tied if entry_family[i]]
        if len(roles) == 1 and (not family_at or all(keys[f] == keys[i] for f in family_at for i in tied if entry_role[i])
                                or all(entry_family[f].page_id == roles[0].page_id for f in family_at)):  # type: ignore[union-attr]
            # a role named like its family ("Paralegal" on the Paralegal page), or the one role that
            # fits on the family page that fits too, is the role meant
            return Resolution("one", role=roles[0], span=span)
        if family_at and not roles:
            return Resolution("family", family=entry_family[family_at[0]], span=span)
        # the tie breaks below read every field of a name: made as objects only now (most
        # questions are decided above, by one role)
        entries = [self._entry(i) for i in tied]
        families = [e for e in entries if e.family]
        # Tie breaks, strongest first: the words typed with their repeats, the name typed
        # literally, then in the same word order.
        repeated = self._with_repeats(tied, entries, span)
        if repeated is not None:
            return Resolution("one", role=repeated, span=span)
        folded = fold(clean_slack(text))
        # a plural typed is still the name typed: "backend engineers" names *Backend Engineer* as written
        literal = [e for e in entries if e.literal and re.search(r"(?<![a-z0-9])" + re.escape(e.literal) + r"(?:e?s)?(?![a-z0-9])", folded)]
        if literal:
            longest = max(len(e.literal) for e in literal)
            # "Area Sales Manager" typed: the role with that name, not the one it is an alias of
            own = [e for e in literal if len(e.literal) == longest and e.canonical and e.role]
            if len({e.role.id for e in own}) == 1:
                return Resolution("one", role=own[0].role, span=span)
            if len({e.role.name for e in own}) == 1:
                # "field marketing manager" typed: the roles of that very name (an old job page and a
                # family page), answered page by page, not also *Manager, Field Marketing*
                return Resolution("ambiguous", choices=self._distinct_roles([i for i, e in zip(tied, entries) if e in own]), span=span)
            longest_typed = [e for e in literal if len(e.literal) == longest]
            pick = {(e.role.id if e.role else None, e.family.name if e.family else None) for e in longest_typed}
            if len(pick) == 1:
                e = longest_typed[0]
                return Resolution("one", role=e.role, span=span) if e.role else Resolution("family", family=e.family, span=span)
            typed_roles = {e.role.id: e.role for e in longest_typed if e.role}
            if len(typed_roles) == 1:
                # "security engineer" typed, a level's alias and its own page's family name (beside
                # "red team", another family's name, asked as the specialty): the role on that page
                role = next(iter(typed_roles.values()))
                if all(e.family.page_id == role.page_id for e in longest_typed if e.family):
                    return Resolution("one", role=role, span=span)
        ordered = [e for e in entries if e.key == _once(span)]
        ordered_roles = {e.role.id for e in ordered if e.role}
        if len(ordered_roles) == 1 and not any(e.family for e in ordered):
            return Resolution("one", role=next(e.role for e in ordered if e.role), span=span)
        plain = self._unlevelled(roles, text, [e.family.page_id for e in families])  # type: ignore[union-attr]
        if plain is not None:
            return Resolution("one", role=plain, span=span)
        if families and all(e.key == families[0].key for e in entries if e.family) and not ordered_roles:
            # "sales operations" names the family better than any one role in it
            fam = families[0].family
            if all(r.page_id == fam.page_id for r in roles):
                return Resolution("family", family=fam, span=span)
        return Resolution("ambiguous", choices=roles[:MAX_CHOICES], span=span, too_many=len(roles) if len(roles) > MAX_CHOICES else 0)

    def _with_repeats(self, tied: list[int], entries: list[_Entry], span: str) -> RoleRef | None:
        """The one role whose name has the span's words as often as the span has them, when the
        span repeats one: "the manager of alliances partner managers" is *Manager, Alliances Partner
        Managers*, not *Alliances Partner Manager* (whose name, with a plural, is typed inside it);
        keys and bags keep a word once, so both tie."""
        words = span.split()
        if len(set(words)) == len(words):
            return None
        wanted = sorted(words)
        found = {e.role.id: e.role for i, e in zip(tied, entries) if e.role and sorted(tokens(self.written[i])) == wanted}
        return next(iter(found.values())) if len(found) == 1 else None

    def _unlevelled(self, roles: list[RoleRef], text: str, family_pages: list[int]) -> RoleRef | None:
        """:func:`_the_unlevelled` for a question that names no level, as the resolver reads its
        words ("sr" is senior; "level" in "what level is ..." asks a grade, not a level), when no
        family of another page fits as well."""
        if any(w in LEVEL_WORDS for w in self.query_words(text) if w):
            return None
        plain = _the_unlevelled(roles)
        return plain if plain is not None and all(page == plain.page_id for page in family_pages) else None

    def _partial(self, words: list[str | None], text: str) -> Resolution:
        """"the channel manager": no name matches well, but the words pick out a few roles."""
        known = [w for w in words if w]
        if not known:
            return Resolution("none")
        if any(touching for _, touching in _runs(words)):
            # "chief happiness officer": a word no role has, inside the name; the rest is no role
            return Resolution("none", span=self.asked(text))
        wanted = set(known)
        having = self._entries_with(wanted)  # in entry order, like a scan of every entry
        containing = [i for i in having if self.entry_role[i]]
        fams = [i for i in having if self.entry_family[i]]
        roles = self._distinct_roles(containing)
        span = " ".join(known)
        if len(roles) == 1 and not fams:
            return Resolution("one", role=roles[0], span=span)
        plain = self._unlevelled(roles, text, [self.entry_family[f].page_id for f in fams])  # type: ignore[union-attr]
        if plain is not None:
            return Resolution("one", role=plain, span=span)
        if len(roles) > 1:
            roles.sort(key=lambda r: fuzz.ratio(_bag(known), _bag(tokens(r.name))), reverse=True)
            return Resolution("ambiguous", choices=roles[:MAX_CHOICES], span=span, too_many=len(roles) if len(roles) > MAX_CHOICES else 0)
        if fams:
            return Resolution("family", family=self.entry_family[fams[0]], span=span)
        return Resolution("none", span=self.asked(text))

    def suggest(self, text: str, limit: int = 3) -> list[RoleRef]:
        """Close role names for a "did you mean", from the words asked (corrected where possible)."""
        words = [w for w in self.query_words(text) if w] or tokens(asked_phrase(text))
        if not words:
            return []
        asked = _bag(words)
        wanted = limit * 4
        # The names sharing a word with the question give a floor: the best `wanted` of all names
        # score at least as well as the best `wanted` of these. A name's length bounds its score
        # (fuzz.ratio <= 200 * shorter / (sum of lengths)), so only names of a length that can
        # reach the floor are scored: the same names as scoring every one, in the same order.
        floor = SUGGEST_FLOOR
        near = self._sharing_some(words, NEAR_NAMES)
        if near:
            bags = self.bags
            best = process.extract(asked, [bags[i] for i in near], scorer=fuzz.ratio, score_cutoff=floor, limit=wanted)
            if len(best) == wanted:
                floor = best[-1][1]
        # a little under the floor: rapidfuzz's cutoff is not exact to the last digits (63.414634
        # drops a 63.41463414...), and a name just under the floor is sorted out below anyway
        cutoff = max(SUGGEST_FLOOR, floor - CUTOFF_SLACK)
        lengths, by_length, order = self._bags_by_length
        size = len(asked)
        shortest = cutoff * size / (200 - cutoff)
        longest = size * (200 - cutoff) / cutoff
        lo, hi = bisect_left(lengths, shortest), bisect_right(lengths, longest)
        found = process.extract(asked, by_length[lo:hi], scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        ranked = sorted((-score, order[lo + pos]) for _, score, pos in found)[:wanted]
        return self._with_most_of(self._distinct_roles(entry for _, entry in ranked), words)[:limit]

    def _sharing_some(self, words: list[str], enough: int) -> list[int]:
        """Entries whose names have some of ``words``, rarest words first, about ``enough`` of them."""
        postings = sorted((self.by_token[w] for w in set(words) if w in self.by_token), key=len)
        out: dict[int, None] = {}
        for posting in postings:
            if out and len(out) + len(posting) > enough:
                break
            out.update(dict.fromkeys(posting))
        return sorted(out)

    @cached_property
    def _bags_by_length(self) -> tuple[list[int], list[str], list[int]]:
        """Every entry's bag ordered by length (then entry): lengths, bags, entry of each."""
        bags = self.bags
        lengths = list(map(len, bags))
        order = sorted(range(len(bags)), key=lengths.__getitem__)  # stable: equal lengths in entry order
        return [lengths[i] for i in order], [bags[i] for i in order], order

    def _distinct_roles(self, entry_indexes) -> list[RoleRef]:
        seen: dict[int, RoleRef] = {}
        for i in entry_indexes:
            role = self.entry_role[i]
            if role and role.id not in seen:
                seen[role.id] = role
        return list(seen.values())


def name_table(roles: list[RoleRef], aliases: list[tuple[int, str]], families: list[FamilyRef],
               alias_norms: list[str] | None = None) -> dict:
    """The resolver's names as plain data: ``aliases`` (role id, alias) as given; ``entry_alias``,
    the alias behind each alias entry (an alias of an unknown role, or of no words, has none);
    ``keys``, each entry's normalised words with repeats dropped, in order (alias entries, then
    ``family_entry``: the family behind each family entry); ``by_token``, each word's entries in
    order. Everything a :class:`Resolver` needs beyond the role and family objects themselves."""
    known = {role.id for role in roles}
    keys: list[str] = []
    entry_alias: list[int] = []
    norms = alias_norms if alias_norms is not None else [name_key(alias) for _, alias in aliases]
    add_key, add_entry = keys.append, entry_alias.append
    for a, ((role_id, _alias), norm) in enumerate(zip(aliases, norms)):
        key = _key_of_norm(norm) if role_id in known else ""
        if key:
            add_key(key)
            add_entry(a)
    return _with_families(list(aliases), entry_alias, keys, families)


def _stored_lengths(by_length: object, entries: int) -> dict[int, int]:
    """:attr:`Resolver._by_length` as a serving snapshot stored it, checked to be one: lengths to
    bits that split the ``entries`` names between them, each name in exactly one length. Raises
    ``ValueError`` otherwise (the snapshot is then not used)."""
    if not isinstance(by_length, dict) or not all(type(k) is int and type(v) is int and v > 0 for k, v in by_length.items()):
        raise ValueError("a length table that is not lengths to bits")
    every = 0
    for bits in by_length.values():
        every |= bits
    if every != (1 << entries) - 1 or sum(bits.bit_count() for bits in by_length.values()) != entries:
        raise ValueError("a length table that does not split the names")
    return by_length


def updated_name_table(previous: dict, roles: list[RoleRef], added: list[tuple[int, str]], added_norms: list[str],
                       families: list[FamilyRef]) -> dict:
    """:func:`name_table` of the next index version, from the previous version's table: the
    aliases of roles no longer given (pages changed or removed) are dropped, ``added`` (the
    aliases of the pages read anew, in index order, after every kept one as in the index) are
    appended, and only they are tokenised. Families are keyed again (their keys are cached); the
    kept entries' postings are the previous ones renumbered, and only the added entries and the
    families are posted word by word. The same table as building it from every alias."""
    known = {role.id for role in roles}
    # whole-list steps (compress, accumulate, comprehensions) rather than a loop with appends: a
    # one-page change renumbers all 25,000 aliases and entries of the previous table
    old_aliases, old_entries = previous["aliases"], previous["entry_alias"]
    alias_kept = [alias[0] in known for alias in old_aliases]
    aliases: list[tuple[int, str]] = list(compress(old_aliases, alias_kept))
    alias_place = list(accumulate(alias_kept))  # a kept alias's index in this table, plus one
    entry_kept = [alias_kept[a] for a in old_entries]
    keys: list[str] = list(compress(previous["keys"][:len(old_entries)], entry_kept))  # alias entries come first
    entry_alias = [alias_place[a] - 1 for a in compress(old_entries, entry_kept)]
    # each previous alias entry's place in this table, or -1 (its role is gone)
    renumbered = [place - 1 if kept else -1 for place, kept in zip(accumulate(entry_kept), entry_kept)]
    kept = len(keys)
    for alias, norm in zip(added, added_norms):
        aliases.append(alias)
        key = _key_of_norm(norm) if alias[0] in known else ""
        if key:
            keys.append(key)
            entry_alias.append(len(aliases) - 1)
    return _with_families(aliases, entry_alias, keys, families, (previous["by_token"], renumbered, kept))


def _with_families(aliases: list[tuple[int, str]], entry_alias: list[int], keys: list[str],
                   families: list[FamilyRef], reuse: tuple[dict[str, list[int]], list[int], int] | None = None) -> dict:
    """A name table from its alias entries: the families' entries after them, and the postings of
    every entry's words (in entry order, so both ways of building a table give the same one).

    ``reuse`` (previous postings, each previous alias entry's place now or -1, how many entries
    were kept): the first ``kept`` entries are the previous table's alias entries still there, in
    their order, so their postings are the previous ones renumbered (a one-page change then posts
    one page's names, not all 28,000); every later entry is posted from its words."""
    family_entry: list[int] = []
    for f, fam in enumerate(families):
        key = name_key(fam.name)
        if key:
            keys.append(key)
            family_entry.append(f)
    by_token: dict[str, list[int]] = {}
    start = 0
    if reuse is not None:
        previous, renumbered, start = reuse
        first_family = len(renumbered)  # the previous table's family entries start here: keyed again below
        place = renumbered.__getitem__
        for word, posting in previous.items():
            now = [i for i in map(place, posting[:bisect_left(posting, first_family)]) if i >= 0]
            if now:
                by_token[word] = now
    for i in range(start, len(keys)):
        for w in keys[i].split():
            posting = by_token.get(w)
            if posting is None:
                by_token[w] = [i]
            else:
                posting.append(i)
    return {"aliases": aliases, "entry_alias": entry_alias, "keys": keys, "family_entry": family_entry,
            "by_token": by_token}


def _spells(word: str, run: list[str]) -> bool:
    """Whether ``word`` is made of a prefix (2+ letters) of each word of ``run``, in order."""
    if not run:
        return not word
    head = run[0]
    return any(word[:k] == head[:k] and _spells(word[k:], run[1:]) for k in range(min(len(head), len(word)), 1, -1))


def _key_of_norm(normalised: str) -> str:
    """``names.key`` of a name from its ``names.norm``: the same words, repeats dropped."""
    return " ".join(dict.fromkeys(normalised.split()))


def _the_unlevelled(roles: list[RoleRef]) -> RoleRef | None:
    """Levels of one title on one page tied ("research coordinator": *UX Research Operations
    Coordinator (Intermediate)* and *Senior UX Research Operations Coordinator*) by a question that
    names no level (the caller checks): the title without a level (or "Intermediate") is meant, as
    the exact title would be."""
    if len(roles) < 2 or len({r.page_id for r in roles}) != 1:
        return None
    cores: set[tuple[str, ...]] = set()
    plain: list[RoleRef] = []
    for role in roles:
        words = tokens(role.name)
        core = tuple(w for w in words if w not in LEVEL_WORDS)
        cores.add(core)
        if all(w == "intermediate" or w not in LEVEL_WORDS for w in words):
            plain.append(role)
    return plain[0] if len(cores) == 1 and len(plain) == 1 else None


def _the_specialty(role: RoleRef, others: list[RoleRef]) -> RoleRef | None:
    """The one specialty of ``role`` that the words typed beside its name pick out: "privacy
    paralegal" is *Paralegal (Privacy & Product)*, written under *Paralegal* on its page, not a
    choice between the two (the word "privacy" would be left unexplained by *Paralegal*). Only when
    it is the sole other name holding those words, on the same page, and its name is the role's
    name followed by the specialty's words; another page's "Product Designer (UX) - Marketing" is
    a different job from *Designer*, so that one is still asked."""
    if len(others) != 1:
        return None
    other = others[0]
    own = tokens(role.name)
    return other if other.page_id == role.page_id and tokens(other.name)[: len(own)] == own else None


def asked_phrase(text: str, within: str = "") -> str:
    """What the question names, in the asker's spelling: every word that is not filler ("chief
    happiness officer"), or with ``within`` (a span the resolver read) only the words of that span,
    so "does the security analyst role need a degree" is asked back as "security analyst", not
    with "degree" in it (the whole phrase when none of the words is the span's, as for "sa")."""
    kept: list[str] = []
    named: list[str] = []
    span = set(tokens(within))
    for word in re.findall(r"[\w&][\w&.'’-]*", clean_slack(text)):
        meaningful = [t for t in tokens(word) if t not in QUERY_FILLER and t not in SOFT_FILLER and not t.isdigit()]
        if meaningful:
            kept.append(word.strip(".'’-"))
            if span.intersection(meaningful):
                named.append(kept[-1])
    return " ".join(named or kept)


def _matches(bag: str, choices: list[str]) -> list[tuple[str, float, int]]:
    """``process.extract`` of ``bag`` among ``choices`` (fuzz.ratio of at least FLOOR, best
    first). One choice is scored directly: most calls (a span against the one name within reach)
    have one, and the extract call's setup cost about five times the score itself."""
    if len(choices) == 1:
        score = fuzz.ratio(bag, choices[0], score_cutoff=FLOOR)
        return [(choices[0], score, 0)] if score >= FLOOR else []
    return process.extract(bag, choices, scorer=fuzz.ratio, score_cutoff=FLOOR, limit=None)


def _agent_noun_of(typed: str, word: str) -> bool:
    """Whether the typed word is the one who does the name word's work ("sourcer" / "source",
    "researcher" / "research", "advisor" / "advise"): a different word spelled alike, never a
    misspelling of it, so a *sourcer* is not read as the *Open Source* Program Manager."""
    if not typed.startswith(word[:-1]) or len(typed) <= len(word):
        return False
    ending = typed[len(word):] if typed.startswith(word) else typed[len(word) - 1:]
    return ending in AGENT_ENDINGS


def _joined_pairs(parts: list[str], vocab: frozenset[str]) -> list[str]:
    """``parts`` with each two neighbours whose concatenation is a name word made one ("front",
    "end" -> "frontend"); a one-letter part is never joined ("Analyst s manager")."""
    out: list[str] = []
    joined_last = False
    for part in parts:
        if out and not joined_last and len(part) > 1 and len(out[-1]) > 1 and part.isalpha() and out[-1].isalpha():
            whole = (out[-1] + part).lower()
            if whole in vocab or (whole.endswith("s") and whole[:-1] in vocab):
                out[-1] += part
                joined_last = True
                continue
        out.append(part)
        joined_last = False
    return out


def _typed_words(text: str) -> frozenset[str]:
    """The question's words as typed (folded, singular), before any correction, and the words of
    each role acronym typed: "TAM" names the Technical *Account* Manager as surely as the words do
    (a word abbreviation, "eng", may stand for either of two words, and is not expanded)."""
    typed: set[str] = set()
    for raw in RAW_WORD.findall(fold(clean_slack(text))):
        word = NOT_ALNUM.sub("", raw.removesuffix("'s").removesuffix("’s"))  # "the tam's manager": the TAM's
        typed.add(singular(word))
        acronym = ROLE_ACRONYMS.get(word) or (ROLE_ACRONYMS.get(word[:-1], "") if word.endswith("s") else "")  # "TAMs"
        typed.update(singular(w) for w in acronym.split())
    return frozenset(typed)


def _swapped_words(span: str, bag: str) -> set[str]:
    """The span's words the name matched only by reading them as another word ("technical *account*
    manager" scored 96 against *Manager, Technical Accounting*; "senior director of *legal*" 90
    against *Senior Director, ESG*). The question's words are already corrected to name words
    (:meth:`Resolver.read`), so a word of the work left over where the name has another is not a
    misspelling but a different word: a role for a different job, offered as "did you mean" when
    the word was typed as it is (the caller checks: words an abbreviation stands for, "eng", "sa",
    were not typed, and may be either). Not for job nouns and levels ("frontend *engineers*" for
    *Frontend Engineering, Marketing*: the same people)."""
    if _bag(span.split()) == bag:  # the name's very words (most questions): none was swapped
        return set()
    asked = {singular(w) for w in span.split()}
    named = {singular(w) for w in bag.split()}
    extra = [x for x in named - asked if x not in JOB_NOUNS and x not in LEVEL_TOKENS]
    if not extra:
        return set()
    # a word of the work in another's place is another job too, spelled alike or not: "senior director
    # of *legal*" scored 90 against *Senior Director, ESG* (no role is named with "legal" there)
    return {m for m in asked - named if m not in JOB_NOUNS and m not in LEVEL_TOKENS}


def _bitset(entries: list[int]) -> int:
    """``entries`` (non-negative) as the bits of one int."""
    if not entries:
        return 0
    packed = bytearray(max(entries) // 8 + 1)
    for i in entries:
        packed[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(packed, "little")


_NONZERO = bytes([0] + [1] * 255)  # bytes.translate table: which bytes have a bit set
_BITS_OF_BYTE = tuple(tuple(b for b in range(8) if value >> b & 1) for value in range(256))


def _bit_positions(bits: int) -> list[int]:
    """The set bits of ``bits`` (non-negative), lowest first: the entries, in entry order. Its
    bytes with a bit set are found in C (``translate``, ``find``), so Python only visits those."""
    data = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
    marks = data.translate(_NONZERO)
    out: list[int] = []
    at = marks.find(1)
    while at >= 0:
        base = at << 3
        for b in _BITS_OF_BYTE[data[at]]:
            out.append(base + b)
        at = marks.find(1, at + 1)
    return out


def _missing_at_most_one(bits: list[int]) -> list[int] | None:
    """:func:`_near_bits` as entries, in entry order; None when no entry is in all of them."""
    near = _near_bits(bits)
    return _bit_positions(near) if near else None


def _near_bits(bits: list[int]) -> int:
    """The entries in all but at most one of the postings ``bits`` (two or more), as bits; 0 when
    no entry is in all of them. The union of the leave-one-out ands, each the and of the postings
    before it and of those after it (running ands both ways: 3k ands for k words)."""
    before = [-1]  # before[j]: the and of bits[:j]; -1 has every bit set
    for b in bits:
        before.append(before[-1] & b)
    if not before[-1]:
        return 0
    near, after = before[-1], -1
    for j in range(len(bits) - 1, -1, -1):
        near |= before[j] & after
        after &= bits[j]
    return near


def _of_the_work(words: Iterable[str | None]) -> set[str]:
    """The words that say what the work is, not just a level or a job noun ("tax", not "senior" or
    "analyst"); empty words (no word, UNKNOWN) left out."""
    return {w for w in words if w and w not in JOB_NOUNS and w not in LEVEL_WORDS and w not in LEVEL_TOKENS}


def _vp(match: re.Match[str]) -> str:
    """"vice president" as the names read it, "vp"; a typo of "president" too ("vice preisdent"
    found no role: "vice" is no name's word once the names say "vp")."""
    word = match.group(1).lower()
    if word in ("president", "presidents") or DamerauLevenshtein.normalized_similarity(word, "president") >= 0.75:
        return "vp"
    return match.group(0)


def _may_say_vice(text: str) -> bool:
    """Whether :data:`VICE_PRESIDENT` can match: "vice" in any case, tested in C before the pattern
    is tried at every position (its ``re.I`` also takes "İ" and the dotless "ı" for "i":
    :func:`bot.names.ascii_lower`)."""
    return "vice" in ascii_lower(text)


def _bag(words: list[str]) -> str:
    return " ".join(sorted(set(words)))


def _the_one_run(words: list[str | None]) -> list[str] | None:
    """The question's role words when they are one run touching no unknown word (as
    :func:`_runs` would find it: one run, touching 0), else None."""
    n = len(words)
    start = 0
    while start < n and not words[start]:
        start += 1
    end = start
    while end < n and words[end]:
        end += 1
    if start == n or any(words[end:]) or (start and words[start - 1] == UNKNOWN) or (end < n and words[end] == UNKNOWN):
        return None
    return words[start:end]  # type: ignore[return-value]


def _runs(words: list[str | None]) -> list[tuple[list[str], int]]:
    """Runs of consecutive role words, each with how many unknown words touch it (0-2)."""
    runs: list[tuple[list[str], int]] = []
    current: list[str] = []
    padded = [None] + words + [None]
    start_index = 0
    for i, w in enumerate(padded):
        if w:
            if not current:
                start_index = i
            current.append(w)
        elif current:
            touching = int(padded[start_index - 1] == UNKNOWN) + int(w == UNKNOWN)
            runs.append((current, touching))
            current = []
    return runs


def _once(span: str) -> str:
    """A span with a word it has twice kept once, as a name's key has it: "manager csm" reads
    "manager customer success manager", which is *Manager, CSM* (key "manager customer success"),
    not *Customer Success Manager (CSM)*. A word twice in a row stays twice: "csm manager" reads
    "customer success manager manager", the manager of those, which no key can say (the name with
    the word twice, :meth:`Resolver._with_repeats`, can)."""
    words = span.split()
    if len(set(words)) == len(words) or any(a == b for a, b in zip(words, words[1:])):
        return span
    return " ".join(dict.fromkeys(words))


def _spans(words: list[str | None]) -> list[tuple[list[str], float]]:
    """Every run of consecutive role words (longest first) with the points it loses for what it leaves out."""
    runs = _runs(words)
    spans: list[tuple[list[str], float]] = []
    for run, touching in runs:
        n = len(run)
        ranks_before = [0]  # rank words among the run's first i words, so a span's left-out ones are a subtraction
        for w in run:
            ranks_before.append(ranks_before[-1] + (w in RANK_WORDS))
        for length in range(min(n, MAX_SPAN), 0, -1):
            for start in range(0, n - length + 1):
                # "sre manager" is not the SRE: a level or rank left out of the name costs more
                ranked = ranks_before[n] - (ranks_before[start + length] - ranks_before[start])
                penalty = UNUSED_WORD_PENALTY * (n - length) + RANK_WORD_PENALTY * ranked + UNKNOWN_WORD_PENALTY * touching
                spans.append((run[start : start + length], penalty))
    # all role words together too (a name split by a filler word: "manager of sales operations")
    all_words = [w for w in words if w]
    if len(runs) > 1 and len(all_words) <= MAX_SPAN:
        spans.insert(0, (all_words, UNKNOWN_WORD_PENALTY * sum(1 for w in words if w == UNKNOWN)))
    return spans
