"""What the parser makes of a folder of pages, as one digest per page: blocks, page and problems.

The snapshot in ``tests/data/parse_snapshot.json`` was written by the markdown-it-py parser before
issue 11 made parsing faster; ``test_parse_snapshot`` holds every later parser to it, so a speed-up
that changes one role, item, line number, fact, problem or suspicion on a real page fails.
A digest (not the whole output) keeps the fixture small; on a mismatch, run this module on the
folder before and after a change (``python tests/parse_snapshot.py OUT.json FOLDER...``) and diff
the two files: they hold the whole canonical output.

Run as a script it writes the whole output, not only the digests, to ``OUT.json``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.page_read import read_source  # noqa: E402
from bot.parse import DEFAULT_BASE_URL, parse_page  # noqa: E402


def canonical(obj: object) -> object:
    """Dataclasses, tuples and sets as plain JSON values; sets sorted, so the form is stable."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(canonical(v) for v in obj)  # type: ignore[type-var]
    return obj


def page_output(path: Path) -> dict[str, object]:
    """Everything parsing one file gives: its Markdown blocks, the page and the problems."""
    source = read_source(path, base_url=DEFAULT_BASE_URL, display_path=path.name)
    page, problems = parse_page(path, base_url=DEFAULT_BASE_URL, display_path=path.name)
    return {
        "blocks": None if isinstance(source, list) else canonical(source.blocks),
        "page": canonical(page),
        "problems": canonical(problems),
    }


def digest(value: object) -> str:
    """A short, stable digest of a canonical value (16 hex digits: enough to tell two outputs apart)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def page_digests(path: Path) -> dict[str, str]:
    """The file's own hash (a changed page is not compared) and one digest per part of the output."""
    output = page_output(path)
    return {"file": hashlib.sha256(path.read_bytes()).hexdigest(), **{part: digest(value) for part, value in output.items()}}


def main(argv: list[str]) -> int:
    out, folders = Path(argv[0]), [Path(f) for f in argv[1:]]
    whole = {f"{folder.name}/{path.name}": page_output(path) for folder in folders for path in sorted(folder.iterdir()) if path.is_file()}
    out.write_text(json.dumps(whole, sort_keys=True, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
