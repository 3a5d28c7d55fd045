"""The SQLite index: what it holds, when it is rebuilt, and what it reports."""

from __future__ import annotations

from pathlib import Path


from bot.engine import Engine
from bot.index import IndexStore

from conftest import SEEDS, write_page
from test_files import damage


def test_seed_counts(engine: Engine):
    stats = engine.stats()
    assert (stats["pages"], stats["roles"], stats["grades"], stats["reports_to"], stats["hiring_processes"]) == (5, 21, 8, 8, 2)
    assert stats["problems"] == []
    assert stats["indexed_at"]


def test_unchanged_pages_are_reused(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    first = IndexStore(db, pages).sync()
    assert len(first.parsed) == 5
    second = IndexStore(db, pages).sync()
    assert (second.parsed, second.reused) == ([], 5)


def test_a_changed_page_is_reparsed_alone_and_answers_change(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    engine = Engine(pages, db)
    assert "is grade 8." in engine.ask("grade of the manager, sales operations").text
    page = pages / "sales--sales-operations.md"
    page.write_text(page.read_text().replace("The Manager, Sales Operations is a [grade 8]", "The Manager, Sales Operations is a [grade 9]"))
    report = engine.refresh()
    assert report.parsed == ["sales--sales-operations.md"] and report.reused == 4
    assert "is grade 9." in engine.ask("grade of the manager, sales operations").text


def test_removed_and_added_pages(pages: Path, tmp_path: Path):
    engine = Engine(pages, tmp_path / "index.sqlite")
    (pages / "jobs--business-development-representative.md").unlink()
    write_page(pages, "people--recruiter.md", "---\ntitle: Recruiter\n---\n\nThe Recruiter reports to the Director of Sales Operations.\n")
    report = engine.refresh()
    assert report.removed == ["jobs--business-development-representative.md"]
    assert report.parsed == ["people--recruiter.md"]
    assert engine.ask("who does the BDR report to").status == "not_found"
    reports = engine.ask("who reports to the Director of Sales Operations?")
    assert "[Recruiter](" in reports.text and "[Sales Administrator- North America](" in reports.text


def test_index_lives_outside_a_read_only_pages_folder(pages: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ROLECALL_DB", raising=False)
    pages.chmod(0o555)
    try:
        engine = Engine(pages)
        assert engine.db_path.is_relative_to(tmp_path / "cache")
        assert engine.ask("what's grade 7?").status == "answered"
        assert sorted(p.name for p in pages.iterdir()) == sorted(p.name for p in SEEDS.iterdir())
    finally:
        pages.chmod(0o755)


def test_db_path_from_environment(pages: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ROLECALL_DB", str(tmp_path / "custom.sqlite"))
    engine = Engine(pages)
    assert engine.db_path == tmp_path / "custom.sqlite" and engine.db_path.exists()


def test_a_corrupt_index_file_is_rebuilt_not_served(pages: Path, tmp_path: Path):
    """Damaged pages behind an intact header (the file is provably ours): rebuilt. Anything
    else at the path is not ours to delete (tests/test_files.py)."""
    db = tmp_path / "index.sqlite"
    Engine(pages, db, question_log=False)
    damage(db)
    engine = Engine(pages, db)
    assert engine.stats()["roles"] == 21
    assert "is grade 8." in engine.ask("grade of the manager, sales operations").text


def test_broken_pages_are_reported_and_the_rest_still_loads(pages: Path, tmp_path: Path):
    write_page(pages, "broken-yaml.md", "---\ntitle: [Unclosed\n---\n\n## Responsibilities\n- x\n")
    write_page(pages, "notes.md", "Just some notes, no front matter.\n")
    (pages / "image.md").write_bytes(b"\x00\x01\x02binary")
    write_page(pages, "loop--a.md", """---
title: Loop Roles
---
### Alpha Analyst
#### Alpha Analyst Responsibilities
- Extends that of the Beta Analyst Responsibilities
- Alpha work
### Beta Analyst
#### Beta Analyst Responsibilities
- Extends that of the Alpha Analyst Responsibilities
- Beta work
### Gamma Analyst
#### Gamma Analyst Responsibilities
- Extends that of the Omega Analyst Responsibilities
""")
    engine = Engine(pages, tmp_path / "index.sqlite")
    problems = engine.stats()["problems"]
    assert any(p.startswith("broken-yaml.md:2: front matter is not valid YAML") for p in problems)
    assert "notes.md:1: no front matter (---/title/---): not a job page, skipped" in problems
    assert "image.md:1: binary file, not a Markdown page" in problems
    assert any(p.startswith("loop--a.md:") and "'Extends' cycle in responsibilities: Alpha Analyst -> Beta Analyst -> Alpha Analyst" in p for p in problems)
    assert any("no role named 'Omega Analyst' to extend" in p for p in problems)
    assert engine.stats()["roles"] == 21 + 1 + 3  # seeds + the salvaged broken-yaml page + the loop page
    # the cycle is shown once and stops; nothing loops forever
    answer = engine.ask("responsibilities of the alpha analyst")
    assert "Alpha work" in answer.text and "Beta work" in answer.text
    assert "(not repeated: Alpha Analyst extends back to this role)" in answer.text


def test_base_url_is_configurable(pages: Path, tmp_path: Path):
    engine = Engine(pages, tmp_path / "index.sqlite", base_url="https://handbook.example.com")
    answer = engine.ask("requirements for the BDR")
    assert "[values](https://handbook.example.com/handbook/#values)" in answer.text
    assert answer.sources[0].url.startswith("https://handbook.example.com/jobs/business-development-representative/")


def test_touched_pages_are_hashed_once_then_known_by_their_new_stamp(pages: Path, tmp_path: Path, monkeypatch):
    """A checkout or a copy without times touches every page: the next refresh hashes them to find
    nothing changed, records their new stamps, and later refreshes and starts read none of them."""
    import os

    import bot.index as index

    db = tmp_path / "index.sqlite"
    engine = Engine(pages, db, question_log=False)
    generation = engine.generation
    for page in pages.glob("*.md"):
        os.utime(page, (page.stat().st_atime, page.stat().st_mtime + 100))
    hashed: list[str] = []
    real_sha = index.file_sha
    monkeypatch.setattr(index, "file_sha", lambda path: hashed.append(str(path)) or real_sha(path))
    report = engine.refresh()
    assert not report.parsed and len(hashed) == len(list(pages.glob("*.md"))) == 5
    hashed.clear()
    assert not engine.refresh().parsed and hashed == []
    assert Engine(pages, db, question_log=False).generation == generation == engine.generation  # no new version
    assert hashed == []
    write_page(pages, "sales--sales-operations.md", (pages / "sales--sales-operations.md").read_text() + "\nEdited.\n")
    assert engine.refresh().parsed == ["sales--sales-operations.md"] and len(hashed) == 1
