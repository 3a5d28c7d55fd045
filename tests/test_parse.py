"""The page parser on the seeds and on the odd pages people write."""

from __future__ import annotations

from pathlib import Path

from bot.parse import parse_page

from conftest import SEEDS, write_page


def seeds_page(name: str):
    page, problems = parse_page(SEEDS / name)
    assert page is not None and problems == []
    return page


def test_family_page_roles_in_page_order():
    page = seeds_page("sales--sales-operations.md")
    assert page.family == "Sales Operations"
    assert list(page.roles) == [
        "Associate Sales Operations Analyst",
        "Sales Operations Analyst",
        "Sales Operations Analyst - Sales Tech Stack",
        "Sr. Sales Operations Analyst",
        "Sr. Sales Operations Manager",
        "Manager, Sales Operations",
        "Senior Manager, Sales Operations",
        "Director, Sales Operations",
        "Senior Director, Sales Operations",
        "Sales Operations Analyst (Channel)",
        "Manager, Sales Operations (Channel)",
        "Senior Channel Operations Manager",
        "Director, Sales Operations (Channel)",
        "Senior Director, Sales Operations (Channel)",
        "Manager, Sales Operations (Alliances)",
        "Alliance Operations, Program Specialist",
        "Partner Operations Project Manager",
    ]


def test_one_grade_sentence_for_two_roles():
    page = seeds_page("sales--sales-operations.md")
    grades = {(g.role, g.grade) for g in page.grades}
    assert ("Sr. Sales Operations Analyst", 7) in grades
    assert ("Sr. Sales Operations Manager", 7) in grades
    assert len(page.grades) == 8


def test_family_wide_sections_have_no_owner():
    page = seeds_page("sales--sales-operations.md")
    family = {s.kind for s in page.sections if s.owner is None}
    assert {"hiring_process", "performance_indicators", "career_ladder"} <= family


def test_single_role_page_takes_its_title():
    page = seeds_page("jobs--director-of-sales-operations.md")
    assert page.single_role and list(page.roles) == ["Director of Sales Operations"]
    kinds = [s.kind for s in page.sections]
    assert kinds == ["overview", "responsibilities", "requirements"]


def test_reports_to_subject_becomes_an_alias_on_a_single_role_page():
    page = seeds_page("sales--inside-sales-mid-market.md")
    assert page.roles["Inside Sales, Mid-Market"].aliases == {"Inside Sales Representative"}
    assert [(r.role, r.target) for r in page.reports] == [("Inside Sales, Mid-Market", "Worldwide Director of Commercial Mid-Market")]


def test_lines_are_file_lines():
    page = seeds_page("sales--sales-operations.md")
    grade = next(g for g in page.grades if g.role == "Associate Sales Operations Analyst")
    assert grade.line == 16  # "The Associate Sales Operations Analyst is a [grade 5](...)"
    lines = (SEEDS / "sales--sales-operations.md").read_text().splitlines()
    assert lines[grade.line - 1].startswith("The Associate Sales Operations Analyst is a [grade 5]")


def test_bare_level_headings_are_named_from_the_family(tmp_path: Path):
    path = write_page(tmp_path, "engineering--support-engineer.md", """---
title: "Support Engineer"
---

## Levels

### Senior

The Senior Support Engineer is a [grade 7](/handbook/grades/).

#### Responsibilities

- Extends that of the Support Engineer responsibilities
- Mentor others

### Staff

#### Job Grade

Staff Support Engineers are grade 8.
""")
    page, problems = parse_page(path)
    assert problems == []
    assert list(page.roles) == ["Senior Support Engineer", "Staff Support Engineer"]
    assert {(g.role, g.grade) for g in page.grades} == {("Senior Support Engineer", 7), ("Staff Support Engineer", 8)}
    assert page.url == "https://about.gitlab.com/job-families/engineering/support-engineer/"


def test_reports_to_phrasings(tmp_path: Path):
    path = write_page(tmp_path, "x--team.md", """---
title: "Team Roles"
---

### Data Analyst

The Data Analist reports to the [Manager, Data](/job-families/finance/manager-data/).

### Data Engineer

Reporting to the Director of Data, you will build pipelines. Build ad hoc reporting to support projects.

### Data Manager

This role will report to and collaborate directly with a Head of Data. The people that report to them are great.
""")
    page, _ = parse_page(path, base_url="https://handbook.example.com")
    assert [(r.role, r.target, r.target_url) for r in page.reports] == [
        ("Data Analyst", "Manager, Data", "https://handbook.example.com/job-families/finance/manager-data/"),
        ("Data Engineer", "Director of Data", ""),
        ("Data Manager", "Head of Data", ""),
    ]


def test_tables_erb_and_html_survive(tmp_path: Path):
    path = write_page(tmp_path, "x--services.md", """---
title: Channel Services
---
<%= partial("includes/hiring") %>
<div class="note">Note</div>

| Role | Grade |
|------|-------|
| [Channel Services Manager](#channel-services-manager) | [Grade 6](https://x/grades) |

### Channel Services Manager

#### Responsibilities

1. First
   1. Nested first
   2. Nested second
2. Second
""")
    page, problems = parse_page(path)
    assert problems == []
    assert [(g.role, g.grade) for g in page.grades] == [("Channel Services Manager", 6)]
    section = next(s for s in page.sections if s.kind == "responsibilities")
    assert [(i.text, i.depth, i.number) for i in section.items] == [
        ("First", 0, 1), ("Nested first", 1, 1), ("Nested second", 1, 2), ("Second", 0, 2)
    ]


def test_broken_front_matter_is_reported_with_its_line_and_the_body_still_loads(tmp_path: Path):
    path = write_page(tmp_path, "broken.md", '---\ntitle: "Payroll Specialist"\nlayout: [job_page\n---\n\n## Responsibilities\n\n- Run payroll\n')
    page, problems = parse_page(path)
    assert len(problems) == 1
    assert problems[0].line in (3, 4, 5) and "not valid YAML" in problems[0].message
    assert str(problems[0]).startswith(str(path) + ":")
    assert page is not None and list(page.roles) == ["Payroll Specialist"]


def test_no_title_empty_and_binary_pages_are_reported(tmp_path: Path):
    untitled = write_page(tmp_path, "untitled.md", "---\nlayout: job_page\n---\n\nJust text.\n")
    empty = write_page(tmp_path, "empty.md", "   \n")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    for path, message in ((untitled, "no title"), (empty, "empty page"), (binary, "binary file")):
        page, problems = parse_page(path)
        assert page is None
        assert problems and message in problems[0].message and problems[0].line == 1


def test_invalid_utf8_is_reported_at_its_line_and_the_rest_is_kept(tmp_path: Path):
    path = tmp_path / "latin1.md"
    path.write_bytes(b'---\ntitle: "Tax Analyst"\n---\n\n## Requirements\n\n- Caf\xe9 lover\n- Numbers\n')
    page, problems = parse_page(path)
    assert [(p.line, "invalid UTF-8" in p.message) for p in problems] == [(7, True)]
    section = next(s for s in page.sections if s.kind == "requirements")
    assert [i.text for i in section.items][1] == "Numbers"
