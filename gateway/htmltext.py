"""HTML-only mail as readable text: blocks become lines, blockquotes "> " quotes.

The quoting matters: quotes.split_reply finds a reply's history by its "> "
lines, so an HTML reply must keep its blockquotes visible as quotes.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser


class _HtmlText(HTMLParser):
    """Readable text from HTML: blocks become lines, blockquotes become "> "."""

    BLOCKS = frozenset("address article aside blockquote br dd div dl dt footer form h1 h2 h3 h4 h5 h6 "
                       "header hr li ol p pre section table tbody td th thead tr ul".split())
    HIDDEN = frozenset({"head", "script", "style", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0  # blockquote nesting
        self.hidden = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self._flush()
        self.depth += tag == "blockquote"
        self.pre += tag == "pre"
        if tag == "hr":
            self.lines.append("_" * 32)
        elif tag == "li":
            self.current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self._flush()
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
        else:
            self.current.append(re.sub(r"\s+", " ", data))

    def _flush(self, keep_empty: bool = False) -> None:
        line = "".join(self.current).replace("\xa0", " ")
        line = line.rstrip() if self.pre else line.strip()
        self.current = []
        if line or keep_empty:
            self.lines.append(("> " * self.depth + line).rstrip())
        elif self.lines and self.lines[-1]:
            self.lines.append("")  # paragraph break; unprefixed so no stray ">" lines


def html_to_text(html: str) -> str:
    converter = _HtmlText()
    converter.feed(html)
    converter.close()
    converter._flush()
    text = "\n".join(converter.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
