"""The generic doc-search baseline: every section of every page in a SQLite FTS5 table, top bm25 hit.

This is what a team gets from "put the handbook in a search index": a section is a heading and
the text under it (until the next heading of any level), indexed with its breadcrumb (page title >
H2 > H3 > ...) so that "#### Job Grade" under "### Senior X" still carries "Senior X". A question
is answered by the single best bm25 section for its words (OR-ed, stop words dropped, Porter
stemming). It is judged leniently: the section counts as right when it contains the expected fact
strings (for "roles at grade N in F": every expected role name); "strict" also wants the role asked
about named in the section, since a grade section of the wrong role also contains "grade 7".
Questions whose right answer is "not documented" or "no such role" are left out: a search box
always returns something.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from benchmarks.checks import latency_summary, normalise

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
STOP = frozenset(
    """a an the of to for in on at and or is are was be what whats what's who whom whose which how do does
    did i you we me my our your it its this that these those with as by from please tell about s""".split()
)


def sections_of(path: Path) -> list[tuple[str, str, str]]:
    """(page, breadcrumb, body) for every heading-delimited section of one Markdown page."""
    text = path.read_text(encoding="utf-8", errors="replace")
    title = ""
    match = FRONT_MATTER.match(text)
    if match:
        found = re.search(r'^title:\s*["\']?(.*?)["\']?\s*$', match.group(1), re.M)
        title = found.group(1) if found else ""
        text = text[match.end():]
    out: list[tuple[str, str, str]] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    in_code = False

    def flush() -> None:
        crumb = " > ".join([title] + [h for _, h in stack])
        content = "\n".join(body).strip()
        if content or stack:
            out.append((path.name, crumb, content))

    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
        heading = None if in_code else HEADING.match(line)
        if heading:
            flush()
            body = []
            level = len(heading.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading.group(2)))
        else:
            body.append(line)
    flush()
    return out


class FtsBaseline:
    def __init__(self, pages: Path, db: Path) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        start = time.perf_counter()
        self.conn = sqlite3.connect(db)
        self.conn.execute("create virtual table sections using fts5(page unindexed, heading, body, tokenize='porter unicode61')")
        rows = [row for path in sorted(pages.glob("*.md")) for row in sections_of(path)]
        self.conn.executemany("insert into sections (page, heading, body) values (?, ?, ?)", rows)
        self.conn.commit()
        self.build_s = time.perf_counter() - start
        self.sections = len(rows)

    def top(self, question: str) -> tuple[str, str, str] | None:
        words = [w for w in re.findall(r"[a-z0-9]+", question.lower()) if w not in STOP]
        if not words:
            return None
        query = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
        row = self.conn.execute(
            "select page, heading, body from sections where sections match ? order by bm25(sections) limit 1", [query]
        ).fetchone()
        return row


def needles(q: dict) -> list[str]:
    """What the top section must contain: the expected facts (every role name for grade lists)."""
    if q["kind"] == "grade_in_family":
        return list(q["roles"])
    return list(q.get("facts") or [])


def judgeable(q: dict) -> bool:
    return q["status"] == "answered" and bool(needles(q))


def run_baseline(pages: Path, db: Path, questions: list[dict]) -> dict:
    fts = FtsBaseline(pages, db)
    per_question: list[dict] = []
    for q in questions:
        if not judgeable(q):
            continue
        start = time.perf_counter()
        row = fts.top(q["question"])
        ms = (time.perf_counter() - start) * 1000
        text = normalise(f"{row[1]}\n{row[2]}") if row else ""
        lenient = bool(row) and all(normalise(n) in text for n in needles(q))
        strict = lenient and (not q.get("role") or normalise(q["role"]) in text)
        per_question.append({"id": q["id"], "kind": q["kind"], "ms": ms, "lenient": lenient, "strict": strict})
    n = len(per_question)
    by_kind: dict[str, dict] = {}
    for kind in sorted({r["kind"] for r in per_question}):
        rows = [r for r in per_question if r["kind"] == kind]
        by_kind[kind] = {"n": len(rows), "lenient_pct": 100.0 * sum(r["lenient"] for r in rows) / len(rows),
                         "strict_pct": 100.0 * sum(r["strict"] for r in rows) / len(rows)}
    fts.conn.close()
    return {
        "build_s": fts.build_s,
        "sections": fts.sections,
        "n": n,
        "lenient_pct": 100.0 * sum(r["lenient"] for r in per_question) / n if n else float("nan"),
        "strict_pct": 100.0 * sum(r["strict"] for r in per_question) / n if n else float("nan"),
        "latency": latency_summary(r["ms"] for r in per_question),
        "by_kind": by_kind,
        "ids": [r["id"] for r in per_question],
    }
