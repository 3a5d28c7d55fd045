"""The parser's output on every real page and every seed equals the saved snapshot.

The snapshot (``tests/data/parse_snapshot.json``) was written by the markdown-it-py parser as it
was before issue 11 sped parsing up (markdown-it.rs, caches): faster parsing must give the very
same blocks, roles, sections, items, line numbers, facts, problems and suspicions. A page whose
file changed since is not compared; see ``tests/parse_snapshot.py`` to see what differs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import CORPUS, SEEDS
from parse_snapshot import page_digests

SNAPSHOT = json.loads((Path(__file__).parent / "data" / "parse_snapshot.json").read_text(encoding="utf-8"))
FOLDERS = {"corpus": CORPUS, "seeds": SEEDS}


def _path(label: str) -> Path:
    folder, name = label.split("/", 1)
    return FOLDERS[folder] / name


def test_snapshot_covers_the_real_corpus_and_the_seeds():
    assert sum(label.startswith("corpus/") for label in SNAPSHOT) == 143  # 142 job pages and SOURCE.md
    assert {label for label in SNAPSHOT if label.startswith("seeds/")} == {f"seeds/{p.name}" for p in SEEDS.glob("*.md")}


@pytest.mark.parametrize("label", sorted(SNAPSHOT))
def test_page_parses_as_the_snapshot_says(label: str):
    path = _path(label)
    if label.startswith("corpus/") and not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside this checkout")
    expected = SNAPSHOT[label]
    if hashlib.sha256(path.read_bytes()).hexdigest() != expected["file"]:
        pytest.skip(f"{label} changed since the snapshot was written")
    got = page_digests(path)
    for part in ("blocks", "page", "problems"):
        assert got[part] == expected[part], f"{label}: the parser's {part} differ from the snapshot"


def test_a_changed_parse_fails_the_comparison(monkeypatch: pytest.MonkeyPatch):
    """The comparison can fail: one line number off on one item changes the page's digest."""
    import bot.page_structure as structure

    label = "seeds/sales--sales-operations.md"
    real_on_content = structure._StructureReader.on_content

    def shifted(self, block):
        real_on_content(self, block)
        if self.section and self.section.items:
            self.section.items[-1].line += 1

    monkeypatch.setattr(structure._StructureReader, "on_content", shifted)
    assert page_digests(_path(label))["page"] != SNAPSHOT[label]["page"]
