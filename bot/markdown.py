"""Markdown structure: turn a page body into a flat list of blocks with line numbers.

markdown-it-py does the real parsing (lists, nesting, tables, links, HTML);
this module only flattens its token stream into the four kinds of block the
role parser cares about, rendering inline content as the light Markdown used
in answers (``[label](absolute-url)`` links, everything else as plain text).
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from markdown_it import MarkdownIt
from markdown_it.token import Token

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


def _blank_preserving_lines(match: re.Match[str]) -> str:
    """Replace a fragment with spaces but keep its newlines, so line numbers stay true."""
    return "".join("\n" if ch == "\n" else " " for ch in match.group(0))


def strip_templates(body: str) -> str:
    """Drop ERB tags and kramdown attribute markers that are not content."""
    body = ERB_TAG.sub(_blank_preserving_lines, body)
    return KRAMDOWN_MARKER.sub(_blank_preserving_lines, body)


# Block structure comes from markdown-it (lists, nesting, tables, headings). Only the block rules
# job pages use are on: horizontal rules, block quotes, indented code and setext headings read as
# ordinary text. Inline markup is rendered by render_inline below rather than by markdown-it's
# inline parser: answers only need text and links, and this halves parsing time at handbook scale.
_PARSER = MarkdownIt("zero", {"html": True}).enable(["heading", "list", "paragraph", "table", "fence", "html_block"])
_PARSER.disable("inline")
# markdown-it logs every block rule it tries at DEBUG; at thousands of pages that alone costs seconds
logging.getLogger("markdown_it").setLevel(logging.INFO)

CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()]*(?:\([^()]*\)[^()]*)*\)")
INLINE_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!--.*?-->", re.S)
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
SHIELD = "\x00"
ALL_BOLD = re.compile(r"\s*(\*\*|__)(?=\S)[^*_\n]+?(?<=\S):?\1\s*:?\s*")
INLINE_MARKUP = re.compile(r"[\[\]<>`\\&*_!\x00]")


def render_inline(content: str, base_url: str, page_url: str, links: bool) -> str:
    """Inline Markdown as light Markdown: links kept (absolute) or reduced to labels, markup dropped.

    Code spans are set aside first so nothing inside them is read as markup;
    backslash escapes likewise.
    """
    if not INLINE_MARKUP.search(content):
        return " ".join(content.split())  # plain text, the common case
    kept: list[str] = []

    def keep(text: str) -> str:
        kept.append(text)
        return f"{SHIELD}{len(kept) - 1}{SHIELD}"

    text = CODE_SPAN.sub(lambda m: keep(m.group(2).strip()), content.replace(SHIELD, ""))
    text = ESCAPE.sub(lambda m: keep(m.group(1)), text)
    text = IMAGE.sub(lambda m: m.group(1), text)

    def link(match: re.Match[str]) -> str:
        label = " ".join(_plain(match.group(1)).split())
        url = absolute_url(html.unescape(match.group(2)), base_url, page_url).replace("[", "%5B").replace("]", "%5D")
        if not links:
            return keep(label or url)
        label = (label or url).replace("[", "(").replace("]", ")")
        return keep(f"[{label}]({url})")

    text = INLINE_LINK.sub(link, text)
    text = AUTOLINK.sub(lambda m: keep(f"[{m.group(1)}]({m.group(1)})" if links else m.group(1)), text)
    text = _plain(text)
    while SHIELD in text:
        text = re.sub(f"{SHIELD}(\\d+){SHIELD}", lambda m: kept[int(m.group(1))], text)
    return re.sub(r"\s+", " ", text).strip()


def _plain(text: str) -> str:
    """Text without HTML tags, emphasis markers or entities."""
    text = HTML_TAG.sub("", text)
    text = STRONG.sub(r"\2", text)
    text = EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return html.unescape(text)


def absolute_url(href: str, base_url: str, page_url: str) -> str:
    """Make handbook-relative links usable from Slack: ``/handbook/x`` -> ``{base}/handbook/x``."""
    href = href.strip()
    if not href:
        return page_url
    if href.startswith("#"):
        return page_url + href
    if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE):
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
    return [Block("item", f"{labels.get(a, a)} → {labels.get(b, b)}", line) for a, b, line in edges]


def parse_blocks(body: str, *, base_url: str, page_url: str, line_offset: int = 0) -> list[Block]:
    """Flatten a Markdown body into headings, paragraphs, list items and table rows.

    ``line_offset`` is the number of file lines before ``body`` (the front
    matter), so every block's ``line`` is a line number in the file itself.
    """
    tokens = _PARSER.parse(strip_templates(body))
    blocks: list[Block] = []
    list_stack: list[dict[str, int | bool]] = []  # one entry per open list
    item_open_at: list[int] = []  # index in blocks of the current item, per list level
    pending_heading: tuple[int, int] | None = None
    row: list[str] = []
    row_line = 0

    def line_of(tok: Token) -> int:
        return (tok.map[0] if tok.map else 0) + 1 + line_offset

    for i, tok in enumerate(tokens):
        t = tok.type
        if t == "heading_open":
            pending_heading = (int(tok.tag[1]), line_of(tok))
        elif t in ("bullet_list_open", "ordered_list_open"):
            start = int(tok.attrs.get("start", 1) or 1) if t == "ordered_list_open" else 0
            list_stack.append({"ordered": t == "ordered_list_open", "next": start})
        elif t in ("bullet_list_close", "ordered_list_close"):
            if list_stack:
                list_stack.pop()
        elif t == "list_item_open":
            current = list_stack[-1] if list_stack else {"ordered": False, "next": 0}
            number = None
            if current["ordered"]:
                number = int(current["next"])
                current["next"] = number + 1
            blocks.append(
                Block("item", "", line_of(tok), depth=max(len(list_stack) - 1, 0), number=number)
            )
            item_open_at.append(len(blocks) - 1)
        elif t == "list_item_close":
            if item_open_at:
                item_open_at.pop()
        elif t == "tr_open":
            row, row_line = [], line_of(tok)
        elif t == "tr_close":
            cells = tuple(row)
            blocks.append(Block("row", " | ".join(c for c in cells if c), row_line, cells=cells))
        elif t == "inline":
            parent = tokens[i - 1].type if i else ""
            if parent == "heading_open" and pending_heading:
                level, line = pending_heading
                text = render_inline(tok.content, base_url, page_url, links=False)
                blocks.append(Block("heading", text, line, level=level))
                pending_heading = None
            elif parent in ("th_open", "td_open"):
                row.append(render_inline(tok.content, base_url, page_url, links=True))
            else:
                text = render_inline(tok.content, base_url, page_url, links=True)
                if not text:
                    continue
                if item_open_at and tokens[i - 1].hidden:
                    idx = item_open_at[-1]
                    item = blocks[idx]
                    if item.text:
                        # a later paragraph of the same item: keep it with the item
                        blocks.append(Block("paragraph", text, line_of(tok), depth=item.depth + 1))
                    else:
                        blocks[idx] = Block(
                            "item", text, item.line, depth=item.depth, number=item.number
                        )
                else:
                    depth = len(list_stack)
                    bold = not list_stack and ALL_BOLD.fullmatch(tok.content) is not None
                    blocks.append(Block("paragraph", text, line_of(tok), depth=depth, bold=bold))
        elif t == "fence" and tok.info.strip().lower().startswith("mermaid"):
            blocks.extend(mermaid_edges(tok.content, line_of(tok) + 1))
        elif t == "html_block":
            continue
    return [b for b in blocks if b.kind != "item" or b.text]
