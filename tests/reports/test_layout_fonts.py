"""The shared page with names in any script: embedded fonts, the fallback for CJK,
and a header that fits whatever the practice is called."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from reportlab.platypus import Paragraph

from ehrdesk.reports import fonts
from ehrdesk.reports.layout import PageDecoration, markup, paragraph_styles, render_document
from tests.compliance_support import pdf_page_png, pdf_words

NAMES = ["Zoë's Praxis — Ærø", "心理诊所", "Клиника «Душа» & Co <b>", "Ψυχολόγος ΙΚΕ"]


@pytest.mark.parametrize("name", NAMES)
def test_any_practice_name_prints_as_typed(name: str, tmp_path: Path) -> None:
    decoration = PageDecoration(name, "Test document", datetime(2026, 1, 5, tzinfo=UTC), "0.1.0")
    data = render_document(
        lambda: [Paragraph(markup(f"Body text for {name}."), paragraph_styles()["body"])],
        decoration,
    )
    words = pdf_words(data, tmp_path)
    assert words.count(name) == 2, words  # the header and the body
    assert "Confidential" in words and "Page 1 of 1" in words
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    embedded = [line for line in listing.stdout.splitlines() if "DejaVuSans" in line]
    assert embedded and all(" yes yes " in line for line in embedded)
    if name == "心理诊所":
        assert "DroidSansFallback" in listing.stdout
        pdf_page_png(data, tmp_path, "layout-cjk-name")


def test_runs_split_text_by_font() -> None:
    assert fonts.runs("Ab心c", fonts.SANS) == [
        ("EhrSans", "Ab"),
        ("EhrFallback", "心"),
        ("EhrSans", "c"),
    ]
    assert fonts.markup("a<心>", fonts.SANS) == 'a&lt;<font name="EhrFallback">心</font>&gt;'
    # A character no bundled font has becomes "?" instead of breaking the PDF.
    assert fonts.runs("\U0001fae0", fonts.SANS) == [("EhrSans", "?")]


def test_a_very_long_name_is_shortened_in_the_header(tmp_path: Path) -> None:
    name = "心理诊所 " * 40
    decoration = PageDecoration(name, "Audit report", datetime(2026, 1, 5, tzinfo=UTC), "0.1.0")
    data = render_document(lambda: [Paragraph("x", paragraph_styles()["body"])], decoration)
    first_line = pdf_words(data, tmp_path).split("Audit report")[0]
    assert "…" in first_line and len(first_line) < len(name)
