"""HTML-only mail as the text its author saw (paragraphs, breaks, links, alt texts, tables)."""
from __future__ import annotations

import pytest

from gateway.mail.htmltext import html_to_text

OUTLOOK_DESKTOP = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>
p.MsoNormal {margin:0cm; font-size:11.0pt}</style></head><body lang=AZ><div class=WordSection1>
<p class=MsoNormal>Hörmətli müştəri,<o:p></o:p></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<p class=MsoNormal>Pulunuz bu gün qaytarıldı.<o:p></o:p></p>
<p class=MsoNormal>Bank 3 iş günü ərzində köçürəcək.<o:p></o:p></p>
</div></body></html>"""

GMAIL = """<div dir="ltr"><div>Salam,</div><div>sifarişiniz yoldadır.</div><div><br></div>
<div>Kuryer sabah zəng edəcək.</div></div>"""


@pytest.mark.parametrize("html, text", [
    (OUTLOOK_DESKTOP, "Hörmətli müştəri,\n\nPulunuz bu gün qaytarıldı.\nBank 3 iş günü ərzində köçürəcək."),
    (GMAIL, "Salam,\nsifarişiniz yoldadır.\n\nKuryer sabah zəng edəcək."),
    ("<p>Para one</p><p>Para two<br>line b</p>", "Para one\n\nPara two\nline b"),
    ("text<br><br>more", "text\n\nmore"),
    ('<p style="margin:0">one</p><p style="margin:0">two</p>', "one\ntwo"),
])
def test_paragraphs_and_line_breaks(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_no_blank_line_between_every_line() -> None:
    html = "".join(f"<div>line {i}</div>" for i in range(5))
    assert html_to_text(html) == "\n".join(f"line {i}" for i in range(5))


def test_link_targets_and_alt_texts() -> None:
    html = ('See <a href="https://shop.example/form?id=1">our form</a>, write to '
            '<a href="mailto:care@shop.example">care@shop.example</a>. <img src="cid:x" alt="Receipt photo">'
            ' <a href="javascript:alert(1)">x</a> <a href="https://shop.example/">https://shop.example/</a>')
    assert html_to_text(html) == ("See our form (https://shop.example/form?id=1), write to care@shop.example. "
                                  "[Receipt photo] x https://shop.example/")


def test_tables_become_readable_rows() -> None:
    html = ("<p>Your order:</p><table><tr><th>Item</th><th>Qty</th><th>Price</th></tr>"
            "<tr><td>Kettle</td><td>1</td><td>45 AZN</td></tr><tr><td>Cup</td><td>2</td><td>&nbsp;</td></tr>"
            "</table><p>Total 45 AZN</p>")
    assert html_to_text(html) == "Your order:\n\nItem | Qty | Price\nKettle | 1 | 45 AZN\nCup | 2\n\nTotal 45 AZN"


def test_lists_and_blockquotes() -> None:
    assert html_to_text("<ol><li>first</li><li>second</li></ol><ul><li>a</li></ul>") == "1. first\n2. second\n\n- a"
    assert html_to_text("Yes.<blockquote><div>Old line 1</div><div>Old line 2</div></blockquote>") == (
        "Yes.\n\n> Old line 1\n> Old line 2")


def test_hidden_parts_are_dropped() -> None:
    assert html_to_text("<head><title>t</title><style>p{}</style></head><script>x()</script><p>Body</p>") == "Body"


def test_linear() -> None:
    html_to_text("<div>" * 20_000 + "x" + "</div>" * 20_000)
    html_to_text("<table><tr>" + "<td>c</td>" * 50_000 + "</tr></table>")
    html_to_text("<p>" + "a<br>" * 100_000)


def test_deep_quotes_are_capped() -> None:
    text = html_to_text("<blockquote>" * 20_000 + "x<br>y" + "</blockquote>" * 20_000)
    assert text == "> " * 10 + "x\n" + "> " * 10 + "y"


@pytest.mark.parametrize("html, text", [
    ("5<6 and 7>3", "5<6 and 7>3"), ("a<b", "a<b"), ("<p>price <10 AZN</p>", "price <10 AZN"),
    ("<p>x</p><!-- unclosed", "x\n\n<!-- unclosed"), ("<p>a</p><!-- c --><p>b</p>", "a\n\nb"),
])
def test_stray_angle_brackets_are_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize("bomb", ["<" * 200_000, "<a " * 100_000, "<!-- x" * 50_000, "</x" * 50_000])
def test_malformed_markup_does_not_make_the_parser_rescan(bomb: str) -> None:
    """Figures: bench/quotes.py; here it must merely finish."""
    html_to_text(bomb)


def test_a_layout_table_gives_each_cells_lines() -> None:
    html = ("<table><tr><td><img alt='Logo'></td><td><p>Leyla</p><p>Customer Care</p></td></tr></table>")
    assert html_to_text(html) == "[Logo]\nLeyla\nCustomer Care"


def test_only_the_first_part_of_a_huge_html_is_converted() -> None:
    from gateway.mail import htmltext
    text = html_to_text("<p>Answer at the top.</p>" + "<div>filler</div>" * 60_000)
    assert text.startswith("Answer at the top.\n\nfiller") and len(text) < htmltext.HTML_MAX
