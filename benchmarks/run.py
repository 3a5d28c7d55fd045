"""Rolecall at handbook scale: every figure of issue 4 in one run, with its target and PASS/FAIL.

    python -m benchmarks.run [--families 1000] [--questions 2000] [--seed 7] [--workdir DIR]
                             [--http-concurrency 50] [--http-rounds 4] [--json-out FILE]

Steps: generate the corpus (``benchmarks.generate``) into the work folder; in a child process
(so its peak RSS is Rolecall's alone) build a fresh index, change one page and refresh, answer
every generated question through ``Engine.ask`` and the seed questions on ``seeds/``
(``benchmarks.measure``); start a new process that opens the existing index and answers one
question (cold start, three times, median); run the plain SQLite FTS5 section search on the same
questions (``benchmarks.baseline``); load ``rolecall serve`` in HTTP mode with concurrent signed
slash commands and a fake Slack Web API (``benchmarks.http_load``). Then print one table and, with
``--json-out``, write every figure as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from benchmarks.baseline import run_baseline
from benchmarks.generate import generate
from benchmarks.http_load import run_http_load

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_QUESTIONS = Path(__file__).resolve().parent / "seed_questions.json"
COLD_START_RUNS = 3

# The targets (2 cores): name -> (limit, unit, description)
TARGETS = {
    "build_s": (10.0, "s", "< 10 s"),
    "rebuild_s": (1.0, "s", "< 1 s"),
    "cold_start_s": (1.0, "s", "< 1 s"),
    "p50_ms": (5.0, "ms", "< 5 ms"),
    "p99_ms": (20.0, "ms", "< 20 ms"),
    "rss_mb": (200.0, "MB", "< 200 MB"),
    "accuracy_gap_pts": (2.0, "pts", "generated >= seeds - 2 pts"),
    "ack_p99_ms": (100.0, "ms", "< 100 ms"),
}

COLD_START_SCRIPT = """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from bot.engine import Engine
t1 = time.perf_counter()
engine = Engine(Path(sys.argv[1]), Path(sys.argv[2]))
t2 = time.perf_counter()
answer = engine.ask(sys.argv[3])
t3 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0, "engine_s": t2 - t1, "ask_s": t3 - t2,
    "parsed": len(engine.last_sync.parsed), "full_rebuild": bool(engine.last_sync.full_rebuild),
    "opened_from": getattr(engine.kb, "opened_from", ""),
    "status": answer.status, "roles": answer.roles[:3],
    "rss_mb": peak_rss_mb(),
}))
"""
# ru_maxrss of a child starts at its parent's RSS at fork (Linux), so the cold-start process would
# report the benchmark's own size (the generated corpus in memory); VmHWM is this image's own peak.
COLD_START_SCRIPT = """
import resource
def peak_rss_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
""" + COLD_START_SCRIPT


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    try:
        sqlite_version = __import__("sqlite3").sqlite_version
    except Exception:
        sqlite_version = ""
    return {"nproc": usable, "cpu_count": os.cpu_count(), "cpu_model": cpu, "memory_gb": round(mem_gb, 1),
            "python": platform.python_version(), "platform": platform.platform(), "sqlite": sqlite_version}


def core_version() -> dict[str, str]:
    """Which Rolecall was measured: the commit, whether the core differs from it, a hash of its code."""
    digest = hashlib.sha256()
    files = sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/*.py")])
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "--short", "HEAD"), "core_changed_since_commit": bool(git("status", "--porcelain", "--", "bot", "handlers")),
            "core_code_sha256": digest.hexdigest()[:16]}


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def measure_in_child(corpus: Path, db: Path, workdir: Path) -> dict:
    out = workdir / "measure.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.measure", "--corpus", str(corpus), "--db", str(db), "--seeds", str(SEEDS),
           "--seed-questions", str(SEED_QUESTIONS), "--seeds-db", str(workdir / "seeds-index.sqlite"), "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, env=child_env(), check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def cold_start(pages: Path, db: Path, question: str, workdir: Path | None = None) -> dict:
    """A new process opens the existing index and answers one question, three times (median).

    Measured as a deployed process runs: with Rolecall's bytecode compiled. The environment may
    forbid writing it (``PYTHONDONTWRITEBYTECODE``, as on the machine these figures come from), so
    the runs get their own bytecode cache (``PYTHONPYCACHEPREFIX`` in the workdir), filled by one
    untimed first run; that run is reported too (``first_run``), and so is one run without any
    cached bytecode (``no_bytecode``), which compiles every module it imports."""
    cache = Path(workdir or tempfile.mkdtemp(prefix="rolecall-pycache-")) / "pycache"
    cached = {k: v for k, v in child_env().items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(cache)
    uncached = {**child_env(), "PYTHONDONTWRITEBYTECODE": "1"}
    uncached.pop("PYTHONPYCACHEPREFIX", None)
    first = cold_start_once(pages, db, question, cached)
    runs = [cold_start_once(pages, db, question, cached) for _ in range(COLD_START_RUNS)]
    no_bytecode = cold_start_once(pages, db, question, uncached)
    return {
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "index_mb": index_size_mb(db),
        "runs": runs,
        "first_run": first,
        "no_bytecode": no_bytecode,
        "rss_mb": max(r["rss_mb"] for r in runs),
        "reparsed_any": any(r["parsed"] or r["full_rebuild"] for r in [first, *runs, no_bytecode]),
    }


def cold_start_once(pages: Path, db: Path, question: str, env: dict[str, str]) -> dict:
    """One new process: its own timings (import, open, ask), its wall time and whole CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", COLD_START_SCRIPT, str(pages), str(db), question],
                          cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    inner = json.loads(done.stdout.strip().splitlines()[-1])
    inner["wall_s"] = wall
    # the whole process's CPU (user + system): comparable on a busy machine, unlike the wall
    inner["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    inner["load1"] = os.getloadavg()[0]
    return inner


def index_size_mb(db: Path) -> float:
    """The index file and its WAL side files, in MB: what a one-page change copies or fsyncs
    grows with it, and the file is read by every check."""
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()) / 1e6


