"""The in-process measurements, run in a child process so that its peak RSS is Rolecall's alone.

``python -m benchmarks.measure --corpus DIR --db FILE --seeds DIR --seed-questions FILE --out FILE``
builds a fresh index of ``DIR/pages`` (timed), changes one page and refreshes (timed; only that
page may be re-parsed), asks every question of ``DIR/facts.json`` through ``Engine.ask`` (timed
one by one, judged against the expected facts), asks the large-result question ("what's grade 7?"),
asks the seed questions against the bundled pages, and writes everything as JSON to ``--out``.
``benchmarks.run`` starts it; it is not meant to be run by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import resource
import sys
import time
from pathlib import Path

from benchmarks.checks import accuracy_summary, judge, latency_summary, normalise

WARMUP = 20
LARGE_RESULT_QUESTION = "what's grade 7?"


def rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_s() -> float:
    """CPU seconds used by this process and its finished children (parse workers) so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def ask_all(engine, questions: list[dict]) -> tuple[list[dict], list[dict]]:
    """Every question once, timed; returns per-question results and the failures in detail."""
    results: list[dict] = []
    failures: list[dict] = []
    for q in questions:
        start = time.perf_counter()
        answer = engine.ask(q["question"])
        ms = (time.perf_counter() - start) * 1000
        got = answer.to_dict()
        wrong = judge(got, q)
        results.append({"id": q["id"], "kind": q["kind"], "ms": ms, "wrong": wrong})
        if wrong:
            failures.append({
                "id": q["id"], "kind": q["kind"], "question": q["question"], "wrong": wrong,
                "expected": {k: q.get(k) for k in ("intent", "status", "roles", "facts")},
                "got": {"intent": got["intent"], "status": got["status"], "roles": got["roles"][:10],
                        "text": got["text"][:400]},
            })
    return results, failures


def measure(corpus: Path, db: Path, seeds: Path, seed_questions: Path, seeds_db: Path) -> dict:
    from bot.engine import Engine  # imported here so the import cost is not part of any figure

    facts = json.loads((corpus / "facts.json").read_text(encoding="utf-8"))
    pages = corpus / "pages"
    out: dict = {"rss_mb_at_start": rss_mb()}

    # --- full build: a fresh Engine on an empty index file
    remove_db(db)
    out["load"] = {"before_build": load1()}
    cpu = cpu_s()
    start = time.perf_counter()
    engine = Engine(pages, db)
    out["build_s"] = time.perf_counter() - start
    out["build_cpu_s"] = cpu_s() - cpu
    out["load"]["after_build"] = load1()
    out["rss_mb_after_build"] = rss_mb()
    stats = engine.stats()
    out["index"] = {k: v for k, v in stats.items() if k != "problems"}
    out["index"]["problems_count"] = len(stats.get("problems") or [])
    out["index"]["problems_sample"] = (stats.get("problems") or [])[:10]
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        indexed = {row[0] for row in conn.execute("select name from roles")}
    finally:
        conn.close()
    out["missing_roles"] = sorted(r["name"] for r in facts["roles"] if r["name"] not in indexed)

    # --- one page changes: only it may be re-parsed, and the change must be answerable
    edit = facts["edit"]
    path = pages / edit["page"]
    text = path.read_text(encoding="utf-8")
    if edit["old"] in text:
        path.write_text(text.replace(edit["old"], edit["new"], 1), encoding="utf-8")
    cpu = cpu_s()
    start = time.perf_counter()
    report = engine.refresh()
    rebuild_s = time.perf_counter() - start
    rebuild_cpu = cpu_s() - cpu
    out["load"]["after_rebuild"] = load1()
    changed = engine.ask(edit["question"]).to_dict()
    start = time.perf_counter()
    noop = engine.refresh()
    noop_s = time.perf_counter() - start
    out["rebuild"] = {
        "seconds": rebuild_s,
        "cpu_s": rebuild_cpu,
        "parsed": list(report.parsed),
        "only_edited_page": list(report.parsed) == [edit["page"]],
        "full_rebuild": bool(report.full_rebuild),
        "change_answered": normalise(edit["fact"]) in normalise(changed["text"]),
        "noop_refresh_s": noop_s,
        "noop_parsed": len(noop.parsed),
    }

    # --- answers: a short untimed warm-up, then every question once
    questions = facts["questions"]
    for q in questions[:WARMUP]:
        engine.ask(q["question"])
    cpu = cpu_s()
    start = time.perf_counter()
    results, failures = ask_all(engine, questions)
    out["answer_wall_s"] = time.perf_counter() - start
    out["answer_cpu_s"] = cpu_s() - cpu
    out["load"]["after_answers"] = load1()
    kinds = sorted({r["kind"] for r in results})
    out["latency"] = {
        "overall": latency_summary(r["ms"] for r in results),
        "by_kind": {k: latency_summary(r["ms"] for r in results if r["kind"] == k) for k in kinds},
    }
    out["accuracy"] = accuracy_summary(results)
    out["results"] = [{"id": r["id"], "kind": r["kind"], "ms": round(r["ms"], 3), "wrong": r["wrong"]} for r in results]
    out["failures"] = failures
    out["rss_mb_after_answers"] = rss_mb()
    out["current_rss_mb_after_answers"] = current_rss_mb()

    # --- a large result stays fast and readable: a count, the first few, how to narrow
    start = time.perf_counter()
    big = engine.ask(LARGE_RESULT_QUESTION).to_dict()
    ms = (time.perf_counter() - start) * 1000
    match = re.search(r"(\d+) roles? (?:are|is) at grade", big["text"])
    out["large_result"] = {
        "question": LARGE_RESULT_QUESTION,
        "ms": ms,
        "status": big["status"],
        "chars": len(big["text"]),
        "lines": big["text"].count("\n") + 1,
        "count_stated": int(match.group(1)) if match else None,
        "roles_in_answer": len(big["roles"]),
        "has_narrowing_hint": bool(re.search(r"narrow", big["text"], re.I)),
        "text_head": big["text"][:300],
    }

    # --- the same judging on the bundled seed pages
    seed_qs = json.loads(seed_questions.read_text(encoding="utf-8"))["questions"]
    remove_db(seeds_db)
    seed_engine = Engine(seeds, seeds_db)
    seed_results, seed_failures = ask_all(seed_engine, seed_qs)
    out["seeds"] = {"accuracy": accuracy_summary(seed_results), "failures": seed_failures}
    out["rss_mb_peak"] = rss_mb()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.measure")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--seed-questions", type=Path, required=True)
    parser.add_argument("--seeds-db", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    # the index logs every page problem at WARNING on refresh; the counts are in the report instead
    logging.getLogger("bot").setLevel(logging.ERROR)
    result = measure(args.corpus, args.db, args.seeds, args.seed_questions, args.seeds_db)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
