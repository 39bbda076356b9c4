"""Psychotherapy notes: stored apart, read only with their author's id in the query.

The repository never interprets `body`: it stores and returns the bytes that
`services/psychotherapy.py` sealed, with their `body_format`, so putting the notes
under the author's own key later changes the service's seal and open functions and
nothing here. Every read names the author: another person's note is simply absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.storage.chart import parse_utc, utc_text
from ehrdesk.storage.database import Connection


@dataclass(frozen=True, slots=True)
class SealedNote:
    id: int
    client_id: int
    author_id: int
    body: bytes
    body_format: str
    created_at: datetime
    updated_at: datetime
    row_version: int


_COLUMNS = "id, client_id, author_id, body, body_format, created_at, updated_at, row_version"


def _sealed(row: tuple[object, ...]) -> SealedNote:
    nid, client, author, body, fmt, created, updated, version = row
    return SealedNote(
        int(str(nid)),
        int(str(client)),
        int(str(author)),
        bytes(body),  # type: ignore[call-overload]
        str(fmt),
        parse_utc(str(created)),
        parse_utc(str(updated)),
        int(str(version)),
    )


class PsychotherapyRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self, client_id: int, author_id: int, body: bytes, body_format: str, now: datetime
    ) -> SealedNote:
        stamp = utc_text(now)
        cur = self._conn.execute(
            "INSERT INTO psychotherapy_note (client_id, author_id, body, body_format, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (client_id, author_id, body, body_format, stamp, stamp),
        )
        return self.get(int(cur.lastrowid), author_id)

    def get(self, note_id: int, author_id: int) -> SealedNote:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM psychotherapy_note WHERE id = ? AND author_id = ?",  # noqa: S608 - constants
            (note_id, author_id),
        ).fetchone()
        if row is None:
            raise NotFound("That note does not exist.")
        return _sealed(row)

    def exists(self, note_id: int) -> bool:
        """Whether a psychotherapy note has this id at all (to audit a refused open)."""
        return bool(
            self._conn.execute(
                "SELECT 1 FROM psychotherapy_note WHERE id = ?", (note_id,)
            ).fetchone()
        )

    def update(self, note: SealedNote, body: bytes, body_format: str, now: datetime) -> SealedNote:
        cur = self._conn.execute(
            "UPDATE psychotherapy_note SET body = ?, body_format = ?, updated_at = ?, "
            "row_version = row_version + 1 WHERE id = ? AND author_id = ? AND row_version = ?",
            (body, body_format, utc_text(now), note.id, note.author_id, note.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(note.id, note.author_id)

    def list_for(self, client_id: int, author_id: int) -> list[tuple[int, datetime, datetime]]:
        """(id, created, updated) of the author's notes for the client, newest first."""
        rows = self._conn.execute(
            "SELECT id, created_at, updated_at FROM psychotherapy_note "
            "WHERE author_id = ? AND client_id = ? ORDER BY created_at DESC, id DESC",
            (author_id, client_id),
        )
        return [(int(i), parse_utc(str(c)), parse_utc(str(u))) for i, c, u in rows]
