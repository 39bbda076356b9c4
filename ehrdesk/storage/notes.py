"""Progress notes, their addenda, note templates and the full-text index of notes.

A note is a draft until it is signed; a signed note is never changed or deleted (the
schema's triggers refuse it, whoever asks), and is corrected only by addenda, which
are signed when written. Every write to a note's text rewrites its row of
`note_search` in the same transaction, so the index never disagrees with the notes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from ehrdesk.core.chart import (
    HIT_END,
    HIT_START,
    Addendum,
    NoteSearchHit,
    NoteSection,
    NoteStart,
    NoteStatus,
    NoteTemplate,
    ProgressNote,
    TemplateField,
    UnsignedNote,
)
from ehrdesk.core.errors import ConcurrentEditError, InvalidInput, NotFound
from ehrdesk.storage.chart import parse_utc, utc_text
from ehrdesk.storage.clients import CLIENT_NAME_SQL
from ehrdesk.storage.database import Connection, limit_sql

_NOTE_COLUMNS = (
    "n.id, n.client_id, n.author_id, a.full_name, n.template_id, n.template_name, "
    "n.appointment_id, n.service_at, n.duration_minutes, n.cpt_code, n.location, "
    "n.sections, n.status, s.full_name, n.signed_at, n.created_at, n.updated_at, "
    "n.row_version"
)
_NOTE_FROM = (
    "progress_note n JOIN user a ON a.id = n.author_id LEFT JOIN user s ON s.id = n.signed_by"
)


def _sections(raw: str) -> tuple[NoteSection, ...]:
    return tuple(NoteSection(s["key"], s["label"], s["text"]) for s in json.loads(raw))


def sections_json(sections: tuple[NoteSection, ...]) -> str:
    return json.dumps(
        [{"key": s.key, "label": s.label, "text": s.text} for s in sections], ensure_ascii=False
    )


def searchable_text(sections: tuple[NoteSection, ...]) -> str:
    return "\n".join(s.text for s in sections if s.text.strip())


@dataclass(frozen=True, slots=True)
class HistoricalNote:
    """A note written in the past, for the synthetic practices' bulk path: signed at
    `signed_at`, or still a draft when that is None."""

    id: int
    client_id: int
    author_id: int
    template: NoteTemplate
    appointment_id: int | None
    service_at: datetime
    duration_minutes: int
    cpt_code: str
    location: str
    sections: tuple[NoteSection, ...]
    written_at: datetime
    signed_at: datetime | None


def _template(row: tuple[object, ...]) -> NoteTemplate:
    tid, name, fields, builtin, active, version = row
    return NoteTemplate(
        int(str(tid)),
        str(name),
        tuple(TemplateField(f["key"], f["label"], f["prompt"]) for f in json.loads(str(fields))),
        bool(builtin),
        bool(active),
        int(str(version)),
    )


def note_rowid(note_id: int) -> int:
    """A note's row in `note_search`: negated so that ascending order is newest first
    (0006_note_search_newest_first.sql)."""
    return -2 * note_id


def addendum_rowid(addendum_id: int) -> int:
    return -(2 * addendum_id + 1)


def _decoded(rowid: int) -> tuple[int, bool]:
    """(note or addendum id, whether it is an addendum) of a `note_search` row."""
    return -rowid // 2, bool(-rowid % 2)


def owner_token(user_id: int) -> str:
    return f"u{user_id}"


def fts_query(words: str, owner_id: int) -> str | None:
    """An FTS5 query for the person's own text: each typed word quoted (so nothing
    typed is read as FTS syntax) and all of them required; the index stems them, so
    any form of a word matches. No prefixes: see the note in 0005_chart.sql. None when
    nothing searchable was typed."""
    terms = [w.replace('"', "").rstrip("*") for w in words.split()]
    terms = [t for t in terms if any(ch.isalnum() for ch in t)]
    if not terms:
        return None
    body = " AND ".join(f'"{t}"' for t in terms[:12])
    return f'owner : "{owner_token(owner_id)}" AND body : ({body})'


class NoteRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # Templates -----------------------------------------------------------------

    def templates(self, *, include_inactive: bool = False) -> list[NoteTemplate]:
        rows = self._conn.execute(
            "SELECT id, name, fields, builtin, active, row_version FROM note_template "
            "WHERE active = 1 OR ? ORDER BY position, name",
            (int(include_inactive),),
        )
        return [_template(r) for r in rows]

    def template(self, template_id: int) -> NoteTemplate:
        row = self._conn.execute(
            "SELECT id, name, fields, builtin, active, row_version FROM note_template WHERE id = ?",
            (template_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That note template does not exist.")
        return _template(row)

    def add_template(
        self, name: str, fields: tuple[TemplateField, ...], user_id: int, now: datetime
    ) -> NoteTemplate:
        if self._conn.execute("SELECT 1 FROM note_template WHERE name = ?", (name,)).fetchone():
            raise InvalidInput("A template with that name already exists.")
        cur = self._conn.execute(
            "INSERT INTO note_template (name, fields, created_at, created_by) VALUES (?, ?, ?, ?)",
            (name, _fields_json(fields), utc_text(now), user_id),
        )
        return self.template(int(cur.lastrowid))

    def update_template(
        self, template: NoteTemplate, fields: tuple[TemplateField, ...], active: bool
    ) -> NoteTemplate:
        cur = self._conn.execute(
            "UPDATE note_template SET fields = ?, active = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ?",
            (_fields_json(fields), int(active), template.id, template.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.template(template.id)

    # Notes ---------------------------------------------------------------------

    def add(
        self,
        *,
        client_id: int,
        author_id: int,
        template: NoteTemplate | None,
        template_name: str,
        sections: tuple[NoteSection, ...],
        start: NoteStart,
        now: datetime,
    ) -> ProgressNote:
        stamp = utc_text(now)
        cur = self._conn.execute(
            "INSERT INTO progress_note (client_id, author_id, template_id, template_name, "
            "appointment_id, service_at, duration_minutes, cpt_code, location, sections, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                client_id,
                author_id,
                None if template is None else template.id,
                template_name,
                start.appointment_id,
                utc_text(start.service_at),
                start.duration_minutes,
                start.cpt_code,
                start.location,
                sections_json(sections),
                stamp,
                stamp,
            ),
        )
        note_id = int(cur.lastrowid)
        self._index(note_rowid(note_id), author_id, searchable_text(sections))
        return self.get(note_id)

    def get(self, note_id: int) -> ProgressNote:
        row = self._conn.execute(
            f"SELECT {_NOTE_COLUMNS} FROM {_NOTE_FROM} WHERE n.id = ?",  # noqa: S608 - constants
            (note_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That note does not exist.")
        return self._note(row, self.addenda(note_id))

    def _note(self, row: tuple[object, ...], addenda: tuple[Addendum, ...]) -> ProgressNote:
        nid, client, author, author_name, tid, tname, appt, service_at = row[:8]
        minutes, cpt, location, sections, status, signer, signed_at = row[8:15]
        created, updated, version = row[15:]
        return ProgressNote(
            id=int(str(nid)),
            client_id=int(str(client)),
            author_id=int(str(author)),
            author_name=str(author_name),
            template_id=None if tid is None else int(str(tid)),
            template_name=str(tname),
            appointment_id=None if appt is None else int(str(appt)),
            service_at=parse_utc(str(service_at)),
            duration_minutes=int(str(minutes)),
            cpt_code=str(cpt),
            location=str(location),
            sections=_sections(str(sections)),
            status=NoteStatus(str(status)),
            signed_by_name=None if signer is None else str(signer),
            signed_at=None if signed_at is None else parse_utc(str(signed_at)),
            created_at=parse_utc(str(created)),
            updated_at=parse_utc(str(updated)),
            row_version=int(str(version)),
            addenda=addenda,
        )

    def save_draft(
        self,
        note: ProgressNote,
        row_version: int,
        *,
        sections: tuple[NoteSection, ...],
        start: NoteStart,
        now: datetime,
    ) -> ProgressNote:
        cur = self._conn.execute(
            "UPDATE progress_note SET sections = ?, service_at = ?, duration_minutes = ?, "
            "cpt_code = ?, location = ?, updated_at = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ? AND status = 'draft'",
            (
                sections_json(sections),
                utc_text(start.service_at),
                start.duration_minutes,
                start.cpt_code,
                start.location,
                utc_text(now),
                note.id,
                row_version,
            ),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        self._index(note_rowid(note.id), note.author_id, searchable_text(sections))
        return self.get(note.id)

    def sign(
        self, note: ProgressNote, row_version: int, signer_id: int, now: datetime
    ) -> ProgressNote:
        stamp = utc_text(now)
        cur = self._conn.execute(
            "UPDATE progress_note SET status = 'signed', signed_by = ?, signed_at = ?, "
            "updated_at = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ? AND status = 'draft'",
            (signer_id, stamp, stamp, note.id, row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(note.id)

    def discard_draft(self, note: ProgressNote, row_version: int) -> None:
        cur = self._conn.execute(
            "DELETE FROM progress_note WHERE id = ? AND row_version = ? AND status = 'draft'",
            (note.id, row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        self._conn.execute("DELETE FROM note_search WHERE rowid = ?", (note_rowid(note.id),))

    def add_addendum(self, note: ProgressNote, author_id: int, text: str, now: datetime) -> None:
        cur = self._conn.execute(
            "INSERT INTO note_addendum (note_id, author_id, body, signed_at) VALUES (?, ?, ?, ?)",
            (note.id, author_id, text, utc_text(now)),
        )
        self._index(addendum_rowid(int(cur.lastrowid)), author_id, text)

    def addenda(self, note_id: int) -> tuple[Addendum, ...]:
        rows = self._conn.execute(
            "SELECT a.id, a.note_id, a.author_id, u.full_name, a.body, a.signed_at "
            "FROM note_addendum a JOIN user u ON u.id = a.author_id "
            "WHERE a.note_id = ? ORDER BY a.id",
            (note_id,),
        )
        return tuple(
            Addendum(int(i), int(n), int(au), str(name), str(body), parse_utc(str(at)))
            for i, n, au, name, body, at in rows
        )

    def signed_for_client(self, client_id: int) -> list[ProgressNote]:
        """Every signed note of the client with its addenda, oldest service first (a
        printed record); drafts never. Addenda come in one query for all the notes."""
        rows = self._conn.execute(
            f"SELECT {_NOTE_COLUMNS} FROM {_NOTE_FROM} "  # noqa: S608 - constants
            "WHERE n.client_id = ? AND n.status = 'signed' ORDER BY n.service_at, n.id",
            (client_id,),
        ).fetchall()
        addenda: dict[int, list[Addendum]] = {}
        for i, n, au, name, body, at in self._conn.execute(
            "SELECT a.id, a.note_id, a.author_id, u.full_name, a.body, a.signed_at "
            "FROM note_addendum a JOIN progress_note p ON p.id = a.note_id "
            "JOIN user u ON u.id = a.author_id WHERE p.client_id = ? ORDER BY a.id",
            (client_id,),
        ):
            addenda.setdefault(int(n), []).append(
                Addendum(int(i), int(n), int(au), str(name), str(body), parse_utc(str(at)))
            )
        return [self._note(r, tuple(addenda.get(int(str(r[0])), ()))) for r in rows]

    def last_note(self, client_id: int, author_id: int) -> ProgressNote | None:
        """The newest note this author wrote for this client (by service time)."""
        row = self._conn.execute(
            f"SELECT {_NOTE_COLUMNS} FROM {_NOTE_FROM} "  # noqa: S608 - constants
            "WHERE n.client_id = ? AND n.author_id = ? "
            "ORDER BY n.service_at DESC, n.id DESC LIMIT 1",
            (client_id, author_id),
        ).fetchone()
        return None if row is None else self._note(row, ())

    def signed_codes(self, appointment_ids: list[int]) -> dict[int, tuple[str, str]]:
        """appointment id → (CPT code, location) of its signed note: the billing codes a
        superbill reads, and nothing of the note's words."""
        found: dict[int, tuple[str, str]] = {}
        for start in range(0, len(appointment_ids), 500):
            chunk = appointment_ids[start : start + 500]
            rows = self._conn.execute(
                "SELECT appointment_id, cpt_code, location FROM progress_note "  # noqa: S608 - placeholders only
                f"WHERE status = 'signed' AND appointment_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY id",
                chunk,
            )
            for appointment, cpt, location in rows:
                found.setdefault(int(appointment), (str(cpt), str(location)))
        return found

    def note_for_appointment(self, appointment_id: int) -> int | None:
        row = self._conn.execute(
            "SELECT id FROM progress_note WHERE appointment_id = ? ORDER BY id LIMIT 1",
            (appointment_id,),
        ).fetchone()
        return None if row is None else int(row[0])

    def unsigned(self, author_id: int, limit: int = 200) -> list[UnsignedNote]:
        rows = self._conn.execute(
            f"SELECT n.id, n.client_id, {CLIENT_NAME_SQL}, n.service_at, n.template_name "  # noqa: S608 - constants
            "FROM progress_note n JOIN client c ON c.id = n.client_id "
            "WHERE n.author_id = ? AND n.status = 'draft' "
            f"ORDER BY n.service_at {limit_sql(limit)}",
            (author_id,),
        )
        return [
            UnsignedNote(int(i), int(c), str(name), parse_utc(str(at)), str(t))
            for i, c, name, at, t in rows
        ]

    def add_history(self, rows: list[HistoricalNote]) -> int:
        """Bulk-insert notes written in the past with the ids they carry, and their
        search rows, as `add`, `save_draft` and `sign` would have left them (the
        synthetic practices' generator); returns how many."""
        self._conn.executemany(
            "INSERT INTO progress_note (id, client_id, author_id, template_id, template_name, "
            "appointment_id, service_at, duration_minutes, cpt_code, location, sections, "
            "status, signed_by, signed_at, created_at, updated_at, row_version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.id,
                    r.client_id,
                    r.author_id,
                    r.template.id,
                    r.template.name,
                    r.appointment_id,
                    utc_text(r.service_at),
                    r.duration_minutes,
                    r.cpt_code,
                    r.location,
                    sections_json(r.sections),
                    "draft" if r.signed_at is None else "signed",
                    None if r.signed_at is None else r.author_id,
                    None if r.signed_at is None else utc_text(r.signed_at),
                    utc_text(r.written_at),
                    utc_text(r.written_at if r.signed_at is None else r.signed_at),
                    1 if r.signed_at is None else 2,
                )
                for r in rows
            ],
        )
        self._conn.executemany(
            "INSERT INTO note_search (rowid, owner, body) VALUES (?, ?, ?)",
            [
                (note_rowid(r.id), owner_token(r.author_id), searchable_text(r.sections))
                for r in rows
            ],
        )
        return len(rows)

    # Full-text search --------------------------------------------------------------

    def _index(self, rowid: int, owner_id: int, text: str) -> None:
        self._conn.execute("DELETE FROM note_search WHERE rowid = ?", (rowid,))
        if text.strip():
            self._conn.execute(
                "INSERT INTO note_search (rowid, owner, body) VALUES (?, ?, ?)",
                (rowid, owner_token(owner_id), text),
            )

    def search(self, query: str, owner_id: int, limit: int) -> list[NoteSearchHit]:
        """The person's own notes and addenda that hold every word, newest first."""
        match = fts_query(query, owner_id)
        if match is None:
            return []
        hits = self._conn.execute(
            "SELECT rowid, snippet(note_search, 1, ?, ?, '…', 12) FROM note_search "  # noqa: S608 - a number
            f"WHERE note_search MATCH ? ORDER BY rowid {limit_sql(limit)}",
            (HIT_START, HIT_END, match),
        ).fetchall()
        if not hits:
            return []
        decoded = [(_decoded(int(rowid)), str(snippet)) for rowid, snippet in hits]
        note_of: dict[int, int] = {}  # addendum id → its note's id
        addendum_ids = [i for (i, addendum), _ in decoded if addendum]
        for start in range(0, len(addendum_ids), 500):
            chunk = addendum_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            note_of.update(
                (int(a), int(n))
                for a, n in self._conn.execute(
                    f"SELECT id, note_id FROM note_addendum WHERE id IN ({marks})",  # noqa: S608 - placeholders only
                    chunk,
                )
            )
        note_ids = sorted({note_of.get(i, i) if addendum else i for (i, addendum), _ in decoded})
        marks = ",".join("?" * len(note_ids))
        facts = {
            int(i): (int(c), str(name), parse_utc(str(at)))
            for i, c, name, at in self._conn.execute(
                f"SELECT n.id, n.client_id, {CLIENT_NAME_SQL}, n.service_at "  # noqa: S608 - placeholders only
                f"FROM progress_note n JOIN client c ON c.id = n.client_id WHERE n.id IN ({marks})",
                note_ids,
            )
        }
        out = []
        for (entry_id, addendum), snippet in decoded:
            note_id = note_of.get(entry_id, -1) if addendum else entry_id
            if note_id in facts:
                client_id, name, at = facts[note_id]
                out.append(NoteSearchHit(note_id, client_id, name, at, snippet, addendum))
        out.sort(key=lambda h: h.service_at, reverse=True)
        return out


def _fields_json(fields: tuple[TemplateField, ...]) -> str:
    return json.dumps(
        [{"key": f.key, "label": f.label, "prompt": f.prompt} for f in fields], ensure_ascii=False
    )