# --------------------------------------------------------------------------- the table


def verdict(value: float, limit: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return "PASS" if value < limit else "FAIL"


def fmt(value: Any, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.{digits}f}{(' ' + unit) if unit else ''}"
    return f"{value}{(' ' + unit) if unit else ''}"


def build_rows(r: dict) -> list[dict]:
    """One row per figure: figure, value, target, result ("" for figures without a target)."""
    m, rows = r["measure"], []
    http_concurrency = r["meta"].get("http_concurrency", 50)

    def row(figure: str, value: str, target: str = "", result: str = "", key: str = "", raw: Any = None) -> None:
        rows.append({"figure": figure, "value": value, "target": target, "result": result, "key": key, "raw": raw})

    idx = m["index"]
    row("corpus", f"{r['corpus']['pages']} pages, {r['corpus']['roles_count']} roles generated; "
        f"{idx.get('pages')} pages, {idx.get('roles')} roles indexed; {idx.get('problems_count')} problems", key="corpus")
    missing = m.get("missing_roles", [])
    row("  every generated role is in the index", f"{len(missing)} missing" + (": " + ", ".join(missing[:3]) + (" ..." if len(missing) > 3 else "") if missing else ""),
        "0 missing", "PASS" if not missing else "FAIL", "missing_roles", missing)
    row("full index build (fresh Engine)", fmt(m["build_s"], "s") + f" (CPU {m['build_cpu_s']:.1f} s incl. parse workers)",
        TARGETS["build_s"][2], verdict(m["build_s"], 10.0), "build_s", m["build_s"])
    rb = m["rebuild"]
    row("one-page rebuild (edit + refresh)", fmt(rb["seconds"], "s") + f" (CPU {rb['cpu_s']:.1f} s)", TARGETS["rebuild_s"][2],
        verdict(rb["seconds"], 1.0), "rebuild_s", rb["seconds"])
    row("  only the edited page re-parsed", f"{len(rb['parsed'])} re-parsed: {', '.join(rb['parsed'][:3])}",
        "exactly 1", "PASS" if rb["only_edited_page"] else "FAIL", "rebuild_only_edited", rb["only_edited_page"])
    row("  the change is answered", "yes" if rb["change_answered"] else "no", "yes", "PASS" if rb["change_answered"] else "FAIL",
        "rebuild_change_answered", rb["change_answered"])
    row("  refresh with nothing changed", fmt(rb["noop_refresh_s"], "s"), key="noop_refresh_s", raw=rb["noop_refresh_s"])
    cs = r["cold_start"]
    inner = min(cs["runs"], key=lambda x: x["wall_s"])
    row("start to first answer (new process, existing index)", fmt(cs["wall_s"], "s") +
        f" (median of {len(cs['runs'])}; import {inner['import_s']:.2f} + open {inner['engine_s']:.2f} + ask {inner['ask_s']:.3f}; "
        f"CPU {cs['cpu_s']:.2f} s; index {cs['index_mb']:.0f} MB; opened from {inner.get('opened_from') or '?'}"
        + (f"; without cached bytecode {cs['no_bytecode']['wall_s']:.2f} s, CPU {cs['no_bytecode']['cpu_s']:.2f} s"
           if cs.get("no_bytecode") else "") + ")",
        TARGETS["cold_start_s"][2], verdict(cs["wall_s"], 1.0) if not cs["reparsed_any"] else "FAIL (re-parsed)", "cold_start_s", cs["wall_s"])
    lat = m["latency"]["overall"]
    row(f"answer latency p50, all intents (n={lat['n']})", fmt(lat["p50_ms"], "ms"), TARGETS["p50_ms"][2], verdict(lat["p50_ms"], 5.0), "p50_ms", lat["p50_ms"])
    row("answer latency p95, all intents", fmt(lat["p95_ms"], "ms") + f" (CPU {1000 * m['answer_cpu_s'] / lat['n']:.1f} ms a question on average)",
        key="p95_ms", raw=lat["p95_ms"])
    row("answer latency p99, all intents", fmt(lat["p99_ms"], "ms"), TARGETS["p99_ms"][2], verdict(lat["p99_ms"], 20.0), "p99_ms", lat["p99_ms"])
    for kind, s in m["latency"]["by_kind"].items():
        ok = verdict(s["p50_ms"], 5.0) == "PASS" and verdict(s["p99_ms"], 20.0) == "PASS"
        row(f"  {kind} (n={s['n']}) p50 / p95 / p99", f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f} ms",
            "p50 < 5, p99 < 20 ms", "PASS" if ok else "FAIL", f"latency_{kind}", s)
    big = m["large_result"]
    readable = big["status"] == "answered" and big["count_stated"] is not None and big["has_narrowing_hint"] and big["chars"] <= 3000
    row(f"large result \"{big['question']}\"", f"{big['ms']:.1f} ms; says {big['count_stated']} roles, "
        f"{big['lines']} lines / {big['chars']} chars, narrowing hint: {'yes' if big['has_narrowing_hint'] else 'no'}",
        "count + first few + how to narrow", "PASS" if readable else "FAIL", "large_result", big)
    rss_in, rss_cold = m["rss_mb_peak"], cs["rss_mb"]
    rss_http = r["http"].get("server_peak_rss_mb", float("nan")) if "skipped" not in r["http"] else float("nan")
    row("peak RSS, in-process (build + answers)", fmt(rss_in, "MB", 0) + f" (after build {m['rss_mb_after_build']:.0f} MB)",
        TARGETS["rss_mb"][2], verdict(rss_in, 200.0), "rss_in_process_mb", rss_in)
    row("peak RSS, cold start (open index + 1 answer)", fmt(rss_cold, "MB", 0), TARGETS["rss_mb"][2], verdict(rss_cold, 200.0), "rss_cold_mb", rss_cold)
    row("peak RSS, rolecall serve under HTTP load", fmt(rss_http, "MB", 0), TARGETS["rss_mb"][2], verdict(rss_http, 200.0), "rss_http_mb", rss_http)
    acc, seeds = m["accuracy"], m["seeds"]["accuracy"]
    gap = seeds["accuracy_pct"] - acc["accuracy_pct"]
    row(f"accuracy, generated questions (n={acc['n']})", f"{acc['accuracy_pct']:.1f} % ({acc['right']}/{acc['n']})", key="accuracy_generated_pct", raw=acc["accuracy_pct"])
    for kind, s in acc["by_kind"].items():
        row(f"  {kind} (n={s['n']})", f"{s['accuracy_pct']:.1f} %", key=f"accuracy_{kind}", raw=s["accuracy_pct"])
    row(f"accuracy, seed questions (n={seeds['n']})", f"{seeds['accuracy_pct']:.1f} % ({seeds['right']}/{seeds['n']})", key="accuracy_seeds_pct", raw=seeds["accuracy_pct"])
    row("accuracy gap, seeds minus generated", f"{gap:+.1f} pts", TARGETS["accuracy_gap_pts"][2], "PASS" if gap <= 2.0 else "FAIL", "accuracy_gap_pts", gap)
    b = r["baseline"]
    ours_same = r["ours_on_baseline_subset"]
    if "skipped" in b:
        row("baseline FTS5 top section", "not measured: " + b["skipped"], key="baseline_accuracy")
    else:
        baseline_rows(row, b, ours_same)
    h = r["http"]
    http_rows(row, h, http_concurrency)
    return rows


