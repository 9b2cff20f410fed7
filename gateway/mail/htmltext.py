"""HTML-only mail as the text its author saw: paragraphs, line breaks, links, tables.

What a mail client renders is what the author meant, so the text follows the
rendering rules that matter for mail: a <div> or <br> ends a line (Gmail writes
one <div> per line, Outlook one <p class=MsoNormal> per line, with no margin),
a real paragraph (<p>, headings, lists, tables, blockquotes) is set off by one
blank line, and an empty block (<div><br></div>, <p>&nbsp;</p>) is a blank line.
Link targets follow their text ("our form (https://...)"), images give their
alt text, table rows become one line of " | "-separated cells.

The quoting matters: quotes.split_reply finds a reply's history by its "> "
lines, so an HTML reply keeps its blockquotes visible as quotes.
A hand-written converter on the stdlib parser (inscriptis would add lxml and
requests for the same job); one pass, linear in the input.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

_SPACE = re.compile(r"\s+")
QUOTE_DEPTH_MAX = 10  # deeper quotes are shown at this depth: 20,000 nested must not cost 20,000 "> " a line
HREF_MAX = 300
# Characters of HTML converted. Every tag costs the stdlib parser microseconds, so a
# crafted 2 MB of tags would take seconds; what a person wrote is at the top, and
# Word's verbose HTML of a long Outlook thread stays well under this. Mail.html keeps it all.
HTML_MAX = 500_000  # a longer link target is a tracking blob: its text is enough


class _HtmlText(HTMLParser):
    LINES = frozenset("address article aside div dd dl dt footer form header section center".split())
    PARAGRAPHS = frozenset("p h1 h2 h3 h4 h5 h6 blockquote ul ol table pre hr".split())
    HIDDEN = frozenset({"head", "script", "style", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0  # blockquote nesting
        self.hidden = 0
        self.pre = 0
        self.want_blank = False
        self.links: list[str] = []  # href of each open <a> ("" when not shown)
        self.lists: list[int] = []  # item counter per open list; -1 for <ul>
        self.cells: list[list[list[str]]] = []  # per open table row: its cells' lines
        self.block_marks: list[tuple[int, bool]] = []  # per open div/p: (lines emitted before, has a margin)
        self.nbsp = False

    # --- tags ------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
            return
        values = {k: v or "" for k, v in attrs}
        if tag == "br":
            self._line_break()
        elif tag == "img":
            alt = " ".join(values.get("alt", "").split())
            if alt:
                self.current.append(f"[{alt}]")
        elif tag == "a":
            self.links.append(_shown_href(values.get("href", "")))
        elif tag in ("td", "th"):
            self._cell_end()
        elif tag == "tr":
            self._flush()
            self.cells.append([])
        elif tag == "li":
            self._flush()
            if self.lists and self.lists[-1] >= 0:
                self.lists[-1] += 1
                self.current.append(f"{self.lists[-1]}. ")
            else:
                self.current.append("- ")
        elif tag in ("ul", "ol"):
            self._paragraph()
            self.lists.append(0 if tag == "ol" else -1)
        elif tag == "hr":
            self._paragraph()
            self._emit("_" * 32)
            self.want_blank = True
        elif tag in self.PARAGRAPHS and not _flat_paragraph(tag, values):
            self._paragraph()
        elif tag in self.LINES or tag == "p":
            self._flush()
        self.depth += tag == "blockquote"
        self.pre += tag == "pre"
        if tag in self.LINES or tag == "p":
            self.block_marks.append((len(self.lines), tag == "p" and not _flat_paragraph(tag, values)))
            self.nbsp = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if tag == "a" and self.links:
            href = self.links.pop()
            text = "".join(self.current)
            if href and href.lower().removeprefix("mailto:") not in text.lower():
                self.current.append(f" ({href})")
        elif tag in ("td", "th"):
            self._cell_end()
        elif tag == "tr":
            self._row_end()
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            self.want_blank = True
        elif tag == "li":
            self._flush()
        elif tag in self.PARAGRAPHS or tag in self.LINES:
            self._flush()
            if tag in self.PARAGRAPHS and tag != "p":
                self.want_blank = True
        if tag in self.LINES or tag == "p":
            self._block_end(tag)
        if tag == "blockquote":
            self.depth = max(0, self.depth - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            *done, rest = data.split("\n")
            for line in done:
                self.current.append(line)
                self._flush(keep_empty=True)
            self.current.append(rest)
            return
        if "\xa0" in data and not data.strip():
            self.nbsp = True
        self.current.append(_SPACE.sub(" ", data))

    # --- lines -----------------------------------------------------------------

    def _paragraph(self) -> None:
        self._flush()
        self.want_blank = True

    def _line_break(self) -> None:
        """<br>: ends the line; on an empty line it is a blank line of its own."""
        if "".join(self.current).replace("\xa0", " ").strip():
            self._flush()
        elif not self.cells:
            self.current = []
            self._blank()

    def _block_end(self, tag: str) -> None:
        """An empty <p>&nbsp;</p> or <div>&nbsp;</div> is a blank line."""
        if not self.block_marks:
            return
        before, margin = self.block_marks.pop()
        if len(self.lines) == before and self.nbsp:
            self._blank()
        if margin:
            self.want_blank = True
        self.nbsp = False

    def _blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.want_blank = False

    def _cell_end(self) -> None:
        if self.cells:
            raw = "".join(self.current).replace("\xa0", " ")
            self.current = []
            lines = [t for t in (_SPACE.sub(" ", part).strip() for part in raw.split("\n")) if t]
            if lines:
                self.cells[-1].append(lines)
        else:
            self._flush()

    def _row_end(self) -> None:
        """A data row is one line of " | " cells; a layout row (cells of several lines,
        as Outlook signatures are) gives each cell's lines in turn."""
        self._cell_end()
        if self.cells:
            cells = self.cells.pop()
            if all(len(cell) == 1 for cell in cells):
                if cells:
                    self._emit(" | ".join(cell[0] for cell in cells))
            else:
                for cell in cells:
                    for line in cell:
                        self._emit(line)

    def _flush(self, keep_empty: bool = False) -> None:
        if self.cells:  # text inside a row belongs to its cell; a block inside it is a line of it
            if self.current and self.current[-1] != "\n":
                self.current.append("\n")
            return
        line = "".join(self.current).replace("\xa0", " ")
        line = line.rstrip() if self.pre else _SPACE.sub(" ", line).strip()
        self.current = []
        if line or keep_empty:
            self._emit(line)

    def _emit(self, line: str) -> None:
        if self.want_blank and self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.want_blank = False
        self.lines.append(("> " * min(self.depth, QUOTE_DEPTH_MAX) + line).rstrip())


