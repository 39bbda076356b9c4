"""A release of information signed on screen: the authorisation the client read, with
their drawn signature under it, as the PDF kept in place of a scanned form.

It states what a valid authorisation states (HIPAA 45 CFR 164.508(c)): what may be
shared, by whom, with whom, for what purpose, until when, that it may be revoked in
writing, that treatment does not depend on signing it, and that the recipient may
share it further. The signature is an image the UI drew; the document is rendered in
memory and never written to a file here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, Spacer

from ehrdesk.core.records import Release, ShareCategory, authorisation_statements
from ehrdesk.reports.layout import PageDecoration, markup, paragraph_styles, render_document
from ehrdesk.reports.tables import fields, title_block

DOCUMENT_TITLE: Final = "Release of information"
#: The drawn signature is scaled to at most this box (points).
SIGNATURE_BOX: Final = (300.0, 110.0)


@dataclass(frozen=True)
class ReleaseForm:
    practice_name: str
    client_name: str
    client_born: date
    release: Release
    signature_png: bytes
    signed_at: datetime
    time_zone: str
    generated_at: datetime
    app_version: str


def signature_size(png: bytes) -> tuple[int, int]:
    """The image's size in pixels; ValueError if it is not an image reportlab can draw."""
    try:
        width, height = ImageReader(io.BytesIO(png)).getSize()
    except Exception as error:  # reportlab and Pillow raise many kinds
        raise ValueError("not a readable image") from error
    if width < 1 or height < 1:
        raise ValueError("an empty image")
    return int(width), int(height)


def render_release_form(form: ReleaseForm) -> bytes:
    styles = paragraph_styles()
    release = form.release
    zone = ZoneInfo(form.time_zone)
    width, height = signature_size(form.signature_png)
    scale = min(SIGNATURE_BOX[0] / width, SIGNATURE_BOX[1] / height)

    def story() -> list[Flowable]:
        shared = [c.label for c in ShareCategory if c in release.categories]
        parts = title_block(DOCUMENT_TITLE, f"Authorisation by {form.client_name}")
        parts.append(
            fields(
                [
                    ("Client", form.client_name),
                    ("Date of birth", form.client_born.isoformat()),
                    ("Shared by", form.practice_name),
                    ("Shared with", release.recipient),
                    ("Their contact", release.recipient_contact or "—"),
                    ("What may be shared", "\n".join(shared)),
                    ("Purpose", release.purpose),
                    ("Expires on", f"{release.expires_on:%d %B %Y}"),
                ]
            )
        )
        parts.append(Spacer(1, 10))
        statements = authorisation_statements(form.practice_name)
        parts += [Paragraph(markup(s), styles["item"]) for s in statements]
        parts.append(Spacer(1, 14))
        signature = Image(
            io.BytesIO(form.signature_png), width=width * scale, height=height * scale
        )
        signature.hAlign = "LEFT"
        signed = form.signed_at.astimezone(zone)
        parts.append(
            KeepTogether(
                [
                    Paragraph(
                        "Signature of the client or their personal representative",
                        styles["label"],
                    ),
                    Spacer(1, 4),
                    signature,
                    Spacer(1, 4),
                    Paragraph(
                        markup(
                            f"Signed on screen on {signed:%d %B %Y at %H:%M} "
                            f"({form.time_zone}); release #{release.id}."
                        ),
                        styles["small"],
                    ),
                ]
            )
        )
        return parts

    decoration = PageDecoration(
        form.practice_name, f"{DOCUMENT_TITLE} — {form.client_name}", form.generated_at,
        form.app_version,
    )  # fmt: skip
    return render_document(story, decoration)


__all__ = ["DOCUMENT_TITLE", "ReleaseForm", "render_release_form", "signature_size"]
