"""Progress notes: start (from an appointment, a template, or the last note's
structure), autosave the draft, sign with the password, correct with signed addenda.

Rules kept here, on top of the schema's triggers: only a note's author edits, signs or
discards their draft; a signed note is never changed, only followed by addenda; a note
is never dated in the future; a text over the limit is refused whole and the draft in
the database keeps what it had. Autosaves are audited once per person and note every
quarter of an hour (`note_draft_saved`, see `ChartServiceBase._audit_edit`), so a draft
saved every few seconds does not fill the log; creation, signing, addenda and
discarding are each audited.
"""

from __future__ import annotations

from ehrdesk.core.chart import (
    AppointmentFacts,
    NoteSection,
    NoteStart,
    NoteTemplate,
    ProgressNote,
    TemplateField,
)
from ehrdesk.core.errors import InvalidInput, PermissionDenied
from ehrdesk.core.permissions import Action
from ehrdesk.services.chart_access import ChartServiceBase, check_length
from ehrdesk.services.guard import requires
from ehrdesk.services.session import Transaction
from ehrdesk.storage.appointments import AppointmentRepository
from ehrdesk.storage.database import Connection
from ehrdesk.storage.notes import NoteRepository

NOT_YOURS = "Only the clinician who wrote this note can change or sign it."
MAX_TEMPLATE_FIELDS = 20


def default_cpt(type_code: str, minutes: int) -> str:
    """The usual service code for an appointment of this type and length."""
    if type_code == "intake":
        return "90791"
    if type_code == "family":
        return "90847"
    if type_code == "group":
        return "90853"
    if minutes >= 53:
        return "90837"
    if minutes >= 38:
        return "90834"
    return "90832"


def appointment_facts(conn: Connection, appointment_id: int) -> AppointmentFacts:
    """What a note takes from its appointment: the place is the appointment's own
    location, else "Telehealth" for a telehealth type, else the room's name."""
    repo = AppointmentRepository(conn)
    a = repo.get(appointment_id)
    location = a.location
    if not location:
        if repo.type(a.type_code).is_telehealth:
            location = "Telehealth"
        elif a.room_id is not None:
            location = repo.room(a.room_id).name
    return AppointmentFacts(
        a.id, a.client_id, a.clinician_id, a.starts_at, a.ends_at, location, a.type_code
    )


def empty_sections(template: NoteTemplate) -> tuple[NoteSection, ...]:
    return tuple(NoteSection(f.key, f.label, "") for f in template.fields)


