"""Markdown structure: turn a page body into a flat list of blocks with line numbers.

markdown-it.rs does the real parsing (lists, nesting, tables, fences, HTML);
this module flattens its tree into the four kinds of block the
role parser cares about, rendering inline content as the light Markdown used
in answers (``[label](absolute-url)`` links, everything else as plain text).
Parts of a page made only of plain lines (headings, paragraphs, one-line
items) are read by a line scan that gives the same blocks (_plain_blocks).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from itertools import accumulate
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from markdown_it_pyrs import MarkdownIt, Node

ERB_TAG = re.compile(r"<%.*?%>", re.DOTALL)
KRAMDOWN_MARKER = re.compile(r"^\s*(\{:[^}\n]*\}|\{::[^}\n]*/?\})\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    """One unit of page content.

    ``kind`` is ``heading``, ``paragraph``, ``item`` (a list item) or ``row``
    (a table row, cells joined with `` | ``). ``depth`` is the list nesting
    level (0 for top-level items), ``number`` the item's number in an ordered
    list.
    """

    kind: str
    text: str
    line: int
    level: int = 0
    depth: int = 0
    number: int | None = None
    cells: tuple[str, ...] = ()
    bold: bool = False  # a paragraph that is all bold: some pages use one as a heading


_new_object = object.__new__


def make_block(kind: str, text: str, line: int, level: int = 0, depth: int = 0, number: int | None = None,
               cells: tuple[str, ...] = (), bold: bool = False) -> Block:
    """``Block(...)`` without the frozen dataclass's ``__init__``, which sets each of the eight
    fields through ``object.__setattr__``: the same fields in the same order, so the same Block
    (equal, same hash and repr), at half the cost; the flattener makes one for every block of
    every page."""
    block = _new_object(Block)
    block.__dict__.update(kind=kind, text=text, line=line, level=level, depth=depth, number=number, cells=cells, bold=bold)
    return block


def _blank_preserving_lines(match: re.Match[str]) -> str:
    """Replace a fragment with spaces but keep its newlines, so line numbers stay true."""
    return "".join("\n" if ch == "\n" else " " for ch in match.group(0))


def strip_templates(body: str) -> str:
    """Drop ERB tags and kramdown attribute markers that are not content."""
    if "<%" in body:  # neither pattern can match without its opening characters
        body = ERB_TAG.sub(_blank_preserving_lines, body)
    if "{:" in body:
        body = KRAMDOWN_MARKER.sub(_blank_preserving_lines, body)
    return body


# Reference-style links, resolved the way kramdown (the handbook's renderer) does: a definition line
# "[label]: url" anywhere on the page names a URL for "[text][label]", "[text][]" and "[label]".
LINK_DEFINITION = re.compile(r"^ {0,3}\[([^\[\]\n]+)\]:[ \t]*<?([^\s<>]+)>?(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$", re.M)
REFERENCE_LINK = re.compile(r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\](?:[ ]?\[([^\[\]\n]*)\]|(?![\[(:]))")


def _label(text: str) -> str:
    """A reference label as matched: case and runs of spaces do not count."""
    return " ".join(text.split()).casefold()


def inline_references(body: str) -> str:
    """Reference links written as inline links, and their definition lines blanked (kept as empty
    lines, so line numbers stay true): a definition is no content, and "[values][values]" would
    otherwise be shown to the user as typed."""
    if "]:" not in body:
        return body
    urls: dict[str, str] = {}

    def define(match: re.Match[str]) -> str:
        urls.setdefault(_label(match.group(1)), match.group(2))
        return ""

    body = LINK_DEFINITION.sub(define, body)
    if not urls:
        return body

    def link(match: re.Match[str]) -> str:
        text, label = match.group(1), match.group(2)
        url = urls.get(_label(label or text))
        return f"[{text}]({url})" if url else match.group(0)

    return REFERENCE_LINK.sub(link, body)


# Block structure comes from markdown-it.rs (markdown-it's Rust port, through markdown-it-pyrs): lists,
# nesting, tables, headings, fences, HTML blocks, and horizontal rules (a "---" between sections is
# no content: answers showed it as a line). Only the block rules job pages use are on: block quotes,
# indented code and setext headings read as ordinary text (link reference definitions are taken out
# before, see inline_references). No inline rule runs: render_inline below renders inline markup, since answers
# only need text and links. The tree it builds is the one markdown-it-py's token stream gave, at a
# fifth of the cost (see README, Dependencies).
_PARSER = MarkdownIt("zero").enable_many(["heading", "list", "paragraph", "table", "fence", "html_block", "hr"])

CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()]*(?:\([^()]*\)[^()]*)*\)")
INLINE_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!--.*?-->", re.S)
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
SHIELD = "\x00"
SHIELDED = re.compile(f"{SHIELD}(\\d+){SHIELD}")
ALL_BOLD = re.compile(r"\s*(\*\*|__)(?=\S)[^*_\n]+?(?<=\S):?\1\s*:?\s*")
URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # "https:", "mailto:": a link that is already absolute


def has_inline_markup(text: str) -> bool:
    """Whether a text holds any character inline markup starts with (``[ ] < > ` \\ & * _ !`` or
    NUL). Eleven substring tests, each a fast C scan, instead of one character-class regex, which
    tested every position in Python's regex engine (over a build's texts, 0.22 ms a page of them
    became 0.16).
    """
    return ("[" in text or "]" in text or "<" in text or ">" in text or "`" in text or "\\" in text
            or "&" in text or "*" in text or "_" in text or "!" in text or "\x00" in text)


