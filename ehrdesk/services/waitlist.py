"""The waitlist: clients waiting for a slot with their preferences, offered when an
appointment is cancelled (`matches_for`, called by `Schedule.cancel`).

Changes are audited with the entry's id (`waitlist_added`, `waitlist_removed`,
`waitlist_booked`); the preferences and notes stay in the database.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import ConcurrentEditError, InvalidInput
from ehrdesk.core.front_desk import (
    TIMES_OF_DAY,
    WEEKDAY_CODES,
    Appointment,
    WaitlistDraft,
    WaitlistEntry,
    WaitlistMatch,
    time_of_day,
)
from ehrdesk.core.permissions import Action
from ehrdesk.core.recurrence import to_local
from ehrdesk.services.guard import requires
from ehrdesk.services.schedule_rules import check_clinician
from ehrdesk.services.session import Session
from ehrdesk.storage.appointments import AppointmentRepository
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.database import Connection
from ehrdesk.storage.waitlist import WaitlistRepository

MAX_NOTES = 500


def _with_names(conn: Connection, entries: list[WaitlistEntry]) -> list[WaitlistMatch]:
    clients = ClientRepository(conn)
    names = clients.names(e.client_id for e in entries)
    matches = []
    for entry in entries:
        client = clients.get(entry.client_id)
        phone = client.phone_mobile or client.phone_home
        matches.append(WaitlistMatch(entry, names.get(entry.client_id, ""), phone))
    return matches


def matches_for(conn: Connection, freed: Appointment, tz: ZoneInfo) -> list[WaitlistMatch]:
    """Waiting entries that would take `freed`'s slot: same type, that clinician or
    any, and the slot's weekday and time of day among their preferences (or none)."""
    local = to_local(freed.starts_at, tz)
    weekday = WEEKDAY_CODES[local.weekday()]
    period = time_of_day(local.hour)
    suitable = [
        e
        for e in WaitlistRepository(conn).candidates(freed.clinician_id, freed.type_code)
        if e.client_id != freed.client_id
        and (not e.weekdays or weekday in e.weekdays)
        and (not e.times_of_day or period in e.times_of_day)
    ]
    return _with_names(conn, suitable[:20])


class Waitlist:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    @requires(Action.MANAGE_WAITLIST)
    def waiting(self, *, after_id: int = 0, limit: int = 200) -> list[WaitlistMatch]:
        """Everyone waiting, longest-waiting first, with their name and phone."""
        conn = self._session.database.conn
        return _with_names(conn, WaitlistRepository(conn).waiting(after_id=after_id, limit=limit))

    @requires(Action.MANAGE_WAITLIST)
    def add(self, draft: WaitlistDraft) -> WaitlistEntry:
        if any(d not in WEEKDAY_CODES for d in draft.weekdays):
            raise InvalidInput("Choose weekdays from the list.")
        if any(t not in TIMES_OF_DAY for t in draft.times_of_day):
            raise InvalidInput("Choose morning, afternoon or evening.")
        if len(draft.notes) > MAX_NOTES:
            raise InvalidInput(f"The note is too long: at most {MAX_NOTES} characters.")
        conn = self._session.database.conn
        ClientRepository(conn).get(draft.client_id)
        AppointmentRepository(conn).type(draft.type_code)
        if draft.clinician_id is not None:
            check_clinician(conn, draft.clinician_id)
        with self._session.transaction() as tx:
            entry = WaitlistRepository(tx.conn).add(
                draft, self._clock.now(), self._session.current_user().id
            )
            tx.audit("waitlist_added", object_type="waitlist_entry", object_id=str(entry.id))
        return entry

    def _set(self, entry_id: int, row_version: int, status: str, action: str) -> WaitlistEntry:
        with self._session.transaction() as tx:
            repo = WaitlistRepository(tx.conn)
            entry = repo.get(entry_id)
            if entry.row_version != row_version:
                raise ConcurrentEditError
            if entry.status != "waiting":
                raise InvalidInput("That client is no longer waiting.")
            entry = repo.set_status(entry, status)
            tx.audit(action, object_type="waitlist_entry", object_id=str(entry_id))
        return entry

    @requires(Action.MANAGE_WAITLIST)
    def remove(self, entry_id: int, row_version: int) -> WaitlistEntry:
        return self._set(entry_id, row_version, "removed", "waitlist_removed")

    @requires(Action.MANAGE_WAITLIST)
    def mark_booked(self, entry_id: int, row_version: int) -> WaitlistEntry:
        return self._set(entry_id, row_version, "booked", "waitlist_booked")
