"""Building blocks the report documents share: a titled block, a key/value list, and a
data table whose header repeats on every page. Every cell goes through `markup`, so
text typed by a person, in any script, is escaped and drawn."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from ehrdesk.reports.layout import CONTENT_WIDTH, Palette, markup, paragraph_styles

__all__ = ["data_table", "fields", "local_time", "paragraphs", "title_block"]


def local_time(moment: datetime | None, zone: tzinfo) -> str:
    return "—" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def title_block(title: str, subtitle: str = "", lead: str = "") -> list[Flowable]:
    styles = paragraph_styles()
    story: list[Flowable] = [Paragraph(markup(title), styles["title"])]
    if subtitle:
        story.append(Paragraph(markup(subtitle), styles["subtitle"]))
    story.append(Spacer(1, 10))
    if lead:
        story += [Paragraph(markup(lead), styles["lead"]), Spacer(1, 10)]
    return story


def paragraphs(text: str, style: str = "body") -> list[Flowable]:
    """A person's multi-line text: one Paragraph per paragraph, line breaks kept."""
    styles = paragraph_styles()
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    if not blocks:
        return [Paragraph("—", styles[style])]
    out: list[Flowable] = []
    for block in blocks:
        out.append(
            Paragraph("<br/>".join(markup(line) for line in block.split("\n")), styles[style])
        )
        out.append(Spacer(1, 5))
    return out


def fields(pairs: Sequence[tuple[str, str]], label_width: float = 150) -> Table:
    """Label on the left, value on the right, one row each; a value's line breaks (an
    address) are kept."""
    styles = paragraph_styles()
    rows = [
        [
            Paragraph(markup(label.upper()), styles["label"]),
            Paragraph(
                "<br/>".join(markup(line) for line in (value or "—").split("\n")), styles["body"]
            ),
        ]
        for label, value in pairs
    ]
    table = Table(rows, colWidths=[label_width, CONTENT_WIDTH - label_width])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, Palette.RULE),
            ]
        )
    )
    return table


def data_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
) -> Table:
    """A table of text with a tinted header row that repeats on each page. `widths`
    are fractions of the content width."""
    styles = paragraph_styles()
    cell = styles["small"].clone("cell", textColor=Palette.INK, fontSize=7.5, leading=9.5)
    head = styles["label"].clone("head", fontSize=7.5, leading=9.5, textColor=Palette.ACCENT)
    data = [[Paragraph(markup(h), head) for h in headers]]
    data += [[Paragraph(markup(value), cell) for value in row] for row in rows]
    table = Table(data, colWidths=[w * CONTENT_WIDTH for w in widths], repeatRows=1)
    commands: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), Palette.TINT),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, Palette.ACCENT),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, Palette.RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    table.setStyle(TableStyle(commands))
    return table
