"""The line scan of plain Markdown (bot.markdown._plain_blocks) gives exactly the blocks
markdown-it.rs's tree gives the flattener, on every page kind: real handbook pages, the seeds,
generated pages and random documents mixing plain lines with every construct the scan must leave
to markdown-it.rs (tables, nested and ordered lists, fences, HTML, indented and lazy lines)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from bot import markdown
from bot.page_read import FRONT_MATTER, read_page_text, split_front_matter

ROOT = Path(__file__).resolve().parent.parent
REAL = Path("/work/shared/corpus/gitlab-handbook")
BASE, URL = "https://h.example", "https://h.example/job-families/x/"


def whole_page_blocks(body: str, line_offset: int = 0) -> list[markdown.Block]:
    """What parse_blocks gave before the scan: the whole page through markdown-it.rs."""
    source = markdown.normalize(markdown.inline_references(markdown.strip_templates(body)))
    return markdown._parsed_blocks(source, BASE, URL, line_offset)


def assert_same_blocks(path: Path) -> None:
    problems: list = []
    text = read_page_text(path, problems, None)
    assert text is not None and FRONT_MATTER.match(text), path
    _meta, body, offset = split_front_matter(path, text, problems)
    blocks = markdown.parse_blocks(body, base_url=BASE, page_url=URL, line_offset=offset)
    assert blocks == whole_page_blocks(body, offset), path


def pages(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.md") if p.name != "SOURCE.md")


def test_seed_pages_read_the_same() -> None:
    for path in pages(ROOT / "seeds"):
        assert_same_blocks(path)


@pytest.mark.skipif(not REAL.is_dir(), reason="the real handbook pages are not on this machine")
def test_real_handbook_pages_read_the_same() -> None:
    found = pages(REAL)
    assert len(found) > 100
    for path in found:
        assert_same_blocks(path)


def test_generated_pages_read_the_same_and_mostly_by_the_scan(tmp_path: Path) -> None:
    generate(tmp_path / "corpus", families=40, seed=3, questions=10)
    found = pages(tmp_path / "corpus" / "pages")
    assert len(found) >= 40
    scanned = parsed = 0
    for path in found:
        assert_same_blocks(path)
        source = path.read_text(encoding="utf-8")
        lines = source.split("\n")
        for start, end in markdown._sections(source, lines):
            if markdown._plain_blocks(lines, start, end, BASE, URL, 0) is None:
                parsed += end - start
            else:
                scanned += end - start
    assert scanned > 4 * parsed  # the scan reads most lines; a part with a nested list goes to markdown-it.rs


def test_odd_spaces_are_every_whitespace_but_space_and_line_end() -> None:
    every = {chr(c) for c in range(0x110000) if chr(c).isspace()} - {" ", "\n"}
    assert set(markdown.ASCII_ODD_SPACES + markdown.OTHER_ODD_SPACES) == every
    assert all(markdown._odd_space(f"a{space}b") for space in every)
    assert not markdown._odd_space("plain text\nwith é and → but no odd space")


def test_a_part_left_to_markdown_it_keeps_its_line_numbers() -> None:
    body = "# Role\n\nIntro line\n\n## Hiring\n\n- Screen\n  1. First\n  1. Second\n- Offer\n\n## After\n\n- Plain item\n"
    blocks = markdown.parse_blocks(body, base_url=BASE, page_url=URL, line_offset=4)
    assert blocks == whole_page_blocks(body, 4)
    assert [(b.kind, b.text, b.line, b.depth, b.number) for b in blocks if b.kind == "item"] == [
        ("item", "Screen", 11, 0, None), ("item", "First", 12, 1, 1), ("item", "Second", 13, 1, 2),
        ("item", "Offer", 14, 0, None), ("item", "Plain item", 18, 0, None)]


WORDS = st.sampled_from(["Senior", "Engineer", "**Bold**", "*em*", "_u_", "[link](/x/)", "[ref]", "`code`", "x|y", "5+", "2.",
                         "1)", "#", "##", "&amp;", "<br>", "\\*", "-", "*", "+", "=", "~", ">", "__init__", "a_b", "é", "→"])
TEXT = st.lists(WORDS, min_size=0, max_size=4).map(" ".join)
LINE = st.one_of(
    st.just(""), st.just("   "), TEXT,
    st.builds(lambda n, t, tail: "#" * n + " " + t + tail, st.integers(1, 7), TEXT, st.sampled_from(["", " ", " #", "#"])),
    st.builds(lambda m, t, tail: m + t + tail, st.sampled_from(["- ", "* ", "+ ", "-  ", "-", "1. ", "2) ", "  - ", "  1. ", "    "]),
              TEXT, st.sampled_from(["", "  "])),
    st.sampled_from(["---", "***", "___", "* * *", "- - -", "--", "***bold***", "| a | b |", "|---|---|", "a | b", "```", "```mermaid",
                     "a-->b", "~~~", "<div>", "</div>", "<!-- c -->", "> quote", "[ref]: /handbook/x/", "Title", "===", "\tTab",
                     "a\u00a0b", " # indented", "#hashtag", "#", "## ", "1.", "10. ten", "0. zero"]),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=30))
def test_random_documents_read_the_same(lines: list[str]) -> None:
    body = "\n".join(lines) + "\n"
    assert markdown.parse_blocks(body, base_url=BASE, page_url=URL, line_offset=2) == whole_page_blocks(body, 2)
    cut = "\n".join(lines)  # no line end after the last line
    assert markdown.parse_blocks(cut, base_url=BASE, page_url=URL) == whole_page_blocks(cut)
