"""Intent routing: every handler declares the phrases it answers; one policy here picks the intent.

A handler module registers itself with ``@intent(...)``, giving

- ``phrases``: whole questions with slots (``{role}``, ``{family}``, ``{n}``,
  ``{topic}``), the way people type them. A new phrasing is one more line.
- ``patterns``: weighted regex cues, for words that say a lot on their own
  ("interview", "KPI") whatever the sentence around them;
- ``avoid``: phrases that look like this intent but are not.

The router scores the question with the role's words masked (``{role}``), so
words of a role name ("Performance Marketing Manager", "Interview Coordinator")
never vote for an intent. Each phrase is compared with the masked question by
weighted word overlap: words that only one intent uses ("boss", "ladder") weigh
more than words every intent uses ("who", "the"). ``route()`` returns a
:class:`Decision` with every intent's score and the reason, which
``rolecall ask --explain`` prints and the question log keeps.

The whole routing policy lives in :func:`route`: follow-ups that only name
another level ("and the senior one?") keep the previous intent; a bare role
name is an overview; a question about nothing known is "unknown".
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import re
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Callable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.names import singular

if TYPE_CHECKING:
    from bot.answer import Answer
    from bot.query import Query

Handler = Callable[["Query"], "Answer"]

SLOTS = ("{role}", "{family}", "{n}", "{topic}")
ROLE_SLOT = "{role}"  # {family} is matched as {role}: both are what the resolver found
WORD = re.compile(r"\{[a-z]+\}|[a-z0-9]+")
# Words that carry no intent at all; they neither count for a phrase nor against it.
NEUTRAL = frozenset("a an the of for to in on at is are be s this that please pls me i we our my your and or".split())
PHRASE_WEIGHT = 5.0  # a perfect phrase match is worth this many cue points
PHRASE_MIN = 0.62  # below this similarity a phrase says nothing
MIN_SCORE = 1.0  # a best score below this is no intent at all
STRONG = 4.0  # two intents both this sure ...
TIE_MARGIN = 0.5  # ... and this close: the question is asked back, never decided silently
UNKNOWN_WORD_WEIGHT = 1.0  # an unexplained question word this heavy counts against a phrase
# Words too general to be what a {topic} is about ("what experience do I need for X").
GENERIC_TOPIC = frozenset("experience skills skill role roles job position qualifications requirements background knowledge".split())
TOPIC_CUE = 1.0  # a {topic} phrase needs at least one telling word matched



@dataclass(frozen=True)
class Intent:
    """A registered handler and the phrasings that point to it."""

    name: str
    handle: Handler
    patterns: tuple[tuple[re.Pattern[str], float], ...]
    phrases: tuple[tuple[str, ...], ...]
    avoid: tuple[tuple[str, ...], ...]
    examples: tuple[str, ...]
    help: str
    order: int  # position in help; ties in score go to the lower order
    topic_names_roles: bool = False  # its {topic} may be made of role words ("who runs open source")


@dataclass
class Decision:
    """Why a question went where it went: shown by ``--explain`` and kept in the question log."""

    intent: str
    scores: dict[str, float] = field(default_factory=dict)
    masked: str = ""
    role_span: str = ""
    reason: str = ""
    phrase: dict[str, str] = field(default_factory=dict)  # intent -> its best phrase
    topics: dict[str, str] = field(default_factory=dict)  # intent -> what its {topic} slot took
    rivals: list[str] = field(default_factory=list)  # intents that fit as well as ``intent``: ask, never pick

    @property
    def topic(self) -> str:
        """The chosen intent's {topic}: "reference checks" in "who handles reference checks"."""
        return self.topics.get(self.intent, "")

    def explain(self) -> str:
        """Plain lines for a person debugging a misroute."""
        lines = [f"intent: {self.intent} ({self.reason})", f"question as scored: {self.masked}"]
        if self.role_span:
            lines.append(f"role words (masked): {self.role_span}")
        for name, value in sorted(self.scores.items(), key=lambda kv: -kv[1]):
            best = self.phrase.get(name)
            lines.append(f"  {name:<24}{value:6.2f}" + (f"   ~ “{best}”" if best else ""))
        return "\n".join(lines)

    def top_scores(self, n: int = 4) -> dict[str, float]:
        return dict(sorted(self.scores.items(), key=lambda kv: -kv[1])[:n])