def render_inline(content: str, base_url: str, page_url: str, links: bool) -> str:
    """Inline Markdown as light Markdown: links kept (absolute) or reduced to labels, markup dropped.

    Code spans are set aside first so nothing inside them is read as markup;
    backslash escapes likewise.
    """
    if not has_inline_markup(content):
        return " ".join(content.split())  # plain text, the common case
    kept: list[str] = []

    def keep(text: str) -> str:
        kept.append(text)
        return f"{SHIELD}{len(kept) - 1}{SHIELD}"

    # each pattern runs only where the text holds the characters it cannot match without
    text = content.replace(SHIELD, "")
    if "`" in text:
        text = CODE_SPAN.sub(lambda m: keep(m.group(2).strip()), text)
    if "\\" in text:
        text = ESCAPE.sub(lambda m: keep(m.group(1)), text)
    if "![" in text:
        text = IMAGE.sub(lambda m: m.group(1), text)

    def link(match: re.Match[str]) -> str:
        label = " ".join(_plain(match.group(1)).split())
        url = absolute_url(html.unescape(match.group(2)), base_url, page_url).replace("[", "%5B").replace("]", "%5D")
        if not links:
            return keep(label or url)
        label = (label or url).replace("[", "(").replace("]", ")")
        return keep(f"[{label}]({url})")

    if "](" in text:
        text = INLINE_LINK.sub(link, text)
    if "<" in text:
        text = AUTOLINK.sub(lambda m: keep(f"[{m.group(1)}]({m.group(1)})" if links else m.group(1)), text)
    text = _plain(text)
    while SHIELD in text:
        text = SHIELDED.sub(lambda m: kept[int(m.group(1))], text)
    return " ".join(text.split())


def _plain(text: str) -> str:
    """Text without HTML tags, emphasis markers or entities."""
    if "<" in text:
        text = HTML_TAG.sub("", text)
    if "**" in text or "__" in text:
        text = STRONG.sub(r"\2", text)
    if "*" in text or "_" in text:
        text = EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return html.unescape(text)


def absolute_url(href: str, base_url: str, page_url: str) -> str:
    """Make handbook-relative links usable from Slack: ``/handbook/x`` -> ``{base}/handbook/x``."""
    href = href.strip()
    if not href:
        return page_url
    if href.startswith("#"):
        return page_url + href
    if URL_SCHEME.match(href):
        return href
    if href.startswith("/"):
        return base_url.rstrip("/") + href
    return urljoin(page_url, href)


