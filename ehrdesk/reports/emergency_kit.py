"""The Emergency Kit: one printed page that holds the practice's recovery key.

The recovery key opens the vault's recovery slot and decrypts every backup (DESIGN
sections 3 and 5), so this page is what a practice needs after a lost password or a
replaced computer. It shows the key in large monospaced type exactly as given, the same
key as a QR code, and plain instructions for keeping and using it.

Invariant: the PDF is rendered in memory and reaches the disk only through
`write_atomically`: owner-only (0600) from its first byte, whole or not at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from reportlab.graphics.shapes import Drawing, Line, Rect
from reportlab.graphics.shapes import Path as VectorPath
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from ehrdesk.core.errors import InvalidInput
from ehrdesk.reports.layout import (
    CONTENT_WIDTH,
    MONO_BOLD,
    PageDecoration,
    Palette,
    markup,
    paragraph_styles,
    render_document,
)
from ehrdesk.reports.qr import QUIET_ZONE, dark_runs, qr_matrix
from ehrdesk.storage.atomic import write_atomically

__all__ = ["render_emergency_kit", "write_emergency_kit"]

DOCUMENT_TITLE: Final = "ehrdesk Emergency Kit"
CANNOT_SAVE_THERE: Final = "The Emergency Kit cannot be saved there; choose another folder."

_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip

_PANEL_PADDING: Final = 14.0
_KEY_MAX_SIZE: Final = 22.0
_KEY_MIN_SIZE: Final = 16.0
_QR_SIZE: Final = 104.0  # points, quiet zone included: about 37 mm
_COLUMN_GAP: Final = 18.0


@dataclass(frozen=True)
class _Kit:
    practice_name: str
    recovery_key: str
    vault_id: str
    created_at: datetime


def _long_date(moment: datetime) -> str:
    """`5 January 2026`, the same in every locale."""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _qr_code(text: str, size: float) -> Drawing:
    """`text` as a vector QR code `size` points square, quiet zone included."""
    matrix = qr_matrix(text)
    module = size / (len(matrix) + 2 * QUIET_ZONE)
    drawing = Drawing(size, size)
    drawing.add(Rect(0, 0, size, size, fillColor=Palette.WHITE, strokeColor=None))
    # One path for every dark run, filled at once, so no hairline seams between modules.
    dark = VectorPath(fillColor=Palette.BLACK, strokeColor=None, strokeWidth=0)
    for r, first, after in dark_runs(matrix):
        y = size - (r + QUIET_ZONE + 1) * module
        x0, x1 = (first + QUIET_ZONE) * module, (after + QUIET_ZONE) * module
        dark.moveTo(x0, y)
        dark.lineTo(x1, y)
        dark.lineTo(x1, y + module)
        dark.lineTo(x0, y + module)
        dark.closePath()
    drawing.add(dark)
    return drawing


def _key_size(key: str, width: float) -> float:
    """The largest type size, up to a limit, at which the key fits on one line."""
    at_one_point = float(stringWidth(key, MONO_BOLD, 1))
    return max(_KEY_MIN_SIZE, min(_KEY_MAX_SIZE, width / at_one_point))


def _key_paragraph(key: str, width: float) -> Paragraph:
    styles = paragraph_styles()
    size = _key_size(key, width)
    lines = [key]
    if stringWidth(key, MONO_BOLD, size) > width:
        # Too long even in small type: break after whole groups, keeping each dash.
        lines = [""]
        for group in key.split("-"):
            piece = group if not lines[-1] else "-" + group
            if lines[-1] and stringWidth(lines[-1] + piece + "-", MONO_BOLD, size) > width:
                lines[-1] += "-"
                lines.append(group)
            else:
                lines[-1] += piece
    style = styles["body"].clone(
        "recovery_key", fontName=MONO_BOLD, fontSize=size, leading=size * 1.3
    )
    return Paragraph("<br/>".join(markup(line) for line in lines), style)


def _key_panel(kit: _Kit) -> Table:
    styles = paragraph_styles()
    inner = CONTENT_WIDTH - 2 * _PANEL_PADDING
    qr_caption = [
        Paragraph("The same key as a QR code.", styles["body"]),
        Spacer(1, 6),
        Paragraph(
            "Type the key exactly as printed, dashes included.",
            styles["small"],
        ),
        Spacer(1, 10),
        Paragraph(f"Vault ID: {markup(kit.vault_id)}", styles["small"]),
    ]
    caption_width = inner - _QR_SIZE - _COLUMN_GAP
    qr_row = Table(
        [[_qr_code(kit.recovery_key, _QR_SIZE), qr_caption]],
        colWidths=[_QR_SIZE + _COLUMN_GAP, caption_width],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    rows = [
        [Paragraph("RECOVERY KEY", styles["label"])],
        [_key_paragraph(kit.recovery_key, inner)],
        [qr_row],
    ]
    return Table(
        rows,
        colWidths=[CONTENT_WIDTH],
        cornerRadii=[6, 6, 6, 6],
        style=TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), Palette.TINT),
                ("BOX", (0, 0), (-1, -1), 0.8, Palette.ACCENT),
                ("LEFTPADDING", (0, 0), (-1, -1), _PANEL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), _PANEL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (0, 0), _PANEL_PADDING - 2),
                ("TOPPADDING", (0, 1), (0, 1), 4),
                ("TOPPADDING", (0, 2), (0, 2), 10),
                ("BOTTOMPADDING", (0, 2), (0, 2), _PANEL_PADDING - 2),
            ]
        ),
    )


def _numbered(items: list[str]) -> list[Flowable]:
    styles = paragraph_styles()
    return [
        Paragraph(text, styles["item"], bulletText=f"{number}.")
        for number, text in enumerate(items, start=1)
    ]


def _bulleted(items: list[str]) -> list[Flowable]:
    styles = paragraph_styles()
    return [Paragraph(text, styles["item"], bulletText="\u2022") for text in items]


def _guidance_columns() -> Table:
    styles = paragraph_styles()
    how_to_use = [
        Paragraph("How to use it", styles["heading"]),
        *_numbered(
            [
                "<b>On a new or replaced computer:</b> install ehrdesk, choose "
                "\u201cRestore from backup\u201d, and type this key.",
                "<b>If you are locked out</b> or every password is lost: choose "
                "\u201cUse recovery key\u201d at sign-in, and type this key.",
            ]
        ),
    ]
    keep_safe = [
        Paragraph("Keep it safe and private", styles["heading"]),
        *_bulleted(
            [
                "Somewhere locked: a locked drawer or a safe.",
                "Not with the computer, and not with the backup drives.",
                "Never photographed, scanned, emailed or stored in a cloud service.",
            ]
        ),
    ]
    column = (CONTENT_WIDTH - _COLUMN_GAP) / 2
    return Table(
        [[how_to_use, keep_safe]],
        colWidths=[column + _COLUMN_GAP, column],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, 0), _COLUMN_GAP),
                ("RIGHTPADDING", (1, 0), (1, 0), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


def _caution() -> Table:
    styles = paragraph_styles()
    text = (
        "<b>Anyone holding this page can read all client records.</b> "
        "Guard it as you would the records themselves, and do not make copies."
    )
    return Table(
        [[Paragraph(text, styles["body"])]],
        colWidths=[CONTENT_WIDTH],
        style=TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), Palette.CAUTION_TINT),
                ("LINEBEFORE", (0, 0), (0, -1), 3, Palette.CAUTION_RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 12),
                ("RIGHTPADDING", (0, 0), (-1, -1), 12),
                ("TOPPADDING", (0, 0), (-1, -1), 9),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ]
        ),
    )


def _writing_lines(width: float, count: int, spacing: float = 28.0) -> Drawing:
    """Ruled lines to write on by hand."""
    drawing = Drawing(width, count * spacing)
    for n in range(count):
        drawing.add(
            Line(0, n * spacing, width, n * spacing, strokeColor=Palette.RULE, strokeWidth=0.6)
        )
    return drawing


def _backup_location_box() -> Table:
    styles = paragraph_styles()
    hint = "Write it here by hand, for example \u201cgrey USB drive in the office safe\u201d."
    rows = [
        [Paragraph("Where our backups are kept", styles["heading"])],
        [Paragraph(hint, styles["small"])],
        [_writing_lines(CONTENT_WIDTH - 2 * _PANEL_PADDING, 2)],
    ]
    return Table(
        rows,
        colWidths=[CONTENT_WIDTH],
        cornerRadii=[6, 6, 6, 6],
        style=TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, Palette.RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), _PANEL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), _PANEL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (0, 0), 10),
                ("TOPPADDING", (0, 2), (0, 2), 4),
                ("BOTTOMPADDING", (0, 2), (0, 2), 14),
            ]
        ),
    )


def _story(kit: _Kit) -> list[Flowable]:
    styles = paragraph_styles()
    return [
        Paragraph(DOCUMENT_TITLE, styles["title"]),
        Paragraph(markup(kit.practice_name), styles["subtitle"]),
        Spacer(1, 2),
        Paragraph(f"Created {_long_date(kit.created_at)}", styles["small"]),
        Spacer(1, 14),
        Paragraph(
            "This page opens the practice\u2019s data and every backup if passwords are lost "
            "or the computer is replaced. It stays valid when passwords change.",
            styles["lead"],
        ),
        Spacer(1, 14),
        _key_panel(kit),
        Spacer(1, 20),
        _guidance_columns(),
        Spacer(1, 16),
        _caution(),
        Spacer(1, 18),
        _backup_location_box(),
    ]


def render_emergency_kit(
    *,
    practice_name: str,
    recovery_key: str,
    vault_id: str,
    created_at: datetime,
    app_version: str,
    generated_at: datetime | None = None,
) -> bytes:
    """The Emergency Kit as PDF bytes, in memory.

    `generated_at` (default: `created_at`) is the moment printed in the footer, for a
    kit printed again later. Both datetimes must be timezone-aware.
    """
    if not recovery_key or recovery_key != recovery_key.strip() or "\n" in recovery_key:
        raise ValueError("the recovery key must be one non-empty line")
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    kit = _Kit(practice_name, recovery_key, vault_id, created_at)
    decoration = PageDecoration(
        practice_name=practice_name,
        document_title=DOCUMENT_TITLE,
        generated_at=generated_at or created_at,
        app_version=app_version,
    )
    return render_document(lambda: _story(kit), decoration)


def write_emergency_kit(
    path: Path,
    *,
    practice_name: str,
    recovery_key: str,
    vault_id: str,
    created_at: datetime,
    app_version: str,
    generated_at: datetime | None = None,
) -> None:
    """Write the Emergency Kit PDF to `path`, owner-only and whole or not at all.

    Raises `InvalidInput` when the folder does not exist or cannot be written to.
    """
    folder = Path(path).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise InvalidInput(CANNOT_SAVE_THERE)
    pdf = render_emergency_kit(
        practice_name=practice_name,
        recovery_key=recovery_key,
        vault_id=vault_id,
        created_at=created_at,
        app_version=app_version,
        generated_at=generated_at,
    )
    try:
        write_atomically(Path(path), pdf)
    except OSError as exc:
        raise InvalidInput(CANNOT_SAVE_THERE) from exc
