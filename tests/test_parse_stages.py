"""Each parsing stage on its own: reading, heading classification, structure, facts."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from bot import page_facts
from bot.markdown import parse_blocks
from bot.page_facts import grade_text, read_facts
from bot.page_headings import classify_heading
from bot.page_model import Page, Problem, Role, Section, Item
from bot.page_read import Source, read_source
from bot.parse import parse_page
from bot.page_structure import build_structure

from conftest import write_page


def source_of(body: str, title: str = "Widget Roles", url: str = "https://h.example/job-families/x/widget/") -> Source:
    """A page as the reading stage hands it on, without a file."""
    return Source(path="x--widget.md", title=title, family=title.replace(" Roles", ""), url=url, sha256="0",
                  description="", blocks=parse_blocks(body, base_url="https://h.example", page_url=url))


# --- stage 1: reading --------------------------------------------------------------------

def test_reading_gives_title_family_address_and_file_lines(tmp_path: Path):
    path = write_page(tmp_path, "sales--widget-sales.md", '---\ntitle: "Widget Sales Roles"\n---\n\n## Widget Seller\n\nText.\n')
    source = read_source(path, base_url="https://h.example")
    assert isinstance(source, Source)
    assert (source.title, source.family, source.url) == ("Widget Sales Roles", "Widget Sales", "https://h.example/job-families/sales/widget-sales/")
    assert [(b.kind, b.text, b.line) for b in source.blocks] == [("heading", "Widget Seller", 5), ("paragraph", "Text.", 7)]


def test_a_page_hashed_by_the_worker_keeps_the_hash_of_its_decoded_text(tmp_path: Path):
    # the worker's hash of the bytes is the page's hash only when the text is exactly those bytes
    import hashlib

    page = '---\ntitle: "Widget Roles"\n---\n\n## Widget Seller \u2019\n\nText.\n'
    for raw in (page.encode(), b"\xef\xbb\xbf" + page.encode(), page.encode().replace(b"Text.", b"Te\xffxt.")):
        path = tmp_path / "x--widget.md"
        path.write_bytes(raw)
        raw_sha = hashlib.sha256(raw).hexdigest()
        text_sha = hashlib.sha256(raw.decode("utf-8-sig", errors="replace").encode()).hexdigest()
        alone = read_source(path, base_url="https://h.example")
        given = read_source(path, base_url="https://h.example", raw=raw, raw_sha256=raw_sha)
        assert alone.sha256 == given.sha256 == text_sha
        assert (given.sha256 == raw_sha) == (raw == page.encode())


def test_reading_a_file_without_front_matter_returns_the_problem(tmp_path: Path):
    path = write_page(tmp_path, "notes.md", "# Notes\n")
    assert read_source(path, base_url="https://h.example", display_path="notes.md") == [
        Problem("notes.md", 1, "no front matter (---/title/---): not a job page, skipped")
    ]


def test_reading_marks_paragraphs_that_are_all_bold():
    blocks = parse_blocks("**Requirements**\n\nSome **bold** words.\n", base_url="https://h", page_url="https://h/p/")
    assert [(b.text, b.bold) for b in blocks] == [("Requirements", True), ("Some bold words.", False)]


def test_block_lines_are_file_lines_past_non_ascii_text_and_windows_line_ends():
    # markdown-it.rs reports byte offsets: a line of "’" and "é" before a block must not move it
    body = "Intro ’é’ text.\n\n- first\n- second ’\n\n| Role | Grade |\n|---|---|\n| Senior | 8 |\n"
    expected = [("paragraph", 4), ("item", 6), ("item", 7), ("row", 9), ("row", 11)]
    for text in (body, body.replace("\n", "\r\n")):
        blocks = parse_blocks(text, base_url="https://h", page_url="https://h/p/", line_offset=3)
        assert [(b.kind, b.line) for b in blocks] == expected
        assert [b.text for b in blocks][:3] == ["Intro ’é’ text.", "first", "second ’"]


def test_lists_nested_deeper_than_the_walk_can_go_are_reported_not_fatal(tmp_path: Path):
    path = write_page(tmp_path, "x--deep.md", '---\ntitle: "Deep Roles"\n---\n\n## Analyst\n\n' + "- " * 5000 + "deep\n")
    page, problems = parse_page(path)
    assert page is None and problems and "Markdown could not be parsed" in problems[0].message
    shallow = write_page(tmp_path, "x--shallow.md", '---\ntitle: "Deep Roles"\n---\n\n## Analyst\n\n' + "- " * 50 + "deep\n")
    page, problems = parse_page(shallow)
    items = [i for s in page.sections for i in s.items]
    assert [(i.text, i.depth) for i in items] == [("deep", 49)]

# --- heading classification --------------------------------------------------------------

@pytest.mark.parametrize("heading, kind, prefix", [
    ("Responsibilities", "responsibilities", ""),
    ("Responsbilities", "responsibilities", ""),
    ("Job Responsibilities", "responsibilities", ""),
    ("What you'll do", "responsibilities", ""),
    ("Requirments", "requirements", ""),
    ("Qualifications", "requirements", ""),
    ("Requirements for Applicants", "requirements", ""),
    ("Must-have Requirements", "requirements", ""),
    ("Base Requirements Across All Levels", "requirements", ""),
    ("Nice to have", "nice_to_have", ""),
    ("Desirable skills", "nice_to_have", ""),
    ("Preferred Qualifications", "nice_to_have", ""),
    ("Senior Widget Engineer Preferred Qualifications", "nice_to_have", "Senior Widget Engineer"),
    ("Senior Widget Engineer Responsbilities", "responsibilities", "Senior Widget Engineer"),
    ("Key Performance Indicators (KPIs)", "performance_indicators", ""),
    ("Interview team and focus areas for each person", "hiring_process", ""),
    ("Hiring Plan", "hiring_process", ""),
    ("Hiring Process for EMEA", "hiring_process", "EMEA"),
    ("Career Path", "career_ladder", ""),
    ("Widget Manager Job Grade", "grade", "Widget Manager"),
    ("Manager, Widgets Responsibilities Widget Requirements", "requirements", "Manager, Widgets Responsibilities Widget"),
])
def test_headings_are_classified_tolerantly(heading: str, kind: str, prefix: str):
    found = classify_heading(heading)
    assert found is not None and (found.kind, found.prefix) == (kind, prefix)


@pytest.mark.parametrize("heading", ["Customer Experience Director", "Staff Widget Engineer", "Manager, IT", "Span of Control", "Performance Engineer"])
def test_role_and_topic_headings_are_not_sections(heading: str):
    assert classify_heading(heading) is None


def test_a_misspelt_heading_says_how_close_it_was():
    found = classify_heading("Responsbilities")
    assert found.score < 100 and "~ 'responsibilities' (97)" in found.reason
    assert classify_heading("Responsibilities").reason == "section name 'Responsibilities' = 'responsibilities'"


# --- stage 2: structure ------------------------------------------------------------------

def test_structure_builds_roles_and_owned_sections_without_facts():
    page = build_structure(source_of("## Responsibilities\n\n- Family duty\n\n## Widget Analyst\n\nThe Widget Analyst is a grade 6.\n\n"
                                     "### Responsibilities\n\n- Analyse widgets\n"))
    assert list(page.roles) == ["Widget Analyst"]
    assert [(s.kind, s.owner, [i.text for i in s.items]) for s in page.sections] == [
        ("responsibilities", None, ["Family duty"]),
        ("overview", "Widget Analyst", ["The Widget Analyst is a grade 6."]),
        ("responsibilities", "Widget Analyst", ["Analyse widgets"]),
    ]
    assert page.grades == [] and page.reports == []
    assert page.sections[2].reason == "section name 'Responsibilities' = 'responsibilities'; under role"


# --- stage 3: facts ----------------------------------------------------------------------

def hand_built_page() -> Page:
    page = Page(path="p.md", title="Widget Roles", family="Widget", url="https://h/p/", sha256="0")
    page.roles = {"Widget Analyst": Role("Widget Analyst", 3, "widget-analyst"), "Senior Widget Analyst": Role("Senior Widget Analyst", 9, "senior-widget-analyst")}
    page.sections = [
        Section("overview", "Widget Analyst", 4, "Widget Analyst", "widget-analyst", [
            Item("The Widget Analyst is a [6](https://h/handbook/compensation/#grades).", 4, "paragraph"),
            Item("The Widget Analyst reports to the VP, People & Culture.", 5, "paragraph"),
        ]),
        Section("overview", "Senior Widget Analyst", 10, "Senior Widget Analyst", "senior-widget-analyst", [
            Item("The Senior Widget Analyst is a grade 7.5 and reports to the Sr. Director, Legal and Compliance.", 10, "paragraph"),
        ]),
    ]
    return page


def test_facts_are_read_from_a_hand_built_structure():
    page = hand_built_page()
    read_facts(page)
    assert [(g.role, g.grade, g.line) for g in page.grades] == [("Widget Analyst", 6.0, 4), ("Senior Widget Analyst", 7.5, 10)]
    assert [(r.role, r.target) for r in page.reports] == [
        ("Widget Analyst", "VP, People & Culture"), ("Senior Widget Analyst", "Sr. Director, Legal and Compliance"),
    ]


@pytest.mark.parametrize("text, expected", [
    ("The X is a [6](/handbook/compensation-calculator/#gitlab-job-grades).", "The X is a grade 6."),
    ("The X is a [level 11](/handbook/total-rewards/#job-grades).", "The X is a grade 11."),
    ("The X is a grade [8].", "The X is a grade 8."),
    ("The X is a [6](/team/x/) person.", "The X is a 6 person."),
])
def test_grade_text_reads_number_links_only_when_they_point_at_grades(text: str, expected: str):
    assert grade_text(text) == expected


# --- the reports-to sentence patterns start only at a sentence's start ----------------------

PIECES = ["report", "reports to ", "reporting ", "Reports into ", "report directly to the ", "has a ", "with a ",
          "dotted line ", "dotted-line ", "relationship ", "the ", "to ", "so ", "in", "Manager, Sales", "VP",
          "has a dotted line to ", "with a dotted-line reporting relationship to ", " ", "  ", ".", ";", "!", "?", ",", "a", "x", "\x01", "0", "\x02", "\n"]


@pytest.mark.parametrize("name", ["REPORTS_SENTENCE", "DOTTED_SENTENCE"])
def test_a_sentence_pattern_finds_what_it_found_trying_every_position(name: str):
    """SENTENCE_START only spares the scan from positions inside a sentence: on 5,000 texts made
    of reporting phrases and sentence ends, the matches (where, and every group) are those of the
    pattern tried at every position."""
    anchored = getattr(page_facts, name)
    assert anchored.pattern.startswith(page_facts.SENTENCE_START)
    everywhere = re.compile(anchored.pattern[len(page_facts.SENTENCE_START):], anchored.flags)
    pick = random.Random(11).choice
    matched = 0
    for _ in range(5000):
        text = "".join(pick(PIECES) for _ in range(pick(range(30))))
        found = [(m.span(), m.groupdict()) for m in anchored.finditer(text)]
        assert found == [(m.span(), m.groupdict()) for m in everywhere.finditer(text)], text
        matched += bool(found)
    assert matched > 500  # the texts do hold reporting lines, many of them


def test_reports_to_sentences_after_one_that_names_no_line_are_still_read():
    text = "Reporting is weekly; the Widget Lead reports to the VP, Widgets. She has a dotted line to the CFO."
    assert [m.group("subj").strip() for m in page_facts.REPORTS_SENTENCE.finditer(text)] == ["the Widget Lead"]
    assert [m.group("obj") for m in page_facts.DOTTED_SENTENCE.finditer(text)] == ["the CFO"]


GRADE_PIECES = ["The Widget Manager is a grade 7", " is grade 8", " are a job grade 9.5", "Senior X will be a level 10",
                " or 9", "/11", " and Y is a grade 6", "grade ", "level ", " is ", "7", "8.5", "[8]", "#", "|", ".", ";",
                "!", "?", " ", ",", "x", "\x01", "0", "\x02", "9.", ".5"]


def test_grade_sentences_are_finditers_matches_without_its_scan():
    """grade_sentences tries only sentence starts and the ends of earlier matches: on 5,000 texts
    made of grade phrases and sentence ends, its matches (where, every group) are finditer's."""
    pick = random.Random(13).choice
    matched = several = 0
    for _ in range(5000):
        text = "".join(pick(GRADE_PIECES) for _ in range(pick(range(20))))
        found = [(m.span(), m.groupdict()) for m in page_facts.grade_sentences(text)]
        assert found == [(m.span(), m.groupdict()) for m in page_facts.GRADE_SENTENCE.finditer(text)], text
        matched += bool(found)
        several += len(found) > 1
    assert matched > 1000 and several > 200  # many texts hold one grade sentence, many more than one
