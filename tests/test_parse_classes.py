"""The classes of page the parser must read right, each from a small page of our own, then on the
real handbook pages where the shape occurs (read in place from ../shared/corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.parse import Page, parse_page

from conftest import CORPUS, write_page

real = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout")


def page_of(tmp_path: Path, body: str, title: str = "Widget Roles", name: str = "x--widget.md") -> Page:
    path = write_page(tmp_path, name, f'---\ntitle: "{title}"\n---\n\n{body}')
    page, problems = parse_page(path)
    assert page is not None and [p for p in problems if p.severity == "error"] == []
    return page


def corpus_page(name: str) -> Page:
    page, _ = parse_page(CORPUS / name)
    assert page is not None
    return page


def owned(page: Page, role: str, kind: str) -> list[str]:
    return [i.text for s in page.sections if s.owner == role and s.kind == kind for i in s.items]


def grades(page: Page) -> set[tuple[str, float]]:
    return {(g.role, g.grade) for g in page.grades}


def reports(page: Page) -> set[tuple[str, str]]:
    return {(r.role, r.target) for r in page.reports}


# --- headings with typos and variants ---------------------------------------------------------

def test_misspelt_and_reworded_headings_open_their_sections(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Analyst\n\n### Responsbilities\n\n- Count widgets\n\n### Requirments\n\n- Patience\n\n"
                             "### Desirable skills\n\n- Juggling\n\n**Qualifications**\n\n- A degree\n")
    assert owned(page, "Widget Analyst", "responsibilities") == ["Count widgets"]
    assert owned(page, "Widget Analyst", "requirements") == ["Patience", "A degree"]
    assert owned(page, "Widget Analyst", "nice_to_have") == ["Juggling"]
    assert next(s for s in page.sections if s.heading == "Qualifications").reason.startswith("bold paragraph used as a heading")


@real
def test_real_interview_team_heading_is_the_hiring_process():
    page = corpus_page("finance--pao-jf.md")
    assert any(s.kind == "hiring_process" and s.heading == "Interview team and focus areas for each person" for s in page.sections)


# --- role text under a heading that is no section name -----------------------------------------

def test_text_under_an_unknown_heading_stays_with_its_role(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Analyst\n\n### Span of Control\n\n- Manages five analysts\n")
    section = next(s for s in page.sections if s.heading == "Span of Control")
    assert (section.kind, section.owner, [i.text for i in section.items]) == ("other", "Widget Analyst", ["Manages five analysts"])
    assert any("heading 'Span of Control' is not a known kind of section" in s.message for s in page.suspicions)


def test_a_list_under_a_job_grade_heading_is_the_roles_text(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Analyst\n\n### Job Grade\n\nThe Widget Analyst is a grade 6.\n\n- Count widgets\n- Sort widgets\n")
    assert grades(page) == {("Widget Analyst", 6.0)}
    assert owned(page, "Widget Analyst", "other") == ["Count widgets", "Sort widgets"]


# --- page-level sections between roles do not end the roles ---------------------------------

def test_roles_after_a_mid_page_hiring_process_are_still_roles(tmp_path: Path):
    page = page_of(tmp_path, "## Levels\n\n### Widget Manager\n\nThe Widget Manager is a grade 8.\n\n## Hiring Process\n\n"
                             "- Screening call with a recruiter\n\n### Senior Widget Director\n\nThe Senior Widget Director is a grade 11.\n")
    assert list(page.roles) == ["Widget Manager", "Senior Widget Director"]
    assert grades(page) == {("Widget Manager", 8.0), ("Senior Widget Director", 11.0)}
    assert owned(page, None, "hiring_process") == ["Screening call with a recruiter"]


@real
def test_real_role_after_the_family_hiring_process():
    page = corpus_page("finance--technical-accounting.md")
    assert ("Senior Director, Technical Accounting", 11.0) in grades(page)


# --- flat pages ---------------------------------------------------------------------------------

def test_sections_at_the_role_headings_level_belong_to_that_role(tmp_path: Path):
    page = page_of(tmp_path, "## Responsibilities\n\n- Family duty\n\n## Widget Analyst\n\n## Responsibilities\n\n- Analyse\n\n"
                             "## Senior Widget Analyst\n\n## Requirements\n\n- Ten years\n\n## Performance Indicators\n\n- Widgets per day\n")
    assert owned(page, None, "responsibilities") == ["Family duty"]
    assert owned(page, "Widget Analyst", "responsibilities") == ["Analyse"]
    assert owned(page, "Senior Widget Analyst", "requirements") == ["Ten years"]
    assert owned(page, None, "performance_indicators") == ["Widgets per day"]


@real
def test_real_flat_page():
    page = corpus_page("finance--integrations-engineer.md")
    assert owned(page, "Senior Integrations Engineer", "requirements")
    assert any("Nice to Have" == s.heading and s.owner == "Senior Integrations Engineer" for s in page.sections)


# --- no invented roles ----------------------------------------------------------------------------

def test_no_roles_from_section_headings_level_doubling_or_intermediate(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Engineer\n\n### Widget Engineer Preferred Qualifications\n\n- Juggling\n\n"
                             "## Widget Engineer (Intermediate)\n\nThe Widget Engineer (Intermediate) is a grade 6.\n\n"
                             "## Senior Widget Engineer\n\n### Senior\n\nThe Senior Widget Engineer is a grade 7.\n\n"
                             "### Director, Widgets Requirements\n\n- Copied from elsewhere\n")
    assert list(page.roles) == ["Widget Engineer", "Senior Widget Engineer"]
    assert page.roles["Widget Engineer"].aliases == {"Widget Engineer (Intermediate)"}
    assert grades(page) == {("Widget Engineer", 6.0), ("Senior Widget Engineer", 7.0)}
    assert owned(page, "Senior Widget Engineer", "requirements") == ["Copied from elsewhere"]
    assert any("heading names 'Director, Widgets'" in s.message for s in page.suspicions)


@real
def test_real_page_no_senior_senior():
    page = corpus_page("engineering--backend-engineer.md")
    assert not [r for r in page.roles if r.startswith("Senior Senior")]
    assert "Senior Backend Engineer" in page.roles


# --- headings with a bracketed note or another title ------------------------------------------------

def test_bracketed_notes_and_titles_keep_their_facts(tmp_path: Path):
    page = page_of(tmp_path, "## Staff Widget Engineer (Widget Manager)\n\n### Staff Widget Engineer Job Grade\n\n"
                             "The Staff Widget Engineer is a grade 8.\n\n"
                             "## Principal Widget Engineer (Principal level is only obtainable through career development)\n\n"
                             "### Job Grade\n\nThe Principal Widget Engineer is a grade 9.\n\n"
                             "## Widget Engineer (Channel)\n\n### Requirements\n\n- Partners\n")
    assert list(page.roles) == ["Staff Widget Engineer (Widget Manager)", "Principal Widget Engineer", "Widget Engineer (Channel)"]
    assert page.roles["Staff Widget Engineer (Widget Manager)"].aliases == {"Staff Widget Engineer"}
    assert page.roles["Widget Engineer (Channel)"].aliases == set()
    assert grades(page) == {("Staff Widget Engineer (Widget Manager)", 8.0), ("Principal Widget Engineer", 9.0)}


@real
def test_real_bracketed_headings():
    assert ("Staff Security Risk Engineer (Risk Manager)", 8.0) in grades(corpus_page("engineering--security-risk.md"))
    assert ("Staff IT Compliance Engineer", 8.0) in grades(corpus_page("finance--it-compliance.md"))


# --- grades ----------------------------------------------------------------------------------------

def test_grade_forms(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Analyst\n\nThe Widget Analyst is a [6](/handbook/total-rewards/compensation/#gitlab-job-grades).\n\n"
                             "## Senior Widget Analyst\n\nThe Senior Widget Analyst is a grade [8].\n\n"
                             "## Staff Widget Analyst\n\nThe Staff Widget Analyst is a job grade [level 11](/handbook/grades/).\n\n"
                             "## Principal Widget Analyst\n\nThe Principal Widget Analyst is a grade 9.5.\n\n"
                             "## Widget Intern\n\nThe Widget Intern is a [6](/team/) of a kind.\n")
    assert grades(page) == {("Widget Analyst", 6.0), ("Senior Widget Analyst", 8.0), ("Staff Widget Analyst", 11.0),
                            ("Principal Widget Analyst", 9.5)}


def test_one_job_grade_section_with_each_levels_sentence(tmp_path: Path):
    page = page_of(tmp_path, "## Job Grade\n\nThe Widget Marketing Manager is a grade 7.\n\nThe Senior Widget Marketing Manager is a grade 8.\n\n"
                             "## Responsibilities\n\n- Market widgets\n\n## Senior Requirements\n\n- Ten years\n",
                   title="Widget Marketing Manager", name="marketing--widget-marketing-manager.md")
    assert list(page.roles) == ["Widget Marketing Manager", "Senior Widget Marketing Manager"]
    assert grades(page) == {("Widget Marketing Manager", 7.0), ("Senior Widget Marketing Manager", 8.0)}


@real
def test_real_grade_forms():
    assert ("Field Security Engineer (Intermediate)", 6.0) in grades(corpus_page("engineering--field-security.md"))
    assert ("Sr. Director, IT Operations", 11.0) in grades(corpus_page("finance--director-it-operations.md"))
    assert {("Technical Marketing Manager", 7.0), ("Senior Technical Marketing Manager", 8.0)} <= grades(corpus_page("marketing--technical-marketing-manager.md"))


# --- reports-to ----------------------------------------------------------------------------------

def test_reports_to_targets_keep_commas_and_ampersands_and_skip_duties(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Analyst\n\nThe Widget Analyst reports to the VP, People & Culture.\n\n### Responsibilities\n\n"
                             "- Prepare and report to the Board on widget metrics\n\n"
                             "## Widget Manager\n\nThe Widget Mgr reports to the Sr. Director, Legal and Compliance at GitLab.\n\n"
                             "## Widget Lead\n\nThis role reports either to a [Widget Manager](#widget-manager), a [Senior Director, Widgets](/x/) or the [VP of Widgets](/y/).\n")
    assert reports(page) == {
        ("Widget Analyst", "VP, People & Culture"),
        ("Widget Manager", "Sr. Director, Legal and Compliance"),
        ("Widget Lead", "Widget Manager"), ("Widget Lead", "Senior Director, Widgets"), ("Widget Lead", "VP of Widgets"),
    }


def test_a_reporting_line_copied_from_the_level_above_is_the_sections_role(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Coordinator\n\nThe Widget Coordinator reports to the Widget Manager.\n\n"
                             "## Widget Producer\n\nThe Widget Coordinator reports to the Senior Widget Manager.\n")
    assert reports(page) == {("Widget Coordinator", "Widget Manager"), ("Widget Producer", "Senior Widget Manager")}
    assert any("names 'Widget Coordinator' but sits under 'Widget Producer'" in s.message for s in page.suspicions)


@real
def test_real_reports_to():
    assert ("Digital Producer", "Senior Manager, Video") in reports(corpus_page("marketing--digital-production-manager.md"))
    assert ("Field Security Engineer (Intermediate)", "Manager, Governance and Field Security") in reports(corpus_page("engineering--field-security.md"))
    assert {("Group Manager, Product (GMP)", "Senior Director of Product Management"), ("Group Manager, Product (GMP)", "VP of Product")} <= reports(
        corpus_page("product--product-management-leadership.md"))


# --- extends -----------------------------------------------------------------------------------------

def test_extends_by_anchor_near_miss_and_same_as_above(tmp_path: Path):
    page = page_of(tmp_path, "## Responsibilities\n\n- Family duty\n\n## Product Data Analyst\n\n### Responsibilities\n\n- Analyse\n\n"
                             "## Senior Product Data Analyst\n\n### Responsibilities\n\n- Extends that of the [Data Analyst](#product-data-analyst)\n\n"
                             "## Staff Product Data Analyst\n\n### Responsibilities\n\n- Extends that of the Senior Data Analyst responsibilities\n\n"
                             "## Widget Specialist\n\n### Responsibilities\n\nWidget Specialists share the same responsibilities outlined above.\n")
    assert [(e.role, e.target, e.target_kind) for e in page.extends] == [
        ("Senior Product Data Analyst", "Product Data Analyst", ""),
        ("Staff Product Data Analyst", "Senior Product Data Analyst", "responsibilities"),
        ("Widget Specialist", "family", "responsibilities"),
    ]


# --- family sections nested under the last role ----------------------------------------------------

def test_a_performance_indicators_section_under_the_last_role_is_the_familys(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Analyst\n\n### Requirements\n\n- Patience\n\n## Senior Widget Analyst\n\n### Requirements\n\n- More patience\n\n"
                             "### Performance Indicators\n\n- Widgets per day\n")
    assert owned(page, None, "performance_indicators") == ["Widgets per day"]
    assert "family-wide" in next(s for s in page.sections if s.kind == "performance_indicators").reason


def test_a_role_block_under_the_family_performance_indicators_is_that_roles(tmp_path: Path):
    page = page_of(tmp_path, "## Group Manager, Widgets (GMW)\n\n### Requirements\n\n- Patience\n\n## Performance Indicators\n\n- Family KPI\n\n"
                             "### Group Manager\n\n#### Performance Indicators\n\n- Adjacencies per quarter\n")
    assert list(page.roles) == ["Group Manager, Widgets (GMW)"]
    assert page.roles["Group Manager, Widgets (GMW)"].aliases == {"Group Manager, Widgets"}
    assert owned(page, "Group Manager, Widgets (GMW)", "performance_indicators") == ["Adjacencies per quarter"]


# --- more grade and reporting shapes ------------------------------------------------------------

def test_several_grades_dotted_lines_and_table_only_roles(tmp_path: Path):
    page = page_of(tmp_path, "| Role | Grade |\n|---|---|\n| VP, Widgets | Grade 12 |\n| Sr Widget Analyst | Grade 7 |\n\n"
                             "## Widget Analyst\n\n### Responsibilities\n\n- Count\n\n"
                             "## Senior Widget Analyst\n\nThe Senior Widget Analyst is a grade 7 or 8 and reports to the Widget Manager "
                             "and has a dotted line to the VP, Widgets.\n")
    assert list(page.roles) == ["Widget Analyst", "Senior Widget Analyst", "VP, Widgets"]
    assert grades(page) == {("VP, Widgets", 12.0), ("Senior Widget Analyst", 7.0), ("Senior Widget Analyst", 8.0)}
    senior_seven = next(g for g in page.grades if g.role == "Senior Widget Analyst" and g.grade == 7.0)
    assert senior_seven.sentence.startswith("The Senior Widget Analyst is a grade 7 or 8")  # the sentence, not the table row
    assert [(r.target, r.dotted) for r in page.reports] == [("Widget Manager", False), ("VP, Widgets", True)]
    assert any("role 'VP, Widgets' appears only in a table" in s.message for s in page.suspicions)


def test_a_mermaid_career_ladder_becomes_its_steps(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Analyst\n\n### Requirements\n\n- Patience\n\n## Career Ladder\n\n```mermaid\n  graph LR;\n"
                             "  w:a(Widget Analyst)-->w:s(Senior Widget Analyst);\n  w:s-->w:m[Manager, Widgets];\n```\n")
    ladder = next(s for s in page.sections if s.kind == "career_ladder")
    assert ladder.owner is None
    assert [(i.text, i.line) for i in ladder.items] == [("Widget Analyst → Senior Widget Analyst", 15), ("Senior Widget Analyst → Manager, Widgets", 16)]


@real
def test_real_mermaid_ladder():
    ladder = next(s for s in corpus_page("engineering--field-security.md").sections if s.kind == "career_ladder")
    assert "Senior Field Security Engineer → Staff Field Security Engineer" in [i.text for i in ladder.items]


# --- parts of a section, and what specialties add -------------------------------------------------

def test_sub_headings_of_a_section_are_its_parts_and_specialties_add_to_the_family(tmp_path: Path):
    page = page_of(tmp_path, "## Responsibilities\n\n- Family duty\n\n## Requirements\n\n### General\n\n- Ten years\n\n### Technical\n\n- Go\n\n"
                             "## Widget Analyst\n\n### Widget Analysts also\n\n- Mentor\n\n"
                             "## Specialties\n\n### Gadgets\n\n#### Requirements\n\n- Gadget lore\n")
    family = next(s for s in page.sections if s.owner is None and s.kind == "requirements")
    assert [(i.text, i.kind) for i in family.items] == [("General", "paragraph"), ("Ten years", "item"), ("Technical", "paragraph"), ("Go", "item")]
    assert owned(page, "Widget Analyst", "responsibilities") == ["Mentor"]
    assert [(e.role, e.kind, e.target) for e in page.extends] == [
        ("Widget Analyst", "responsibilities", "family"), ("Widget (Gadgets)", "requirements", "family"),
    ]


@real
def test_real_specialty_inherits_the_family_requirements():
    page = corpus_page("engineering--infrastructure--distinguished-engineer.md")
    family = next(s for s in page.sections if s.owner is None and s.kind == "requirements")
    assert "10+ years of experience, at least 4 in a lead position (such as Engineering Manager or Staff Engineer)" in [i.text for i in family.items]
    assert ("Distinguished Engineer, Infrastructure (Infrastructure)", "requirements", "family") in [(e.role, e.kind, e.target) for e in page.extends]


def test_the_pages_other_name_for_a_role_is_an_alias_unless_copied_from_another_role(tmp_path: Path):
    page = page_of(tmp_path, "## Levels\n\n### Lead\n\n#### Job Grade\n\nThe Widget Recruiting Lead is a grade 8.\n\n"
                             "### Intern, Widget Recruiter\n\n#### Job Grade\n\nThe Junior Widget Recruiter is a grade 5.\n",
                   title="Widget Recruiter", name="x--widget-recruiter.md")
    assert page.roles["Lead Widget Recruiter"].aliases == {"Widget Recruiting Lead"}
    assert grades(page) == {("Lead Widget Recruiter", 8.0), ("Intern, Widget Recruiter", 5.0)}
    assert page.roles["Intern, Widget Recruiter"].aliases == set()


@real
def test_real_alias_from_the_grade_sentence():
    assert "Recruiting Lead" in corpus_page("people-ops--recruiter.md").roles["Lead Recruiter"].aliases


def test_the_same_role_on_several_pages_shares_one_key_in_the_index(tmp_path: Path):
    from bot.index import IndexStore

    pages = tmp_path / "pages"
    pages.mkdir()
    write_page(pages, "jobs--widget-analyst.md", '---\ntitle: "Widget Analyst"\n---\n\n## Responsibilities\n\n- Count\n')
    write_page(pages, "x--widget.md", '---\ntitle: "Widget Roles"\n---\n\n## Widget Analyst (Intermediate)\n\nThe Widget Analyst is a grade 6.\n\n'
                                      '## Senior Widget Analyst\n\nThe Senior Widget Analyst is a grade 7.\n')
    store = IndexStore(tmp_path / "i.sqlite", pages)
    store.sync()
    rows = sorted((r["name"], r["same_key"]) for r in store.db.query("select name, same_key from roles"))
    store.close()
    assert rows == [("Senior Widget Analyst", "senior widget analyst"), ("Widget Analyst", "widget analyst"),
                    ("Widget Analyst (Intermediate)", "widget analyst")]


def test_a_heading_about_the_job_is_not_a_role(tmp_path: Path):
    page = page_of(tmp_path, "## Requirements\n\n- Patience\n\n## Being a Widget Manager at GitLab\n\n- It is fun\n",
                   title="Widget Manager", name="x--widget-manager.md")
    assert page.single_role and list(page.roles) == ["Widget Manager"]


def test_reporting_as_work_is_not_a_reporting_line(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Analyst\n\nReporting to the Widget Manager, you will count widgets.\n\n### Responsibilities\n\n"
                             "- Responsible for financial reporting to Board, Investors and Bank\n"
                             "- Understand data systems from ETL to Reporting to Analysis\n")
    assert reports(page) == {("Widget Analyst", "Widget Manager")}


def test_two_managers_sharing_a_title_tail_are_both_read(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Analyst\n\nThe Widget Analyst reports to the Manager/Senior Manager, Widgets.\n\n"
                             "## Widget Manager\n\nThe Widget Manager reports to the Director or Senior Director, Widget Operations.\n")
    assert reports(page) == {("Widget Analyst", "Manager, Widgets"), ("Widget Analyst", "Senior Manager, Widgets"),
                             ("Widget Manager", "Director, Widget Operations"), ("Widget Manager", "Senior Director, Widget Operations")}


def test_extends_written_as_a_sentence_is_followed(tmp_path: Path):
    """"The requirements of the Senior X extend the X role and include:" and "All the
    responsibilities of a X, plus:" say what "Extends that of X" says."""
    page = page_of(tmp_path, "## Widget Analyst\n\n### Responsibilities\n\n- Count widgets\n\n### Requirements\n\n- Patience\n\n"
                   "## Senior Widget Analyst\n\n### Responsibilities\n\nAll the responsibilities of a Widget Analyst, plus:\n\n- Audit widgets\n\n"
                   "### Requirements\n\nThe requirements of the Senior Widget Analyst extend the Widget Analyst role and include:\n\n- More patience\n")
    facts = sorted((e.role, e.kind, e.target, e.target_kind) for e in page.extends)
    assert facts == [
        ("Senior Widget Analyst", "requirements", "Widget Analyst", "requirements"),
        ("Senior Widget Analyst", "responsibilities", "Widget Analyst", "responsibilities"),
    ]


def test_a_role_that_can_be_one_of_two_grades_has_both(tmp_path: Path):
    page = page_of(tmp_path, "## Widget Lead\n\nThe Widget Lead can be a [grade 8 or a grade 9](/handbook/total-rewards/compensation/#grades).\n")
    assert sorted((g.role, g.grade) for g in page.grades) == [("Widget Lead", 8.0), ("Widget Lead", 9.0)]