REGISTRY: dict[str, Intent] = {}


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A phrase or question as the words routing compares ({slots} kept whole, {family} as {role})."""
    words = WORD.findall(phrase.lower().replace("’", "'").replace("'s ", " s "))
    return tuple(ROLE_SLOT if w == "{family}" else w for w in words)


def intent(
    name: str,
    *,
    patterns: dict[str, float],
    examples: list[str],
    phrases: list[str] | tuple[str, ...] = (),
    avoid: list[str] | tuple[str, ...] = (),
    order: int = 50,
    topic_names_roles: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler under ``name``; ``patterns`` map regexes (case-insensitive) to weights."""

    def register(func: Handler) -> Handler:
        doc = (func.__doc__ or name).strip().splitlines()[0]
        compiled = tuple((re.compile(p, re.IGNORECASE), w) for p, w in patterns.items())
        REGISTRY[name] = Intent(
            name, func, compiled, tuple(phrase_words(p) for p in phrases), tuple(phrase_words(p) for p in avoid),
            tuple(examples), doc, order, topic_names_roles,
        )
        _weights.cache_clear()
        vocabulary.cache_clear()
        _table.cache_clear()
        _shape.cache_clear()
        _shape_scores.cache_clear()
        return func

    return register


_LOADED = False


def load_handlers() -> dict[str, Intent]:
    """Import every module in ``handlers/`` so that each registers itself (once per process)."""
    global _LOADED
    if not _LOADED:
        import handlers

        for module in pkgutil.iter_modules(handlers.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"handlers.{module.name}")
        _LOADED = True
    return REGISTRY


@lru_cache(maxsize=1)
def _weights() -> dict[str, float]:
    """Each phrase word's weight: rare across intents = telling (an inverse document frequency)."""
    intents = list(load_handlers().values())
    df: dict[str, int] = {}
    for item in intents:
        for word in {w for p in item.phrases for w in p}:
            df[word] = df.get(word, 0) + 1
    n = max(len(intents), 1)
    return {w: math.log(1 + n / d) / math.log(1 + n) for w, d in df.items()}


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Every word some intent's phrases use: the resolver treats them as question words, not role
    words. Made once (cleared with the weights when an intent registers): :func:`topic_of` asks
    it once per question word."""
    return frozenset(w for w in _weights() if w not in SLOTS)


AGENT_SUFFIXES = ("er", "ers", "or", "ors", "ist", "ists")  # "designer": who designs, a job noun
WORD_FORM_ENDINGS = ("", "s", "es", "ed", "ing")


def names_the_doer(word: str, match: str) -> bool:
    """``word`` is the agent noun of the question word ``match`` ("designer" of "designs",
    "interviewer" of "interviews"): a job noun within two edits of it, never its misspelling."""
    for suffix in AGENT_SUFFIXES:
        if word.endswith(suffix):
            stem = word[:-len(suffix)]
            if match.startswith(stem) and match[len(stem):] in WORD_FORM_ENDINGS:
                return True
    return False


def misspelled_word(word: str, candidates: list[str]) -> str | None:
    """The candidate ``word`` misspells: one edit (a swap counts as one) in five to seven letters
    ("reprot"), two in longer words ("responsibilites"); None for a word's agent noun ("designer")."""
    if len(word) < 5:
        return None
    allowed = 1 if len(word) < 8 else 2
    match = process.extractOne(word, candidates, scorer=DamerauLevenshtein.distance, score_cutoff=allowed)
    return None if match is None or names_the_doer(word, match[0]) else match[0]


