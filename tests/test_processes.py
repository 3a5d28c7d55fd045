"""Processes Rolecall starts die with it: killing `rolecall index` (SIGKILL, no cleanup) leaves no
parser worker behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_killing_rolecall_index_kills_its_parser_workers(tmp_path: Path):
    pages = tmp_path / "pages"
    pages.mkdir()
    text = (SEEDS / "sales--sales-operations.md").read_text()
    for n in range(1500):  # enough pages to parse in a process pool for a few seconds
        (pages / f"family-{n}.md").write_text(text.replace("Sales Operations", f"Operations {n}"))
    index = subprocess.Popen([sys.executable, "-m", "bot.cli", "index", "--seeds", str(pages), "--db", str(tmp_path / "i.sqlite")],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2:
            assert index.poll() is None, "finished before its workers were seen"
            assert time.monotonic() < deadline, "no parser workers started"
            workers = children(index.pid)
            time.sleep(0.02)
        index.send_signal(signal.SIGKILL)
        index.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(w) for w in workers):
            assert time.monotonic() < deadline, f"workers outlived their parent: {[w for w in workers if alive(w)]}"
            time.sleep(0.05)
    finally:
        if index.poll() is None:
            index.kill()
        for worker in children(index.pid) if index.poll() is None else ():
            os.kill(worker, signal.SIGKILL)