MERMAID_NODE = r"([\w:.-]+)\s*(?:\(\(?([^()]*)\)?\)|\[([^\[\]]*)\]|\{([^{}]*)\})?"
MERMAID_EDGE = re.compile(MERMAID_NODE + r"\s*(?:-{2,}>|==>|-\.->|-->)\s*(?:\|[^|]*\|\s*)?" + MERMAID_NODE)


def mermaid_edges(source: str, first_line: int) -> list[Block]:
    """A mermaid career ladder ("a(Senior X)-->b(Staff X)") as one "Senior X → Staff X" item per
    arrow, labels looked up by node id: the ladder is in the picture, not in any sentence."""
    labels: dict[str, str] = {}
    edges: list[tuple[str, str, int]] = []
    for offset, line in enumerate(source.splitlines()):
        for match in MERMAID_EDGE.finditer(line):
            a, b = match.group(1), match.group(5)
            for node, groups in ((a, match.groups()[1:4]), (b, match.groups()[5:8])):
                label = next((g for g in groups if g), None)
                if label:
                    labels[node] = " ".join(label.strip(" \"'").split())
            edges.append((a, b, first_line + offset))
    return [make_block("item", f"{labels.get(a, a)} → {labels.get(b, b)}", line) for a, b, line in edges]


def parse_blocks(body: str, *, base_url: str, page_url: str, line_offset: int = 0) -> list[Block]:
    """Flatten a Markdown body into headings, paragraphs, list items and table rows.

    ``line_offset`` is the number of file lines before ``body`` (the front
    matter), so every block's ``line`` is a line number in the file itself.
    """
    source = normalize(inline_references(strip_templates(body)))
    if _odd_space(source):  # tabs, form feeds, no-break spaces: markdown-it.rs reads it all
        return _parsed_blocks(source, base_url, page_url, line_offset)
    lines = source.split("\n")
    blocks: list[Block] = []
    for start, end in _sections(source, lines):
        part = _plain_blocks(lines, start, end, base_url, page_url, line_offset)
        if part is None:  # structure the scan does not read: markdown-it.rs reads this part
            text = "\n".join(lines[start:end]) + ("\n" if end < len(lines) else "")
            part = _parsed_blocks(text, base_url, page_url, line_offset + start)
        blocks.extend(part)
    return blocks


def _parsed_blocks(source: str, base_url: str, page_url: str, line_offset: int) -> list[Block]:
    """Blocks of a text parsed by markdown-it.rs, its tree flattened."""
    flat = _Flattener(base_url, page_url, _LineIndex(source, line_offset))
    flat.visit(_tree(source).children)
    return flat.result()


# The line scan (_plain_blocks) reads the plain Markdown most of a job page is (ATX headings,
# paragraphs, top-level bullet items, horizontal rules) straight from the lines, and leaves every
# other line to markdown-it.rs: walking its tree through Python objects was a third of a page's
# parse. The page is cut into parts at headings that nothing can hold (no fence or HTML block on the
# page, no table row beside them), so a part with a table, an ordered or nested list is parsed alone
# and the plain parts beside it are scanned. tests/test_markdown_scan.py holds the two readings equal.
# whitespace other than the space and the line end (what str.isspace is true of, tests/test_markdown_scan.py
# checks): markdown-it.rs, Rust's trim and Python's strip may each read it differently
ASCII_ODD_SPACES = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f"
OTHER_ODD_SPACES = "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
HOLDING_LINE = re.compile(r"^ *(?:<|```|~~~)", re.M)  # a fence or HTML block can hold a heading line
CUT_HEADING = re.compile(r"#{1,6}(?: |$)")
HEADING_LINE = re.compile(r"(#{1,6}) +(.*[^ #]) *")  # no closing #s
THEMATIC_BREAK = re.compile(r"([-*_])(?: *\1){2,} *")
ORDERED_START = re.compile(r"\d{1,9}[.)](?: |$)")


