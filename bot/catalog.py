"""What the index holds, for surfaces that show roles rather than answer questions.

Slack's link unfurls, the role picker (a typeahead), role cards and the assistant's
suggested prompts all need the same few things: the role (or family) at a handbook URL,
roles whose names match what a user is typing, a card of one role (grade, whom it reports
to, a one-line summary), the levels of a family with their grades, and when each page last
changed. :class:`Catalog` answers them from one :class:`bot.knowledge.Knowledge`, so there is
one catalog per index version (``Engine.catalog()``).

Freshness (when a page last changed) comes from ``git log`` when the pages folder is inside a
git checkout (a page with uncommitted changes, or not committed at all, falls back to its
modification time), else from the files' modification times. It is computed once per index
version, in a background thread started with the catalog (one ``git log`` for the whole
folder), never per answer.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bot.knowledge import Knowledge
from bot.resolve import FamilyRef, RoleRef

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 200
GIT_TIMEOUT = 20.0
FRESHNESS_WAIT = 10.0  # how long a caller may wait for the first computation (cards, App Home)
ANSWER_WAIT = 1.0  # how long an answer waits for it at most (only right after start-up)
WORD = re.compile(r"[a-z0-9]+")
REPORTS_SENTENCE = re.compile(r"\breports? to\b|\breport to\b|\breporting to\b", re.I)

# The kinds of answer a role card offers a button for: (intent, label, question).
CARD_KINDS: tuple[tuple[str, str, str], ...] = (
    ("responsibilities", "Responsibilities", "What are the responsibilities of the {role}?"),
    ("requirements", "Requirements", "What are the requirements for the {role}?"),
    ("interview_steps", "Interview steps", "What are the interview steps for the {role}?"),
)


@dataclass(frozen=True)
class RoleCard:
    """One role at a glance."""

    role: str
    family: str
    page: str
    url: str
    grades: tuple[int, ...]
    reports_to: tuple[tuple[str, str], ...]  # (name, url or "")
    summary: str


@dataclass(frozen=True)
class Level:
    role: str
    url: str
    grades: tuple[int, ...]


@dataclass(frozen=True)
class FamilyCard:
    """A job family page: its levels, in page order, with their grades."""

    family: str
    page: str
    url: str
    levels: tuple[Level, ...]
    summary: str


class Catalog:
    """Role cards, URL lookups, role search and page freshness for one index version."""

    def __init__(self, kb: Knowledge, seeds_dir: Path | None = None, previous: "Catalog | None" = None) -> None:
        self.kb = kb
        self.seeds_dir = Path(seeds_dir) if seeds_dir else None
        self._descriptions = {r["path"]: r["description"] or "" for r in kb._query("select path, description from pages")}
        self._words = {role.id: WORD.findall(role.name.lower()) for role in kb.roles.values()}
        self._titles = {p["path"]: p["title"] or p["path"] for p in kb.pages.values()}
        # Until this version's freshness is worked out, the previous version's is served (no waiting).
        self._freshness: dict[str, datetime] = dict(previous._freshness) if previous is not None else {}
        self._fresh = threading.Event()
        self._stale_ok = previous is not None and previous._fresh.is_set()
        if self.seeds_dir is None:
            self._fresh.set()
        else:
            threading.Thread(target=self._compute_freshness, name="rolecall-freshness", daemon=True).start()

    # --- lookups ------------------------------------------------------------------

    def at_url(self, url: str) -> RoleCard | FamilyCard | None:
        """The card of what a handbook link points at (:meth:`Knowledge.at_url`), or None."""
        found = self.kb.at_url(url)
        if found is None:
            return None
        return self.card(found) if isinstance(found, RoleRef) else self.family_card(found)

    def title(self, page: str) -> str:
        """A page's title ("Sales Operations Roles"), or its file name."""
        return self._titles.get(page) or page

    def pages(self) -> list[tuple[str, str, datetime | None]]:
        """Every page as (title, url, when it last changed), most recently changed first."""
        changed = self.freshness()
        rows = [(p["title"] or p["path"], p["url"] or "", changed.get(p["path"])) for p in self.kb.pages.values()]
        oldest = datetime.min.replace(tzinfo=timezone.utc)
        return sorted(rows, key=lambda row: (-(row[2] or oldest).timestamp(), row[0]))

    def role(self, name: str, page: str | None = None) -> RoleRef | None:
        return self.kb.role_named(name, page or None) or (self.kb.role_named(name) if page else None)

    def search(self, typed: str, limit: int = 100) -> list[RoleRef]:
        """Roles whose name has every typed word as the start of one of its words (an empty query:
        every role), best first: names that start with the typed text, then shorter names."""
        words = WORD.findall((typed or "").lower())
        found = []
        for role in self.kb.roles.values():
            names = self._words[role.id]
            if all(any(n.startswith(w) for n in names) for w in words):
                starts = bool(words) and bool(names) and names[0].startswith(words[0])
                found.append((not starts, len(role.name), role.name, role.page, role))
        found.sort(key=lambda item: item[:4])
        roles = [item[-1] for item in found[:limit]]
        if len(roles) < limit and words:  # "sales ops mgr": abbreviations, typos, word order, as questions read them
            try:
                res = self.kb.resolver.resolve(typed)
            except Exception:
                log.exception("role search failed for a typeahead query")
                return roles
            more = ([res.role] if res.role else []) + list(res.choices) + list(res.suggestions)
            if res.family is not None:
                more += self.kb.family_roles(res.family)
            seen = {r.id for r in roles}
            for role in more:
                if role.id not in seen and len(roles) < limit:
                    seen.add(role.id)
                    roles.append(role)
        return roles

    def named_in(self, text: str) -> RoleRef | None:
        """The role whose full name appears in ``text`` (a job requisition, a pasted message); the
        longest such name, or None."""
        lowered = " ".join((text or "").lower().split())
        best: RoleRef | None = None
        for role in self.kb.roles.values():
            name = role.name.lower()
            if (best is None or len(name) > len(best.name)) and name in lowered:
                if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", lowered):
                    best = role
        return best

    # --- cards ----------------------------------------------------------------------

    def card(self, role: RoleRef) -> RoleCard:
        grades = tuple(dict.fromkeys(g.grade for g in self.kb.grade_of(role)))
        reports = []
        for report in self.kb.reports_to(role):
            target = report.target_role
            reports.append((target.name, target.url) if target else (report.target, report.target_url or ""))
        return RoleCard(role.name, role.family, role.page, role.url, grades, tuple(dict.fromkeys(reports)), self._summary(role))

    def family_card(self, family: FamilyRef) -> FamilyCard:
        levels = tuple(Level(r.name, r.url, tuple(dict.fromkeys(g.grade for g in self.kb.grade_of(r))))
                       for r in self.kb.family_roles(family))
        return FamilyCard(family.name, family.page, family.page_url, levels, _one_line(self._descriptions.get(family.page, "")))

    def _summary(self, role: RoleRef) -> str:
        """One line about the role: its own first paragraph (not the reports-to sentence), else the
        single-role page's description, else its first responsibility."""
        overview = self.kb.overview(role)
        if overview is not None:
            for line in overview.lines:
                if line.text.strip() and not line.note and not REPORTS_SENTENCE.search(line.text):
                    return _one_line(line.text)
        family = self.kb.family_on(role.page)
        if family is None and self._descriptions.get(role.page):
            return _one_line(self._descriptions[role.page])
        section = self.kb.section(role, "responsibilities")
        if section is not None:
            for line in section.lines:
                if (line.text.strip() and not line.note and not line.text.lower().startswith("extends that of")
                        and not REPORTS_SENTENCE.search(line.text)):
                    return _one_line(line.text)
        return _one_line(self._descriptions.get(role.page, ""))

    # --- suggestions ----------------------------------------------------------------

    def prompts(self, limit: int = 4) -> list[tuple[str, str]]:
        """Up to ``limit`` suggested questions (title, message) made of what the index holds:
        a real role, a real grade, a real family."""
        kb = self.kb
        prompts: list[tuple[str, str]] = []
        with_manager = next((r for r in kb.roles.values() if kb.grade_of(r) and any(t.target_role for t in kb.reports_to(r))), None)
        with_manager = with_manager or next((r for r in kb.roles.values() if any(t.target_role for t in kb.reports_to(r))), None)
        with_manager = with_manager or next((r for r in kb.roles.values() if kb.reports_to(r)), None)
        if with_manager is not None:
            prompts.append((f"Who the {with_manager.name} reports to", f"Who does the {with_manager.name} report to?"))
        grades = kb.all_grades()
        if grades:
            grade = sorted(grades, key=lambda g: (-len(kb.roles_at_grade(g)), g))[0]
            prompts.append((f"Roles at grade {grade}", f"What roles are grade {grade}?"))
        family = max(kb.families, key=lambda f: len(f.role_ids), default=None)
        if family is not None:
            prompts.append((f"Levels in {family.name}", f"What levels are there in {family.name}?"))
        hiring = next((r for r in kb.roles.values() if kb.section(r, "hiring_process") is not None), None)
        if hiring is not None:
            prompts.append((f"Interview steps for {hiring.name}", f"What are the interview steps for {hiring.name}?"))
        return [(title if len(title) <= 75 else title[:74] + "…", message) for title, message in prompts[:limit]]

    # --- freshness ------------------------------------------------------------------

    def changed_at(self, page: str, wait: float = FRESHNESS_WAIT) -> datetime | None:
        """When ``page`` last changed (UTC), or None when unknown. Waits at most ``wait`` seconds for
        the first computation; after a reload the previous version's dates are served meanwhile."""
        if not self._stale_ok:
            self._fresh.wait(wait)
        return self._freshness.get(page)

    def freshness(self, wait: float = FRESHNESS_WAIT) -> dict[str, datetime]:
        """Page -> when it last changed, for every indexed page it is known for."""
        if not self._stale_ok:
            self._fresh.wait(wait)
        return dict(self._freshness)

    def _compute_freshness(self) -> None:
        try:
            assert self.seeds_dir is not None
            pages = sorted({role.page for role in self.kb.roles.values()} | set(self._descriptions))
            found = page_freshness(self.seeds_dir, pages)
            self._freshness = found  # one assignment: readers see the old dict or the new one
        except Exception:  # freshness is a nicety: never let it take anything down
            log.exception("could not work out when the pages last changed")
        finally:
            self._fresh.set()


