"""An index location that cannot be written: a folder, a read-only folder, a full disk.

Real processes: `rolecall` as an unprivileged user on a read-only folder, and with a file size
limit (RLIMIT_FSIZE, which the kernel enforces like a full disk: EFBIG where ENOSPC would be).
Each gets one line naming the path, leaves no temporary file or journal behind, and keeps the
old index; a running engine keeps serving and says so once.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS
from test_concurrency import leftovers
from test_files import one_line_error
from test_reload import set_grade

def run(*args: str, preexec=None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, preexec_fn=preexec, env={**os.environ, "HOME": "/tmp"})


def size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    return apply


@pytest.fixture
def place():
    """A folder with pages and an index folder `db/`."""
    root = Path(tempfile.mkdtemp(prefix="rolecall-disk-"))
    shutil.copytree(SEEDS, root / "pages")
    (root / "db").mkdir()
    yield root
    shutil.rmtree(root)


def test_a_folder_given_as_the_index_is_a_one_line_error(place: Path):
    one_line_error(run("index", "--seeds", str(place / "pages"), "--db", str(place / "db")), str(place / "db"), "is a folder")


def test_a_read_only_index_folder_is_a_one_line_error_and_leaves_nothing(place: Path):
    db = place / "db" / "index.sqlite"
    assert run("index", "--seeds", str(place / "pages"), "--db", str(db)).returncode == 0
    set_grade(place / "pages", 11)
    before = sorted(p.name for p in (place / "db").iterdir())
    # the tests run as root, whom permission bits do not stop: make the folder immutable instead
    if subprocess.run(["chattr", "+i", str(place / "db")], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        one_line_error(run("index", "--seeds", str(place / "pages"), "--db", str(db)),
                       f"cannot write the index {db}", "read-only")
    finally:
        subprocess.run(["chattr", "-i", str(place / "db")], check=True)
    assert sorted(p.name for p in (place / "db").iterdir()) == before


def test_a_full_disk_is_a_one_line_error_and_the_old_index_survives(place: Path):
    pages, db = place / "pages", place / "db" / "index.sqlite"
    assert run("index", "--seeds", str(pages), "--db", str(db)).returncode == 0
    old = db.read_bytes()
    text = (pages / "sales--sales-operations.md").read_text()
    for n in range(40):  # enough new pages that the next index no longer fits
        (pages / f"extra--family-{n}.md").write_text(text.replace("Sales Operations", f"Extra Operations {n}"))
    result = run("index", "--seeds", str(pages), "--db", str(db), preexec=size_limit(len(old) + 8192))
    one_line_error(result, f"cannot write the index {db}", "disk")
    assert leftovers(place / "db") == []
    assert db.read_bytes() == old
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma quick_check").fetchone() == ("ok",)


WATCHING = textwrap.dedent("""\
    import logging, resource, signal, sys, time
    from pathlib import Path
    from bot.engine import Engine
    pages, db = Path(sys.argv[1]), Path(sys.argv[2])
    records = []
    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())
    logging.getLogger().addHandler(Keep())
    logging.getLogger().setLevel(logging.INFO)
    engine = Engine(pages, db, question_log=False)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # the edits are written before "the disk fills up" and moved in by rename, which writes no data
    page = pages / "sales--sales-operations.md"
    edits = pages.parent / "edits"
    edits.mkdir()
    text = page.read_text(encoding="utf-8")
    versions = []
    for n in range(20):
        text += chr(10) + f"Edited {n} times." + chr(10)
        versions.append(edits / f"{n}.md")
        versions[-1].write_text(text, encoding="utf-8")
    # "the disk fills up": no write past the first 4 KiB of any file lands (updates go to the -wal
    # file first, from offset 0, so a limit of half the index still let small updates through)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
    engine.watch(interval=0.05)
    for version in versions:
        version.replace(page)
        time.sleep(0.05)
    print("ANSWER", engine.ask("grade of the manager, sales ops").text.split(chr(10))[0])
    print("FAILURES", sum("cannot write the index" in r for r in records))
    print("SAY", [r for r in records if "cannot write the index" in r][:1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))  # space again
    time.sleep(1)
    print("RECOVERED", sum("reloading works again" in r for r in records))
    engine.stop_watching()
""")


def test_a_running_engine_that_cannot_write_keeps_serving_and_says_so_once(place: Path):
    pages, db = place / "pages", place / "db" / "index.sqlite"
    result = subprocess.run([sys.executable, "-c", WATCHING, str(pages), str(db)], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    out = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert out["ANSWER"].startswith("*Manager, Sales Operations* is grade 8."), out
    assert out["FAILURES"] == "1", result.stdout
    assert "; still serving the previous index" in out["SAY"] and "disk" in out["SAY"]
    assert out["RECOVERED"] == "1"
    assert leftovers(place / "db") == []
    assert "Traceback" not in result.stderr