def _odd_space(source: str) -> bool:
    """Whether the text holds whitespace other than spaces and line ends: a substring test a
    character (each a fast C scan; a regex character class tested every position in Python's
    regex engine, as long as the rest of the scan)."""
    return any(space in source for space in ASCII_ODD_SPACES) or (
        not source.isascii() and any(space in source for space in OTHER_ODD_SPACES))


def _sections(source: str, lines: list[str]) -> list[tuple[int, int]]:
    """The page's lines cut into parts (start, end) before each heading line that no other block
    can hold: markdown-it.rs ends every paragraph and list at such a line, so each part reads the
    same alone. Without cuts when a fence or HTML block could hold one."""
    if ("<" in source or "```" in source or "~~~" in source) and HOLDING_LINE.search(source):
        return [(0, len(lines))]
    cuts = [0]
    number, counted = 0, 0
    at = source.find("\n#")  # heading lines found by a C scan, not a Python loop over every line
    while at != -1:
        number += source.count("\n", counted, at + 1)
        counted = at + 1
        line = lines[number]
        if CUT_HEADING.match(line) and "|" not in line and "|" not in lines[number - 1]:
            cuts.append(number)
        at = source.find("\n#", at + 1)
    cuts.append(len(lines))
    return list(zip(cuts, cuts[1:]))


def _plain_start(text: str) -> bool:
    """Whether a line (or an item's text) at this place is paragraph text: no block starts there."""
    first = text[0]
    if first in "#>|<-+ =" or first.isdigit() and ORDERED_START.match(text):
        return False
    if first == "*" and text[1:2] in ("", " ") or first in "`~" and text[1:3] == first * 2:
        return False  # a bullet item, a fence
    return not (first in "*_" and THEMATIC_BREAK.fullmatch(text))


ITEM_MARKER = re.compile(r"(?:[-*+]|(\d{1,9})[.)]) (?! )")  # a list item's marker and its one space


def _list_item(text: str) -> tuple[str, int | None, str] | None:
    """A list item's marker, number (None for a bullet) and text, when the line starts one whose
    text is paragraph text; else None."""
    match = ITEM_MARKER.match(text)
    if match is None:
        return None
    content = text[match.end():]
    if not content or not _plain_start(content):
        return None
    digits = match.group(1)
    if digits is None:
        return text[0], None, content
    return text[match.end() - 2], int(digits), content


