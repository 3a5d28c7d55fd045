"""The command line refuses what makes no sense, in one line, and says when a folder holds no pages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS


def rolecall(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args, "--db", str(db)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


@pytest.mark.parametrize(("args", "message"), [
    (["--limit", "-5"], "argument --limit: must be 1 or more, not -5"),
    (["--limit", "0"], "argument --limit: must be 1 or more, not 0"),
    (["--days", "-1"], "argument --days: must be greater than 0, not -1"),
    (["--days", "0"], "argument --days: must be greater than 0, not 0"),
    (["--days", "nan"], "argument --days: must be greater than 0, not nan"),
    (["--limit", "ten"], "argument --limit: not a whole number: 'ten'"),
])
def test_gaps_refuses_counts_that_are_not_positive(tmp_path: Path, args: list[str], message: str):
    result = rolecall("gaps", "--seeds", str(SEEDS), *args, db=tmp_path / "i.sqlite")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "i.sqlite").exists()  # refused before anything was built


def test_gaps_accepts_positive_counts(tmp_path: Path):
    assert rolecall("gaps", "--seeds", str(SEEDS), "--limit", "5", "--days", "0.5", db=tmp_path / "i.sqlite").returncode == 0


@pytest.mark.parametrize("content", [None, "Just notes, no front matter.\n"])
def test_index_warns_about_a_folder_without_job_pages_and_strict_fails(tmp_path: Path, content: str | None):
    pages = tmp_path / "pages"
    pages.mkdir()
    if content:
        (pages / "notes.md").write_text(content)
    relaxed = rolecall("index", "--seeds", str(pages), db=tmp_path / "i.sqlite")
    assert relaxed.returncode == 0
    assert f"rolecall: warning: no job pages in {pages}" in relaxed.stderr
    strict = rolecall("index", "--strict", "--seeds", str(pages), db=tmp_path / "i.sqlite")
    assert strict.returncode == 1
    assert f"rolecall: warning: no job pages in {pages}" in strict.stderr


def test_seeds_naming_a_file_says_it_is_not_a_folder(tmp_path: Path):
    result = rolecall("ask", "--seeds", str(SEEDS / "sales--sales-operations.md"), "help", db=tmp_path / "i.sqlite")
    assert result.returncode == 2
    assert result.stderr.strip() == f"rolecall: the pages folder {SEEDS / 'sales--sales-operations.md'} is a file, not a folder (--seeds / ROLECALL_SEEDS)"
