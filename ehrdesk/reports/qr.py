"""QR codes as runs of dark modules, for the printed kit and the screen alike.

Drawing one rectangle per horizontal run of dark modules (rather than one per
module) leaves no hairline seams between neighbours at any scale.
"""

from __future__ import annotations

from collections.abc import Iterator

QUIET_ZONE = 4  # modules of light border that the QR standard asks for


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of a regular (never Micro) QR code for `text`, without border;
    error correction M, raised where the size allows."""
    # Loaded on the first code, not with the lock screen that may show one later.
    import segno  # noqa: PLC0415

    code = segno.make_qr(text, error="m", boost_error=True)
    return [[bool(module) for module in row] for row in code.matrix]


def dark_runs(matrix: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """(row, first column, column after the last) for each run of dark modules."""
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            yield r, start, c