def _flat_paragraph(tag: str, attrs: dict[str, str]) -> bool:
    """Outlook writes every line as <p class=MsoNormal> with a zero margin: a line, not a paragraph."""
    if tag != "p":
        return False
    style = attrs.get("style", "").replace(" ", "").lower()
    return "msonormal" in attrs.get("class", "").lower() or "margin:0" in style or "margin-bottom:0" in style


def _shown_href(href: str) -> str:
    """The target worth showing after a link's text: web and mail addresses only."""
    href = href.strip()
    lower = href.lower()
    if len(href) > HREF_MAX or not lower.startswith(("http://", "https://", "mailto:")):
        return ""
    return href[7:].split("?", 1)[0] if lower.startswith("mailto:") else href


# A "<" whose tag does not close before the next "<" (or within TAG_MAX characters) is text.
# The stdlib parser rescans such an open tag on every later "<": 400,000 of them took minutes.
TAG_MAX = 2000
_UNCLOSED = re.compile(r"<(?=[^<>]{0,%d}(?:<|$))|<(?=[^<>]{%d})" % (TAG_MAX, TAG_MAX + 1))


def _defuse(html: str) -> str:
    """Escape what would make the stdlib parser rescan: unclosed tags, an unclosed comment."""
    html = _UNCLOSED.sub("&lt;", html)
    start = html.find("<!--")
    if start >= 0 and html.find("-->", start) < 0:
        html = html[:start] + "&lt;!--" + html[start + 4:]
    return html


def html_to_text(html: str) -> str:
    """Readable text of the first HTML_MAX characters (cut before a tag)."""
    if len(html) > HTML_MAX:
        cut = html.rfind("<", 0, HTML_MAX)
        html = html[:cut if cut > HTML_MAX // 2 else HTML_MAX]
    converter = _HtmlText()
    converter.feed(_defuse(html))
    converter.close()
    while converter.cells:
        converter._row_end()
    converter._flush()
    text = "\n".join(converter.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