def baseline_rows(row: Callable[..., None], b: dict, ours_same: dict) -> None:
    """The FTS5 baseline's rows (left out with --skip-baseline, which saves minutes at 3,000 families)."""
    row(f"baseline FTS5 top section, accuracy (n={b['n']}, lenient / strict)", f"{b['lenient_pct']:.1f} % / {b['strict_pct']:.1f} %",
        key="baseline_accuracy", raw={"lenient": b["lenient_pct"], "strict": b["strict_pct"]})
    row("Rolecall on the same questions (facts only / full check)", f"{ours_same['facts_only_pct']:.1f} % / {ours_same['full_pct']:.1f} %",
        key="ours_on_baseline_subset", raw=ours_same)
    row("baseline FTS5 latency p50 / p99", f"{b['latency']['p50_ms']:.2f} / {b['latency']['p99_ms']:.2f} ms "
        f"(index {b['sections']} sections in {b['build_s']:.2f} s)", key="baseline_latency", raw=b["latency"])


def http_rows(row: Callable[..., None], h: dict, http_concurrency: int) -> None:
    """The HTTP load's rows."""
    if "skipped" in h:
        for figure in ("HTTP ack p50", "HTTP ack p99", "HTTP answers per second"):
            target = TARGETS["ack_p99_ms"][2] if figure == "HTTP ack p99" else ""
            row(f"{figure} ({http_concurrency} concurrent slash commands)", "not measured: " + h["skipped"], target,
                "n/a" if target else "", figure.lower().replace(" ", "_"))
    else:
        seq = h["ack_sequential"]
        row(f"HTTP ack one at a time, p50 / p99 (n={seq['n']}, reference)", f"{seq['p50_ms']:.1f} / {seq['p99_ms']:.1f} ms", key="ack_sequential", raw=seq)
        row(f"HTTP ack p50 ({h['concurrency']} concurrent x {h['rounds']} = {h['requests']} commands)", fmt(h["ack"]["p50_ms"], "ms", 1), key="ack_p50_ms", raw=h["ack"]["p50_ms"])
        row("HTTP ack p99", fmt(h["ack"]["p99_ms"], "ms", 1) + f" (max {h['ack']['max_ms']:.0f} ms; non-200: {h['non_200']})",
            TARGETS["ack_p99_ms"][2], verdict(h["ack"]["p99_ms"], 100.0) if not h["non_200"] else "FAIL", "ack_p99_ms", h["ack"]["p99_ms"])
        row("HTTP answers per second", f"{h['answers_per_s']:.1f} /s ({h['answers']}/{h['requests']} answered in {h['all_answered_s']:.1f} s; "
            f"errors {h['answer_errors']})", key="answers_per_s", raw=h["answers_per_s"])
        row("  server CPU per command (ack + answer + response_url post)", fmt(h["server_cpu_ms_per_command"], "ms", 1),
            key="server_cpu_ms_per_command", raw=h["server_cpu_ms_per_command"])


