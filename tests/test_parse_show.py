"""`rolecall show` prints the outline the parser built; `rolecall index` lists suspicions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, write_page

PAGE = """---
title: "Widget Roles"
---

## Responsibilities

- Family duty

## Levels

### Widget Analyst

The Widget Analyst reports to the [VP, Widgets & Gadgets](/job-families/x/vp/).

#### Job Grade

The Widget Analyst is a grade 6.5.

#### Responsbilities

- Count widgets
- Sort widgets

### Senior Widget Analyst

#### Senior Widget Analyst Responsibilities

- Extends that of the Widget Analyst responsibilities
- Mentor

#### Span of Control

- Five analysts

## Performance Indicators

- Widgets per day
"""


def rolecall(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args, "--db", str(db)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_show_json_outlines_roles_facts_sections_and_reasons(tmp_path: Path):
    pages = tmp_path / "pages"  # the index may not live in the pages folder
    pages.mkdir()
    write_page(pages, "x--widget.md", PAGE)
    result = rolecall("show", "--seeds", str(pages), "--json", "Senior Widget Analyst", db=tmp_path / "i.sqlite")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["page"], data["asked_role"]) == ("x--widget.md", "Senior Widget Analyst")
    analyst, senior = data["roles"]
    assert analyst["grades"] == [{"grade": 6.5, "line": 17, "sentence": "The Widget Analyst is a grade 6.5."}]
    assert analyst["reports_to"][0]["target"] == "VP, Widgets & Gadgets" and analyst["reports_to"][0]["line"] == 13
    typo = next(s for s in analyst["sections"] if s["heading"] == "Responsbilities")
    assert (typo["kind"], typo["items"]) == ("responsibilities", 2)
    assert "~ 'responsibilities' (97)" in typo["reason"]
    inherited = next(s for s in senior["sections"] if s["kind"] == "responsibilities")
    assert inherited["inherits_from"] == ["Widget Analyst, responsibilities"]
    other = next(s for s in senior["sections"] if s["heading"] == "Span of Control")
    assert other["kind"] == "other" and "not a known section name" in other["reason"]
    assert [(s["kind"], s["items"]) for s in data["family_sections"]] == [("responsibilities", 1), ("performance_indicators", 1)]
    assert any("heading 'Span of Control' is not a known kind of section" in s for s in data["suspicions"])


def test_show_text_names_every_fact_with_its_line(tmp_path: Path):
    pages = tmp_path / "pages"  # the index may not live in the pages folder
    pages.mkdir()
    write_page(pages, "x--widget.md", PAGE)
    result = rolecall("show", "--seeds", str(pages), "x--widget.md", db=tmp_path / "i.sqlite")
    assert result.returncode == 0, result.stderr
    assert "role: Widget Analyst (line 11)" in result.stdout
    assert "  grade 6.5 (line 17): The Widget Analyst is a grade 6.5." in result.stdout
    assert "  reports to VP, Widgets & Gadgets (line 13): The Widget Analyst reports to the VP, Widgets & Gadgets." in result.stdout
    assert "  [responsibilities] Responsbilities (line 19): 2 item(s)" in result.stdout
    assert "      inherits from Widget Analyst, responsibilities" in result.stdout
    assert "  reports to: not stated" in result.stdout  # the Senior Widget Analyst


def test_show_an_unknown_role_is_an_error(tmp_path: Path):
    pages = tmp_path / "pages"  # the index may not live in the pages folder
    pages.mkdir()
    write_page(pages, "x--widget.md", PAGE)
    result = rolecall("show", "--seeds", str(pages), "Chief Happiness Officer", db=tmp_path / "i.sqlite")
    assert result.returncode == 1 and "no page or role matches 'Chief Happiness Officer'" in result.stderr


def test_index_counts_and_lists_suspicions_with_file_and_line(tmp_path: Path):
    pages = tmp_path / "pages"  # the index may not live in the pages folder
    pages.mkdir()
    write_page(pages, "x--widget.md", PAGE)
    result = rolecall("index", "--seeds", str(pages), db=tmp_path / "i.sqlite")
    assert result.returncode == 0, result.stderr
    assert "problems: 0" in result.stdout
    assert "suspicions: 2 " in result.stdout
    assert "  x--widget.md:13: suspicion: reports-to target 'VP, Widgets & Gadgets' matches no role in the index" in result.stdout
    assert "  x--widget.md:31: suspicion: heading 'Span of Control' is not a known kind of section; kept with 'Senior Widget Analyst'" in result.stdout


def test_app_home_lists_the_suspicions_below_the_problems(tmp_path: Path):
    from bot.engine import Engine
    from bot.slack.blocks import home_view

    pages = tmp_path / "pages"  # the index may not live in the pages folder
    pages.mkdir()
    write_page(pages, "x--widget.md", PAGE)
    engine = Engine(pages, tmp_path / "i.sqlite")
    stats = engine.stats()
    assert stats["problems"] == [] and len(stats["suspicions"]) == 2
    text = json.dumps(home_view(stats, "help", []), ensure_ascii=False)
    assert "*2 suspicion(s): read, but probably not as meant*" in text
    assert "x--widget.md:31: suspicion: heading 'Span of Control' is not a known kind of section" in text