@lru_cache(maxsize=4096)
def _corrected(word: str) -> str:
    """A question word as the phrase word it misspells (:func:`misspelled_word`)."""
    if word in _weights():
        return word
    return misspelled_word(word, list(vocabulary())) or word


def correct_words(words: tuple[str, ...], keep: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Misspelled question words ("reprots") as the phrase word they stand for; role words are kept."""
    return tuple([w if w in keep or w in SLOTS else _corrected(w) for w in words])


class _Phrase:
    """A phrase prepared once: the words that count, their weights and total, its word set."""

    __slots__ = ("words", "text", "wanted", "total", "members", "has_topic", "order")

    def __init__(self, words: tuple[str, ...], order: int) -> None:
        weights = _weights()
        self.words, self.text, self.order = words, " ".join(words), order
        self.wanted = tuple((w, weights.get(w, 1.0)) for w in words if w != "{topic}" and w not in NEUTRAL)
        self.total = sum(weight for _, weight in self.wanted)
        self.members = frozenset(words)
        self.has_topic = "{topic}" in self.members


# A phrase's similarity cannot reach ``PHRASE_MIN`` below these shares of its weight matched: with
# a {topic} slot the similarity is at most the recall; without one it is an F-measure, at most
# 2R / (R + 1) with precision 1, so it needs R >= m / (2 - m).
RECALL_FLOOR = PHRASE_MIN / (2 - PHRASE_MIN)
AVOID_MIN = 0.95  # an ``avoid`` phrase this similar to the question silences its intent
AVOID_RECALL_FLOOR = AVOID_MIN / (2 - AVOID_MIN)
BOUND_SLACK = 1e-9  # the bound is summed in another order than the exact score: never prune on rounding


class _Postings:
    """Phrases prepared once (all intents, in registry and phrase order) and, for each phrase word,
    the phrases that use it with the weight it brings them.

    Scoring a question adds up, per phrase, the weight of the question's words it has (a few
    hundred dict additions); only the phrases whose share of weight matched could still reach the
    similarity that counts are then scored exactly with :func:`_similarity`. The others could not
    change any intent's score or best phrase, so the result is the one of scoring every phrase."""

    __slots__ = ("phrases", "owner", "by_word", "need")

    def __init__(self, phrases: list[tuple[str, _Phrase]], floor: float, topic_floor: float) -> None:
        self.phrases = [phrase for _, phrase in phrases]
        self.owner = [name for name, _ in phrases]
        by_word: dict[str, list[tuple[int, float]]] = {}
        for pid, phrase in enumerate(self.phrases):
            weight_of: dict[str, float] = {}
            for word, weight in phrase.wanted:
                weight_of[word] = weight_of.get(word, 0.0) + weight
            for word, weight in weight_of.items():
                by_word.setdefault(word, []).append((pid, weight))
        self.by_word = {w: tuple(v) for w, v in by_word.items()}
        self.need = [(topic_floor if p.has_topic else floor) * p.total - BOUND_SLACK for p in self.phrases]

    def promising(self, words: frozenset[str]) -> dict[str, list[_Phrase]]:
        """Intent -> its phrases (in order) that share enough weight with ``words`` to matter."""
        matched: dict[int, float] = {}
        get = matched.get
        by_word = self.by_word
        for word in words:
            for pid, weight in by_word.get(word, ()):
                matched[pid] = get(pid, 0.0) + weight
        need, owner, phrases = self.need, self.owner, self.phrases
        out: dict[str, list[_Phrase]] = {}
        for pid in sorted(pid for pid, got in matched.items() if got >= need[pid]):
            out.setdefault(owner[pid], []).append(phrases[pid])
        return out


