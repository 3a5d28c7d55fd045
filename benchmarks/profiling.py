"""Where the time goes: cProfile of a full index build and of answering the generated questions.

    python -m benchmarks.profiling [--families 1000] [--questions 2000] [--seed 7] [--workdir DIR] [--top 15]

Uses the corpus in ``DIR/corpus`` when it is there (e.g. left by ``benchmarks.run``), else
generates it. Prints the top functions by cumulative time, then by own time, for each phase.
Profiling slows Python down, so these totals are larger than the benchmark's timings; the
proportions are what matter.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import generate


def stats_text(profile: cProfile.Profile, sort: str, top: int) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(profile, stream=buffer)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    lines = buffer.getvalue().splitlines()
    # drop pstats' preamble up to the column header
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    total = next((line.strip() for line in lines if "function calls" in line), "")
    return "\n".join([total, *lines[start:]]).rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling", description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rolecall-profile-"))
    corpus = workdir / "corpus"
    if not (corpus / "facts.json").is_file():
        generate(corpus, args.families, args.seed, args.questions)
    facts = json.loads((corpus / "facts.json").read_text(encoding="utf-8"))
    db = workdir / "profile-index.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)

    from bot.engine import Engine

    build = cProfile.Profile()
    start = time.perf_counter()
    build.enable()
    engine = Engine(corpus / "pages", db)
    build.disable()
    build_s = time.perf_counter() - start

    # One page changes: what a refresh costs (the edit is undone afterwards)
    edit = facts["edit"]
    page = corpus / "pages" / edit["page"]
    original = page.read_text(encoding="utf-8")
    page.write_text(original.replace(edit["old"], edit["new"], 1) if edit["old"] in original else original + "\n", encoding="utf-8")
    refresh = cProfile.Profile()
    start = time.perf_counter()
    refresh.enable()
    engine.refresh()
    refresh.disable()
    refresh_s = time.perf_counter() - start
    page.write_text(original, encoding="utf-8")
    engine.refresh()

    # Parsing may run in worker processes during the build (cProfile sees only this one), so it is
    # also profiled on its own, page by page, in this process.
    from bot.parse import parse_page

    parse = cProfile.Profile()
    files = sorted((corpus / "pages").glob("*.md"))
    start = time.perf_counter()
    parse.enable()
    for path in files:
        parse_page(path, display_path=path.name)
    parse.disable()
    parse_s = time.perf_counter() - start

    questions = [q["question"] for q in facts["questions"]]
    answer = cProfile.Profile()
    start = time.perf_counter()
    answer.enable()
    for q in questions:
        engine.ask(q)
    answer.disable()
    answer_s = time.perf_counter() - start

    print(f"## Build: fresh index of {facts['pages']} pages / {facts['roles_count']} roles ({build_s:.1f} s under cProfile)\n")
    print("Top by cumulative time:\n")
    print(stats_text(build, "cumulative", args.top))
    print("\nTop by own time:\n")
    print(stats_text(build, "tottime", args.top))
    print(f"\n## One-page refresh ({refresh_s:.2f} s under cProfile)\n")
    print("Top by cumulative time:\n")
    print(stats_text(refresh, "cumulative", args.top))
    print("\nTop by own time:\n")
    print(stats_text(refresh, "tottime", args.top))
    print(f"\n## Parsing the {len(files)} pages one by one in one process ({parse_s:.1f} s under cProfile)\n")
    print("Top by cumulative time:\n")
    print(stats_text(parse, "cumulative", args.top))
    print("\nTop by own time:\n")
    print(stats_text(parse, "tottime", args.top))
    print(f"\n## Answering {len(questions)} questions ({answer_s:.1f} s under cProfile, "
          f"{1000 * answer_s / len(questions):.1f} ms a question)\n")
    print("Top by cumulative time:\n")
    print(stats_text(answer, "cumulative", args.top))
    print("\nTop by own time:\n")
    print(stats_text(answer, "tottime", args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
