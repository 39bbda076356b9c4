"""Appointments, their series, appointment types and rooms: the SQL of the schedule.

Invariants: every time is stored by `stamps.stamp`; an update that does not match
the `row_version` read raises `ConcurrentEditError`; overlap checks bound `starts_at`
on both sides (an appointment lasts at most 12 hours), so each is one index range;
the week view is one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.core.front_desk import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CancelledBy,
    Room,
    ScheduleEntry,
)
from ehrdesk.storage.clients import display_name
from ehrdesk.storage.database import Connection, limit_sql
from ehrdesk.storage.stamps import parse_stamp, stamp

MAX_LENGTH = timedelta(hours=12)
_COLUMNS = (
    "id, clinician_id, client_id, type_code, starts_at, ends_at, room_id, location, "
    "telehealth_link, status, cancelled_by, late_cancel, series_id, detached, "
    "override_reason, row_version"
)
_A_COLUMNS = ", ".join(f"a.{c.strip()}" for c in _COLUMNS.split(","))
_TAKES_TIME = "('booked', 'checked_in', 'completed')"
#: The resources a booking can conflict on, and their column (never formatted from input).
RESOURCE_COLUMNS = {"clinician": "clinician_id", "client": "client_id", "room": "room_id"}


_STATUSES = {s.value: s for s in AppointmentStatus}
_CANCELLERS = {c.value: c for c in CancelledBy}


def _appointment(row: Sequence[Any]) -> Appointment:
    """A row of _COLUMNS (STRICT columns: the types are the table's). Called for
    every appointment of a busy week, so it converts as little as it can."""
    (
        aid,
        clinician,
        client,
        type_code,
        starts,
        ends,
        room,
        location,
        link,
        status,
        cancelled_by,
        late,
        series,
        detached,
        override,
        version,
    ) = row
    return Appointment(
        id=aid,
        clinician_id=clinician,
        client_id=client,
        type_code=type_code,
        starts_at=parse_stamp(starts),
        ends_at=parse_stamp(ends),
        room_id=room,
        location=location,
        telehealth_link=link,
        status=_STATUSES[status],
        cancelled_by=None if cancelled_by is None else _CANCELLERS[cancelled_by],
        late_cancel=bool(late),
        series_id=series,
        detached=bool(detached),
        override_reason=override,
        row_version=version,
    )


@dataclass(frozen=True, slots=True)
class NewAppointment:
    """One row to insert; `id` None lets the database choose."""

    clinician_id: int
    client_id: int
    type_code: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None
    location: str
    telehealth_link: str
    series_id: int | None
    override_reason: str | None
    created_at: datetime
    created_by: int | None
    status: AppointmentStatus = AppointmentStatus.BOOKED
    cancelled_by: CancelledBy | None = None
    late_cancel: bool = False
    status_changed_at: datetime | None = None
    status_changed_by: int | None = None
    id: int | None = None

    def row(self) -> tuple[object, ...]:
        return (
            self.id,
            self.clinician_id,
            self.client_id,
            self.type_code,
            stamp(self.starts_at),
            stamp(self.ends_at),
            self.room_id,
            self.location,
            self.telehealth_link,
            self.status.value,
            None if self.cancelled_by is None else self.cancelled_by.value,
            int(self.late_cancel),
            None if self.status_changed_at is None else stamp(self.status_changed_at),
            self.status_changed_by,
            self.series_id,
            self.override_reason,
            stamp(self.created_at),
            self.created_by,
            stamp(self.created_at),
        )


_INSERT = (
    "INSERT INTO appointment (id, clinician_id, client_id, type_code, starts_at, ends_at, "
    "room_id, location, telehealth_link, status, cancelled_by, late_cancel, "
    "status_changed_at, status_changed_by, series_id, override_reason, created_at, "
    "created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


_ENTRIES_SQL = (
    f"SELECT {_A_COLUMNS}, c.legal_last_name, c.legal_first_name, c.preferred_name "  # noqa: S608
    "FROM appointment a JOIN client c ON c.id = a.client_id "
    # Ordered by the index's own order only: a second sort key made SQLite sort the
    # rows again, which cost more than the whole query with memory security on.
    "WHERE {where} ORDER BY a.starts_at"
)


@dataclass(frozen=True, slots=True)
class OlderThan:
    """A point in a newest-first list of one client's appointments: strictly before
    (`at`, `id`); or, with no id, before `at`, or up to and including it (`inclusive`)."""

    at: str
    id: int | None = None
    inclusive: bool = False

    @property
    def condition(self) -> str:
        if self.id is not None:
            return "(starts_at, id) < (?, ?)"
        return "starts_at <= ?" if self.inclusive else "starts_at < ?"

    @property
    def params(self) -> list[object]:
        return [self.at] if self.id is None else [self.at, self.id]


@dataclass(frozen=True, slots=True)
class Overlap:
    id: int
    starts_at: datetime
    ends_at: datetime
    type_code: str
    clinician_id: int
    room_id: int | None


class AppointmentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # Writing -----------------------------------------------------------------------

    def add(self, new: NewAppointment) -> int:
        return int(self._conn.execute(_INSERT, new.row()).lastrowid)

    def add_many(self, rows: Iterable[NewAppointment]) -> None:
        self._conn.executemany(_INSERT, (r.row() for r in rows))

    def next_id(self) -> int:
        row = self._conn.execute("SELECT coalesce(max(id), 0) + 1 FROM appointment").fetchone()
        return int(row[0])

    def update(self, appointment: Appointment, now: datetime, **fields: object) -> Appointment:
        """Set the named columns (from a fixed list) if no one changed the row since."""
        allowed = {
            "clinician_id",
            "client_id",
            "type_code",
            "starts_at",
            "ends_at",
            "room_id",
            "location",
            "telehealth_link",
            "status",
            "cancelled_by",
            "late_cancel",
            "status_changed_at",
            "status_changed_by",
            "series_id",
            "detached",
            "override_reason",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not appointment columns: {sorted(unknown)}")
        values = [stamp(v) if isinstance(v, datetime) else v for v in fields.values()]
        values = [v.value if hasattr(v, "value") else v for v in values]
        assignments = "".join(f"{name} = ?, " for name in fields)
        cur = self._conn.execute(
            f"UPDATE appointment SET {assignments}updated_at = ?, "  # noqa: S608
            "row_version = row_version + 1 WHERE id = ? AND row_version = ?",
            (*values, stamp(now), appointment.id, appointment.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(appointment.id)

    def add_series(
        self, rule: str, first_local: datetime, time_zone: str, now: datetime, by: int | None
    ) -> int:
        cur = self._conn.execute(
            "INSERT INTO appointment_series (rule, first_start, time_zone, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?)",
            (rule, first_local.strftime("%Y-%m-%dT%H:%M:%S"), time_zone, stamp(now), by),
        )
        return int(cur.lastrowid)

    def series(self, series_id: int) -> tuple[str, str, str, int]:
        """(rule, first local start, time zone, row_version) of a series."""
        row = self._conn.execute(
            "SELECT rule, first_start, time_zone, row_version FROM appointment_series WHERE id = ?",
            (series_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That series does not exist.")
        return str(row[0]), str(row[1]), str(row[2]), int(row[3])

    def series_size(self, series_id: int) -> int:
        row = self._conn.execute(
            "SELECT count(*) FROM appointment WHERE series_id = ?", (series_id,)
        ).fetchone()
        return int(row[0])

    def set_series_rule(self, series_id: int, rule: str, row_version: int) -> None:
        cur = self._conn.execute(
            "UPDATE appointment_series SET rule = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ?",
            (rule, series_id, row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError

    # Reading -----------------------------------------------------------------------

    def get(self, appointment_id: int) -> Appointment:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM appointment WHERE id = ?",  # noqa: S608
            (appointment_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That appointment does not exist.")
        return _appointment(row)

    def series_members(
        self, series_id: int, *, from_start: datetime, only_open: bool = True
    ) -> list[Appointment]:
        """Occurrences of a series from `from_start` on; by default only those a
        series edit reaches (booked and not detached)."""
        extra = " AND status = 'booked' AND detached = 0" if only_open else ""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM appointment WHERE series_id = ? "  # noqa: S608
            f"AND starts_at >= ?{extra} ORDER BY starts_at",
            (series_id, stamp(from_start)),
        )
        return [_appointment(r) for r in rows]

    def overlapping(
        self, kind: str, resource_id: int, starts_at: datetime, ends_at: datetime
    ) -> list[Overlap]:
        """Appointments of one clinician, client or room that take time and overlap."""
        column = RESOURCE_COLUMNS[kind]
        rows = self._conn.execute(
            f"SELECT id, starts_at, ends_at, type_code, clinician_id, room_id FROM appointment "  # noqa: S608
            f"WHERE {column} = ? AND starts_at > ? AND starts_at < ? AND ends_at > ? "
            f"AND status IN {_TAKES_TIME}",
            (resource_id, stamp(starts_at - MAX_LENGTH), stamp(ends_at), stamp(starts_at)),
        )
        return [
            Overlap(
                int(r[0]),
                parse_stamp(r[1]),
                parse_stamp(r[2]),
                str(r[3]),
                int(r[4]),
                None if r[5] is None else int(r[5]),
            )
            for r in rows
        ]

    def entries(
        self, start: datetime, end: datetime, clinician_id: int | None = None
    ) -> list[ScheduleEntry]:
        """Every appointment starting in [start, end), with what the views draw, in
        one query (the appointment_clinician_time or appointment_time index)."""
        where = "a.starts_at >= ? AND a.starts_at < ?"
        params: list[object] = [stamp(start), stamp(end)]
        if clinician_id is not None:
            where = "a.clinician_id = ? AND " + where
            params.insert(0, clinician_id)
        return self._entries(where, params)

    def entry(self, appointment_id: int) -> ScheduleEntry:
        found = self._entries("a.id = ?", [appointment_id])
        if not found:
            raise NotFound("That appointment does not exist.")
        return found[0]

    def _entries(self, where: str, params: list[object]) -> list[ScheduleEntry]:
        # Type labels and room names come from their small tables once, not joined
        # to each of a busy week's thousands of rows.
        labels = {t.code: t.label for t in self.types(active_only=False)}
        rooms = {r.id: r.name for r in self.rooms(active_only=False)}
        rows = self._conn.execute(_ENTRIES_SQL.format(where=where), params)
        entries = []
        for row in rows:
            appointment = _appointment(row[:16])
            entries.append(
                ScheduleEntry(
                    appointment,
                    display_name(row[16], row[17], row[18]),
                    labels.get(appointment.type_code, appointment.type_code),
                    "" if appointment.room_id is None else rooms.get(appointment.room_id, ""),
                )
            )
        return entries

    def explain_entries(self, clinician_id: int | None) -> list[str]:
        """EXPLAIN QUERY PLAN of the week view's query (for the tests and the bench)."""
        where = "a.starts_at >= ? AND a.starts_at < ?"
        params: list[object] = ["2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"]
        if clinician_id is not None:
            where = "a.clinician_id = ? AND " + where
            params.insert(0, clinician_id)
        rows = self._conn.execute(f"EXPLAIN QUERY PLAN {_ENTRIES_SQL.format(where=where)}", params)
        return [str(r[3]) for r in rows]

    def upcoming_for(self, clinician_id: int, start: datetime, end: datetime) -> list[Appointment]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM appointment WHERE clinician_id = ? "  # noqa: S608
            "AND starts_at >= ? AND starts_at < ? ORDER BY starts_at",
            (clinician_id, stamp(start), stamp(end)),
        )
        return [_appointment(r) for r in rows]

    def for_client(
        self, client_id: int, *, older_than: OlderThan | None = None, limit: int = -1
    ) -> list[Appointment]:
        """A client's appointments, newest first (the appointment_client_time index), all
        of them or those older than a point (the chart's timeline pages)."""
        where, params = "client_id = ?", list[object]([client_id])
        if older_than is not None:
            where += " AND " + older_than.condition
            params += older_than.params
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM appointment WHERE {where} "  # noqa: S608 - fixed fragments
            f"ORDER BY starts_at DESC, id DESC {limit_sql(limit)}",
            params,
        )
        return [_appointment(r) for r in rows]

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM appointment").fetchone()[0])

    # Types and rooms -----------------------------------------------------------------

    def types(self, *, active_only: bool = True) -> list[AppointmentType]:
        where = " WHERE active = 1" if active_only else ""
        rows = self._conn.execute(
            "SELECT code, label, default_minutes, is_group, is_telehealth, active "  # noqa: S608
            f"FROM appointment_type{where} ORDER BY position, code"
        )
        return [
            AppointmentType(str(r[0]), str(r[1]), int(r[2]), bool(r[3]), bool(r[4]), bool(r[5]))
            for r in rows
        ]

    def type(self, code: str) -> AppointmentType:
        for kind in self.types(active_only=False):
            if kind.code == code:
                return kind
        raise NotFound("That appointment type does not exist.")

    def rooms(self, *, active_only: bool = True) -> list[Room]:
        where = " WHERE active = 1" if active_only else ""
        rows = self._conn.execute(f"SELECT id, name, active FROM room{where} ORDER BY name")  # noqa: S608
        return [Room(int(r[0]), str(r[1]), bool(r[2])) for r in rows]

    def room(self, room_id: int) -> Room:
        row = self._conn.execute(
            "SELECT id, name, active FROM room WHERE id = ?", (room_id,)
        ).fetchone()
        if row is None:
            raise NotFound("That room does not exist.")
        return Room(int(row[0]), str(row[1]), bool(row[2]))

    def add_room(self, name: str) -> Room:
        cur = self._conn.execute("INSERT INTO room (name) VALUES (?)", (name,))
        return self.room(int(cur.lastrowid))

    def room_named(self, name: str) -> Room | None:
        row = self._conn.execute(
            "SELECT id, name, active FROM room WHERE name = ?", (name,)
        ).fetchone()
        return None if row is None else Room(int(row[0]), str(row[1]), bool(row[2]))