@lru_cache(maxsize=1)
def _table() -> tuple[_Postings, _Postings, _Postings]:
    """The phrases of the intents scored on the masked question, those of the intents scored on
    the plain one (``topic_names_roles``), and every intent's ``avoid`` phrases; once per process."""
    masked: list[tuple[str, _Phrase]] = []
    plain: list[tuple[str, _Phrase]] = []
    avoided: list[tuple[str, _Phrase]] = []
    for item in load_handlers().values():
        (plain if item.topic_names_roles else masked).extend((item.name, _Phrase(words, order)) for order, words in enumerate(item.phrases))
        avoided.extend((item.name, _Phrase(words, 0)) for words in item.avoid)
    return (_Postings(masked, RECALL_FLOOR, PHRASE_MIN), _Postings(plain, RECALL_FLOOR, PHRASE_MIN),
            _Postings(avoided, AVOID_RECALL_FLOOR, AVOID_MIN))


def _best_fits(asked: "_Asked", postings: _Postings) -> dict[str, tuple[str, float]]:
    """Intent -> its best phrase and that phrase's similarity (the first of equals), for the
    intents with a phrase that can reach ``PHRASE_MIN``."""
    out: dict[str, tuple[str, float]] = {}
    for name, candidates in postings.promising(asked.words).items():
        best, best_sim = "", 0.0
        for phrase in candidates:
            sim = _similarity(asked, phrase)
            if sim > best_sim:
                best, best_sim = phrase.text, sim
        out[name] = (best, best_sim)
    return out


# Questions come in a few hundred shapes ("who does the {role} report to?"): what depends only on
# the masked question is remembered, so a shape seen before costs a few lookups.
SHAPES_REMEMBERED = 4096


@lru_cache(maxsize=SHAPES_REMEMBERED)
def _shape(masked: str, cue_text: str, keep: frozenset[str]) -> tuple[tuple[float, ...], dict[str, tuple[str, float]], frozenset[str]]:
    """What the masked question alone decides: every intent's regex cue points (registry order),
    the best phrase fits of the intents scored on it, and the intents an ``avoid`` phrase
    silences. Callers must not change what it returns (it is shared)."""
    words = correct_words(phrase_words(masked), keep)
    corrected = " ".join("§" if w == ROLE_SLOT else w for w in correct_words(phrase_words(cue_text.replace("§", ROLE_SLOT)), keep))
    cues = tuple(
        sum(weight for pattern, weight in item.patterns if pattern.search(cue_text) or pattern.search(corrected))
        for item in load_handlers().values()
    )
    asked = _Asked(words)
    _, _, avoided = _table()
    silenced = frozenset(name for name, phrases in avoided.promising(asked.words).items()
                         if any(_similarity(asked, p) >= AVOID_MIN for p in phrases))
    return cues, _best_fits(asked, _table()[0]), silenced


class _Asked:
    """A question's words as similarity needs them, computed once per question, not per phrase:
    its word set at once, its weighted content words when a phrase is first scored (the plain
    wording of most questions has no promising phrase, and is never scored)."""

    __slots__ = ("words", "_question", "_content")

    def __init__(self, question: tuple[str, ...]) -> None:
        self.words = frozenset(question)
        self._question = question
        self._content: list[tuple[str, float]] | None = None

    @property
    def content(self) -> list[tuple[str, float]]:
        """The words that carry intent (not NEUTRAL), each with its weight."""
        content = self._content
        if content is None:
            weights = _weights()
            content = self._content = [(w, weights.get(w, UNKNOWN_WORD_WEIGHT)) for w in self._question if w not in NEUTRAL]
        return content


def similarity(question: tuple[str, ...], phrase: tuple[str, ...]) -> float:
    """How well a phrase fits a question, 0..1.

    Without a ``{topic}`` slot: the F-measure of weighted recall (how much of the phrase the
    question says) and precision (how much of the question the phrase explains). With one, the
    leftovers are the topic, so recall alone counts, but only when the words it matched are
    telling ("who handles {topic}" yes, "who does {topic}" no)."""
    return _similarity(_Asked(question), _Phrase(phrase, 0))


