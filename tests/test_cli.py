"""The command line as a person (or a script) uses it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS


def rolecall(*args: str, stdin: str = "", tmp_db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--db", str(tmp_db)],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "index.sqlite"


def test_ask_prints_a_readable_answer(db: Path):
    result = rolecall("ask", "who does the Associate Sales Operations Analyst report to?", tmp_db=db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Associate Sales Operations Analyst reports to Manager, Sales Operations "
        "(https://about.gitlab.com/job-families/sales/sales-operations/#manager-sales-operations)."
    )
    assert lines[1] == "> The Associate Sales Operatios Analyst reports to the Manager, Sales Operations."


def test_ask_json_is_the_answer_model(db: Path):
    result = rolecall("ask", "--json", "what's grade 7?", tmp_db=db)
    answer = json.loads(result.stdout)
    assert set(answer) == {"intent", "status", "roles", "text", "sources", "choices", "question"}
    assert (answer["intent"], answer["status"]) == ("grade", "answered")
    assert sorted(answer["roles"]) == ["Sr. Sales Operations Analyst", "Sr. Sales Operations Manager"]
    assert set(answer["sources"][0]) == {"page", "heading", "url"}
    assert answer["sources"][0]["page"] == "sales--sales-operations.md"


def test_ask_json_reads_one_question_per_line(db: Path):
    questions = "who reports to the manager, sales ops?\n\nwho does the director of sales ops report to\nblah blah\n"
    result = rolecall("ask", "--json", stdin=questions, tmp_db=db)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["intent"], a["status"]) for a in answers] == [
        ("direct_reports", "answered"), ("reports_to", "ambiguous"), ("unknown", "unknown")
    ]
    assert [c["role"] for c in answers[1]["choices"]] == ["Director of Sales Operations", "Director, Sales Operations"]
    assert {"role", "family", "page"} == set(answers[1]["choices"][0])


def test_chat_remembers_the_last_role(db: Path):
    result = rolecall("chat", "--json", stdin="who does the sr sales ops manager report to\nand what grade is it?\nwhat about its requirements\n", tmp_db=db)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["status"] for a in answers] == ["not_documented", "answered", "answered"]
    assert all(a["roles"] == ["Sr. Sales Operations Manager"] for a in answers)
    assert "is grade 7." in answers[1]["text"]
    assert "Deep SFDC expertise and knowledge of enterprise SaaS tools" in answers[2]["text"]


def test_chat_plain_text_with_piped_input(db: Path):
    result = rolecall("chat", stdin="grade of the associate sales ops analyst\nwho reports to it?\n", tmp_db=db)
    assert result.returncode == 0
    assert "Associate Sales Operations Analyst is grade 5." in result.stdout
    assert "No page in the handbook says that any role reports to Associate Sales Operations Analyst." in result.stdout


def test_index_reports_counts(db: Path):
    result = rolecall("index", "--seeds", str(SEEDS), tmp_db=db)
    assert result.returncode == 0
    assert "pages: 5  roles: 21  grades: 8  reports-to: 8  hiring processes: 2" in result.stdout
    assert "problems: 0" in result.stdout


def test_index_strict_fails_on_problems(tmp_path: Path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "bad.md").write_text("---\ntitle: 'x\n---\n")
    result = rolecall("index", "--seeds", str(pages), "--strict", tmp_db=tmp_path / "i.sqlite")
    assert result.returncode == 1
    assert "bad.md:2: front matter is not valid YAML" in result.stdout


def test_missing_pages_folder_is_a_clear_error(tmp_path: Path):
    result = rolecall("ask", "--seeds", str(tmp_path / "nope"), "help", tmp_db=tmp_path / "i.sqlite")
    assert result.returncode == 2
    assert "pages folder not found" in result.stderr and "Traceback" not in result.stderr


def test_chat_answers_a_numbered_choice_with_the_original_question(db: Path):
    script = "who does the director of sales ops report to\n2\nwho does the director of sales ops report to\nDirector of Sales Operations\n"
    answers = [json.loads(line) for line in rolecall("chat", "--json", stdin=script, tmp_db=db).stdout.splitlines()]
    assert [a["status"] for a in answers] == ["ambiguous", "answered", "ambiguous", "not_documented"]
    assert answers[0]["text"].splitlines()[1:3] == ["1. Director of Sales Operations", "2. Director, Sales Operations (Sales Operations)"]
    assert answers[1]["roles"] == ["Director, Sales Operations"]
    assert "reports to [Senior Director, Sales Operations](" in answers[1]["text"]
    assert answers[3]["roles"] == ["Director of Sales Operations"]
