"""The record package a client takes home: the PDF and the FHIR JSON in one zip (which
the records service seals with a passphrase as an age file), and the one-page sheet
that carries the passphrase separately.

Everything is built in memory; the only file ever written is the sealed package, where
the person chose (`services.documents.save_document`). The sheet names no client, so a
sheet found on its own gives nothing away, and the package without the sheet is noise.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from ehrdesk import __version__
from ehrdesk.reports.layout import (
    CONTENT_WIDTH,
    MONO_BOLD,
    PageDecoration,
    Palette,
    markup,
    paragraph_styles,
    render_document,
)
from ehrdesk.reports.tables import title_block

PDF_NAME: Final = "record.pdf"
JSON_NAME: Final = "record.fhir.json"
README_NAME: Final = "README.txt"
#: Zip entries get this fixed time, so the same record packs to the same bytes.
_ZIP_TIME: Final = (2020, 1, 1, 0, 0, 0)

README: Final = """Your health record from {practice}

record.pdf        your record to read and print
record.fhir.json  the same record in FHIR R4, the standard format other health
                  records and apps can import

Keep these files private: anyone who has them can read your record.
Prepared {when}.
"""

HOW_TO_OPEN: Final = (
    "The file is encrypted in the age format. To open it, use the age program "
    "(age-encryption.org) or any tool that reads age files; in a terminal, for example:"
)
#: The name is quoted: the suggested file names have spaces.
OPEN_COMMAND: Final = 'age --decrypt -o record.zip "{file}"'
AFTER_OPENING: Final = (
    "and then type the passphrase above. Inside is a zip archive with your record as a "
    "PDF and as FHIR JSON, the standard format that other health records can import."
)


def package_zip(pdf: bytes, fhir_json: bytes, practice: str, when: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (
            (README_NAME, README.format(practice=practice, when=when).encode("utf-8")),
            (PDF_NAME, pdf),
            (JSON_NAME, fhir_json),
        ):
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


@dataclass(frozen=True)
class PassphraseSheet:
    practice_name: str
    passphrase: str
    file_name: str
    generated_at: datetime


def render_passphrase_sheet(sheet: PassphraseSheet) -> bytes:
    styles = paragraph_styles()

    def story() -> list[Flowable]:
        parts = title_block(
            "Your records’ passphrase",
            sheet.practice_name,
            "The file with your health record is locked with this passphrase. Keep this "
            "sheet apart from the file, and destroy it once you have opened the file.",
        )
        words = sheet.passphrase.split()
        word = styles["lead"].clone("word", fontName=MONO_BOLD, fontSize=13, leading=17)
        cells = [
            [Paragraph(markup(f"{i + 1}. {w}"), word) for i, w in enumerate(words[r : r + 4], r)]
            for r in range(0, len(words), 4)
        ]
        table = Table(cells, colWidths=[CONTENT_WIDTH / 4] * 4)
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.8, Palette.ACCENT),
                    ("BACKGROUND", (0, 0), (-1, -1), Palette.TINT),
                    ("TOPPADDING", (0, 0), (-1, -1), 8),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                    ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ]
            )
        )
        parts += [
            table,
            Spacer(1, 8),
            Paragraph(
                markup(
                    "Type the words in this order, with one space between them: " + sheet.passphrase
                ),
                styles["small"],
            ),
            Spacer(1, 14),
            Paragraph("How to open the file", styles["heading"]),
            Paragraph(markup(HOW_TO_OPEN), styles["body"]),
            Spacer(1, 4),
            Paragraph(
                markup(OPEN_COMMAND.format(file=sheet.file_name)),
                styles["body"].clone("command", fontName=MONO_BOLD, leftIndent=14),
            ),
            Spacer(1, 4),
            Paragraph(markup(AFTER_OPENING), styles["body"]),
        ]
        return parts

    decoration = PageDecoration(sheet.practice_name, "Passphrase", sheet.generated_at, __version__)
    return render_document(story, decoration)
