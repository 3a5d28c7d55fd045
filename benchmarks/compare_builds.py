"""Compare what two versions of Rolecall's code put into a fresh index, table by table.

A change to the build (parsing, rows, schema, the writing path) must leave the index holding
exactly what it held: every row of every table and what the full-text index finds. This script
builds a fresh index of one folder with each source tree (each in its own process, so each
imports its own ``bot``), then compares a canonical dump of the two: every table's rows in
rowid order (``meta`` without the values that name the code or the time of the build), the
secondary indexes aside (they are how rows are found, not what is held), and for every word of
every heading the ids and order of the sections an FTS5 search finds. Prints the differences
and exits 1 when there are any::

    python -m benchmarks.compare_builds --old /tmp/old-src --new . --pages /work/shared/corpus/gitlab-handbook
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# Run in a child process with the source tree first on sys.path: builds a fresh index of the
# pages and prints its canonical dump as JSON.
DUMP_SCRIPT = r"""
import json, re, sqlite3, sys
from pathlib import Path
from bot.index import update_index
pages, db = Path(sys.argv[1]), Path(sys.argv[2])
update_index(db, pages)
conn = sqlite3.connect(db)
VARYING_META = {"schema", "indexed_at"}  # the code's hash and the build time differ by design
out = {}
tables = [n for (n,) in conn.execute("select name from sqlite_master where type = 'table' "
                                     "and name not like 'sections_fts%' and name != 'serving' order by name")]
for table in tables:
    rows = conn.execute(f"select * from {table} order by rowid").fetchall()
    if table == "meta":
        rows = [r for r in rows if r[0] not in VARYING_META]
    out[table] = [json.dumps(r) for r in rows]
words = set()
for (heading,) in conn.execute("select heading from sections"):
    words.update(w.lower() for w in re.findall(r"[A-Za-z]{3,}", heading or ""))
for (items,) in conn.execute("select items from sections order by id limit 400"):
    words.update(w.lower() for w in re.findall(r"[A-Za-z]{4,}", items)[:20])
found = {}
for word in sorted(words):
    found[word] = [r[0] for r in conn.execute(
        "select rowid from sections_fts where sections_fts match ? order by rank, rowid", (word,))]
out["fts"] = found
print(json.dumps(out))
"""


def dump(source: Path, pages: Path) -> dict:
    """A fresh build of ``pages`` by the code in ``source``, dumped (see DUMP_SCRIPT)."""
    with tempfile.TemporaryDirectory(prefix="rolecall-compare-") as work:
        done = subprocess.run([sys.executable, "-c", DUMP_SCRIPT, str(pages), str(Path(work) / "index.sqlite")],
                              capture_output=True, text=True, check=True, cwd=source,
                              env={"PYTHONPATH": str(source.resolve()), "HOME": work, "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout)


def differences(old: dict, new: dict) -> list[str]:
    """What one dump holds that the other does not, a line per table or search."""
    out = []
    for table in sorted(set(old) | set(new)):
        a, b = old.get(table), new.get(table)
        if table == "fts":
            for word in sorted(set(a or {}) | set(b or {})):
                if (a or {}).get(word) != (b or {}).get(word):
                    out.append(f"fts '{word}': {(a or {}).get(word)} != {(b or {}).get(word)}")
        elif a != b:
            first = next((i for i, (x, y) in enumerate(zip(a or [], b or [])) if x != y), min(len(a or []), len(b or [])))
            out.append(f"{table}: {len(a or [])} vs {len(b or [])} rows, first difference at row {first}: "
                       f"{(a or [None])[first:first + 1]} != {(b or [None])[first:first + 1]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="source tree of the old code (holds bot/)")
    parser.add_argument("--new", type=Path, default=Path(".").resolve(), help="source tree of the new code")
    parser.add_argument("--pages", type=Path, required=True, action="append", help="a folder of pages (repeatable)")
    args = parser.parse_args(argv)
    failed = False
    for pages in (p.resolve() for p in args.pages):  # each build runs in its own tree's folder
        old, new = dump(args.old, pages), dump(args.new, pages)
        diff = differences(old, new)
        rows = sum(len(v) for k, v in new.items() if k != "fts")
        print(f"{pages}: {rows} rows in {len(new) - 1} tables, {len(new['fts'])} searches: "
              + ("the same" if not diff else f"{len(diff)} differences"))
        for line in diff[:40]:
            print("  " + line)
        failed = failed or bool(diff)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