def _plain_blocks(lines: list[str], start: int, end: int, base_url: str, page_url: str,
                  line_offset: int) -> list[Block] | None:
    """The blocks of lines[start:end] read line by line, as markdown-it.rs and the flattener give
    them, or None when a line is anything but a blank, an ATX heading, a horizontal rule,
    paragraph text at the margin (a continuation line of a paragraph or item included), or a list
    item with one line of text: at the margin, or right under another such item at its text's
    indent (one level of nesting)."""
    blocks: list[Block] = []
    text_lines: list[str] = []  # the open paragraph's or item's lines
    text_kind, text_line, text_depth, text_number = "", 0, 0, None
    lists: list[list] = []  # the open lists, outermost first: [marker, next number, indent of the items' text]
    after_marker = False  # whether the line before was an item's first line

    def close() -> None:
        content = "\n".join(text_lines).strip(" ")
        text = render_inline(content, base_url, page_url, True)
        if text:
            if text_kind == "item":
                blocks.append(make_block("item", text, text_line, 0, text_depth, text_number))
            else:  # never inside a list here, so the flattener's bold test applies
                blocks.append(make_block("paragraph", text, text_line, 0, 0, None, (), ALL_BOLD.fullmatch(content) is not None))
        text_lines.clear()

    for number in range(start, end):
        line = lines[number]
        if not line.strip(" "):  # a blank line ends the open paragraph or item
            if text_lines:
                close()
            after_marker = False
            continue
        if "|" in line:
            return None  # a table's row, or a pipe markdown-it.rs might read as one
        first = line[0]
        if first == " ":  # only a nested item right under an item, at its text's indent
            body = line.lstrip(" ")
            item = _list_item(body)
            if item is None or not after_marker or len(line) - len(body) != lists[0][2]:
                return None
            depth = 1
        elif _plain_start(line):  # paragraph text, or a continuation line of the open one or item
            if not text_lines:
                lists.clear()  # paragraph text after a blank ends the lists
                text_kind, text_line = "paragraph", number + 1 + line_offset
            text_lines.append(line)
            after_marker = False
            continue
        elif first == "#":
            match = HEADING_LINE.fullmatch(line)
            if match is None:
                return None
            if text_lines:
                close()
            lists.clear()
            blocks.append(make_block("heading", render_inline(match.group(2), base_url, page_url, False),
                                     number + 1 + line_offset, len(match.group(1))))
            after_marker = False
            continue
        elif first in "-*_" and line.count(first) >= 3 and THEMATIC_BREAK.fullmatch(line):  # no content
            if text_lines:
                close()
            lists.clear()
            after_marker = False
            continue
        else:
            item = _list_item(line)
            if item is None:
                return None
            depth = 0
        marker, value, content = item
        del lists[depth + 1:]
        if len(lists) > depth and lists[depth][0] == marker and (value is None) == (lists[depth][1] is None):
            current = lists[depth]  # the next item of the same list
        else:
            if value is not None and value != 1 and (text_lines or depth):
                return None  # may not start a list here: markdown-it.rs would read a continuation line
            del lists[depth:]
            current = [marker, None if value is None else value or 1, len(line) - len(content)]
            lists.append(current)
        if text_lines:
            close()
        text_kind, text_line, text_depth, text_number = "item", number + 1 + line_offset, depth, current[1]
        if current[1] is not None:
            current[1] += 1
        text_lines.append(content)
        after_marker = True
    if text_lines:
        close()
    return blocks


def _tree(source: str) -> Node:
    """markdown-it.rs's tree; a panic in the Rust code (a BaseException) becomes an ordinary error,
    so the page is reported as unparsable instead of stopping the build."""
    try:
        return _PARSER.tree(source)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        raise ValueError(f"markdown-it.rs failed: {exc}") from exc


def normalize(text: str) -> str:
    """Line ends and NULs as markdown-it reads them, so byte offsets map to the file's lines."""
    if "\r" not in text and "\x00" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


class _LineIndex:
    """Byte offset (what markdown-it.rs reports) to file line number, by bisecting line starts."""

    def __init__(self, source: str, line_offset: int) -> None:
        lines = source.encode("utf-8").split(b"\n")
        lines.pop()  # what follows the last line end starts no line of its own
        self.starts = list(accumulate([len(line) + 1 for line in lines], initial=0))
        self.offset = line_offset

    def line(self, node: Node) -> int:
        srcmap = node.srcmap
        return bisect_right(self.starts, srcmap[0]) + self.offset if srcmap else 1 + self.offset


def _text(node: Node) -> str:
    """A block's raw inline text (no inline rules run, so one text child or none).

    The one-child case is read directly: a generator and a join for every paragraph, heading and
    cell cost more than the one child's content they gave."""
    children = node.children
    if len(children) == 1:
        child = children[0]
        return child.meta.get("content", "") if child.name == "text" else ""
    return "".join(child.meta.get("content", "") for child in children if child.name == "text")


