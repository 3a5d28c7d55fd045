"""Opening an index cheaply: the serving snapshot, reuse after a change, and what a version costs
the garbage collector. Every check compares real answers of a real index with the ones built the
plain way, from the tables."""

from __future__ import annotations

import gc
import json
import marshal
import sqlite3
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pytest

from bot import knowledge
from bot.engine import Engine
from bot.index import read_generation
from bot.knowledge import Knowledge, snapshot_checksum

from conftest import ROOT, SEEDS

SALES_OPS = "sales--sales-operations.md"


def questions_about(kb: Knowledge) -> list[str]:
    """Questions over every role of the index (several intents, a typo, a follow-up-free family
    question), so that any difference in roles, names or postings shows in some answer."""
    out = []
    for role in kb.roles.values():
        out += [f"who does the {role.name} report to?", f"what grade is {role.name}?",
                f"responsibilities of {role.name.lower()}", f"{role.name.replace('a', 'aa', 1)} requirements"]
    for family in kb.families:
        out.append(f"what levels are there in {family.name}?")
    return out + ["what's grade 7?", "sr sales ops analyst's manager?", "chief happiness officer", "infra eng"]


def answers(engine: Engine, questions: list[str]) -> list[str]:
    """Each answer as ``rolecall ask --json --explain`` shows it, plus its follow-up context."""
    out = []
    for question in questions:
        answer = engine.ask(question)
        context = answer.context.encode() if answer.context else ""
        out.append(json.dumps(answer.to_dict(), sort_keys=True) + "\n" + answer.decision.explain() + "\n" + context)
    return out


def serving_row(db: Path) -> tuple | None:
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("select generation, pages_digest, format, code, checksum, data from serving").fetchone()
        except sqlite3.OperationalError:
            return None


def writer(pages: Path, db: Path) -> Engine:
    """A writing engine whose serving snapshot, if it stores one, is written before it returns."""
    engine = Engine(pages, db, question_log=False)
    engine.wait_for_snapshot()
    return engine


def names_table(kb: Knowledge) -> tuple:
    r = kb.resolver
    return (r.keys, r.written, r.entry_role, r.entry_family, r.by_token, r.vocab, r.first_family, r._aliases,
            list(r.raw_vocab.items()), list(kb.roles.items()), kb.families)


