"""Role-name normalisation shared by the parser (which names roles) and the resolver (which finds them).

Both sides must agree on what "the same name" means, so the rules live here
once: case, punctuation, word order handled by sorting at match time,
abbreviations (Sr., Mgr, Ops, VP ...), plurals, and Slack markup.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# Single-word abbreviations, expanded on both sides of a comparison.
WORD_ABBREVIATIONS: dict[str, str] = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "mgr": "manager",
    "mngr": "manager",
    "mgmt": "management",
    "ops": "operations",
    "op": "operations",
    "assoc": "associate",
    "asst": "assistant",
    "eng": "engineer",
    "engr": "engineer",
    "engg": "engineering",
    "dir": "director",
    "rep": "representative",
    "reps": "representative",
    "admin": "administrator",
    "mktg": "marketing",
    "mkt": "marketing",
    "acct": "account",
    "exec": "executive",
    "execs": "executive",
    "intl": "international",
    "sw": "software",
    "tech": "technical",
    "dev": "development",
    "devrel": "developer relations",
    "rev": "revenue",
    "revops": "revenue operations",
    "qa": "quality",
    "hr": "people",
    "biz": "business",
    "int": "intermediate",
    "ic": "individual contributor",
    "pr": "public relations",
    "l&d": "learning development",
    "ld": "learning development",
    "svp": "senior vp",
    "evp": "executive vp",
}

# Acronyms that stand for a whole role; expanded only when the acronym is a whole word.
ROLE_ACRONYMS: dict[str, str] = {
    "bdr": "business development representative",
    "sdr": "sales development representative",
    "isr": "inside sales representative",
    "ae": "account executive",
    "sre": "site reliability engineer",
    "csm": "customer success manager",
    "cse": "customer success engineer",
    "tam": "technical account manager",
    "sa": "solutions architect",
    "pm": "product manager",
    "em": "engineering manager",
    "pmm": "product marketing manager",
    "sdet": "software engineer in test",
    "pse": "professional services engineer",
    "pbp": "people business partner",
    "ea": "executive assistant",
    "eba": "executive business administrator",
    "ceo": "chief executive officer",
    "cfo": "chief financial officer",
    "cto": "chief technology officer",
    "cmo": "chief marketing officer",
    "cro": "chief revenue officer",
    "coo": "chief operating officer",
    "cpo": "chief people officer",
    "ciso": "chief information security officer",
    "clo": "chief legal officer",
    "asm": "area sales manager",
    "rd": "regional director",
    "smb": "small medium business",
    "fmm": "field marketing manager",
    "tw": "technical writer",
    "ux": "user experience",
    "appsec": "application security",
}

# Words that carry no meaning for telling two role names apart.
STOPWORDS = frozenset({"the", "a", "an", "of", "and", "to", "for", "at", "in", "on", "&", "with"})

# A bare heading made only of these is a level of the family, e.g. "### Senior".
LEVEL_WORDS = frozenset(
    {
        "junior", "intermediate", "senior", "staff", "principal", "distinguished", "associate",
        "lead", "fellow", "entry", "sr", "jr", "sr.", "jr.", "mid", "level",
    }
)

# Nouns that make a heading look like a job title rather than a topic.
JOB_NOUNS = frozenset(
    {
        "manager", "managers", "director", "directors", "analyst", "analysts", "engineer",
        "engineers", "specialist", "specialists", "representative", "representatives",
        "administrator", "administrators", "officer", "president", "vp", "lead", "architect",
        "architects", "coordinator", "associate", "partner", "counsel", "recruiter", "recruiters",
        "designer", "designers", "writer", "writers", "researcher", "researchers", "advocate",
        "advocates", "executive", "executives", "accountant", "accountants", "paralegal", "coach",
        "evangelist", "consultant", "agent", "developer", "developers", "assistant", "head",
        "chief", "controller", "sourcer", "secretary", "strategist", "scientist", "programmer",
        "technician", "operator", "auditor", "buyer", "planner", "generalist", "expert", "fellow",
        "intern", "apprentice", "clerk", "bookkeeper", "marketer", "producer", "editor", "owner",
        "ceo", "cfo", "cto", "cmo", "coo", "cro", "ciso", "cpo", "clo", "sre", "bdr", "sdr",
        "ae", "csm", "tam", "administration", "staff", "principal", "champion", "maintainer",
        "investigator", "advisor", "adviser", "translator", "instructor", "trainer", "steward",
    }
)

SLACK_USER = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>")
SLACK_SPECIAL = re.compile(r"<!(?:subteam\^[A-Z0-9]+(?:\|([^>]*))?|[a-z]+(?:\|([^>]*))?)>")
SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")


def clean_slack(text: str) -> str:
    """Reduce Slack markup to what a person typed: mentions dropped, links to their labels."""
    if "<" not in text and "&" not in text:
        return text  # no markup and no entity (most questions): every question is cleaned several times
    text = SLACK_USER.sub(" ", text)
    text = SLACK_CHANNEL.sub(" ", text)  # a channel name is where, not who: keep it out of role matching
    text = SLACK_SPECIAL.sub(" ", text)  # "<!subteam^S1|@recruiters>": who is told, not who is asked about
    text = SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = html.unescape(text)
    return text


def ascii_lower(text: str) -> str:
    """``text`` lower-cased, with the letters ``re.I`` reads as ASCII ones ("İ", "ı", "ſ") made
    them: a plain ``in`` test on it finds what a case-blind pattern would."""
    return text.lower().replace("\u0131", "i").replace("i\u0307", "i").replace("\u017f", "s")


def fold(text: str) -> str:
    """Lowercase ASCII-ish form: accents and curly quotes folded, so typing style does not matter."""
    if text.isascii():
        return text.lower()  # the common case, without a per-character pass
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    return text.lower()


def singular(word: str) -> str:
    """Crude plural folding; applied to both sides, so it only has to be consistent."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "cs")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Meaningful tokens of a role name or query: expanded, singular, without stopwords."""
    return list(_tokens(text))