def _similarity(asked: _Asked, phrase: _Phrase) -> float:
    if not phrase.wanted:
        return 0.0
    words = asked.words
    covered = sum(weight for w, weight in phrase.wanted if w in words)
    recall = covered / phrase.total
    members = phrase.members
    if phrase.has_topic:
        leftovers = any(w not in members for w, _ in asked.content)
        telling = min(1.0, sum(weight for w, weight in phrase.wanted if w in words and w not in SLOTS) / TOPIC_CUE)
        return recall * telling * (1.0 if leftovers else 0.8)
    extra = sum(weight for w, weight in asked.content if w not in members)
    precision = covered / (covered + extra) if covered + extra else 0.0
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def topic_of(masked: str, phrase: tuple[str, ...]) -> str:
    """The words of the question a phrase leaves over, as typed: what its {topic} slot took."""
    kept = []
    for raw in re.findall(r"\{[a-z]+\}|[\w&+#][\w&+#'’.-]*", masked):
        words = phrase_words(raw)
        if words and all(w in NEUTRAL for w in words) and kept and kept[-1] != "…":
            kept.append(raw)
            continue
        compound = "-" in raw.strip("-") and not all(w in phrase for w in words)  # "on-call" is one term, not "on" and "call"
        if raw == ROLE_SLOT or not words or (not compound and all(
                w in phrase or w in NEUTRAL or w in SLOTS or w in GENERIC_TOPIC or w in vocabulary() for w in words)):
            while kept and kept[-1] != "…" and all(w in NEUTRAL for w in phrase_words(kept[-1])):
                kept.pop()
            if kept and kept[-1] != "…":
                kept.append("…")
            continue
        kept.append(raw.strip(".'’"))
    text = " ".join(kept).strip(" …")
    return text.split(" … ")[-1] if " … " in text else text


def score_text(
    masked: str, keep: frozenset[str] = frozenset(), cue_text: str | None = None, plain: str | None = None
) -> tuple[dict[str, float], dict[str, str]]:
    """Every intent's score for a (masked) question, and the phrase that scored best for it.

    ``cue_text`` is what the regex cues see: the role masked by a sign no cue matches (a slot
    named "{role}" would look like the word "role" to them), numbers as typed. ``plain`` is the
    question unmasked, for intents whose {topic} may be a role's words ("interview with the
    Frontend Lead"). Most questions' plain wording fits no phrase of those intents: their scores
    then depend on the masked shape alone and are remembered with it (copies are returned)."""
    cue_text = (masked if cue_text is None else cue_text).replace(ROLE_SLOT, "§")
    plain_fits = _best_fits(_Asked(correct_words(phrase_words(plain if plain is not None else masked), keep)), _table()[1])
    if plain_fits:
        return _scores(_shape(masked, cue_text, keep), plain_fits)
    scores, best_phrase = _shape_scores(masked, cue_text, keep)
    return dict(scores), dict(best_phrase)


@lru_cache(maxsize=SHAPES_REMEMBERED)
def _shape_scores(masked: str, cue_text: str, keep: frozenset[str]) -> tuple[dict[str, float], dict[str, str]]:
    """:func:`_scores` of a shape when the plain wording fits no phrase (shared: never changed)."""
    return _scores(_shape(masked, cue_text, keep), {})


def _scores(
    shape: tuple[tuple[float, ...], dict[str, tuple[str, float]], frozenset[str]], plain_fits: dict[str, tuple[str, float]]
) -> tuple[dict[str, float], dict[str, str]]:
    """Every intent's score and best phrase from its cue points and phrase fits (:func:`_shape`),
    the plain wording's fits for the intents scored on it."""
    cues, masked_fits, silenced = shape
    scores: dict[str, float] = {}
    best_phrase: dict[str, str] = {}
    for item, cue in zip(load_handlers().values(), cues):
        best, best_sim = (plain_fits if item.topic_names_roles else masked_fits).get(item.name, ("", 0.0))
        if item.name in silenced:
            cue, best_sim = 0.0, 0.0
        total = cue + (PHRASE_WEIGHT * best_sim if best_sim >= PHRASE_MIN else 0.0)
        if total > 0:
            scores[item.name] = round(total, 3)
            if best_sim >= PHRASE_MIN:
                best_phrase[item.name] = best
    return scores, best_phrase


