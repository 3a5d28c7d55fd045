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


from bot.engine import Engine
from bot.index import IndexStore

from conftest import ROOT
from fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, wait_for_health
from test_reload import set_grade
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
        try:
            urls = [f"http://127.0.0.1:{port}/healthz" for port in ports]
            before = [wait_for_health(url, server, timeout=60) for url, server in zip(urls, servers)]
            assert before[0]["pages_digest"] == before[1]["pages_digest"] != ""
            for grade in (9, 10, 11, 12):
                set_grade(pages, grade)
                time.sleep(0.15)
            store = IndexStore(tmp_path / "expected.sqlite", pages)
            store.sync()
            expected = store.pages_digest()
            deadline = time.monotonic() + 20
            while True:
                now = [json.loads(urllib.request.urlopen(url, timeout=5).read()) for url in urls]
                if all(h["pages_digest"] == expected for h in now):
                    break
                assert time.monotonic() < deadline, f"a replica stayed stale: {now}, expected {expected}"
                time.sleep(0.2)
            assert now[0]["generation"] == now[1]["generation"] > before[0]["generation"]
        finally:
            for server in servers:
                server.terminate()
            outputs = [server.communicate(timeout=20)[0] for server in servers]
        for output in outputs:
            assert "Traceback" not in output, output
        assert leftovers(tmp_path) == []
