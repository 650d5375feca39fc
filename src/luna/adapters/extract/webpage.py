"""HTML to blocks: the page's main content only, with its headings, lists and tables.

Web pages carry menus, cookie banners, footers and scripts around the text a user means when ingesting a
URL. The main content is the ``<main>`` (or the largest ``<article>``) when the page marks it, else the body
without page-level ``header``/``footer``/``nav``/``aside``, ARIA landmarks around the content, elements
whose class or id names boilerplate (cookie, breadcrumb, share …) and link-dense blocks (menus, link
lists). trafilatura was tried first: it drops every heading on pages without such markup, and headings are
what the chunker builds sections from, so structure is walked here with lxml instead.

The same walker reads Tika's XHTML (``<div class="page">`` per PDF page, text with line breaks in ``<p>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from luna.adapters.extract.document import clean_line
from luna.adapters.extract.text import plain_text_blocks
from luna.domain.documents import BlockKind, TextBlock
from luna.domain.errors import Unprocessable

_HEADINGS = {f"h{level}": level for level in range(1, 7)}


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


# Elements whose content is never document text. Not "form": ASP.NET pages wrap the whole body in one.
_NEVER_TEXT = _tags(
    "head script style noscript template svg canvas iframe object embed button select textarea input nav "
    "aside dialog menu map audio video"
)
_PAGE_CHROME = frozenset({"header", "footer"})  # dropped at page level, kept inside main/article
_CHROME_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
)
_BOILERPLATE_NAME = re.compile(
    r"(^|[\s_-])(cookies?|consent|gdpr|breadcrumbs?|navbar|nav|menu|sidebar|share|sharing|social|newsletter"
    r"|advert|ads|promo|related|pagination|skip-link|toolbar|popup|modal)($|[\s_-])",
    re.IGNORECASE,
)
_INLINE = _tags(
    "a abbr b bdi bdo cite code data dfn em font i img kbd label mark q s samp small span strong sub sup "
    "time tt u var wbr del ins big nobr"
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_LINK_DENSITY = 0.6  # blocks whose text is mostly link text are menus or link lists
_LINK_LIST_MAX_CHARS = 2000


@dataclass(frozen=True, slots=True)
class WebPage:
    title: str | None
    blocks: list[TextBlock]
    metadata: dict[str, str] = field(default_factory=dict)


def _tag(element: etree._Element) -> str:
    """Lower-case tag without namespace; empty for comments and processing instructions."""
    return etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""


def _text(element: etree._Element) -> str:
    return "".join(str(part) for part in element.itertext())


#: HTML's white space: a line break in the source is a space on the page (non-breaking spaces stay).
_SOURCE_SPACE = re.compile(r"[ \t\r\n\f]+")


class HtmlWalker:
    """Walks (X)HTML into blocks in document order.

    ``paged`` counts ``<div class="page">`` as pages (Tika's PDF output); ``text_paragraphs`` reads
    paragraph text as plain text, splitting at blank lines and law structure lines, because Tika keeps a
    PDF's line breaks there, where in HTML a line break is only whitespace.
    """

    def __init__(self, *, paged: bool = False, text_paragraphs: bool = False) -> None:
        self.paged = paged
        self.text_paragraphs = text_paragraphs
        self.blocks: list[TextBlock] = []
        self.page: int | None = None
        self._inline: list[str] = []

    def _flush_inline(self) -> None:
        self._paragraph("".join(self._inline))
        self._inline = []

    def _paragraph(self, raw: str) -> None:
        if self.text_paragraphs:
            self.blocks += plain_text_blocks(raw, page=self.page)
            return
        lines = [clean_line(line) for line in raw.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(TextBlock(BlockKind.PARAGRAPH, text, self.page))

    def _source(self, text: str | None) -> str:
        """Source text as the page shows it: its line breaks are spaces (a wrapped ``<p>`` is one line),
        except in Tika's PDF output (``text_paragraphs``), whose line breaks are the PDF's."""
        return (text or "") if self.text_paragraphs else _SOURCE_SPACE.sub(" ", text or "")

    def _inline_text(self, element: etree._Element) -> str:
        """Text of inline content; ``<br>`` is a line break."""
        parts = [self._source(element.text)]
        for child in element:
            tag = _tag(child)
            parts.append(
                "\n" if tag == "br" else (self._source(_text(child)) if tag not in _NEVER_TEXT else "")
            )
            parts.append(self._source(child.tail))
        return "".join(parts)

    def _list_lines(self, element: etree._Element, depth: int = 0) -> list[str]:
        ordered = _tag(element) == "ol"
        lines: list[str] = []
        for number, item in enumerate((c for c in element if _tag(c) == "li"), start=1):
            nested = [c for c in item if _tag(c) in ("ul", "ol")]
            own = [item.text or ""] + [
                (_text(c) if c not in nested else "") + (c.tail or "")
                for c in item
                if _tag(c) not in _NEVER_TEXT
            ]
            text = clean_line("".join(own))
            if text:
                lines.append(f"{'  ' * depth}{f'{number}.' if ordered else '-'} {text}")
            for child in nested:
                lines += self._list_lines(child, depth + 1)
        return lines

    def _table(self, element: etree._Element) -> None:
        rows = [
            [_text(cell) for cell in row if _tag(cell) in ("td", "th")]
            for row in element.iter()
            if _tag(row) == "tr"
        ]
        table = TextBlock.table(rows, page=self.page)
        if table is not None:
            self.blocks.append(table)

    def _definitions(self, element: etree._Element) -> None:
        lines: list[str] = []
        for child in element:
            text = clean_line(_text(child))
            if text and _tag(child) == "dt":
                lines.append(f"{text}:")
            elif text:
                lines.append(f"  {text}")
        if lines:
            self.blocks.append(TextBlock(BlockKind.PARAGRAPH, "\n".join(lines), self.page))

    def _block(self, child: etree._Element, tag: str) -> None:
        if tag in _HEADINGS:
            text = clean_line(_text(child))
            if text:
                self.blocks.append(TextBlock(BlockKind.HEADING, text, self.page, _HEADINGS[tag]))
        elif tag == "table":
            self._table(child)
        elif tag in ("ul", "ol"):
            lines = self._list_lines(child)
            if lines:
                self.blocks.append(TextBlock(BlockKind.PARAGRAPH, "\n".join(lines), self.page))
        elif tag == "dl":
            self._definitions(child)
        elif tag in ("p", "pre", "address", "figcaption", "caption", "summary"):
            self._paragraph(self._inline_text(child) if tag != "pre" else _text(child))
        else:
            if self.paged and tag == "div" and "page" in (child.get("class") or "").split():
                self.page = (self.page or 0) + 1
            self.walk(child)

    def walk(self, element: etree._Element) -> None:
        """Blocks of ``element``'s children; loose text and inline elements between blocks form paragraphs."""
        self._inline.append(self._source(element.text))
        for child in element:
            tag = _tag(child)
            if tag in _NEVER_TEXT or not tag:
                pass
            elif tag == "br":
                self._inline.append("\n")
            elif tag in _INLINE:
                self._inline.append(self._inline_text(child))
            else:
                self._flush_inline()
                self._block(child, tag)
            self._inline.append(self._source(child.tail))
        self._flush_inline()


def _is_chrome(element: etree._Element, page_level: bool) -> bool:
    tag = _tag(element)
    if tag in _NEVER_TEXT or (page_level and tag in _PAGE_CHROME):
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if (element.get("role") or "").lower() in _CHROME_ROLES:
        return True
    if tag in _HEADINGS or tag in ("main", "article", "body", "html") or element.find(".//h1") is not None:
        return False
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    return bool(_BOILERPLATE_NAME.search(names))


def _is_link_list(element: etree._Element) -> bool:
    if _tag(element) not in ("ul", "ol", "div", "p", "table", "section"):
        return False
    text = " ".join(_text(element).split())
    if not text or len(text) > _LINK_LIST_MAX_CHARS:
        return False
    linked = sum(len(" ".join(_text(a).split())) for a in element.iter() if _tag(a) == "a")
    return linked / len(text) >= _LINK_DENSITY


def _prune(root: lxml.html.HtmlElement, page_level: bool) -> None:
    """Remove chrome (and, when the root is the whole page, link lists); their tail text stays."""
    elements = [e for e in root.iter() if e is not root and isinstance(e.tag, str)]
    doomed = [e for e in elements if _is_chrome(e, page_level) or (page_level and _is_link_list(e))]
    for element in doomed:
        element.drop_tree()


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """Parse HTML or XHTML leniently; None when there is no markup at all.

    libxml2 stops at 256 levels of nesting and returns what it read so far, without an error: a page
    nested deeper lost its text silently. Such a page is refused (Unprocessable) rather than read in part;
    no real page comes near it, and the walker below recurses once per level."""
    parser = lxml.html.HTMLParser()
    try:
        document = lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1), parser=parser)
    except (etree.ParserError, ValueError):  # only whitespace or comments
        document = None
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        raise Unprocessable("The page is nested deeper than 256 levels; its text cannot be read whole.")
    return document


