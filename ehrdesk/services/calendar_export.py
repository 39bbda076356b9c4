"""A clinician's schedule as an .ics file: busy blocks and their type, nothing else.

The file is meant for a phone or a personal calendar, which are outside the vault: so
no event carries a client's name, initials, phone, room, link, note or any id that
leads back to a record. Each event says only when, and e.g. "Individual". Cancelled
appointments and no-shows are left out. The export is audited (`schedule_exported`).
"""

from __future__ import annotations

import hashlib
from datetime import date

from ehrdesk import __version__
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.permissions import Action
from ehrdesk.core.recurrence import local_day_bounds
from ehrdesk.services.guard import requires
from ehrdesk.services.schedule_rules import acting_for, check_clinician, practice_zone, refuse
from ehrdesk.services.session import Session
from ehrdesk.storage.appointments import AppointmentRepository

MAX_DAYS = 2 * 366


class ScheduleExport:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    @requires(Action.EXPORT_SCHEDULE)
    def clinician_ics(self, clinician_id: int, first_day: date, last_day: date) -> bytes:
        """RFC 5545 text for one clinician's appointments from `first_day` to
        `last_day` (inclusive, practice time)."""
        own = acting_for(self._session)
        if own is not None and clinician_id != own:
            raise refuse(self._session, "user", clinician_id)
        days = (last_day - first_day).days + 1
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput("Export between one day and two years at a time.")
        conn = self._session.database.conn
        check_clinician(conn, clinician_id)
        start, end = local_day_bounds(first_day, days, practice_zone(conn))
        repo = AppointmentRepository(conn)
        labels = {t.code: t.label for t in repo.types(active_only=False)}
        stamp = self._clock.now()
        # icalendar is loaded on the first export, not at start-up (it takes a while).
        from icalendar import Calendar, Event  # noqa: PLC0415

        calendar = Calendar()
        calendar.add("prodid", f"-//ehrdesk//{__version__}//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", "Busy")
        for appointment in repo.upcoming_for(clinician_id, start, end):
            if not appointment.status.takes_time:
                continue
            event = Event()
            # Stable across exports (a re-import replaces, not duplicates) and naming
            # no record: a hash of the clinician and the time only.
            digest = hashlib.sha256(
                f"{clinician_id}:{appointment.starts_at.isoformat()}".encode()
            ).hexdigest()[:24]
            event.add("uid", f"{digest}@ehrdesk.invalid")
            event.add("dtstamp", stamp)
            event.add("dtstart", appointment.starts_at)
            event.add("dtend", appointment.ends_at)
            event.add("summary", labels.get(appointment.type_code, "Busy"))
            event.add("transp", "OPAQUE")
            event.add("class", "PRIVATE")
            calendar.add_component(event)
        with self._session.transaction() as tx:
            tx.audit("schedule_exported", object_type="user", object_id=str(clinician_id))
        return bytes(calendar.to_ical())
