"""The typefaces of every document, and text in any script drawn without breaking.

DejaVu Sans (regular and bold) is the face of every document; it is embedded, so a page
prints the same on every computer. Characters DejaVu lacks (Chinese, Japanese, Korean)
are drawn in Droid Sans Fallback, loaded only when such a character first appears.
Both come from `resources/fonts/`, which the PyInstaller build carries along. Should the
files be missing, the built-in Helvetica is used and text outside Latin-1 is replaced
by "?" rather than breaking the PDF.

`runs` splits text into pieces, each with a font that has its glyphs; `markup` does the
same for a reportlab Paragraph, and `draw_string` / `text_width` for the canvas.
"""

from __future__ import annotations

import functools
import sys
import threading
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SANS: Final = "EhrSans"
SANS_BOLD: Final = "EhrSans-Bold"
FALLBACK: Final = "EhrFallback"
_FILES: Final = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    FALLBACK: "DroidSansFallback.ttf",
}
_BUILTIN: Final = {SANS: "Helvetica", SANS_BOLD: "Helvetica-Bold"}
_lock = threading.Lock()


def fonts_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader
    if bundle is not None and (Path(bundle) / "resources" / "fonts").is_dir():
        return Path(bundle) / "resources" / "fonts"
    return Path(__file__).resolve().parents[2] / "resources" / "fonts"


@functools.cache
def _load(name: str) -> str | None:
    """Register `name` with reportlab once; None if its file is missing."""
    path = fonts_dir() / _FILES[name]
    if not path.is_file():
        return None
    with _lock:
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return name


@functools.cache
def face(name: str) -> str:
    """The registered font for SANS or SANS_BOLD (the built-in one if files are gone)."""
    loaded = _load(name)
    if loaded is None:
        return _BUILTIN[name]
    if _load(SANS) and _load(SANS_BOLD):
        pdfmetrics.registerFontFamily(
            SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD
        )
    return loaded


@functools.cache
def _glyphs(name: str) -> frozenset[int]:
    font: Any = pdfmetrics.getFont(name)
    return frozenset(font.face.charToGlyph)


def _covers(name: str, char: str) -> bool:
    if name in _BUILTIN.values():
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return True
    return ord(char) in _glyphs(name)


def runs(text: str, font: str) -> list[tuple[str, str]]:
    """`text` as (font, piece) runs: `font` where it has the glyphs, else the fallback.
    A character no font has is replaced by "?" (never a broken PDF)."""
    primary = face(font) if font in _FILES else font
    out: list[tuple[str, str]] = []
    for char in text:
        use = primary
        if char not in "\n\t" and not _covers(primary, char):
            fallback = _load(FALLBACK)
            if fallback is not None and _covers(fallback, char):
                use = fallback
            else:
                char = "?"  # noqa: PLW2901 - the replacement is the point
        if out and out[-1][0] == use:
            out[-1] = (use, out[-1][1] + char)
        else:
            out.append((use, char))
    return out


def markup(text: str, font: str = SANS) -> str:
    """Escape text typed by a person ("Smith & Jones", "心理诊所") for a Paragraph in
    `font`, switching to the fallback face for the characters `font` lacks."""
    primary = face(font) if font in _FILES else font
    return "".join(
        escape(piece) if name == primary else f'<font name="{name}">{escape(piece)}</font>'
        for name, piece in runs(text, font)
    )


def text_width(text: str, font: str, size: float) -> float:
    return float(sum(pdfmetrics.stringWidth(p, n, size) for n, p in runs(text, font)))


def draw_string(
    canvas: Any, x: float, y: float, text: str, font: str, size: float, *, align: str = "left"
) -> None:
    """Draw one line on the canvas, run by run; `align` is left, right or centre."""
    width = text_width(text, font, size)
    if align == "right":
        x -= width
    elif align == "centre":
        x -= width / 2
    for name, piece in runs(text, font):
        canvas.setFont(name, size)
        canvas.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, name, size)
