"""When each page last changed: git log in a git checkout (uncommitted pages: their mtime), else mtime."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timezone

from bot.catalog import page_freshness
from bot.engine import Engine

from conftest import SEEDS

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}


def git(folder, *args, date=None):
    env = {**os.environ, **GIT_ENV}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, env=env)


def test_outside_git_a_page_changed_when_its_file_did(tmp_path):
    pages = tmp_path / "pages"
    shutil.copytree(SEEDS, pages)
    when = datetime(2024, 3, 9, 12, 0, tzinfo=timezone.utc).timestamp()
    os.utime(pages / "sales--sales-operations.md", (when, when))

    engine = Engine(pages, tmp_path / "index.sqlite", question_log=False)

    assert engine.catalog().changed_at("sales--sales-operations.md") == datetime(2024, 3, 9, 12, 0, tzinfo=timezone.utc)


def test_in_a_git_checkout_a_page_changed_at_its_last_commit_unless_it_has_uncommitted_changes(tmp_path):
    repo = tmp_path / "handbook"
    pages = repo / "jobs"
    shutil.copytree(SEEDS, pages)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "pages", date="2023-05-01T10:00:00+00:00")
    (pages / "sales--inside-sales-mid-market.md").write_text((pages / "sales--inside-sales-mid-market.md").read_text() + "\nMore.\n")
    git(repo, "commit", "-qam", "inside sales", date="2023-06-02T10:00:00+00:00")
    dirty = pages / "jobs--director-of-sales-operations.md"
    dirty.write_text(dirty.read_text() + "\n")
    os.utime(dirty, (datetime(2025, 1, 2, tzinfo=timezone.utc).timestamp(),) * 2)
    names = sorted(p.name for p in pages.glob("*.md"))

    found = page_freshness(pages, names)

    assert found["sales--sales-operations.md"].date().isoformat() == "2023-05-01"
    assert found["sales--inside-sales-mid-market.md"].date().isoformat() == "2023-06-02"
    assert found["jobs--director-of-sales-operations.md"].date().isoformat() == "2025-01-02"  # uncommitted: mtime