_VICE_PRESIDENT = re.compile(r"\bvice[\s-]+president")
_POSSESSIVE = re.compile(r"'s\b")
_TOKEN = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    """Cached: the parser and the linker normalise the same few thousand names over and over."""
    text = fold(text)
    text = text.replace("l&d", " ld ")
    if "vice" in text:  # both patterns need their literal text (the folded text is lower case)
        text = _VICE_PRESIDENT.sub("vp", text)
    if "'s" in text:
        text = _POSSESSIVE.sub("", text)
    raw = _TOKEN.findall(text)
    out: list[str] = []
    for word in raw:
        if word in ROLE_ACRONYMS:
            out.extend(ROLE_ACRONYMS[word].split())
            continue
        expanded = WORD_ABBREVIATIONS.get(word) or WORD_ABBREVIATIONS.get(singular(word), word)
        for part in expanded.split():
            if part in STOPWORDS:
                continue
            out.append(singular(part))
    return tuple(out)


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """Canonical, order-preserving key for a role name."""
    return " ".join(tokens(text))


@lru_cache(maxsize=65536)
def key(text: str) -> str:
    """Ordered key with repeats dropped: "Associate CSM" = "Associate Customer Success Manager (CSM)".

    Word order is kept on purpose: "Sr. Sales Operations Manager" and "Senior
    Manager, Sales Operations" are different roles with the same words.
    """
    return " ".join(dict.fromkeys(tokens(text)))


@lru_cache(maxsize=65536)
def bag(text: str) -> str:
    """Order-free key: "Manager, Sales Operations" and "Sales Operations Manager" share it."""
    return " ".join(sorted(set(tokens(text))))