class _Flattener:
    """Walks markdown-it.rs's tree once, in document order, keeping the open lists and items.

    The blocks are the ones the markdown-it-py token stream gave before (the parse tests and the
    saved snapshot of every real page hold it to that): a list item's first paragraph in a tight
    list is the item's text, a later one a paragraph one level deeper, and so in a loose list; table
    rows keep every cell, empty ones too.
    """

    def __init__(self, base_url: str, page_url: str, lines: _LineIndex) -> None:
        self.base_url, self.page_url, self.lines = base_url, page_url, lines
        self.blocks: list[Block | None] = []
        self.lists: list[list[int | bool]] = []  # [ordered, next number] per open list
        self.empty_items = False  # whether an item got no text, leaving its place (None) in blocks

    def result(self) -> list[Block]:
        """The blocks, items that got no text left out."""
        if self.empty_items:
            return [block for block in self.blocks if block is not None]
        return self.blocks  # type: ignore[return-value]

    def visit(self, nodes: Sequence[Node]) -> None:
        """Each node, as a block of its own or as a container of blocks."""
        blocks, lines, base_url, page_url = self.blocks, self.lines, self.base_url, self.page_url
        for child in nodes:
            name = child.name
            if name == "paragraph":
                content = _text(child)
                text = render_inline(content, base_url, page_url, True)
                if text:
                    bold = not self.lists and ALL_BOLD.fullmatch(content) is not None
                    blocks.append(make_block("paragraph", text, lines.line(child), 0, len(self.lists), None, (), bold))
            elif name == "list_item":
                self.list_item(child)
            elif name == "bullet_list" or name == "ordered_list":
                # markdown-it-py gave no start for "0.", so such a list numbers from 1, as before
                start = int(child.meta.get("start") or 1) if name == "ordered_list" else 0
                self.lists.append([name == "ordered_list", start])
                for item in child.children:  # list items, each straight to its reader
                    if item.name == "list_item":
                        self.list_item(item)
                    else:
                        self.visit((item,))
                self.lists.pop()
            elif name == "heading":
                text = render_inline(_text(child), base_url, page_url, False)
                blocks.append(make_block("heading", text, lines.line(child), child.meta["level"]))
            elif name == "trow":
                cells = tuple(render_inline(_text(cell), base_url, page_url, True) for cell in child.children)
                blocks.append(make_block("row", " | ".join(c for c in cells if c), lines.line(child), 0, 0, None, cells))
            elif name == "fence":
                meta = child.meta
                if str(meta.get("info", "")).strip().lower().startswith("mermaid"):
                    blocks.extend(mermaid_edges(meta.get("content", ""), lines.line(child) + 1))
            elif name != "html_block":
                self.visit(child.children)  # table, thead, tbody

    def list_item(self, node: Node) -> None:
        """An item, as a Block made when its first text is seen, in the place it took in the
        blocks when it opened (before what its later children add); None there if it gets none."""
        current = self.lists[-1] if self.lists else [False, 0]
        number = None
        if current[0]:
            number = int(current[1])
            current[1] = number + 1
        blocks = self.blocks
        place = len(blocks)
        blocks.append(None)
        line, depth = self.lines.line(node), max(len(self.lists) - 1, 0)
        has_text = False
        for child in node.children:
            if child.name == "text":  # a tight list's paragraph: markdown-it.rs leaves out the node
                content = child.meta.get("content", "")
                # render_inline's own first step, for the plain text most items are
                text = render_inline(content, self.base_url, self.page_url, True) if has_inline_markup(content) else " ".join(content.split())
                if not text:
                    continue
                if has_text:
                    # a later paragraph of the same item: keep it with the item
                    blocks.append(make_block("paragraph", text, self.lines.line(child), 0, depth + 1))
                else:
                    blocks[place] = make_block("item", text, line, 0, depth, number)
                    has_text = True
            elif child.name == "paragraph" and not has_text:
                # a loose list's item (a blank line between items): its first paragraph is its text,
                # as in a tight list; it was a paragraph, and answers lost the item's bullet
                text = render_inline(_text(child), self.base_url, self.page_url, True)
                if text:
                    blocks[place] = make_block("item", text, line, 0, depth, number)
                    has_text = True
            else:
                self.visit((child,))
        if not has_text:
            self.empty_items = True
