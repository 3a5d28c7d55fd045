"""Stage 1, reading: bytes to text, front matter, title, address and Markdown blocks.

Everything that can be wrong with a file as a file (binary, invalid UTF-8,
broken YAML, no title) is decided here and reported with its line, so the
later stages only ever see a readable page.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml

from bot.markdown import Block, parse_blocks
from bot.page_model import Problem

TITLE_SUFFIX = re.compile(
    r"(\s*[-–:]?\s*(job\s+family|job\s+families|roles(\s+at\s+gitlab)?|job\s+description))+\s*$",
    re.I,
)
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?)(?:\r?\n)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


@dataclass
class Source:
    """A page as read from disk: what the structure stage walks."""

    path: str
    title: str
    family: str
    url: str
    sha256: str
    description: str
    blocks: list[Block]
    problems: list[Problem] = field(default_factory=list)


def page_url_for(path: Path, base_url: str, meta: dict[str, object]) -> str:
    """The page's handbook address: front matter ``url``/``permalink``, else from the file name.

    Files are named like the corpus (``sales--sales-operations.md`` for
    ``/job-families/sales/sales-operations/``; a ``jobs--`` prefix for the old
    ``/jobs/`` pages), so the name alone gives the address.
    """
    for key in ("url", "permalink"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            url = value.strip()
            return url if url.startswith("http") else base_url.rstrip("/") + "/" + url.lstrip("/")
    stem = path.name
    for suffix in (".html.md.erb", ".html.md", ".md.erb", ".md", ".markdown", ".txt"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    parts = [p for p in stem.split("--") if p]
    if parts and parts[0] == "jobs":
        return f"{base_url.rstrip('/')}/jobs/{'/'.join(parts[1:])}/"
    return f"{base_url.rstrip('/')}/job-families/{'/'.join(parts)}/"


def family_name(title: str) -> str:
    """"Sales Operations Roles" -> "Sales Operations"; the family a page's roles belong to."""
    name = TITLE_SUFFIX.sub("", title.strip()).strip(" -–:")
    return name or title.strip()


def _line_of_offset(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_page_text(path: Path, problems: list[Problem], raw: bytes | None = None) -> str | None:
    """Decode a page, reporting (not failing on) binary content and invalid UTF-8. ``raw``: the
    file's bytes, already read by a caller that also hashed them (one read: what is parsed is
    what was hashed)."""
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(str(path), 1, f"cannot read file: {exc.strerror or exc}"))
            return None
    if b"\x00" in raw[:8192]:
        problems.append(Problem(str(path), 1, "binary file, not a Markdown page"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(Problem(str(path), line, "invalid UTF-8; undecodable bytes were replaced"))
        text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        problems.append(Problem(str(path), 1, "empty page"))
        return None
    return text


def split_front_matter(path: Path, text: str, problems: list[Problem]) -> tuple[dict[str, object], str, int]:
    """Front matter (via python-frontmatter) and body, plus how many lines the front matter took.

    Broken YAML is reported with its line and the body is still read, with the
    title salvaged from a ``title:`` line when possible: one bad key must not
    lose a page of content.
    """
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text, 0
    offset = _line_of_offset(text, match.end()) - 1
    body = text[match.end():]
    try:
        post = frontmatter.loads(text)
        meta = dict(post.metadata)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        last_yaml_line = offset - 1  # the line before the closing ---
        line = min(mark.line + 2, last_yaml_line) if mark is not None else 2
        reason = getattr(exc, "problem", None) or "invalid YAML"
        problems.append(Problem(str(path), line, f"front matter is not valid YAML ({reason})"))
        title = re.search(r"^title:\s*[\"']?(.*?)[\"']?\s*$", match.group("yaml"), re.M)
        meta = {"title": title.group(1)} if title else {}
    except Exception as exc:  # python-frontmatter raises plain errors for odd input
        problems.append(Problem(str(path), 2, f"front matter unreadable: {exc}"))
        meta = {}
    if not isinstance(meta, dict):
        problems.append(Problem(str(path), 2, "front matter is not a mapping"))
        meta = {}
    return meta, body, offset


def text_sha256(text: str, raw: bytes | None, raw_sha256: str) -> str:
    """The SHA-256 of the decoded text as UTF-8: ``raw_sha256`` when that is exactly the bytes
    hashed (no byte-order mark, nothing replaced), which a fresh build's workers hashed already
    (a second SHA-256 of every page was 1.5% of a worker's instructions; the comparison costs
    a copy), else hashed here."""
    encoded = text.encode("utf-8", "replace")
    if raw_sha256 and encoded == raw:
        return raw_sha256
    return hashlib.sha256(encoded).hexdigest()


def read_source(path: Path, *, base_url: str, display_path: str | None = None,
                raw: bytes | None = None, raw_sha256: str = "") -> Source | list[Problem]:
    """Read one file (or its bytes ``raw``, already read, and ``raw_sha256`` their SHA-256 when
    the caller hashed them) into a :class:`Source`, or the problems that make it unusable."""
    shown = display_path or str(path)
    problems: list[Problem] = []
    text = read_page_text(path, problems, raw)
    for p in problems:
        p.path = shown
    if text is None:
        return problems
    if not FRONT_MATTER.match(text):
        # handbook pages always start with front matter; a README or notes file does not
        problems.append(Problem(shown, 1, "no front matter (---/title/---): not a job page, skipped"))
        return problems
    meta, body, offset = split_front_matter(Path(shown), text, problems)
    url = page_url_for(path, base_url, meta)
    try:
        blocks = parse_blocks(body, base_url=base_url, page_url=url, line_offset=offset)
    except Exception as exc:  # markdown-it is robust; this is a last line of defence
        problems.append(Problem(shown, offset + 1, f"Markdown could not be parsed: {exc}"))
        return problems
    title_value = meta.get("title")
    title = str(title_value).strip() if title_value is not None else ""
    if not title:
        first_h1 = next((b for b in blocks if b.kind == "heading" and b.level == 1 and b.text.strip()), None)
        problems.append(
            Problem(shown, 1, "no title in front matter" + (f"; using heading '{first_h1.text}'" if first_h1 else "; page skipped"))
        )
        if first_h1 is None:
            return problems
        title = first_h1.text
    return Source(
        path=shown,
        title=title,
        family=family_name(title),
        url=url,
        sha256=text_sha256(text, raw, raw_sha256),
        description=str(meta.get("description") or ""),
        blocks=blocks,
        problems=problems,
    )
