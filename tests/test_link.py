"""Incremental linking gives the index a full link would: on a copy of the real handbook, after
edits, additions, removals and renames of pages, every reports-to and "Extends" row points at the
same role (or none) and the same link problems are reported as in an index built from scratch."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot import index as index_module
from bot.index import IndexStore
from conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared handbook corpus is not here")


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    shutil.copytree(CORPUS, folder)
    return folder


def links(db: Path) -> dict[str, object]:
    """What linking decided, by page path, role name and line: ids differ between two files."""
    conn = sqlite3.connect(db)
    try:
        role = {rid: (path, name) for rid, path, name in conn.execute(
            "select r.id, p.path, r.name from roles r join pages p on p.id = r.page_id")}
        reports = sorted((p, role[r][1], line, target, role.get(t), fuzzy) for p, r, line, target, t, fuzzy in conn.execute(
            "select p.path, r.role_id, r.line, r.target, r.target_role_id, r.fuzzy from reports r join pages p on p.id = r.page_id"))
        extends = sorted((p, role[r][1] if r else None, line, target, role.get(t), general, fuzzy)
                         for p, r, line, target, t, general, fuzzy in conn.execute(
            "select p.path, e.role_id, e.line, e.target, e.target_role_id, e.target_family, e.fuzzy "
            "from extends e join pages p on p.id = e.page_id"))
        problems = [tuple(r) for r in conn.execute(
            "select path, line, message, severity from problems where stage = 'link' and message not like '''Extends'' cycle%' "
            "order by path, line, message")]
        cycles = sorted(tuple(sorted(m.split(": ", 1)[1].split(" -> "))) for (m,) in conn.execute(
            "select message from problems where stage = 'link' and message like '''Extends'' cycle%'"))
        return {"reports": reports, "extends": extends, "problems": problems, "cycles": cycles}
    finally:
        conn.close()


def full_link_of(pages: Path, tmp_path: Path, name: str) -> dict[str, object]:
    db = tmp_path / name
    IndexStore(db, pages).sync()
    return links(db)


def rename_role(page: Path, old: str, new: str) -> None:
    text = page.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not on {page.name}"
    page.write_text(text.replace(old, new), encoding="utf-8")


def test_incremental_link_equals_full_link_after_edits_adds_removes_and_renames(pages: Path, tmp_path: Path, monkeypatch):
    db = tmp_path / "live.sqlite"
    store = IndexStore(db, pages)
    store.sync()
    store.close()
    full_calls: list[bool] = []
    real_link = IndexStore._link

    def spy(self: IndexStore, change=None) -> None:
        full_calls.append(change is None)
        real_link(self, change)

    monkeypatch.setattr(IndexStore, "_link", spy)

    def step(label: str) -> None:
        live = IndexStore(db, pages)
        report = live.sync()
        live.close()
        assert report.parsed or report.removed, label
        assert full_calls[-1] is False, f"{label}: the sync linked every row instead of the affected ones"
        expected = full_link_of(pages, tmp_path, f"full-{len(full_calls)}.sqlite")
        got = links(db)
        for key in expected:
            assert got[key] == expected[key], f"{label}: {key} differ from a full link"

    before = links(db)
    assert any(r[4] is not None for r in before["reports"]) and before["problems"], "the corpus links something and misses something"

    # 1. rename a role other pages report to: their rows must follow (or lose) it
    target = next(r for r in before["reports"] if r[4] is not None and r[4][0] != r[0])
    target_page, target_name = target[4]
    rename_role(pages / target_page, target_name, target_name + " Renamed")
    step("rename a role others report to")

    # 2. rename it back: rows elsewhere find it again
    rename_role(pages / target_page, target_name + " Renamed", target_name)
    step("rename it back")

    # 3. remove a page other pages point at, then 4. add it back under another file name
    pointed = {r[4][0] for r in links(db)["reports"] if r[4] is not None and r[4][0] != r[0]}
    gone = sorted(pointed)[0]
    text = (pages / gone).read_text(encoding="utf-8")
    (pages / gone).unlink()
    step("remove a page others point at")
    (pages / ("zz-" + gone)).write_text(text, encoding="utf-8")
    step("add a page back")

    # 5. an unmatched reports-to target becomes a role on a new page (a fuzzy or exact match appears)
    unmatched = next(r for r in links(db)["reports"] if r[4] is None and re.fullmatch(r"[A-Za-z ,&-]{6,60}", r[3] or ""))
    (pages / "zz-new-role.md").write_text(f'---\ntitle: "{unmatched[3].strip()}"\n---\n\n## Responsibilities\n\n- Lead\n',
                                          encoding="utf-8")
    step("add a page defining a role that was missing")

    # 6. another page defines a role others already link to: their links become ambiguous
    linked = [r for r in links(db)["reports"] if r[4] is not None and r[4][0] != r[0]]
    popular = max({r[4] for r in linked}, key=lambda t: sum(1 for r in linked if r[4] == t))
    (pages / "zz-same-name.md").write_text(f'---\ntitle: "Other Roles"\n---\n\n## {popular[1]}\n\n- Also here\n\n'
                                           f'## Some Helper Role\n\n- Helps\n', encoding="utf-8")
    step("add a second page with a role of the same name")

    # 7. edit a reports-to sentence on a page
    page = pages / target[0]
    text = page.read_text(encoding="utf-8")
    page.write_text(text + f"\n\n## Extra Role Nobody Had\n\nThe Extra Role Nobody Had reports to the {target_name}.\n", encoding="utf-8")
    step("edit a page's reports-to lines")


def test_many_changes_at_once_link_everything(pages: Path, tmp_path: Path, monkeypatch):
    """Past FULL_LINK_FROM changed pages, one pass over every row is cheaper, and gives the same."""
    monkeypatch.setattr(index_module, "FULL_LINK_FROM", 2)
    db = tmp_path / "live.sqlite"
    IndexStore(db, pages).sync()
    for page in sorted(pages.glob("*.md"))[:3]:
        page.write_text(page.read_text(encoding="utf-8") + "\n\nEdited.\n", encoding="utf-8")
    live = IndexStore(db, pages)
    assert len(live.sync().parsed) == 3
    live.close()
    assert links(db) == full_link_of(pages, tmp_path, "full.sqlite")