def render_table(rows: list[dict]) -> str:
    lines = ["| figure | value | target | result |", "|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['figure']} | {row['value']} | {row['target']} | {row['result']} |")
    return "\n".join(lines)


def ours_on_subset(measure: dict, ids: list[int], questions: list[dict]) -> dict:
    """Rolecall judged like the baseline (fact strings only) and fully, on the baseline's questions."""
    by_id = {r["id"]: r for r in measure["results"]}
    kinds = {q["id"]: q["kind"] for q in questions}
    facts_only = full = 0
    for i in ids:
        wrong = by_id[i]["wrong"]
        needed = {"fact"} | ({"roles"} if kinds[i] == "grade_in_family" else set())
        facts_only += not (needed & set(wrong))
        full += not wrong
    n = len(ids)
    return {"n": n, "facts_only_pct": 100.0 * facts_only / n if n else float("nan"), "full_pct": 100.0 * full / n if n else float("nan")}


def run_benchmark(families: int = 1000, questions: int = 2000, seed: int = 7, workdir: Path | None = None,
                  http_concurrency: int = 50, http_rounds: int = 4, json_out: Path | None = None,
                  skip_http: bool = False, out: Callable[[str], None] = print, command: str = "",
                  skip_baseline: bool = False) -> dict:
    """The whole benchmark; prints the table with ``out`` and returns every figure."""
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="rolecall-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    corpus_dir = workdir / "corpus"
    db = workdir / "index.sqlite"
    started = time.perf_counter()
    load_before = os.getloadavg()
    core = core_version()
    log(f"generating {families} families, {questions} questions (seed {seed}) into {corpus_dir}")
    t = time.perf_counter()
    facts = generate(corpus_dir, families=families, seed=seed, questions=questions)
    gen_s = time.perf_counter() - t
    pages = corpus_dir / "pages"
    log(f"{facts['pages']} pages, {facts['roles_count']} roles in {gen_s:.1f} s; measuring in a child process")
    measure = measure_in_child(corpus_dir, db, workdir)
    log(f"build {measure['build_s']:.1f} s; cold start x{COLD_START_RUNS}")
    cold = cold_start(pages, db, facts["questions"][0]["question"], workdir)
    if skip_baseline:
        baseline = {"skipped": "--skip-baseline", "ids": []}
    else:
        log("FTS5 baseline")
        baseline = run_baseline(pages, workdir / "baseline-fts.sqlite", facts["questions"])
    if skip_http:
        http = {"skipped": "--skip-http"}
    else:
        log(f"HTTP load: {http_concurrency} concurrent x {http_rounds}")
        http = run_http_load(pages, db, workdir / "http", [q["question"] for q in facts["questions"]],
                             concurrency=http_concurrency, rounds=http_rounds)
    result = {
        "meta": {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": machine(), "core": core,
                 "command": command or f"python -m benchmarks.run --families {families} --questions {questions} --seed {seed}",
                 "families": families, "questions": questions, "seed": seed, "workdir": str(workdir),
                 "http_concurrency": http_concurrency, "http_rounds": http_rounds,
                 "generate_s": gen_s},
        "corpus": {k: facts[k] for k in ("pages", "single_role_pages", "roles_count")},
        "measure": measure,
        "cold_start": cold,
        "baseline": baseline,
        "ours_on_baseline_subset": ours_on_subset(measure, baseline["ids"], facts["questions"]),
        "http": http,
    }
    rows = build_rows(result)
    result["rows"] = rows
    result["meta"]["total_s"] = time.perf_counter() - started
    result["meta"]["loadavg_before"] = [round(x, 2) for x in load_before]
    result["meta"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    mach = result["meta"]["machine"]
    out(f"Rolecall benchmark: {families} families, {len(facts['questions'])} questions, seed {seed}; "
        f"{mach['nproc']} CPUs ({mach['cpu_model']}), {mach['memory_gb']} GB, Python {mach['python']}; "
        f"core {core['commit']}{' + local changes' if core['core_changed_since_commit'] else ''} (code {core['core_code_sha256']}); "
        f"load average before {load_before[0]:.2f}, after {result['meta']['loadavg_after'][0]:.2f}")
    out(render_table(rows))
    failed = [r["figure"].strip() for r in rows if r["result"].startswith("FAIL")]
    unmeasured = [r["figure"].strip() for r in rows if r["result"] == "n/a"]
    out(f"{sum(1 for r in rows if r['result'] == 'PASS')} PASS, {len(failed)} FAIL, {len(unmeasured)} not measured"
        + (". FAIL: " + "; ".join(failed) if failed else "") + (". Not measured: " + "; ".join(unmeasured) if unmeasured else ""))
    loads = measure.get("load", {})
    out("Load average (1 min) on this machine during the run: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in loads.items())
        + f", end {result['meta']['loadavg_after'][0]} (above ~0.3 means other processes shared the {mach['nproc']} CPUs)")
    if json_out:
        Path(json_out).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
        out(f"JSON: {json_out}")
    return result


# Issue 11 ("Scale"): targets by corpus size (2 cores). figure key -> (families, limit, unit, text)
SCALE_TARGETS = {
    "build_s": (3000, 15.0, "s", "< 15 s at 3,000"),
    "rebuild_s": (3000, 0.5, "s", "< 0.5 s at 3,000"),
    "cold_start_s": (3000, 0.5, "s", "< 0.5 s at 3,000"),
    "p50_ms": (1000, 0.4, "ms", "< 0.4 ms at 1,000"),
    "p99_ms": (3000, 5.0, "ms", "< 5 ms at 3,000"),
    "rss_serving_mb": (3000, 150.0, "MB", "< 150 MB at 3,000"),
}


def growth_figures(result: dict) -> dict[str, float]:
    """The figures of one run that the growth table follows from size to size."""
    m, cs = result["measure"], result["cold_start"]
    lat = m["latency"]["overall"]
    return {
        "roles": float(result["corpus"]["roles_count"]),
        "build_s": m["build_s"], "build_cpu_s": m["build_cpu_s"],
        "rebuild_s": m["rebuild"]["seconds"], "rebuild_cpu_s": m["rebuild"]["cpu_s"],
        "cold_start_s": cs["wall_s"], "cold_start_cpu_s": cs.get("cpu_s", float("nan")),
        "cold_start_no_bytecode_s": (cs.get("no_bytecode") or {}).get("wall_s", float("nan")),
        "index_mb": cs.get("index_mb", float("nan")),
        "p50_ms": lat["p50_ms"], "p99_ms": lat["p99_ms"], "cpu_ms_per_question": 1000 * m["answer_cpu_s"] / lat["n"],
        # serving: a process that opened the existing index and answered (the cold-start process)
        "rss_serving_mb": cs["rss_mb"], "rss_build_mb": m["rss_mb_peak"],
        "accuracy_pct": m["accuracy"]["accuracy_pct"],
    }


GROWTH_ROWS = (
    ("roles", "roles", "", 0), ("build_s", "full build", "s", 1), ("build_cpu_s", "  CPU (incl. parse workers)", "s", 1),
    ("rebuild_s", "one-page rebuild", "s", 2), ("rebuild_cpu_s", "  CPU", "s", 2),
    ("cold_start_s", "cold start to first answer", "s", 2), ("cold_start_cpu_s", "  CPU (the whole process)", "s", 2),
    ("cold_start_no_bytecode_s", "  without cached bytecode (compiling every module)", "s", 2),
    ("index_mb", "index file (with -wal/-shm)", "MB", 0), ("p50_ms", "answer p50", "ms", 2), ("p99_ms", "answer p99", "ms", 2),
    ("cpu_ms_per_question", "  CPU a question", "ms", 2), ("rss_serving_mb", "serving RSS (open index + answer)", "MB", 0),
    ("rss_build_mb", "building process peak RSS", "MB", 0), ("accuracy_pct", "accuracy, generated questions", "%", 1),
)


def render_growth(runs: dict[int, dict]) -> str:
    """One column per corpus size, and the issue 11 target with PASS/FAIL at the size it names."""
    sizes = sorted(runs)
    figures = {n: growth_figures(runs[n]) for n in sizes}
    lines = ["| figure | " + " | ".join(f"{n:,} families" for n in sizes) + " | target | result |",
             "|---|" + "---|" * len(sizes) + "---|---|"]
    for key, label, unit, digits in GROWTH_ROWS:
        cells = [f"{figures[n][key]:,.{digits}f}" + (f" {unit}" if unit else "") for n in sizes]
        target, result = "", ""
        if key in SCALE_TARGETS:
            at, limit, _, target = SCALE_TARGETS[key]
            result = verdict(figures[at][key], limit) if at in figures else "not measured"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} | {result} |")
    return "\n".join(lines)


