"""Printing the schedule: the day's or the week's, for one clinician or the practice.

The front desk prints it (it keeps every clinician's schedule), a clinician their own.
It holds times, clients' names, types, rooms and statuses: the schedule's own rows,
never clinical content. Printing or saving it is audited (`document_printed` /
`document_exported`, object "schedule" and whose it is), since it names clients.
"""

from __future__ import annotations

from datetime import date

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.permissions import Action
from ehrdesk.core.recurrence import local_day_bounds
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name
from ehrdesk.services.guard import requires
from ehrdesk.services.schedule_rules import (
    acting_for,
    check_clinician,
    clinicians,
    practice_zone,
    refuse,
    schedule_settings,
)
from ehrdesk.services.session import Session
from ehrdesk.storage.appointments import AppointmentRepository
from ehrdesk.storage.users import SettingsRepository

WHOLE_PRACTICE = "Whole practice"


class SchedulePrint:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    @requires(Action.EXPORT_SCHEDULE)
    def schedule(
        self, first_day: date, days: int, clinician_id: int | None, purpose: Purpose
    ) -> PreparedDocument:
        """One day (`days` 1) or a week (7) from `first_day`, for a clinician or (None)
        the whole practice."""
        from ehrdesk.reports.schedule import (  # noqa: PLC0415 - loads reportlab
            SchedulePrintout,
            render_schedule,
        )

        if days not in (1, 7):
            raise InvalidInput("Print one day or one week at a time.")
        own = acting_for(self._session)
        if own is not None and clinician_id != own:
            raise refuse(self._session, "user", clinician_id or "practice")
        conn = self._session.database.conn
        if clinician_id is not None:
            check_clinician(conn, clinician_id)
        start, end = local_day_bounds(first_day, days, practice_zone(conn))
        entries = AppointmentRepository(conn).entries(start, end, clinician_id)
        names = {c.id: c.full_name for c in clinicians(conn)}
        whose = WHOLE_PRACTICE if clinician_id is None else names.get(clinician_id, "")
        with self._session.transaction() as tx:
            tx.audit(
                actions.DOCUMENT_PRINTED if purpose is Purpose.PRINT else actions.DOCUMENT_EXPORTED,
                object_type="schedule",
                object_id=str(clinician_id) if clinician_id is not None else "practice",
                reason=f"{'day' if days == 1 else 'week'} of {first_day.isoformat()}",
            )
        printout = SchedulePrintout(
            practice_name=str(SettingsRepository(conn).get("practice_name", "")),
            first_day=first_day,
            days=days,
            whose=whose,
            entries=tuple(entries),
            clinician_names=names,
            time_zone=schedule_settings(conn).time_zone,
            generated_at=self._clock.now(),
        )
        name = file_name("Schedule", "day" if days == 1 else "week", first_day.isoformat())
        return PreparedDocument("Schedule", name, lambda: render_schedule(printout))