def page_freshness(folder: Path, pages: list[str]) -> dict[str, datetime]:
    """When each page last changed: its last commit in git (committed, unchanged pages of a git
    checkout), else its modification time."""
    committed = _git_times(folder)
    dirty = _git_dirty(folder) if committed else set()
    result: dict[str, datetime] = {}
    for page in pages:
        if page in committed and page not in dirty:
            result[page] = committed[page]
            continue
        try:
            result[page] = datetime.fromtimestamp((folder / page).stat().st_mtime, timezone.utc)
        except OSError:
            continue
    return result


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _git_times(folder: Path) -> dict[str, datetime]:
    """Path (relative to ``folder``) -> time of the last commit that touched it; {} outside git."""
    if (_git(folder, "rev-parse", "--is-inside-work-tree") or "").strip() != "true":
        return {}
    out = _git(folder, "log", "--format=@%ct", "--name-only", "--relative", "--no-renames", "--", ".")
    times: dict[str, datetime] = {}
    when: datetime | None = None
    for line in (out or "").splitlines():
        if line.startswith("@") and line[1:].isdigit():
            when = datetime.fromtimestamp(int(line[1:]), timezone.utc)
        elif line.strip() and when is not None:
            times.setdefault(line.strip(), when)  # newest first: the first time a path appears is its last change
    return times


def _git_dirty(folder: Path) -> set[str]:
    """Pages with uncommitted changes (their file is newer than their last commit)."""
    out = _git(folder, "status", "--porcelain", "--untracked-files=all", "--", ".")
    prefix = (_git(folder, "rev-parse", "--show-prefix") or "").strip()
    dirty = set()
    for line in (out or "").splitlines():
        path = line[3:].strip().strip('"')
        if " -> " in path:
            path = path.split(" -> ", 1)[1]
        dirty.add(path[len(prefix):] if prefix and path.startswith(prefix) else path)
    return dirty


def _one_line(text: str) -> str:
    """The first sentence (or the first SUMMARY_LIMIT characters) of ``text``, on one line,
    with Markdown links reduced to their labels."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", " ".join((text or "").split()))
    sentence = re.match(r"(.+?[.!?])(\s|$)", text)
    if sentence and len(sentence.group(1)) >= 40:
        text = sentence.group(1)
    if len(text) > SUMMARY_LIMIT:
        text = text[: SUMMARY_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    return text