def run_growth(sizes: list[int], questions: int, seed: int, workdir: Path | None, json_out: Path | None,
               out: Callable[[str], None] = print, command: str = "", **kwargs: Any) -> dict[int, dict]:
    """The whole benchmark at each size, one after another, then the growth table."""
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="rolecall-growth-"))
    runs: dict[int, dict] = {}
    for n in sizes:
        runs[n] = run_benchmark(n, questions, seed, workdir / f"families-{n}", out=out, command=command, **kwargs)
    out(f"\nGrowth table ({command}):")
    out(render_growth(runs))
    if json_out:
        Path(json_out).write_text(json.dumps({str(n): r for n, r in runs.items()}, indent=1, default=str), encoding="utf-8")
        out(f"JSON: {json_out}")
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="1000", help="corpus size, or sizes like 100,1000,3000 for a growth table")
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="where the corpus and indexes go (default: a new temp folder)")
    parser.add_argument("--http-concurrency", type=int, default=50)
    parser.add_argument("--http-rounds", type=int, default=4, help="commands each concurrent client sends, one after another")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true", help="leave out the FTS5 baseline (minutes at 3,000 families)")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args(argv)
    command = "python -m benchmarks.run " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    sizes = [int(n) for n in str(args.families).split(",") if n.strip()]
    if len(sizes) > 1:
        run_growth(sizes, args.questions, args.seed, args.workdir, args.json_out, command=command.strip(),
                   http_concurrency=args.http_concurrency, http_rounds=args.http_rounds, skip_http=args.skip_http,
                   skip_baseline=args.skip_baseline)
        return 0
    run_benchmark(sizes[0], args.questions, args.seed, args.workdir, args.http_concurrency, args.http_rounds,
                  args.json_out, args.skip_http, command=command.strip(), skip_baseline=args.skip_baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
