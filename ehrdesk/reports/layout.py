"""The look every ehrdesk document shares: page, palette, type, header and footer.

Each document module (the Emergency Kit now; superbills and audit reports later)
builds its own story of flowables and hands it to `render_document`, which lays it on
the shared page: the practice's name and the document's title in the header, and
"Confidential", "Page n of m" and "Generated <UTC time> by ehrdesk <version>" in the
footer.

Invariant: everything printed lies inside the area that A4 and US Letter paper share
(595 x 792 points, centred), at least half an inch from its edges, so a page prints
whole on either paper at actual size. Documents are rendered in memory; writing the
bytes to disk is the caller's business (see `ehrdesk.storage.atomic`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from ehrdesk.reports import fonts

__all__ = [
    "CONTENT_WIDTH",
    "PAGE_SIZE",
    "PageDecoration",
    "Palette",
    "draw_footer",
    "draw_header",
    "format_utc",
    "markup",
    "paragraph_styles",
    "render_document",
]

#: A4 paper; see the module docstring for how it stays Letter-safe.
PAGE_SIZE: Final[tuple[float, float]] = A4
_PAGE_WIDTH, _PAGE_HEIGHT = PAGE_SIZE
# Half the height A4 has beyond Letter: cut off at top and bottom on Letter paper.
_LETTER_OVERHANG: Final = (_PAGE_HEIGHT - 792.0) / 2
_SAFE: Final = 0.5 * inch

SIDE_MARGIN: Final = 0.8 * inch
HEADER_BASELINE: Final = _PAGE_HEIGHT - _LETTER_OVERHANG - _SAFE - 9
FOOTER_BASELINE: Final = _LETTER_OVERHANG + _SAFE + 4  # room for descenders
TOP_MARGIN: Final = _PAGE_HEIGHT - HEADER_BASELINE + 26
BOTTOM_MARGIN: Final = FOOTER_BASELINE + 24
CONTENT_WIDTH: Final = _PAGE_WIDTH - 2 * SIDE_MARGIN

SANS: Final = fonts.SANS
SANS_BOLD: Final = fonts.SANS_BOLD
MONO_BOLD: Final = "Courier-Bold"


class Palette:
    """Calm, print-friendly colours: dark slate text, one muted teal, pale tints."""

    INK: Final[Color] = HexColor("#1F2A33")
    MUTED: Final[Color] = HexColor("#5B6773")
    ACCENT: Final[Color] = HexColor("#2E6B70")
    RULE: Final[Color] = HexColor("#C5CED4")
    TINT: Final[Color] = HexColor("#F1F5F6")
    CAUTION_TINT: Final[Color] = HexColor("#FBF5E8")
    CAUTION_RULE: Final[Color] = HexColor("#D8BA7A")
    WHITE: Final[Color] = HexColor("#FFFFFF")
    BLACK: Final[Color] = HexColor("#000000")


@dataclass(frozen=True)
class PageDecoration:
    """What the header and footer of every page say."""

    practice_name: str
    document_title: str
    generated_at: datetime
    app_version: str


def format_utc(moment: datetime) -> str:
    """`2026-01-05 09:00 UTC`; refuses a naive datetime rather than guess its zone."""
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is needed")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def markup(text: str, font: str = SANS) -> str:
    """Escape text typed by a person ("Smith & Jones", "心理诊所") for a reportlab
    Paragraph; characters the document's face lacks are drawn in the fallback face."""
    return fonts.markup(text, font)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Shorten `text` with an ellipsis so it fits `width` at `size`."""
    if fonts.text_width(text, font, size) <= width:
        return text
    while text and fonts.text_width(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def draw_header(canvas: Any, decoration: PageDecoration) -> None:
    """Practice name on the left, document title on the right, a hairline below."""
    canvas.saveState()
    title = _fit(decoration.document_title, SANS, 8.5, CONTENT_WIDTH * 0.55)
    title_width = fonts.text_width(title, SANS, 8.5)
    canvas.setFillColor(Palette.MUTED)
    fonts.draw_string(
        canvas, _PAGE_WIDTH - SIDE_MARGIN, HEADER_BASELINE, title, SANS, 8.5, align="right"
    )
    canvas.setFillColor(Palette.INK)
    name = _fit(decoration.practice_name, SANS_BOLD, 9, CONTENT_WIDTH - title_width - 24)
    fonts.draw_string(canvas, SIDE_MARGIN, HEADER_BASELINE, name, SANS_BOLD, 9)
    canvas.setStrokeColor(Palette.RULE)
    canvas.setLineWidth(0.6)
    canvas.line(SIDE_MARGIN, HEADER_BASELINE - 7, _PAGE_WIDTH - SIDE_MARGIN, HEADER_BASELINE - 7)
    canvas.restoreState()


def draw_footer(canvas: Any, decoration: PageDecoration, page_number: int, page_count: int) -> None:
    """ "Confidential", "Page n of m" and when and by what the document was made."""
    canvas.saveState()
    canvas.setStrokeColor(Palette.RULE)
    canvas.setLineWidth(0.6)
    canvas.line(SIDE_MARGIN, FOOTER_BASELINE + 12, _PAGE_WIDTH - SIDE_MARGIN, FOOTER_BASELINE + 12)
    canvas.setFont(fonts.face(SANS_BOLD), 8)
    canvas.setFillColor(Palette.ACCENT)
    canvas.drawString(SIDE_MARGIN, FOOTER_BASELINE, "Confidential")
    canvas.setFont(fonts.face(SANS), 8)
    canvas.setFillColor(Palette.MUTED)
    canvas.drawCentredString(
        _PAGE_WIDTH / 2, FOOTER_BASELINE, f"Page {page_number} of {page_count}"
    )
    generated = (
        f"Generated {format_utc(decoration.generated_at)} by ehrdesk {decoration.app_version}"
    )
    canvas.drawRightString(_PAGE_WIDTH - SIDE_MARGIN, FOOTER_BASELINE, generated)
    canvas.restoreState()


def paragraph_styles() -> dict[str, ParagraphStyle]:
    """The shared paragraph styles, fresh each call so a document may adjust its copy."""
    body = ParagraphStyle(
        "body",
        fontName=fonts.face(SANS),
        fontSize=10,
        leading=14,
        textColor=Palette.INK,
        alignment=TA_LEFT,
    )
    return {
        "body": body,
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName=fonts.face(SANS_BOLD),
            fontSize=24,
            leading=28,
            spaceAfter=4,
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontName=fonts.face(SANS), fontSize=13, leading=17
        ),
        "lead": ParagraphStyle("lead", parent=body, fontSize=11, leading=15.5),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName=fonts.face(SANS_BOLD),
            fontSize=11.5,
            leading=15,
            textColor=Palette.ACCENT,
            spaceAfter=4,
        ),
        "label": ParagraphStyle(
            "label",
            parent=body,
            fontName=fonts.face(SANS_BOLD),
            fontSize=8,
            leading=10,
            textColor=Palette.MUTED,
        ),
        "small": ParagraphStyle(
            "small", parent=body, fontSize=8, leading=10.5, textColor=Palette.MUTED
        ),
        "item": ParagraphStyle("item", parent=body, leftIndent=14, spaceAfter=3),
    }


def _build(
    story: list[Flowable], decoration: PageDecoration, page_count: int | None
) -> tuple[bytes, int]:
    def decorate(canvas: Any, document: Any) -> None:
        page_number = int(document.page)
        draw_header(canvas, decoration)
        draw_footer(canvas, decoration, page_number, page_count or page_number)

    # No frame padding: flowables get exactly CONTENT_WIDTH, edge to edge with the header.
    frame = Frame(
        SIDE_MARGIN,
        BOTTOM_MARGIN,
        CONTENT_WIDTH,
        _PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="content",
    )
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        pageTemplates=[PageTemplate(id="page", frames=[frame], onPage=decorate)],
        title=decoration.document_title,
        author="ehrdesk",
        creator=f"ehrdesk {decoration.app_version}",
        lang="en",
        displayDocTitle=1,
        pageCompression=1,
        invariant=1,  # no wall-clock time or random id in the file: same input, same bytes
    )
    doc.build(story)
    return buffer.getvalue(), int(doc.page)


def render_document(make_story: Callable[[], list[Flowable]], decoration: PageDecoration) -> bytes:
    """Lay out a document on the shared page and return the PDF bytes.

    `make_story` is called twice, because reportlab consumes flowables as it lays them
    out: once to count the pages, once to print "Page n of m" with the count.
    """
    _, page_count = _build(make_story(), decoration, None)
    pdf, pages_again = _build(make_story(), decoration, page_count)
    if pages_again != page_count:
        raise RuntimeError("the document laid out differently on its second pass")
    return pdf