class ProgressNotes(ChartServiceBase):
    # Templates ---------------------------------------------------------------------

    @requires(Action.WRITE_NOTES)
    def templates(self) -> list[NoteTemplate]:
        return NoteRepository(self._session.database.conn).templates()

    @requires(Action.MANAGE_NOTE_TEMPLATES)
    def add_template(self, name: str, fields: list[TemplateField]) -> NoteTemplate:
        name = " ".join(name.split())
        if not name or len(name) > 60:
            raise InvalidInput("A template's name is 1 to 60 characters.")
        checked = _check_fields(fields)
        with self._session.transaction() as tx:
            template = NoteRepository(tx.conn).add_template(
                name, checked, self._me().id, self._clock.now()
            )
            tx.audit("note_template_added", object_type="note_template", object_id=str(template.id))
        return template

    @requires(Action.MANAGE_NOTE_TEMPLATES)
    def update_template(
        self, template: NoteTemplate, fields: list[TemplateField], *, active: bool = True
    ) -> NoteTemplate:
        if template.builtin:
            raise InvalidInput("The built-in templates cannot be changed; add a new one.")
        checked = _check_fields(fields)
        with self._session.transaction() as tx:
            template = NoteRepository(tx.conn).update_template(template, checked, active)
            tx.audit(
                "note_template_changed", object_type="note_template", object_id=str(template.id)
            )
        return template

    # Starting a note -----------------------------------------------------------------

    @requires(Action.WRITE_NOTES)
    def start_note(self, client_id: int, template_id: int, start: NoteStart) -> ProgressNote:
        self._require_chart(client_id)
        self._check_start(start)
        with self._session.transaction() as tx:
            notes = NoteRepository(tx.conn)
            template = notes.template(template_id)
            note = notes.add(
                client_id=client_id,
                author_id=self._me().id,
                template=template,
                template_name=template.name,
                sections=empty_sections(template),
                start=start,
                now=self._clock.now(),
            )
            self._audit(tx, "note_created", note)
        return note

    @requires(Action.WRITE_NOTES)
    def start_from_appointment(self, appointment_id: int, template_id: int) -> ProgressNote:
        """A note carrying the appointment's date, length, location and usual service
        code; the appointment's own note if it has one already."""
        conn = self._session.database.conn
        appointment = appointment_facts(conn, appointment_id)
        self._require_chart(appointment.client_id)
        existing = NoteRepository(conn).note_for_appointment(appointment_id)
        if existing is not None:
            return self.note(existing)
        start = NoteStart(
            service_at=appointment.starts_at,
            duration_minutes=appointment.minutes,
            cpt_code=default_cpt(appointment.type_code, appointment.minutes),
            location=appointment.location,
            appointment_id=appointment.id,
        )
        return self.start_note(appointment.client_id, template_id, start)

    @requires(Action.WRITE_NOTES)
    def start_from_last_note(self, client_id: int, start: NoteStart) -> ProgressNote:
        """A new note with the template and headings of this person's last note for this
        client, and every section empty: the structure is copied, never the words."""
        self._require_chart(client_id)
        self._check_start(start)
        with self._session.transaction() as tx:
            notes = NoteRepository(tx.conn)
            last = notes.last_note(client_id, self._me().id)
            if last is None:
                raise InvalidInput("There is no earlier note of yours for this client.")
            template = None if last.template_id is None else notes.template(last.template_id)
            note = notes.add(
                client_id=client_id,
                author_id=self._me().id,
                template=template,
                template_name=last.template_name,
                sections=tuple(NoteSection(s.key, s.label, "") for s in last.sections),
                start=start,
                now=self._clock.now(),
            )
            self._audit(tx, "note_created", note)
        return note

    # Reading, saving, signing --------------------------------------------------------

    @requires(Action.VIEW_CHART)
    def note(self, note_id: int) -> ProgressNote:
        note = NoteRepository(self._session.database.conn).get(note_id)
        self._require_chart(note.client_id)
        return note

    @requires(Action.WRITE_NOTES)
    def save_draft(
        self, note: ProgressNote, sections: list[NoteSection], start: NoteStart | None = None
    ) -> ProgressNote:
        """Autosave: the sections (and the service facts) as they are now."""
        stored = self._own(note)
        if stored.signed:
            raise InvalidInput("A signed note cannot be changed; add an addendum instead.")
        check_length(*(s.text for s in sections))
        start = start or NoteStart(
            note.service_at,
            note.duration_minutes,
            note.cpt_code,
            note.location,
            note.appointment_id,
        )
        self._check_start(start)
        self._require_chart(stored.client_id)
        with self._session.transaction() as tx:
            saved = NoteRepository(tx.conn).save_draft(
                stored,
                note.row_version,
                sections=tuple(sections),
                start=start,
                now=self._clock.now(),
            )
            self._audit_edit(tx, "note_draft_saved", "progress_note", note.id)
        return saved

    @requires(Action.SIGN_NOTES)
    def sign_note(self, note: ProgressNote, password: str) -> ProgressNote:
        """Lock the note under the author's signature; the password is asked again. What
        is signed is the note as stored at `note.row_version`: save the draft first."""
        stored = self._own(note)
        if stored.signed:
            raise InvalidInput("This note is already signed.")
        if not any(s.text.strip() for s in stored.sections):
            raise InvalidInput("An empty note cannot be signed.")
        self._require_chart(stored.client_id)
        self._confirm_signature(password)
        with self._session.transaction() as tx:
            signed = NoteRepository(tx.conn).sign(
                stored, note.row_version, self._me().id, self._clock.now()
            )
            self._audit(tx, "note_signed", note)
        return signed

    @requires(Action.WRITE_NOTES)
    def discard_draft(self, note: ProgressNote) -> None:
        stored = self._own(note)
        if stored.signed:
            raise InvalidInput("A signed note is never deleted.")
        with self._session.transaction() as tx:
            NoteRepository(tx.conn).discard_draft(stored, note.row_version)
            self._audit(tx, "note_draft_discarded", note)

    @requires(Action.SIGN_NOTES)
    def add_addendum(self, note: ProgressNote, text: str, password: str) -> ProgressNote:
        """A signed correction to a signed note, by anyone who may open the chart."""
        note = NoteRepository(self._session.database.conn).get(note.id)
        if not note.signed:
            raise InvalidInput("A draft is corrected by editing it; addenda are for signed notes.")
        if not text.strip():
            raise InvalidInput("Please write the addendum before signing it.")
        check_length(text)
        self._require_chart(note.client_id)
        self._confirm_signature(password)
        with self._session.transaction() as tx:
            notes = NoteRepository(tx.conn)
            notes.add_addendum(note, self._me().id, text, self._clock.now())
            self._audit(tx, "note_addendum_signed", note)
            return notes.get(note.id)

    # Checks ------------------------------------------------------------------------

    def _own(self, note: ProgressNote) -> ProgressNote:
        """The note as stored, if the signed-in person wrote it (what the caller holds
        is trusted only for the row version it read)."""
        stored = NoteRepository(self._session.database.conn).get(note.id)
        if stored.author_id != self._me().id:
            with self._session.transaction() as tx:
                tx.audit("note_change_refused", object_type="progress_note", object_id=str(note.id))
            raise PermissionDenied(NOT_YOURS)
        return stored

    def _check_start(self, start: NoteStart) -> None:
        if start.service_at > self._clock.now():
            raise InvalidInput("A note cannot be dated in the future.")
        if not 1 <= start.duration_minutes <= 720:
            raise InvalidInput("A session lasts 1 to 720 minutes.")
        if len(start.cpt_code) > 10 or len(start.location) > 200:
            raise InvalidInput("The service code or location is too long.")

    def _audit(self, tx: Transaction, action: str, note: ProgressNote) -> None:
        tx.audit(action, object_type="progress_note", object_id=str(note.id))


def _check_fields(fields: list[TemplateField]) -> tuple[TemplateField, ...]:
    if not 1 <= len(fields) <= MAX_TEMPLATE_FIELDS:
        raise InvalidInput(f"A template has 1 to {MAX_TEMPLATE_FIELDS} fields.")
    keys = set()
    checked = []
    for f in fields:
        label = " ".join(f.label.split())
        if not label or len(label) > 60 or len(f.prompt) > 500:
            raise InvalidInput(
                "Each field needs a label (60 characters at most) and a short prompt."
            )
        key = f.key or "".join(ch if ch.isalnum() else "_" for ch in label.casefold())
        if key in keys:
            raise InvalidInput("Two fields of a template have the same name.")
        keys.add(key)
        checked.append(TemplateField(key, label, f.prompt.strip()))
    return tuple(checked)
