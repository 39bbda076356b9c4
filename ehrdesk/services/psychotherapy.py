"""Psychotherapy notes: the HIPAA category with special protection, their author's alone.

Nobody but the author reads one: not the owner, not another clinician, never the front
desk; a refused opening is audited (`psychotherapy_note_refused`) and every opening by
the author too (`psychotherapy_note_opened`). They are left out of the full-text index
and out of every print, export and right-of-access package unless the author includes
them by name (those packages come later; they must ask this service, which answers
only the author).

The body goes to storage only through `seal_body` and comes back only through
`open_body`. Today the seal is the identity on UTF-8 (`utf8-v1`): the database's own
encryption is all that protects it. A later step gives each author a key and a new
format here; nothing else needs to change.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from ehrdesk.core.chart import PsychotherapyNote
from ehrdesk.core.errors import InvalidInput, NotFound, PermissionDenied, VaultDamaged
from ehrdesk.core.permissions import Action
from ehrdesk.services.chart_access import ChartServiceBase, check_length
from ehrdesk.services.guard import requires
from ehrdesk.services.session import Session
from ehrdesk.storage.psychotherapy import PsychotherapyRepository, SealedNote

FORMAT_UTF8 = "utf8-v1"
AUTHOR_ONLY = "Psychotherapy notes can be read only by the clinician who wrote them."


def seal_body(text: str, author_id: int) -> tuple[bytes, str]:
    """The bytes to store for `text`, and their format."""
    return text.encode("utf-8"), FORMAT_UTF8


def open_body(body: bytes, body_format: str, author_id: int) -> str:
    if body_format != FORMAT_UTF8:
        raise VaultDamaged("This psychotherapy note was saved in a form this ehrdesk cannot read.")
    return body.decode("utf-8")


def _note(sealed: SealedNote) -> PsychotherapyNote:
    return PsychotherapyNote(
        sealed.id,
        sealed.client_id,
        sealed.author_id,
        open_body(sealed.body, sealed.body_format, sealed.author_id),
        sealed.created_at,
        sealed.updated_at,
        sealed.row_version,
    )


def my_notes(session: Session, client_id: int) -> list[tuple[int, datetime]]:
    """(id, written) of the signed-in person's own notes for this client, newest first."""
    me = session.current_user()
    rows = PsychotherapyRepository(session.database.conn).list_for(client_id, me.id)
    return [(note_id, created) for note_id, created, _ in rows]


def notes_for_release(
    session: Session, client_id: int, note_ids: tuple[int, ...], all_mine: bool
) -> list[PsychotherapyNote]:
    """The signed-in author's own notes for this client, for a record they hand out:
    every one of them (`all_mine`) or those listed, oldest first. A listed note that is
    not theirs, or not this client's, is refused and audited as a refused opening is:
    nobody but the author can put a psychotherapy note into a record."""
    me = session.current_user()
    repo = PsychotherapyRepository(session.database.conn)
    mine = {note_id for note_id, _, _ in repo.list_for(client_id, me.id)}
    wanted = sorted(mine) if all_mine else list(dict.fromkeys(note_ids))
    for note_id in wanted:
        if note_id not in mine:
            with session.transaction() as tx:
                tx.audit(
                    "psychotherapy_note_refused",
                    object_type="psychotherapy_note",
                    object_id=str(note_id),
                )
            raise PermissionDenied(AUTHOR_ONLY)
    notes = [_note(repo.get(note_id, me.id)) for note_id in wanted]
    return sorted(notes, key=lambda n: (n.created_at, n.id))


class PsychotherapyNotes(ChartServiceBase):
    @requires(Action.WRITE_PSYCHOTHERAPY_NOTES)
    def write(self, client_id: int, text: str) -> PsychotherapyNote:
        if not text.strip():
            raise InvalidInput("Please write the note before saving it.")
        check_length(text)
        self._require_chart(client_id)
        me = self._me()
        body, body_format = seal_body(text, me.id)
        with self._session.transaction() as tx:
            sealed = PsychotherapyRepository(tx.conn).add(
                client_id, me.id, body, body_format, self._clock.now()
            )
            tx.audit(
                "psychotherapy_note_created",
                object_type="psychotherapy_note",
                object_id=str(sealed.id),
            )
        return _note(sealed)

    @requires(Action.WRITE_PSYCHOTHERAPY_NOTES)
    def open(self, note_id: int) -> PsychotherapyNote:
        """The author's own note; anyone else is refused, and either way it is audited."""
        sealed = self._own(note_id)
        self._require_chart(sealed.client_id)
        with self._session.transaction() as tx:
            tx.audit(
                "psychotherapy_note_opened",
                object_type="psychotherapy_note",
                object_id=str(note_id),
            )
        return _note(sealed)

    @requires(Action.WRITE_PSYCHOTHERAPY_NOTES)
    def save(self, note: PsychotherapyNote, text: str) -> PsychotherapyNote:
        check_length(text)
        sealed = self._own(note.id)
        self._require_chart(sealed.client_id)
        body, body_format = seal_body(text, sealed.author_id)
        stale = dataclasses.replace(sealed, row_version=note.row_version)
        with self._session.transaction() as tx:
            saved = PsychotherapyRepository(tx.conn).update(
                stale, body, body_format, self._clock.now()
            )
            self._audit_edit(tx, "psychotherapy_note_saved", "psychotherapy_note", note.id)
        return _note(saved)

    def _own(self, note_id: int) -> SealedNote:
        me = self._me()
        notes = PsychotherapyRepository(self._session.database.conn)
        try:
            return notes.get(note_id, me.id)
        except NotFound:
            if not notes.exists(note_id):
                raise
        with self._session.transaction() as tx:
            tx.audit(
                "psychotherapy_note_refused",
                object_type="psychotherapy_note",
                object_id=str(note_id),
            )
        raise PermissionDenied(AUTHOR_ONLY)
