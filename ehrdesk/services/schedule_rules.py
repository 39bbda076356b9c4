"""The schedule's rules that several services share: the practice's zone and
late-cancel window, who may act for whom, and the conflict check.

Nothing here is guarded: these are helpers called by guarded service methods,
inside their transactions.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from ehrdesk.core.errors import InvalidInput, NotFound
from ehrdesk.core.front_desk import (
    AppointmentDraft,
    AppointmentType,
    Clinician,
    ScheduleConflict,
    ScheduleSettings,
)
from ehrdesk.core.models import Role, User, UserStatus
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.core.recurrence import to_local, zone
from ehrdesk.services.guard import RecordRefused
from ehrdesk.services.session import Session
from ehrdesk.storage.appointments import AppointmentRepository
from ehrdesk.storage.database import Connection
from ehrdesk.storage.users import SettingsRepository, UserRepository

DEFAULT_LATE_CANCEL_HOURS = 24
MAX_LATE_CANCEL_HOURS = 24 * 7
MAX_MINUTES = 12 * 60
MIN_MINUTES = 5
BOOKING_ROLES = (Role.CLINICIAN, Role.OWNER)


def local_zone_name() -> str:
    """The machine's IANA zone: $TZ, the /etc/localtime link, /etc/timezone, or UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        link = os.readlink("/etc/localtime")
        candidates.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
    except OSError:
        pass
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text("utf-8").strip())
    for name in candidates:
        if (name and "/" in name) or name == "UTC":
            try:
                ZoneInfo(name)
            except (ValueError, KeyError, OSError):
                continue
            return name
    return "UTC"


def known_zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


def schedule_settings(conn: Connection) -> ScheduleSettings:
    settings = SettingsRepository(conn)
    name = settings.get("time_zone")
    hours = settings.get("late_cancel_hours", DEFAULT_LATE_CANCEL_HOURS)
    return ScheduleSettings(
        time_zone=str(name) if name else local_zone_name(),
        late_cancel_hours=int(str(hours)),
    )


def practice_zone(conn: Connection) -> ZoneInfo:
    return zone(schedule_settings(conn).time_zone)


def acting_for(session: Session) -> int | None:
    """None when the signed-in person acts for every clinician; else their own id,
    the only clinician whose clients and appointments they may reach."""
    user = session.current_user()
    return None if allowed(user.role, Action.ALL_CLINICIANS) else user.id


def refuse(session: Session, object_type: str, object_id: object) -> RecordRefused:
    """The error for a record this person may not reach; the guard audits it."""
    return RecordRefused(object_type, object_id)


def clinicians(conn: Connection) -> list[Clinician]:
    return [
        Clinician(u.id, u.full_name)
        for u in UserRepository(conn).all()
        if u.role in BOOKING_ROLES and u.status is UserStatus.ACTIVE
    ]


def check_clinician(conn: Connection, clinician_id: int) -> User:
    try:
        user: User | None = UserRepository(conn).get(clinician_id)
    except NotFound:
        user = None
    if user is None or user.role not in BOOKING_ROLES or user.status is not UserStatus.ACTIVE:
        raise InvalidInput("Choose a clinician from the list.")
    return user


def check_draft(
    repo: AppointmentRepository, draft: AppointmentDraft
) -> tuple[AppointmentType, timedelta]:
    """Type, length, room and link; returns the type and the appointment's length."""
    if draft.starts_at.tzinfo is None:
        raise ValueError("appointment times are aware")
    kind = repo.type(draft.type_code)
    if not kind.active:
        raise InvalidInput("That appointment type is no longer offered.")
    if not MIN_MINUTES <= draft.minutes <= MAX_MINUTES:
        raise InvalidInput(f"An appointment lasts {MIN_MINUTES} minutes to 12 hours.")
    if draft.room_id is not None:
        room = repo.room(draft.room_id)
        if not room.active:
            raise InvalidInput("That room is no longer in use.")
    if len(draft.location) > 200:
        raise InvalidInput("The location is too long: at most 200 characters.")
    link = draft.telehealth_link.strip()
    if len(link) > 500:
        raise InvalidInput("The telehealth link is too long: at most 500 characters.")
    if link and not link.startswith("https://"):
        raise InvalidInput("A telehealth link starts with https://.")
    return kind, timedelta(minutes=draft.minutes)


def check_not_past(starts: Sequence[datetime], now: datetime, tz: ZoneInfo) -> None:
    """New bookings start today or later (practice time). Earlier today is allowed,
    so the desk can enter a walk-in who is already in the room."""
    today: date = to_local(now, tz).date()
    if any(to_local(s, tz).date() < today for s in starts):
        raise InvalidInput("That date is in the past; bookings start today or later.")


def find_conflicts(
    repo: AppointmentRepository,
    draft: AppointmentDraft,
    kind: AppointmentType,
    starts: Iterable[datetime],
    length: timedelta,
    exclude: set[int],
) -> list[ScheduleConflict]:
    """Every overlap of the clinician, the client and the room with bookings that take
    time. Group sessions at the same time with the same clinician and room share it."""
    group_types = {t.code for t in repo.types(active_only=False) if t.is_group}
    found: list[ScheduleConflict] = []
    resources = [("clinician", draft.clinician_id), ("client", draft.client_id)]
    if draft.room_id is not None:
        resources.append(("room", draft.room_id))
    for start in starts:
        end = start + length
        for resource, resource_id in resources:
            for other in repo.overlapping(resource, resource_id, start, end):
                if other.id in exclude:
                    continue
                shared_group = (
                    resource != "client"
                    and kind.is_group
                    and other.type_code in group_types
                    and other.starts_at == start
                    and other.clinician_id == draft.clinician_id
                    and other.room_id == draft.room_id
                )
                if not shared_group:
                    found.append(
                        ScheduleConflict(resource, start, other.id, other.starts_at, other.ends_at)
                    )
    return found


def check_override_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = " ".join(reason.split())
    if len(reason) < 3:
        raise InvalidInput("Please say briefly why this booking may overlap.")
    if len(reason) > 200:
        raise InvalidInput("The reason is too long: at most 200 characters.")
    return reason