def test_a_new_process_opens_from_the_serving_snapshot_and_answers_exactly_as_from_the_tables(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    first = writer(pages, db)
    assert first.kb.opened_from == "tables" and first.snapshots_written == 1
    stored = serving_row(db)
    assert stored is not None and stored[0] == first.generation and stored[1] == first.pages_digest
    second = writer(pages, db)
    assert second.kb.opened_from == "snapshot" and second.kb.snapshot_current
    opened = Knowledge(db)  # no engine, so no warm-up thread: the typo vocabulary came with the snapshot
    assert opened.opened_from == "snapshot" and "raw_vocab" in vars(opened.resolver)
    assert list(opened.resolver.raw_vocab.items()) == list(first.kb.resolver.raw_vocab.items())
    opened.close()
    assert second.snapshots_written == 0  # nothing to store: it is current
    assert names_table(second.kb) == names_table(first.kb)
    questions = questions_about(first.kb)
    assert len(questions) > 60
    assert answers(second, questions) == answers(first, questions)


@pytest.mark.parametrize("spoil", ["older generation", "other pages digest", "other format", "other code",
                                   "damaged bytes", "foreign content", "no table"])
def test_a_stale_damaged_or_foreign_snapshot_is_not_used_and_is_stored_again(pages: Path, tmp_path: Path, spoil: str):
    db = tmp_path / "index.sqlite"
    reference = writer(pages, db)
    questions = questions_about(reference.kb)[::7]
    expected = answers(reference, questions)
    with sqlite3.connect(db) as conn:
        if spoil == "older generation":
            conn.execute("update serving set generation = generation - 1")
        elif spoil == "other pages digest":
            conn.execute("update serving set pages_digest = 'another'")
        elif spoil == "other format":
            conn.execute("update serving set format = format + 1")
        elif spoil == "other code":
            conn.execute("update serving set code = 'another code'")
        elif spoil == "damaged bytes":
            data = bytearray(conn.execute("select data from serving").fetchone()[0])
            data[len(data) // 2] ^= 0xFF
            conn.execute("update serving set data = ?", (bytes(data),))
        elif spoil == "foreign content":  # well-formed and checksummed, but not of these roles
            ghost = {"ids": [999_999], "page_ids": [1], "names": ["Ghost"], "fragments": ["#ghost"], "urls": {}, "families": {}}
            data = knowledge.pack_snapshot({"roles": ghost, "resolver": {"aliases": [(999_999, "Ghost")], "entry_alias": [0],
                                            "keys": ["ghost"], "family_entry": [], "by_token": {"ghost": [0]}}})
            conn.execute("update serving set data = ?, checksum = ?", (data, snapshot_checksum(data)))
        else:
            conn.execute("drop table serving")
    reopened = writer(pages, db)
    assert reopened.kb.opened_from == "tables"
    assert answers(reopened, questions) == expected
    assert reopened.snapshots_written == 1  # stored again, for this version
    again = writer(pages, db)
    assert again.kb.opened_from == "snapshot"
    assert answers(again, questions) == expected


def test_a_read_only_engine_uses_a_current_snapshot_and_never_writes_one(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    writer(pages, db)
    worker = Engine(pages, db, question_log=False, readonly=True)
    assert worker.kb.opened_from == "snapshot"
    with sqlite3.connect(db) as conn:
        conn.execute("update serving set generation = generation - 1")
    before = serving_row(db)
    stale = Engine(pages, db, question_log=False, readonly=True)
    stale.wait_for_snapshot()
    assert stale.kb.opened_from == "tables" and stale.snapshots_written == 0
    assert serving_row(db) == before


def set_grade(pages: Path, grade: int) -> None:
    page = pages / SALES_OPS
    text = page.read_text()
    old = next(n for n in range(5, 13) if f"The Manager, Sales Operations is a [grade {n}]" in text)
    page.write_text(text.replace(f"The Manager, Sales Operations is a [grade {old}]",
                                 f"The Manager, Sales Operations is a [grade {grade}]"))


def test_a_one_page_change_reuses_the_rest_answers_the_change_and_stores_the_new_snapshot(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    engine = writer(pages, db)
    before = engine.kb
    set_grade(pages, 11)
    report = engine.refresh()
    engine.wait_for_snapshot()
    assert report.parsed == [SALES_OPS]
    after = engine.kb
    assert after is not before and after.opened_from == "previous"
    changed = {r.id for r in after.roles.values() if r.page == SALES_OPS}
    kept = [rid for rid in after.roles if rid not in changed]
    assert kept and changed
    assert all(after.roles[rid] is before.roles[rid] for rid in kept)  # the same objects, not read again
    assert "11" in engine.ask("what grade is the Manager, Sales Operations?").text
    assert engine.snapshots_written == 2 and serving_row(db)[0] == engine.generation
    # the version built from the previous one is the version built from scratch, and the snapshot it stored
    fresh = writer(pages, db)
    assert fresh.kb.opened_from == "snapshot"
    assert names_table(fresh.kb) == names_table(after)
    questions = questions_about(after)[::3]
    assert answers(fresh, questions) == answers(engine, questions)
    assert names_table(tables_version(pages, db)) == names_table(after)


def tables_version(pages: Path, db: Path) -> Knowledge:
    """The version the file holds now, read from its tables alone (its snapshot dropped)."""
    with sqlite3.connect(db) as conn:
        conn.execute("drop table if exists serving")
    plain = writer(pages, db)
    assert plain.kb.opened_from == "tables"
    return plain.kb


def test_after_pages_are_removed_and_added_the_reused_version_equals_one_read_from_scratch(pages: Path, tmp_path: Path):
    db = tmp_path / "index.sqlite"
    engine = writer(pages, db)
    names = sorted(p.name for p in pages.glob("*.md"))
    gone = [n for n in names if n != SALES_OPS][:2]
    for name in gone:
        (pages / name).unlink()
    text = (pages / SALES_OPS).read_text()
    (pages / "sales--extra-operations.md").write_text(text.replace("Sales Operations", "Extra Operations"))
    set_grade(pages, 12)
    report = engine.refresh()
    engine.wait_for_snapshot()
    assert sorted(report.removed) == gone and sorted(report.parsed) == sorted([SALES_OPS, "sales--extra-operations.md"])
    assert engine.kb.opened_from == "previous"
    assert "Extra Operations" in engine.ask("who does the Manager, Extra Operations report to?").text
    questions = questions_about(engine.kb)[::2]
    served = answers(engine, questions)
    assert names_table(tables_version(pages, db)) == names_table(engine.kb)
    assert answers(writer(pages, db), questions) == served


def test_a_retired_version_is_freed_by_reference_counting_alone(pages: Path, tmp_path: Path, monkeypatch):
    """A served version's objects are kept out of the cyclic collector (frozen), so a retired one
    must hold no reference cycle: else every reload would leak a whole index in memory."""
    monkeypatch.setattr(knowledge, "RETIRE_GRACE_SECONDS", 0.05)
    engine = writer(pages, tmp_path / "index.sqlite")
    engine.catalog()
    engine.ask("who does the Manager, Sales Operations report to?")
    old, old_resolver = weakref.ref(engine.kb), weakref.ref(engine.kb.resolver)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        set_grade(pages, 10)
        engine.refresh()
        engine.wait_for_snapshot()
        deadline = time.monotonic() + 10
        while old() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert old() is None and old_resolver() is None
    finally:
        if was_enabled:
            gc.enable()


def test_a_command_line_answer_imports_neither_prometheus_client_nor_a_process_pool(tmp_path: Path):
    """Only serving processes keep metrics (their code imports bot.metrics before opening an
    engine), and only a build of many pages starts parser processes."""
    script = ("import sys; from pathlib import Path; from bot.engine import Engine;"
              "e = Engine(Path(sys.argv[1]), Path(sys.argv[2]), question_log=False);"
              "a = e.ask('who does the Manager, Sales Operations report to?');"
              "print(a.status, 'prometheus_client' in sys.modules, 'concurrent.futures.process' in sys.modules)")
    for _ in range(2):  # building the index, then opening it
        done = subprocess.run([sys.executable, "-c", script, str(SEEDS), str(tmp_path / "index.sqlite")],
                              cwd=ROOT, capture_output=True, text=True, check=True)
        assert done.stdout.split() == ["answered", "False", "False"]


def plain_raw_vocab(aliases: list[tuple[int, str]]) -> dict[str, str]:
    """The typo vocabulary as first written: every word of every alias, in order, first one wins."""
    from bot.names import fold, tokens
    from bot.resolve import NOT_ALNUM, RAW_WORD

    vocab: dict[str, str] = {}
    for _, alias in aliases:
        for raw in RAW_WORD.findall(fold(alias)):
            word_tokens = tokens(raw)
            plain = NOT_ALNUM.sub("", raw)
            if len(word_tokens) == 1 and len(plain) >= 5:
                vocab.setdefault(plain, word_tokens[0])
    return vocab


@pytest.mark.parametrize("folder", ["seeds", "handbook"])
def test_the_typo_vocabulary_is_the_word_by_word_one(folder: str, tmp_path: Path):
    from conftest import CORPUS

    pages = SEEDS if folder == "seeds" else CORPUS
    if not pages.is_dir():
        pytest.skip("the shared handbook corpus is not here")
    resolver = Engine(pages, tmp_path / "index.sqlite", question_log=False).kb.resolver
    expected = plain_raw_vocab(resolver._aliases)
    assert len(expected) > 10
    assert list(resolver.raw_vocab.items()) == list(expected.items())  # same words, same tokens, same order


def test_roles_whose_address_or_family_is_not_their_pages_come_back_from_the_snapshot_as_they_were(pages: Path, tmp_path: Path):
    """The snapshot stores a role's address as the part after its page's, and its family only when
    it is not the page's; a role that breaks either rule is stored whole."""
    from dataclasses import replace

    engine = writer(pages, tmp_path / "index.sqlite")
    kb = engine.kb
    roles = dict(kb.roles)
    first, second = list(roles)[:2]
    roles[first] = replace(roles[first], url="https://elsewhere.example/other/#moved")
    roles[second] = replace(roles[second], family="A family of its own")
    shared: dict[str, str] = {}
    columns = knowledge._role_columns(roles.values(), kb.pages, shared)
    assert columns["urls"] == {0: "https://elsewhere.example/other/#moved"} and columns["families"] == {1: "A family of its own"}
    back = knowledge._StoredRoles(marshal.loads(marshal.dumps(columns)), kb.pages)
    assert list(back.items()) == list(roles.items())
    assert all(vars(back[rid]) == vars(roles[rid]) for rid in roles)
    columns["names"].pop()
    with pytest.raises(ValueError):
        knowledge._StoredRoles(columns, kb.pages)


def test_a_reload_keeps_the_families_of_the_pages_that_did_not_change(pages: Path, tmp_path: Path):
    engine = writer(pages, tmp_path / "index.sqlite")
    before = {f.page: f for f in engine.kb.families}
    set_grade(pages, 9)
    engine.refresh()
    after = {f.page: f for f in engine.kb.families}
    assert after.keys() == before.keys() and SALES_OPS in after
    assert after[SALES_OPS] is not before[SALES_OPS] and after[SALES_OPS].page_id != before[SALES_OPS].page_id
    assert all(after[page] is before[page] for page in after if page != SALES_OPS)
    assert [f.page for f in tables_version(pages, tmp_path / "index.sqlite").families] == [f.page for f in engine.kb.families]


def test_a_version_opened_from_its_snapshot_makes_its_roles_on_first_use_and_all_of_them_when_filled(pages: Path, tmp_path: Path):
    """Opening from the snapshot makes no role object until one is looked up; the first answer
    makes a few; filling makes the rest, keeps the ones made, and leaves plain dicts and lists
    equal to the version read from the tables."""
    db = tmp_path / "index.sqlite"
    writer(pages, db)
    kb = Knowledge(db)  # no engine: nothing fills it in the background
    assert kb.opened_from == "snapshot"
    assert not isinstance(kb.roles, dict) and not isinstance(kb.resolver.entry_role, list)
    total = len(kb.roles)
    assert total > 20 and len(kb.roles._made) == 0  # type: ignore[attr-defined]
    engine = Engine(pages, db, question_log=False)
    engine.kb.close()
    engine.kb = kb  # answer from this version, unfilled
    answer = engine.ask("who does the Manager, Sales Operations report to?")
    assert answer.status == "answered" and "Manager, Sales Operations" in answer.roles
    made = dict(kb.roles._made)  # type: ignore[attr-defined]
    assert 0 < len(made) < total // 2
    asked = next(role for role in made.values() if role.name == "Manager, Sales Operations")
    kb.fill_roles()
    assert type(kb.roles) is dict and type(kb.resolver.entry_role) is list and kb.resolver.roles is kb.roles
    assert kb.roles[asked.id] is asked and all(kb.roles[rid] is role for rid, role in made.items())
    plain = tables_version(pages, db)
    assert list(kb.roles.items()) == list(plain.roles.items())
    assert all(vars(kb.roles[rid]) == vars(role) for rid, role in plain.roles.items())
    assert kb.resolver.entry_role == plain.resolver.entry_role
    assert answers(engine, questions_about(plain)[::5]) == answers(writer(pages, tmp_path / "other.sqlite"), questions_about(plain)[::5])


def test_a_version_opened_from_its_snapshot_has_the_names_by_length_its_first_answer_needs(pages: Path, tmp_path: Path):
    """A question naming a role exactly needs the names by bag length (one pass over every name,
    in the first such answer of each new process): the snapshot stores them, the same table the
    names give; one that does not split the names between the lengths is refused with its snapshot."""
    db = tmp_path / "index.sqlite"
    writer(pages, db)
    opened = Knowledge(db)
    assert opened.opened_from == "snapshot" and "_by_length" in vars(opened.resolver)
    stored, expected = opened.resolver._by_length, {}
    for i, key in enumerate(opened.resolver.keys):
        expected[len(key)] = expected.get(len(key), 0) | 1 << i
    assert stored == expected
    opened.close()
    row = serving_row(db)
    content = knowledge.unpack_snapshot(row[5])
    assert content["resolver"]["by_length"] == stored
    spoiled = dict(stored)
    length = next(iter(spoiled))
    spoiled[length] &= spoiled[length] - 1  # its first name in no length
    content["resolver"]["by_length"] = spoiled
    data = knowledge.pack_snapshot(content)
    with sqlite3.connect(db) as conn:
        conn.execute("update serving set data = ?, checksum = ?", (data, snapshot_checksum(data)))
    refused = Knowledge(db)
    assert refused.opened_from == "tables"
    refused.close()


def test_a_page_changed_before_a_start_is_answered_from_its_new_content_by_the_first_answer(pages: Path, tmp_path: Path):
    """A start opens the index while it compares the pages with it; a page changed meanwhile is
    synced and served before anything is answered, reusing the rest of the version opened."""
    db = tmp_path / "index.sqlite"
    writer(pages, db)
    unchanged = writer(pages, db)
    assert unchanged.kb.opened_from == "snapshot" and not unchanged.last_sync.parsed and unchanged.last_sync.reused == len(list(pages.glob("*.md")))
    set_grade(pages, 12)
    started = writer(pages, db)
    assert started.last_sync.parsed == [SALES_OPS]
    assert started.kb.opened_from == "previous"  # the version opened beside the comparison, then synced
    assert "12" in started.ask("what grade is the Manager, Sales Operations?").text
    assert started.generation == read_generation(db) and started.snapshots_written == 1


def test_opening_an_index_and_answering_imports_nothing_only_a_writer_needs(tmp_path: Path):
    """Temporary files (tempfile, and with it shutil, bz2, lzma, random) are made only by a writer,
    and the question log's secret (secrets, base64) only once: a process that opens an existing
    index and log and answers imports none of them."""
    writers_only = ("tempfile", "shutil", "lzma", "bz2", "random", "secrets", "base64")
    script = ("import sys; from pathlib import Path; from bot.engine import Engine;"
              "e = Engine(Path(sys.argv[1]), Path(sys.argv[2]));"
              "a = e.ask('who does the Manager, Sales Operations report to?');"
              f"print(a.status, *sorted(m for m in {writers_only!r} if m in sys.modules))")
    runs = [subprocess.run([sys.executable, "-c", script, str(SEEDS), str(tmp_path / "index.sqlite")],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split() for _ in range(2)]
    assert runs[0][0] == "answered" and {"tempfile", "secrets"} <= set(runs[0])  # building the index and the log
    assert runs[1] == ["answered"]  # opening them


def test_an_ambiguous_first_answer_and_its_choice_make_only_the_roles_they_name(pages: Path, tmp_path: Path):
    """Choosing among roles looks each choice up by its name (Knowledge.role_named): read from the
    names, not from every role made."""
    db = tmp_path / "index.sqlite"
    writer(pages, db)
    kb = Knowledge(db)
    assert kb.opened_from == "snapshot"
    engine = Engine(pages, db, question_log=False)
    question = "who does the director report to?"
    expected = engine.ask(question)
    picked = engine.choose(expected, "2")
    engine.kb.close()
    engine.kb = kb
    answer = engine.ask(question)
    assert answer.status == "ambiguous" and len(answer.choices) > 2 and answer.to_dict() == expected.to_dict()
    assert engine.choose(answer, "2").to_dict() == picked.to_dict()  # type: ignore[union-attr]
    for choice in answer.choices:
        role = kb.role_named(choice.role, choice.page)
        assert role is not None and (role.name, role.page) == (choice.role, choice.page)
    made = kb.roles._made  # type: ignore[attr-defined]
    assert 0 < len(made) < len(kb.roles) // 2 and kb.roles._every is None  # type: ignore[attr-defined]
    assert [r.id for r in kb.roles.values() if r.name == answer.choices[0].role] == kb.by_name[answer.choices[0].role]