def ranked(scores: dict[str, float]) -> list[tuple[float, Intent]]:
    """Intents with a positive score, best first; ties go to the lower ``order``."""
    registry = load_handlers()
    pairs = [(value, registry[name]) for name, value in scores.items() if value > 0]
    pairs.sort(key=lambda pair: (-pair[0], pair[1].order))
    return pairs


def score(text: str) -> list[tuple[float, Intent]]:
    """All intents with a positive score for unmasked text, best first (for tests and benchmarks)."""
    return ranked(score_text(text)[0])


MASK_TOKEN = re.compile(r"[\w&][\w&'’.-]*|\S")  # a word (with its inner dots and apostrophes) or one sign
POSSESSIVE = ("'s", "’s")


def _vice_presidents(raws: list[str]) -> list[str]:
    """"vice president" as one word, as the names read it ("vp"): word by word neither is a role
    word, and "vice president of ux level" kept them outside its {role}."""
    if "vice" not in (raw.lower() for raw in raws):
        return raws
    out: list[str] = []
    for raw in raws:
        if out and out[-1].lower() == "vice" and raw.lower().startswith("president"):
            out[-1] = f"{out[-1]} {raw}"
        else:
            out.append(raw)
    return out


def mask(text: str, role_words: frozenset[str], token_of: Callable[[str], Sequence[str]]) -> str:
    """The question with the resolved role's name replaced by ``{role}``; ``token_of`` gives a
    typed word's tokens as the resolver reads them, made singular
    (:meth:`bot.resolve.Resolver.singular_tokens_of`).

    The name is the run of consecutive role words that covers most of the role's words ("which
    security frameworks does a field security engineer need": the second "security"); runs that
    cover what is still missing follow ("manager of sales operations"). A possessive ends a run."""
    if not role_words:
        return text
    # singular on both sides: the resolver reads a table acronym as its words as written ("ISR":
    # "inside sales representative"), the names' tokens are singular ("sale"); "ISR" went unmasked
    role_words = frozenset(map(singular, role_words))
    raws = _vice_presidents(MASK_TOKEN.findall(text))
    toks = list(map(token_of, raws))
    named = [bool(t) and role_words.issuperset(t) for t in toks]  # every token of it is a role word
    n = len(raws)
    runs: list[tuple[int, int, frozenset[str]]] = []
    i = 0
    while i < n:
        if named[i]:
            j, covered = i, set()
            while j < n and (named[j] or (raws[j] in (",", "&", "-") and j + 1 < n and toks[j + 1])):
                covered.update(toks[j])
                j += 1
                if raws[j - 1].endswith(POSSESSIVE):  # tokens hold no newline: as ``['’]s$``
                    break
            runs.append((i, j, frozenset(covered)))
            i = j
        else:
            i += 1
    chosen: list[tuple[int, int]] = []
    left = set(role_words)
    while left and runs:
        best = max(runs, key=lambda r: (len(r[2] & left), r[1] - r[0]))
        if not best[2] & left:
            break
        chosen.append((best[0], best[1]))
        left -= best[2]
        runs.remove(best)
    owner: list[tuple[int, int] | None] = [None] * n  # the chosen run each token is in (runs never overlap)
    for a, b in chosen:
        owner[a:b] = [(a, b)] * (b - a)
    out: list[str] = []
    for i, raw in enumerate(raws):
        start = owner[i]
        if start is None:
            out.append(raw)
        elif i == start[0]:
            if len(out) >= 2 and out[-2] == ROLE_SLOT and out[-1].lower() in ("of", "and", "&", ","):
                out.pop()  # "the {role} of {role}": one name split by a little word
                continue
            out.append(ROLE_SLOT)
            if raws[start[1] - 1].endswith(POSSESSIVE):
                out.append("s")
    return " ".join(out)


