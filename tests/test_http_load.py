"""The HTTP load benchmark (``benchmarks/http_load.py``) drives two real replicas on one real Redis:
every command acked and answered once, requests spread over both replicas, figures for both loops.

This checks that the benchmark measures what it says; the figures themselves are the benchmark's to
report (BENCHMARKS.md), never asserted here.
"""

from __future__ import annotations

import shutil

from benchmarks.http_load import run_http_load
from conftest import SEEDS


def test_two_replicas_on_one_redis_answer_every_command_of_both_loops(tmp_path, redis_server):
    # redis_server only for its rule on a missing binary (skipped here, failed in CI): the benchmark starts its own.
    pages = tmp_path / "pages"
    shutil.copytree(SEEDS, pages)
    questions = ["what's grade 7?", "who does the Associate Sales Operations Analyst report to?",
                 "who reports to the Manager, Sales Operations?"]
    result = run_http_load(pages, tmp_path / "index.sqlite", tmp_path / "http", questions, concurrency=6, rounds=4,
                           open_rate=20, open_seconds=1.0, workers=1, replicas=2)
    assert "skipped" not in result, result.get("skipped")
    assert result["replicas"] == 2 and result["server_workers"] == 1
    assert result["server_processes"] >= 6  # two fronts, two workers, two indexers
    assert (result["requests"], result["acked_200"], result["answers"], result["busy_acks"]) == (24, 24, 24, 0)
    assert result["answer_errors"] == 0 and not result["timed_out"]
    assert result["front_cpu_ms_per_command"] > 0 and result["server_cpu_ms_per_command"] >= result["front_cpu_ms_per_command"]
    assert result["redis_calls"]["xadd"] == 24 and result["redis_calls"]["xack"] >= 1  # the work went through the stream
    assert result["redis_calls_per_command"] > 0
    # the fronts' own figures over the closed loop: every ack timed server-side, their collections counted
    assert result["front_acks_counted"] == 24 and result["front_acks_over_100ms"] <= 24
    assert set(result["front_gc"]) == {"0", "1", "2"} and all(g["count"] >= 0 for g in result["front_gc"].values())
    assert result["ack_first_command"]["n"] == 6  # each client's first command, which opened its connections
    open_loop = result["open_loop"]
    assert (open_loop["requests"], open_loop["acked_200"], open_loop["answers"]) == (20, 20, 20)
    assert open_loop["front_acks_counted"] == 20
    logs = [tmp_path / "http" / "serve.log", tmp_path / "http" / "serve-2.log"]
    assert all(log.is_file() for log in logs)
    assert (tmp_path / "index-replica2.sqlite").is_file()  # each replica has its own index file
