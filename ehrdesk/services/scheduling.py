"""The schedule: day and week views, booking (once or repeating), moving, cancelling,
check-in, completion and no-shows.

Each change checks for conflicts inside its own transaction; a conflict refuses the
change (`ConflictsFound`, listing them) unless an override reason is given, and the
override is audited (`conflict_overridden`, with the kinds of conflict, not the text).
Every appointment changed is one audit event naming the appointment's id.

Repeating appointments are rows of one series. An edit or cancel reaches one
occurrence (it becomes `detached`), this and the following ones (the series is split
at it), or the whole series from now on; occurrences already checked in, completed,
cancelled, marked no-show or edited alone are never changed by a series edit.

A clinician keeps only their own schedule: they book, move and mark their own
appointments with their own clients (`schedule_rules.acting_for`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import ConcurrentEditError, ConflictsFound, InvalidInput
from ehrdesk.core.front_desk import (
    STATUS_FLOW,
    Appointment,
    AppointmentDraft,
    AppointmentStatus,
    AppointmentType,
    CancelledBy,
    CancelOutcome,
    Clinician,
    Repeat,
    Room,
    ScheduleConflict,
    ScheduleEntry,
    ScheduleSettings,
    Scope,
    WaitlistMatch,
)
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.core.recurrence import (
    local_day_bounds,
    occurrences,
    parse_rule_text,
    rule_text,
    shift_wall_clock,
    to_local,
    zone,
)
from ehrdesk.services.guard import requires
from ehrdesk.services.schedule_rules import (
    MAX_LATE_CANCEL_HOURS,
    acting_for,
    check_clinician,
    check_draft,
    check_not_past,
    check_override_reason,
    clinicians,
    find_conflicts,
    practice_zone,
    refuse,
    schedule_settings,
)
from ehrdesk.services.session import Session, Transaction
from ehrdesk.services.waitlist import matches_for
from ehrdesk.storage.appointments import AppointmentRepository, NewAppointment
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.database import Connection
from ehrdesk.storage.users import SettingsRepository

_STATUS_EVENTS = {
    AppointmentStatus.CHECKED_IN: "appointment_checked_in",
    AppointmentStatus.COMPLETED: "appointment_completed",
    AppointmentStatus.NO_SHOW: "appointment_no_show",
    AppointmentStatus.BOOKED: "appointment_status_undone",
}


class Schedule:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    # Settings and lists -------------------------------------------------------------

    @requires(Action.VIEW_SCHEDULE)
    def settings(self) -> ScheduleSettings:
        return schedule_settings(self._session.database.conn)

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def set_time_zone(self, name: str) -> None:
        zone(name)  # refuses an unknown name
        with self._session.transaction() as tx:
            SettingsRepository(tx.conn).set("time_zone", name)
            tx.audit("settings_changed", object_type="setting", object_id="time_zone")

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def set_late_cancel_hours(self, hours: int) -> None:
        if not 0 <= hours <= MAX_LATE_CANCEL_HOURS:
            raise InvalidInput(f"The late-cancel window is 0 to {MAX_LATE_CANCEL_HOURS} hours.")
        with self._session.transaction() as tx:
            SettingsRepository(tx.conn).set("late_cancel_hours", hours)
            tx.audit("settings_changed", object_type="setting", object_id="late_cancel_hours")

    @requires(Action.VIEW_SCHEDULE)
    def clinicians(self) -> list[Clinician]:
        """Whose schedules this person may see (a clinician: only their own)."""
        own = acting_for(self._session)
        return [c for c in clinicians(self._session.database.conn) if own in (None, c.id)]

    @requires(Action.VIEW_SCHEDULE)
    def appointment_types(self) -> list[AppointmentType]:
        return AppointmentRepository(self._session.database.conn).types()

    @requires(Action.VIEW_SCHEDULE)
    def rooms(self) -> list[Room]:
        return AppointmentRepository(self._session.database.conn).rooms()

    @requires(Action.MANAGE_ROOMS)
    def add_room(self, name: str) -> Room:
        name = " ".join(name.split())
        if not 1 <= len(name) <= 60:
            raise InvalidInput("A room's name is 1 to 60 characters.")
        with self._session.transaction() as tx:
            repo = AppointmentRepository(tx.conn)
            if repo.room_named(name) is not None:
                raise InvalidInput("There is already a room with that name.")
            room = repo.add_room(name)
            tx.audit("room_added", object_type="room", object_id=str(room.id))
        return room

    # Views --------------------------------------------------------------------------

    def _check_view(self, clinician_id: int | None) -> None:
        own = acting_for(self._session)
        if own is not None and clinician_id != own:
            raise refuse(self._session, "user", clinician_id or "practice")

    @requires(Action.VIEW_SCHEDULE)
    def days(
        self, first_day: date, count: int = 7, clinician_id: int | None = None
    ) -> list[ScheduleEntry]:
        """Every appointment on `count` local days from `first_day` (7: a week), for one
        clinician or (None) the whole practice, in one query."""
        self._check_view(clinician_id)
        if not 1 <= count <= 42:
            raise InvalidInput("Show 1 to 42 days at a time.")
        conn = self._session.database.conn
        start, end = local_day_bounds(first_day, count, practice_zone(conn))
        return AppointmentRepository(conn).entries(start, end, clinician_id)

    @requires(Action.VIEW_SCHEDULE)
    def today(self) -> list[ScheduleEntry]:
        """Today's appointments in the practice's zone, in time order: the whole
        practice for those who act for every clinician, else one's own."""
        conn = self._session.database.conn
        zone_now = self._clock.now().astimezone(practice_zone(conn))
        start, end = local_day_bounds(zone_now.date(), 1, practice_zone(conn))
        return AppointmentRepository(conn).entries(start, end, acting_for(self._session))

    @requires(Action.VIEW_SCHEDULE)
    def entry(self, appointment_id: int) -> ScheduleEntry:
        entry = AppointmentRepository(self._session.database.conn).entry(appointment_id)
        self._check_mine(entry.appointment)
        return entry

    # Booking ------------------------------------------------------------------------

    def _check_booking(self, conn: Connection, draft: AppointmentDraft) -> None:
        own = acting_for(self._session)
        clients = ClientRepository(conn)
        if own is not None and (
            draft.clinician_id != own or clients.assigned_clinician(draft.client_id) != own
        ):
            raise refuse(self._session, "client", draft.client_id)
        check_clinician(conn, draft.clinician_id)
        if clients.get(draft.client_id).status.value == "discharged":
            raise InvalidInput("This client is discharged; make the record active first.")

    def _plan(
        self, conn: Connection, draft: AppointmentDraft, repeat: Repeat | None
    ) -> tuple[AppointmentType, timedelta, list[datetime]]:
        kind, length = check_draft(AppointmentRepository(conn), draft)
        start = draft.starts_at.astimezone(UTC)
        starts = [start] if repeat is None else occurrences(repeat, start, practice_zone(conn))
        return kind, length, starts

    @requires(Action.EDIT_SCHEDULE)
    def conflicts(
        self, draft: AppointmentDraft, repeat: Repeat | None = None
    ) -> list[ScheduleConflict]:
        """What a booking would overlap, for the dialog to show before saving."""
        conn = self._session.database.conn
        self._check_booking(conn, draft)
        kind, length, starts = self._plan(conn, draft, repeat)
        return find_conflicts(AppointmentRepository(conn), draft, kind, starts, length, set())

    @requires(Action.EDIT_SCHEDULE)
    def book(
        self,
        draft: AppointmentDraft,
        repeat: Repeat | None = None,
        *,
        override_reason: str | None = None,
    ) -> list[Appointment]:
        """Book one appointment or a series; ConflictsFound unless overridden."""
        reason = check_override_reason(override_reason)
        conn = self._session.database.conn
        self._check_booking(conn, draft)
        kind, length, starts = self._plan(conn, draft, repeat)
        now = self._clock.now()
        tz = practice_zone(conn)
        check_not_past(starts, now, tz)
        user = self._session.current_user()
        with self._session.transaction() as tx:
            repo = AppointmentRepository(tx.conn)
            found = find_conflicts(repo, draft, kind, starts, length, set())
            self._refuse_conflicts(found, reason)
            series_id = None
            if repeat is not None:
                series_id = repo.add_series(
                    rule_text(repeat), to_local(starts[0], tz), tz.key, now, user.id
                )
            ids = []
            for start in starts:
                new = NewAppointment(
                    clinician_id=draft.clinician_id,
                    client_id=draft.client_id,
                    type_code=kind.code,
                    starts_at=start,
                    ends_at=start + length,
                    room_id=draft.room_id,
                    location=draft.location.strip(),
                    telehealth_link=draft.telehealth_link.strip(),
                    series_id=series_id,
                    override_reason=reason if found else None,
                    created_at=now,
                    created_by=user.id,
                )
                ids.append(repo.add(new))
                tx.audit("appointment_booked", object_type="appointment", object_id=str(ids[-1]))
            self._audit_override(tx, found, ids[0])
            return [repo.get(i) for i in ids]

    @staticmethod
    def _refuse_conflicts(found: list[ScheduleConflict], reason: str | None) -> None:
        if found and reason is None:
            raise ConflictsFound(tuple(found))

    @staticmethod
    def _audit_override(tx: Transaction, found: list[ScheduleConflict], first_id: int) -> None:
        if found:
            kinds = ",".join(sorted({c.kind for c in found}))
            tx.audit(
                "conflict_overridden",
                object_type="appointment",
                object_id=str(first_id),
                reason=kinds,
            )

    # Changing -----------------------------------------------------------------------

    def _check_mine(self, appointment: Appointment) -> None:
        own = acting_for(self._session)
        if own is not None and appointment.clinician_id != own:
            raise refuse(self._session, "appointment", appointment.id)

    def _current(
        self, repo: AppointmentRepository, appointment_id: int, version: int
    ) -> Appointment:
        appointment = repo.get(appointment_id)
        self._check_mine(appointment)
        if appointment.row_version != version:
            raise ConcurrentEditError
        return appointment

    def _reach(
        self, repo: AppointmentRepository, appointment: Appointment, scope: Scope
    ) -> list[Appointment]:
        """The occurrences an edit or cancel of `appointment` with `scope` changes."""
        if scope is Scope.ONE or appointment.series_id is None:
            return [appointment]
        if appointment.detached:
            raise InvalidInput("This appointment was changed on its own; change it alone.")
        start = appointment.starts_at if scope is Scope.FOLLOWING else self._clock.now()
        start = min(start, appointment.starts_at)
        return repo.series_members(appointment.series_id, from_start=start)

    @requires(Action.EDIT_SCHEDULE)
    def conflicts_for_change(
        self, appointment_id: int, draft: AppointmentDraft, scope: Scope = Scope.ONE
    ) -> list[ScheduleConflict]:
        conn = self._session.database.conn
        repo = AppointmentRepository(conn)
        appointment = repo.get(appointment_id)
        self._check_mine(appointment)
        self._check_booking(conn, draft)
        kind, length = check_draft(repo, draft)
        reach = self._reach(repo, appointment, scope)
        starts = self._moved_starts(conn, appointment, draft, reach)
        return find_conflicts(repo, draft, kind, starts, length, {a.id for a in reach})

    def _moved_starts(
        self,
        conn: Connection,
        appointment: Appointment,
        draft: AppointmentDraft,
        reach: list[Appointment],
    ) -> list[datetime]:
        tz = practice_zone(conn)
        delta = to_local(draft.starts_at, tz) - to_local(appointment.starts_at, tz)
        return [shift_wall_clock(a.starts_at, delta, tz) for a in reach]

    @requires(Action.EDIT_SCHEDULE)
    def reschedule(
        self,
        appointment_id: int,
        row_version: int,
        draft: AppointmentDraft,
        scope: Scope = Scope.ONE,
        *,
        override_reason: str | None = None,
    ) -> list[Appointment]:
        """Move or change one appointment, this and the following ones, or the series.
        Times of the others move by the same wall-clock amount."""
        reason = check_override_reason(override_reason)
        conn = self._session.database.conn
        self._check_booking(conn, draft)
        now = self._clock.now()
        tz = practice_zone(conn)
        with self._session.transaction() as tx:
            repo = AppointmentRepository(tx.conn)
            appointment = self._current(repo, appointment_id, row_version)
            if appointment.status is not AppointmentStatus.BOOKED:
                raise InvalidInput("Only a booked appointment can be moved or changed.")
            if draft.client_id != appointment.client_id:
                raise InvalidInput("Book a new appointment for another client.")
            kind, length = check_draft(repo, draft)
            reach = self._reach(repo, appointment, scope)
            starts = self._moved_starts(tx.conn, appointment, draft, reach)
            if draft.starts_at != appointment.starts_at:
                check_not_past(starts, now, tz)
            found = find_conflicts(repo, draft, kind, starts, length, {a.id for a in reach})
            self._refuse_conflicts(found, reason)
            if scope is Scope.FOLLOWING and appointment.series_id is not None:
                self._split(tx, repo, appointment, to_local(starts[0], tz), tz.key, now)
                reach = [repo.get(a.id) for a in reach]  # the split bumped their versions
            changed = []
            for member, start in zip(reach, starts, strict=True):
                changed.append(
                    repo.update(
                        member,
                        now,
                        clinician_id=draft.clinician_id,
                        type_code=kind.code,
                        starts_at=start,
                        ends_at=start + length,
                        room_id=draft.room_id,
                        location=draft.location.strip(),
                        telehealth_link=draft.telehealth_link.strip(),
                        detached=int(
                            member.detached or (scope is Scope.ONE and member.series_id is not None)
                        ),
                        override_reason=reason if found else member.override_reason,
                    )
                )
                tx.audit("appointment_updated", object_type="appointment", object_id=str(member.id))
            self._audit_override(tx, found, appointment.id)
        return changed

    def _split(
        self,
        tx: Transaction,
        repo: AppointmentRepository,
        appointment: Appointment,
        new_first_local: datetime,
        time_zone: str,
        now: datetime,
    ) -> None:
        """Cut the series at `appointment`: it and every later occurrence (whatever
        their status) move to a new series with the same rule."""
        assert appointment.series_id is not None
        rule, _, _, version = repo.series(appointment.series_id)
        later = repo.series_members(
            appointment.series_id, from_start=appointment.starts_at, only_open=False
        )
        before = repo.series_size(appointment.series_id) - len(later)
        if before == 0:
            return  # the first occurrence: nothing to cut off
        repeat = parse_rule_text(rule)
        old = (
            Repeat(repeat.interval_weeks, None, before)
            if repeat.count
            else Repeat(
                repeat.interval_weeks,
                to_local(appointment.starts_at, zone(time_zone)).date() - timedelta(days=1),
                None,
            )
        )
        new = Repeat(repeat.interval_weeks, repeat.until, len(later) if repeat.count else None)
        repo.set_series_rule(appointment.series_id, rule_text(old), version)
        user = self._session.current_user()
        new_id = repo.add_series(rule_text(new), new_first_local, time_zone, now, user.id)
        for member in later:
            repo.update(member, now, series_id=new_id)
        tx.audit("series_split", object_type="appointment_series", object_id=str(new_id))

    @requires(Action.EDIT_SCHEDULE)
    def cancel(
        self,
        appointment_id: int,
        row_version: int,
        cancelled_by: CancelledBy,
        scope: Scope = Scope.ONE,
    ) -> CancelOutcome:
        """Cancel; a client's cancellation inside the late-cancel window is flagged.
        Returns the waitlist entries that would suit the first freed slot."""
        now = self._clock.now()
        with self._session.transaction() as tx:
            repo = AppointmentRepository(tx.conn)
            appointment = self._current(repo, appointment_id, row_version)
            if appointment.status is not AppointmentStatus.BOOKED:
                raise InvalidInput("Only a booked appointment can be cancelled.")
            window = timedelta(hours=schedule_settings(tx.conn).late_cancel_hours)
            cancelled = []
            for member in self._reach(repo, appointment, scope):
                late = cancelled_by is CancelledBy.CLIENT and member.starts_at - now < window
                cancelled.append(
                    repo.update(
                        member,
                        now,
                        status=AppointmentStatus.CANCELLED,
                        cancelled_by=cancelled_by,
                        late_cancel=int(late),
                        status_changed_at=now,
                        status_changed_by=self._session.current_user().id,
                    )
                )
                tx.audit(
                    "appointment_cancelled",
                    object_type="appointment",
                    object_id=str(member.id),
                    reason=cancelled_by.value + (",late" if late else ""),
                )
            matches: tuple[WaitlistMatch, ...] = ()
            if allowed(self._session.current_user().role, Action.MANAGE_WAITLIST):
                matches = tuple(matches_for(tx.conn, cancelled[0], practice_zone(tx.conn)))
        return CancelOutcome(tuple(cancelled), matches)

    @requires(Action.EDIT_SCHEDULE)
    def set_status(
        self, appointment_id: int, row_version: int, status: AppointmentStatus
    ) -> Appointment:
        """Check in, complete, mark a no-show, or undo a check-in or no-show."""
        now = self._clock.now()
        with self._session.transaction() as tx:
            repo = AppointmentRepository(tx.conn)
            appointment = self._current(repo, appointment_id, row_version)
            if status is AppointmentStatus.CANCELLED:
                raise InvalidInput("Use Cancel to cancel an appointment.")
            if status not in STATUS_FLOW[appointment.status]:
                raise InvalidInput(
                    f"A {appointment.status.label.lower()} appointment cannot become "
                    f"{status.label.lower()}."
                )
            tz = practice_zone(tx.conn)
            if status is AppointmentStatus.NO_SHOW and now < appointment.starts_at:
                raise InvalidInput("A no-show can be recorded once the appointment has begun.")
            if (
                status is AppointmentStatus.CHECKED_IN
                and to_local(appointment.starts_at, tz).date() != to_local(now, tz).date()
            ):
                raise InvalidInput("Only today's appointments can be checked in.")
            changed = repo.update(
                appointment,
                now,
                status=status,
                status_changed_at=now,
                status_changed_by=self._session.current_user().id,
            )
            tx.audit(
                _STATUS_EVENTS[status], object_type="appointment", object_id=str(appointment.id)
            )
        return changed
