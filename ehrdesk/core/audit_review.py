"""What the owner's audit review works with: a filter, the practice's hours, the
thresholds of the unusual-activity flags, and the flags themselves.

Frozen dataclasses with validation only; no I/O. A flag carries the filter that shows
its events, so the Today view links a flag to the audit screen with nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ehrdesk.core.errors import InvalidInput


@dataclass(frozen=True)
class AuditFilter:
    """Which audit events to show. Empty fields match everything.

    `object_type` + `object_id` names one record: ("client", "42") is everything about
    client 42, which is what "who opened this chart" asks. `since` is inclusive,
    `until` exclusive; both timezone-aware.
    """

    since: datetime | None = None
    until: datetime | None = None
    user_id: int | None = None
    actions: tuple[str, ...] = ()
    object_type: str | None = None
    object_id: str | None = None

    def __post_init__(self) -> None:
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("audit filter times must be timezone-aware")
        if self.since and self.until and self.until <= self.since:
            raise InvalidInput("The end of the period must be after its start.")
        if self.object_id is not None and self.object_type is None:
            raise InvalidInput("Choose what kind of record the id belongs to.")

    @classmethod
    def for_client(cls, client_id: int, **kwargs: Any) -> AuditFilter:
        """Every event about one client's record (the client picker's filter)."""
        return cls(object_type="client", object_id=str(client_id), **kwargs)

    def with_period(self, since: datetime | None, until: datetime | None) -> AuditFilter:
        return replace(self, since=since, until=until)

    @property
    def is_empty(self) -> bool:
        return self == AuditFilter()

    def describe(
        self, zone: tzinfo | None = None, user_names: Mapping[int, str] | None = None
    ) -> str:
        """One line for a screen or a report's header: times in `zone` (UTC if None),
        to the second, the end shown as the last second it includes."""
        zone = zone or UTC
        parts = []
        if self.since:
            parts.append(f"from {self.since.astimezone(zone):%Y-%m-%d %H:%M:%S}")
        if self.until:
            last = self.until - timedelta(microseconds=1)
            parts.append(f"through {last.astimezone(zone):%Y-%m-%d %H:%M:%S}")
        if self.user_id is not None:
            name = (user_names or {}).get(self.user_id)
            parts.append(f"user {name}" if name else f"user #{self.user_id}")
        if self.actions:
            parts.append("action " + " or ".join(self.actions))
        if self.object_type:
            parts.append(f"{self.object_type} {self.object_id or '(any)'}")
        return "; ".join(parts) if parts else "every event"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class PracticeHours:
    """When the practice is open, in its own time zone. Days are 0 = Monday."""

    time_zone: str = "UTC"
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    opens: time = time(7, 0)
    closes: time = time(20, 0)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                "That time zone is not known; use a name like Europe/Berlin."
            ) from None
        if not self.days or any(d not in range(7) for d in self.days):
            raise InvalidInput("Choose at least one day the practice is open.")
        if self.closes <= self.opens:
            raise InvalidInput("The practice must close after it opens.")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.opens <= local.time() < self.closes

    def open_periods(self, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
        """The opening hours between two moments, as aware local datetimes; each day is
        placed in the zone on its own, so a daylight-saving change moves nothing."""
        zone = self.zone
        day = since.astimezone(zone).date() - timedelta(days=1)
        last = until.astimezone(zone).date()
        periods = []
        while day <= last:
            if day.weekday() in self.days:
                start = datetime.combine(day, self.opens, zone)
                end = datetime.combine(day, self.closes, zone)
                if end > since and start < until:
                    periods.append((max(start, since), min(end, until)))
            day += timedelta(days=1)
        return periods

    def describe(self) -> str:
        days = ", ".join(_WEEKDAYS[d] for d in sorted(self.days))
        return f"{days} {self.opens:%H:%M}–{self.closes:%H:%M} ({self.time_zone})"

    def to_json(self) -> dict[str, object]:
        return {
            "time_zone": self.time_zone,
            "days": list(self.days),
            "opens": self.opens.strftime("%H:%M"),
            "closes": self.closes.strftime("%H:%M"),
        }

    @classmethod
    def from_json(cls, raw: object) -> PracticeHours:
        if not isinstance(raw, dict):
            return cls()
        try:
            return cls(
                time_zone=str(raw.get("time_zone", "UTC")),
                days=tuple(int(d) for d in raw.get("days", (0, 1, 2, 3, 4))),
                opens=time.fromisoformat(str(raw.get("opens", "07:00"))),
                closes=time.fromisoformat(str(raw.get("closes", "20:00"))),
            )
        except (TypeError, ValueError):
            raise InvalidInput("The saved practice hours are not readable.") from None


@dataclass(frozen=True)
class ActivityThresholds:
    """When a pattern in the audit log becomes a flag. Practice settings."""

    lookback_days: int = 7  # how far back the flags look; bounds the work
    records_opened: int = 25  # client records opened by one user …
    records_window_minutes: int = 60  # … within this many minutes
    failed_sign_ins: int = 5  # failed sign-ins for one account …
    failed_window_minutes: int = 60  # … within this many minutes
    exports: int = 10  # records printed or exported by one user …
    exports_window_hours: int = 24  # … within this many hours
    outside_hours_events: int = 1  # events outside the practice's hours, per user

    def __post_init__(self) -> None:
        for name, (low, high) in _THRESHOLD_LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidInput(f"The setting '{name}' must be a whole number {low}–{high}.")

    def to_json(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in _THRESHOLD_LIMITS}

    @classmethod
    def from_json(cls, raw: object) -> ActivityThresholds:
        if not isinstance(raw, dict):
            return cls()
        return cls(**{k: v for k, v in raw.items() if k in _THRESHOLD_LIMITS})


_THRESHOLD_LIMITS: Final[dict[str, tuple[int, int]]] = {
    "lookback_days": (1, 90),
    "records_opened": (2, 10_000),
    "records_window_minutes": (1, 24 * 60),
    "failed_sign_ins": (1, 1000),
    "failed_window_minutes": (1, 24 * 60),
    "exports": (1, 10_000),
    "exports_window_hours": (1, 24 * 30),
    "outside_hours_events": (1, 10_000),
}


class FlagKind(StrEnum):
    MANY_RECORDS_OPENED = "many_records_opened"
    OUTSIDE_HOURS = "outside_hours"
    FAILED_SIGN_INS = "failed_sign_ins"
    EMERGENCY_ACCESS = "emergency_access"
    MANY_EXPORTS = "many_exports"

    @property
    def label(self) -> str:
        return {
            "many_records_opened": "Many client records opened",
            "outside_hours": "Access outside practice hours",
            "failed_sign_ins": "Repeated failed sign-ins",
            "emergency_access": "Emergency access used",
            "many_exports": "Many records printed or exported",
        }[self.value]


@dataclass(frozen=True)
class ActivityFlag:
    """One unusual pattern: who, when, how many, and the filter that shows it."""

    kind: FlagKind
    user_id: int | None
    username: str | None
    first_at: datetime
    last_at: datetime
    count: int
    detail: str
    events: AuditFilter = field(default_factory=AuditFilter)

    @property
    def summary(self) -> str:
        who = self.username or "an unknown account"
        return f"{self.kind.label}: {who} — {self.detail}"
