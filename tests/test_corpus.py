"""The parser survives the real GitLab handbook pages in ../shared/corpus (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.parse import parse_page

from conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout")

# What the index reached on the 72 real pages when this test was written. A parser change that
# loses roles, grades or reporting lines fails here; raise the floors when it finds more.
FLOORS = {"pages": 72, "roles": 330, "grades": 190, "reports_to": 120, "hiring_processes": 50}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine(CORPUS, tmp_path_factory.mktemp("corpus") / "corpus.sqlite")


def test_every_real_page_parses_without_crashing():
    pages = sorted(CORPUS.glob("*.md"))
    assert len(pages) > FLOORS["pages"]  # the job pages and SOURCE.md; the corpus only grows
    for path in pages:
        page, problems = parse_page(path)
        if path.name == "SOURCE.md":
            assert page is None and "no front matter" in problems[0].message
        else:
            assert page is not None and page.roles, path.name


def test_corpus_counts_do_not_drop(corpus: Engine):
    stats = corpus.stats()
    for key, floor in FLOORS.items():
        assert stats[key] >= floor, (key, stats[key])


@pytest.mark.parametrize(
    "question, role, expected",
    [
        ("who does the senior manager, red team report to?", "Senior Manager, Red Team", "Director of Security Operations"),
        ("what grade is a staff backend engineer?", "Staff Backend Engineer", "is grade 8."),
        ("what grade is the chief of staff to the ceo?", "Chief of Staff to the CEO", "is grade 12."),
        ("junior data analyst grade", "Junior Data Analyst", "is grade 5."),
        ("who does the technical writer report to", "Technical Writer (Intermediate)", "Manager, Technical Writing"),
        ("what grade is the associate recruiter", "Associate Recruiter", "is grade 5."),
        ("Senior Director, Renewals grade", "Senior Director, Renewals", "is grade 11."),
    ],
)
def test_real_page_facts(corpus: Engine, question: str, role: str, expected: str):
    answer = corpus.ask(question)
    if answer.status == "ambiguous":  # the same title on several pages: every choice is that title
        assert {c.role for c in answer.choices} == {role}
        answer = corpus.ask(question, role=role, role_page=answer.choices[0].page)
    assert set(answer.roles) == {role}
    assert expected in answer.text


def test_family_wide_requirements_apply_to_levels(corpus: Engine):
    answer = corpus.ask("requirements for a senior SRE")
    assert answer.roles == ["Senior Site Reliability Engineer"]
    assert "family's requirements applies" in answer.text


def test_hiring_steps_written_as_subheadings(corpus: Engine):
    answer = corpus.ask("interview steps for the CSM")
    assert answer.status == "answered"
    steps = ["Recruiter Screening", "Hiring Manager Interview", "Executive Interview"]
    assert all(step in answer.text for step in steps)
    assert answer.text.index("Recruiter Screening") < answer.text.index("Executive Interview")


def test_a_manager_no_page_defines_is_answered_from_the_sentences_naming_it(corpus: Engine):
    """No page defines the Director of Security Operations; the Red Team page names it as a manager."""
    answer = corpus.ask("who reports to the director of security operations")
    assert answer.status == "answered"
    assert answer.text.startswith("No page defines *Director of Security Operations*, but these roles report to it:")
    assert "Senior Manager, Red Team" in answer.roles


def test_no_wild_guess_for_a_role_that_is_not_there(corpus: Engine):
    answer = corpus.ask("who reports to the director of happiness operations")
    assert answer.status in ("not_found", "not_documented")
    assert answer.roles == []


def test_large_results_are_summarised(corpus: Engine):
    answer = corpus.ask("what's grade 7?")
    assert answer.status == "answered"
    assert "more. Narrow it down, e.g. “grade 7 in" in answer.text
    assert answer.text.count("\n• ") == 15


def test_mutated_pages_still_load(corpus: Engine, tmp_path: Path):
    """Truncated pages and shuffled headings: reported or parsed, never a crash."""
    folder = tmp_path / "mutated"
    folder.mkdir()
    for i, path in enumerate(sorted(CORPUS.glob("*--*.md"))):
        text = path.read_text(encoding="utf-8")
        (folder / f"cut-{i}.md").write_text(text[: len(text) * (i % 5 + 1) // 6], encoding="utf-8")
        lines = text.splitlines()
        headings = [ln for ln in lines if ln.startswith("#")]
        shuffled = [headings[(j * 7) % len(headings)] if ln.startswith("#") and headings else ln for j, ln in enumerate(lines)]
        (folder / f"shuffled-{i}.md").write_text("\n".join(shuffled), encoding="utf-8")
    engine = Engine(folder, tmp_path / "mutated.sqlite")
    assert engine.stats()["pages"] >= 120
    assert engine.ask("what's grade 8?").status == "answered"
