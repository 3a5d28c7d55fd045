"""Several processes on one index: one writer at a time, nobody reads half a file, nobody stays stale.

Real processes sharing one `--db` / `ROLECALL_DB`: concurrent `rolecall index` runs after a page
change, and two `rolecall serve` replicas with reloading on, whose `/healthz` shows which index
(generation, pages digest) each one serves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import json
from pathlib import Path


import bot.index
from bot.engine import Engine
from bot.index import IndexStore, update_index

from conftest import ROOT
from fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, wait_for_health
from test_reload import SALES_OPS, set_grade
from test_slack_server import SLACK_VARIABLES, free_port


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".building" in p.name or p.name.endswith("-journal"))


def test_concurrent_index_runs_after_a_page_change_all_succeed(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    command = [sys.executable, "-m", "bot.cli", "index", "--seeds", str(pages), "--db", str(db)]
    assert subprocess.run(command, capture_output=True, cwd=ROOT, timeout=60).returncode == 0
    for grade in (9, 10, 11):
        set_grade(pages, grade)
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(3)]
        results = [(run.wait(timeout=60), *run.communicate()) for run in runs]
        for code, out, err in results:
            assert code == 0 and "Traceback" not in err, err
        # exactly one of them did the work; the others found it done
        assert sorted("re-parsed: 1 " in out for _, out, _ in results) == [False, False, True], [r[1] for r in results]
        assert leftovers(tmp_path) == []
        assert f"is grade {grade}." in Engine(pages, db, question_log=False).ask("grade of the manager, sales ops").text


def test_the_process_that_lost_the_race_serves_the_winners_index(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    first, second = Engine(pages, db, question_log=False), Engine(pages, db, question_log=False)
    set_grade(pages, 10)
    assert first.refresh().parsed == ["sales--sales-operations.md"]
    assert second.refresh().parsed == []  # nothing left to do: the file is already current...
    assert "is grade 10." in second.ask("grade of the manager, sales ops").text  # ...and it serves it
    assert second.index_info() == first.index_info()
    assert first.index_info()["generation"] == 2


def fresh_digest(pages: Path, folder: Path) -> str:
    """The pages digest of an index of ``pages`` as they are now, built from nothing."""
    store = IndexStore(folder / "expected.sqlite", pages)
    try:
        store.sync()
        return store.pages_digest()
    finally:
        store.close()


def served_digest(db: Path, pages: Path) -> str:
    store = IndexStore(db, pages)
    try:
        return store.pages_digest()
    finally:
        store.close()


def test_an_edit_landing_after_a_writer_hashed_the_page_is_seen_by_the_next_update(pages: Path, tmp_path: Path, monkeypatch):
    """The race behind a replica that stayed one edit behind: a writer hashes the changed page,
    the page is edited again (here forced in between; in a replica, while its indexer waited for
    the writer lock the other replica's indexer held), then the writer records the page's stamp.
    Read after the edit, that stamp matched every later poll, so the edit was never seen: the
    index kept the older hash (a stale pages digest), and an edit back to that content was taken
    for a touch and never parsed. The stamp recorded is the one read before the hash."""
    db = tmp_path / "index.sqlite"
    update_index(db, pages)
    set_grade(pages, 10)
    page, real_sha = pages / SALES_OPS, bot.index.file_sha
    edits: list[int] = []

    def hash_then_edit(path):
        sha = real_sha(path)
        if Path(path) == page and not edits:
            set_grade(pages, 11)
            moved = page.stat().st_mtime + 2  # a stamp of its own whatever the clock's grain
            os.utime(page, (moved, moved))
            edits.append(11)
        return sha

    monkeypatch.setattr(bot.index, "file_sha", hash_then_edit)
    assert update_index(db, pages).parsed == [SALES_OPS]
    monkeypatch.undo()
    assert edits == [11]

    assert update_index(db, pages).parsed == [SALES_OPS]  # the edit made after the hash
    assert served_digest(db, pages) == fresh_digest(pages, tmp_path)
    set_grade(pages, 10)  # back to the content hashed first: a change, not a touch
    moved = page.stat().st_mtime + 4
    os.utime(page, (moved, moved))
    assert update_index(db, pages).parsed == [SALES_OPS]
    assert "is grade 10." in Engine(pages, db, question_log=False).ask("grade of the manager, sales ops").text


def indexer_lines(output: str) -> str:
    """What a replica's indexer process logged (its updates, its failures), for a failure message."""
    lines = [line for line in output.splitlines() if "indexer" in line or "index" in line.lower()]
    return "\n".join(lines[-40:]) or "(nothing)"


def test_two_replicas_sharing_one_index_both_follow_a_page_change(pages: Path, tmp_path: Path):
    with FakeSlack() as fake:
        ports = [free_port(), free_port()]
        env = {
            **{k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES},
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url,
            "HOST": "127.0.0.1", "ROLECALL_SEEDS": str(pages), "ROLECALL_DB": str(tmp_path / "index.sqlite"),
            "ROLECALL_RELOAD_SECONDS": "0.2",
        }
        servers = [
            subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             env={**env, "PORT": str(port), "ROLECALL_QUESTION_LOG": str(tmp_path / f"q{port}.sqlite")})
            for port in ports
        ]
        stale: list[dict] | None = None
        try:
            urls = [f"http://127.0.0.1:{port}/healthz" for port in ports]
            before = [wait_for_health(url, server, timeout=60) for url, server in zip(urls, servers)]
            assert before[0]["pages_digest"] == before[1]["pages_digest"] != ""
            for grade in (9, 10, 11, 12):
                set_grade(pages, grade)
                time.sleep(0.15)
            expected = fresh_digest(pages, tmp_path)
            deadline = time.monotonic() + 20
            while True:
                now = [json.loads(urllib.request.urlopen(url, timeout=5).read()) for url in urls]
                if all(h["pages_digest"] == expected for h in now):
                    break
                if time.monotonic() >= deadline:
                    stale = now
                    break
                time.sleep(0.2)
        finally:
            for server in servers:
                server.terminate()
            outputs = [server.communicate(timeout=20)[0] for server in servers]
        assert stale is None, (
            f"a replica stayed stale: {stale}, expected {expected}; what each replica's indexer logged:\n"
            + "\n".join(f"--- replica {n} (port {port}):\n{indexer_lines(output)}"
                        for n, (port, output) in enumerate(zip(ports, outputs), 1)))
        assert now[0]["generation"] == now[1]["generation"] > before[0]["generation"]
        for output in outputs:
            assert "Traceback" not in output, output
        assert leftovers(tmp_path) == []