def _main_content(document: lxml.html.HtmlElement) -> tuple[lxml.html.HtmlElement, bool]:
    """The element holding the main content, and whether it is the whole page (so chrome is pruned)."""
    mains = [e for e in document.iter("main") if e.get("hidden") is None] or document.xpath(
        "//*[@role='main']"
    )
    if mains:
        return mains[0], False
    articles = list(document.iter("article"))
    if articles:
        return max(articles, key=lambda article: len(_text(article))), False
    body = document.find("body")
    return (body if body is not None else document), True


def _meta(document: lxml.html.HtmlElement, *names: str) -> str | None:
    for name in names:
        for element in document.iter("meta"):
            if name in ((element.get("name") or "").lower(), (element.get("property") or "").lower()):
                value = clean_line(element.get("content") or "")
                if value:
                    return value
    return None


def html_page(html: str) -> WebPage:
    """Main content of an HTML page; navigation, header, footer, scripts and styles are left out."""
    document = parse_html(html)
    if document is None:
        return WebPage(None, [])
    title_element = document.find(".//title")
    page_title = clean_line(title_element.text_content()) if title_element is not None else ""
    root, page_level = _main_content(document)
    _prune(root, page_level)
    walker = HtmlWalker()
    walker.walk(root)
    first_h1 = next((b.text for b in walker.blocks if b.kind is BlockKind.HEADING and b.level == 1), None)
    metadata = {
        key: value
        for key, value in (
            ("description", _meta(document, "description", "og:description")),
            ("author", _meta(document, "author")),
            ("keywords", _meta(document, "keywords")),
            ("language", clean_line(document.get("lang") or "")),
        )
        if value
    }
    title = first_h1 or _meta(document, "og:title") or page_title or None
    return WebPage(title, walker.blocks, metadata)