NUMBER = re.compile(r"\b(?:\d{1,2}(?:\.\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen)\b", re.I)


def _words_only_in_role(phrase: str, masked: str) -> bool:
    """Whether a phrase fit the question only through the role's name: none of its own words is
    among the masked question's."""
    own = [w for w in phrase_words(phrase) if not w.startswith("{")]
    return bool(own) and not set(own) & set(phrase_words(masked))


def route(query: "Query") -> Decision:
    """The one routing policy: which intent answers this question, and why."""
    load_handlers()
    if not query.clean:
        return Decision("help", reason="empty question")
    res = query.resolution
    if res.status != "none":
        role_words = frozenset(res.span.split()) if res.span and res.span != "(follow-up)" else frozenset()
    else:  # no role found, but a name's words are still not the question's: "what's after area vice president"
        role_words = query.kb.resolver.name_like_words(query.clean)
    role_masked = mask(query.clean, role_words, partial(query.kb.resolver.singular_tokens_of, context=role_words))
    masked = NUMBER.sub("{n}", role_masked) if query.number() is not None else role_masked
    scores, phrases = score_text(masked, frozenset(query.kb.resolver.vocab_set), cue_text=role_masked, plain=query.clean)
    registry = load_handlers()
    if role_words and res.status != "none" and any(registry[name].topic_names_roles and _words_only_in_role(phrase, masked) for name, phrase in phrases.items()):
        # "executive search hiring steps": "search {topic}" fit the unmasked question on the role's own
        # word; an intent whose topic may be a role's words is scored on the masked question then
        scores, phrases = score_text(masked, frozenset(query.kb.resolver.vocab_set), cue_text=role_masked, plain=masked)
    order = ranked(scores)
    topics = {name: topic_of(query.clean if registry[name].topic_names_roles else masked, phrase_words(p))
              for name, p in phrases.items() if "{topic}" in p}
    decision = Decision("unknown", scores=scores, masked=masked, role_span=" ".join(sorted(role_words)), phrase=phrases, topics=topics)
    best = order[0] if order else None
    if query.follow_up_intent and (best is None or best[0] < MIN_SCORE * 2.5 or best[1].name == "role_overview") and query.elliptical:
        decision.intent, decision.reason = query.follow_up_intent, "a follow-up naming another role keeps the previous intent"
        return decision
    if best and best[0] >= MIN_SCORE:
        name = best[1].name
        rivals = [item.name for value, item in order[1:] if value >= STRONG and best[0] - value < TIE_MARGIN]
        topical = [n for n in (name, *rivals) if registry[n].topic_names_roles]
        if rivals and res.status == "none" and len(topical) == 1:
            # "who is responsible for SOX compliance": no role was named, so of the two readings only
            # the one that looks for the words on every page (search) can answer
            name, rivals = topical[0], []
        if rivals and best[0] >= STRONG:
            decision.intent, decision.rivals = name, rivals
            decision.reason = f"{name} and {', '.join(rivals)} fit equally ({best[0]:.2f}): asking which"
            return decision
        if name == "role_overview" and best[0] < 2.5 and res.status == "none":
            decision.reason = "only weak overview cues and no role"
            return decision
        decision.intent = name
        runner = order[1][0] if len(order) > 1 else 0.0
        decision.reason = f"best score {best[0]:.2f}, next {runner:.2f}"
        return decision
    if res.status in ("one", "ambiguous", "family") and res.span != "(follow-up)":
        decision.intent, decision.reason = "role_overview", "a role name and no question about it"
        return decision
    decision.reason = "no intent cue and no role"
    return decision