# compiled once, not looked up in re's cache on every call (the parser asks these of every heading)
_IMPLIED_LEVEL = re.compile(r"\s*\((?:intermediate|mid-level)\)\s*$", re.I)
_LEADING_INTERMEDIATE = re.compile(r"^intermediate\s+", re.I)
_SPACES = re.compile(r"\s+")
_LEVEL_WORD = re.compile(r"[a-z.]+")
_TRAILING_BRACKETS = re.compile(r"\s*\([^()]*\)\s*$")
_TOPIC_START = re.compile(r"^(about|what|how|why|who|our|your|working|the team|as an?|q&a|levels?|general$|responsibilities|requirements|being|becoming|joining|life|a day|an? )\b")
_TOPIC_WORDS = re.compile(r"(benefits|compensation|overview|apply|perks|culture)(\s*(&|and)\s*\w+)?")
_PROCESS_END = re.compile(r"\b(candidates?|interviews?|screening|call|initiatives?|process|assessment)$")
_TWO_NAMES = re.compile(r"[a-z]+(?: [a-z]+)? (?:and|&) [a-z]+(?: [a-z]+)?")
_ADDRESSED = re.compile(r"\b(you will|you'll|we are|roles?)$|\byou\b")
_LETTERS = re.compile(r"[a-z]+")
_NOT_SLUG = re.compile(r"[^a-z0-9 _-]")
_SPACE = re.compile(r"\s")


def plain_level_variants(name: str) -> set[str]:
    """"Recruiter (Intermediate)" is what people call "Recruiter": the implied level is dropped."""
    variants = set()
    stripped = _IMPLIED_LEVEL.sub("", name).strip()
    stripped = _LEADING_INTERMEDIATE.sub("", stripped).strip()
    if stripped and stripped != name:
        variants.add(stripped)
    return variants


def clean_heading(text: str) -> str:
    """A heading as a name: no trailing colon, anchors or runs of spaces."""
    text = _SPACES.sub(" ", text).strip()
    return text.rstrip(":").strip()


def is_level_only(text: str) -> bool:
    """``Senior``, ``Staff``, ``Intermediate`` ... a level of the family, not a full role name."""
    words = _LEVEL_WORD.findall(fold(text))
    return bool(words) and all(w.strip(".") in LEVEL_WORDS or w in LEVEL_WORDS for w in words)


def looks_like_role(text: str) -> bool:
    """Whether a heading reads like a job title ("Manager, Sales Operations") and not a topic."""
    folded = fold(text).strip()
    folded = _TRAILING_BRACKETS.sub("", folded) or folded  # "X (Staff level is only obtainable ...)"
    if not folded or "?" in folded or len(folded.split()) > 10:
        return False
    if _TOPIC_START.match(folded):
        return False
    if _TOPIC_WORDS.fullmatch(folded):
        return False  # "## Benefits" is about perks; "Benefits Internal Auditor" is a role
    if _PROCESS_END.search(folded):
        return False
    if _TWO_NAMES.fullmatch(folded) and all(
        w in JOB_NOUNS or w in LEVEL_WORDS or w in ("and", "&") for w in folded.split()
    ):
        return False  # "Manager and Senior Manager": a heading shared by levels
    if _ADDRESSED.search(folded):
        return False
    words = set(_LETTERS.findall(folded))
    return bool(words & JOB_NOUNS)


RANK_WORDS = frozenset(
    {"junior", "senior", "staff", "principal", "distinguished", "associate", "lead", "director",
     "vp", "manager", "chief", "head", "intern", "fellow", "executive"}
)


def ranks(words: list[str] | str) -> frozenset[str]:
    """The seniority words of a name: two names that differ here are different roles, however similar."""
    if isinstance(words, str):
        words = words.split()
    return frozenset(w for w in words if w in RANK_WORDS)


def slug(text: str) -> str:
    """The anchor kramdown gives a heading, so links land on the right section."""
    text = fold(text)
    text = _NOT_SLUG.sub("", text)
    return _SPACE.sub("-", text.strip())
