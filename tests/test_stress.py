"""The stress script, briefly: `rolecall serve` under signed Slack traffic while its pages change.

`python -m benchmarks.stress` starts the real server in its own process (HTTP mode, 127.0.0.1),
a fake Slack, a temporary copy of the seeds that a thread keeps editing, and concurrent signed
slash commands and mentions; it prints what it saw and exits non-zero on any error or lost row.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_five_seconds_of_traffic_while_pages_change_lose_nothing():
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.stress", "--seconds", "5", "--concurrency", "8"],
        cwd=ROOT, capture_output=True, text=True, timeout=90,
    )

    report = dict(line.split(": ", 1) for line in run.stdout.splitlines() if ": " in line and not line.startswith("problem"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert report["errors"] == "0"
    assert report["lost rows"] == "0"
    assert report["non-2xx"] == "0" and report["client errors"] == "0"
    sent = int(re.match(r"(\d+)", report["requests sent"]).group(1))
    assert sent > 100
    assert report["replies received"].startswith(f"{sent} of {sent} expected (missing 0, duplicated 0, apologies 0")
    assert report["question log rows"].startswith(f"{sent} of {sent} questions sent (lost 0, extra 0)")
    assert report["server"] == "exit 0, tracebacks 0"
    assert report["server delivery"] == f"answers delivered {sent}, answers maybe delivered 0, answers undelivered 0, apologies sent 0, answers lost 0"
    assert int(re.search(r"(\d+) index reloads seen", report["stress"]).group(1)) >= 1  # pages did change under it
    assert re.fullmatch(r"p50 [\d.]+  p95 [\d.]+  p99 [\d.]+", report["ack latency ms"])
    assert report["result"] == "OK"
