"""The front desk's records: clients, appointments, rooms and the waitlist.

Frozen dataclasses that services return and the UI shows; no behaviour, no I/O. None of
them holds clinical content: the chart's records live apart, so that a front-desk
session can be handed everything here.

Times are timezone-aware UTC `datetime`s; dates of birth are `date`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class ClientStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DISCHARGED = "discharged"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ContactMethod(StrEnum):
    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    MAIL = "mail"

    @property
    def label(self) -> str:
        return {"phone": "Phone call", "text": "Text message", "email": "E-mail", "mail": "Post"}[
            self.value
        ]


class AppointmentStatus(StrEnum):
    """booked → checked in → completed; or cancelled, or no-show."""

    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return {
            "booked": "Booked",
            "checked_in": "Checked in",
            "completed": "Completed",
            "cancelled": "Cancelled",
            "no_show": "No-show",
        }[self.value]

    @property
    def takes_time(self) -> bool:
        """Whether the slot is still spoken for (conflict checks ignore the others)."""
        return self not in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


class CancelledBy(StrEnum):
    CLIENT = "client"
    CLINICIAN = "clinician"
    PRACTICE = "practice"


@dataclass(frozen=True, slots=True)
class Client:
    """A whole client record, as the client form shows it."""

    id: int
    legal_first_name: str
    legal_middle_name: str
    legal_last_name: str
    preferred_name: str
    date_of_birth: date
    pronouns: str
    phone_mobile: str
    phone_home: str
    email: str
    preferred_contact: ContactMethod
    ok_to_leave_voicemail: bool
    ok_to_text: bool
    ok_to_email: bool
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    emergency_name: str
    emergency_relationship: str
    emergency_phone: str
    insurance_payer: str
    insurance_member_id: str
    insurance_group: str
    assigned_clinician_id: int | None
    status: ClientStatus
    admin_notes: str
    created_at: datetime
    updated_at: datetime
    row_version: int

    @property
    def display_name(self) -> str:
        """ "Last, First (Preferred)": how lists and headers name a client."""
        first = self.legal_first_name
        if self.preferred_name and self.preferred_name != first:
            first = f"{first} ({self.preferred_name})"
        return f"{self.legal_last_name}, {first}"


def postal_lines(client: Client) -> tuple[str, ...]:
    """The client's postal address as printed on a letter or a superbill: the street
    lines, then "City, Region Postcode"; empty parts left out."""
    town = " ".join(
        p
        for p in (
            client.city + ("," if client.city and client.region else ""),
            client.region,
            client.postal_code,
        )
        if p
    )
    return tuple(
        line for line in (client.address_line1, client.address_line2, town) if line.strip()
    )


@dataclass(frozen=True, slots=True)
class ClientSummary:
    """One row of the client list: enough to pick the right person, no more."""

    id: int
    display_name: str
    date_of_birth: date
    phone: str
    status: ClientStatus
    assigned_clinician_id: int | None
    sort_key: str


@dataclass(frozen=True, slots=True)
class AppointmentType:
    code: str
    label: str
    default_minutes: int
    is_group: bool
    is_telehealth: bool
    active: bool


@dataclass(frozen=True, slots=True)
class Room:
    id: int
    name: str
    active: bool


@dataclass(frozen=True, slots=True)
class Appointment:
    id: int
    clinician_id: int
    client_id: int
    type_code: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None
    location: str
    telehealth_link: str
    status: AppointmentStatus
    cancelled_by: CancelledBy | None
    late_cancel: bool
    series_id: int | None
    detached: bool
    override_reason: str | None
    row_version: int


@dataclass(frozen=True, slots=True)
class WaitlistEntry:
    id: int
    client_id: int
    clinician_id: int | None
    type_code: str
    weekdays: tuple[str, ...]  # RRULE BYDAY codes: "MO", "TU", …; empty: any day
    times_of_day: tuple[str, ...]  # "morning", "afternoon", "evening"; empty: any time
    notes: str
    status: str
    added_at: datetime
    row_version: int


# What a person fills in, before it is a record ----------------------------------------


@dataclass(frozen=True, slots=True)
class ClientDraft:
    """The client form's fields: what `Clients.create` and `Clients.update` take."""

    legal_first_name: str
    legal_last_name: str
    date_of_birth: date
    legal_middle_name: str = ""
    preferred_name: str = ""
    pronouns: str = ""
    phone_mobile: str = ""
    phone_home: str = ""
    email: str = ""
    preferred_contact: ContactMethod = ContactMethod.PHONE
    ok_to_leave_voicemail: bool = False
    ok_to_text: bool = False
    ok_to_email: bool = False
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    emergency_name: str = ""
    emergency_relationship: str = ""
    emergency_phone: str = ""
    insurance_payer: str = ""
    insurance_member_id: str = ""
    insurance_group: str = ""
    assigned_clinician_id: int | None = None
    status: ClientStatus = ClientStatus.ACTIVE
    admin_notes: str = ""

    @classmethod
    def of(cls, client: Client) -> ClientDraft:
        """The draft a form starts from when it edits `client`."""
        return cls(**{name: getattr(client, name) for name in CLIENT_DRAFT_FIELDS})


CLIENT_DRAFT_FIELDS: tuple[str, ...] = tuple(ClientDraft.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class ClientOverview:
    """What the client form shows: the record and the attendance counts."""

    client: Client
    no_shows: int
    late_cancels: int
    upcoming: int


@dataclass(frozen=True, slots=True)
class ClientPage:
    """One page of the client list; `next_after` continues it (None: the last page)."""

    rows: tuple[ClientSummary, ...]
    next_after: str | None


@dataclass(frozen=True, slots=True)
class Clinician:
    """Someone appointments can be booked with (a clinician or the owner)."""

    id: int
    full_name: str


class Scope(StrEnum):
    """Which occurrences of a repeating appointment an edit or cancel reaches."""

    ONE = "one"
    FOLLOWING = "following"  # this one and every later one: the series is split
    SERIES = "series"  # every occurrence not yet started

    @property
    def label(self) -> str:
        return {
            "one": "Only this appointment",
            "following": "This and following",
            "series": "The whole series",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Repeat:
    """Weekly, every `interval_weeks` weeks, until a date (inclusive) or `count` times."""

    interval_weeks: int = 1
    until: date | None = None
    count: int | None = None


@dataclass(frozen=True, slots=True)
class AppointmentDraft:
    """A booking, or what an edit changes it to. `starts_at` is aware (any zone)."""

    clinician_id: int
    client_id: int
    type_code: str
    starts_at: datetime
    minutes: int
    room_id: int | None = None
    location: str = ""
    telehealth_link: str = ""


@dataclass(frozen=True, slots=True)
class ScheduleConflict:
    """One overlap found before saving: which resource, and with which booking."""

    kind: str  # "clinician", "client" or "room"
    starts_at: datetime  # the new (or moved) occurrence that overlaps
    other_id: int
    other_starts_at: datetime
    other_ends_at: datetime

    @property
    def label(self) -> str:
        return {"clinician": "Clinician", "client": "Client", "room": "Room"}[self.kind]


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One appointment as the day and week views draw it."""

    appointment: Appointment
    client_name: str
    type_label: str
    room_name: str


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """What cancelling freed, and who on the waitlist could take the first slot."""

    cancelled: tuple[Appointment, ...]
    waitlist_matches: tuple[WaitlistMatch, ...]


@dataclass(frozen=True, slots=True)
class WaitlistDraft:
    client_id: int
    type_code: str
    clinician_id: int | None = None
    weekdays: tuple[str, ...] = ()
    times_of_day: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True, slots=True)
class WaitlistMatch:
    """A waiting client who could take a freed slot, as the offer shows them."""

    entry: WaitlistEntry
    client_name: str
    phone: str


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    time_zone: str  # IANA name
    late_cancel_hours: int


WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = dict(
    zip(WEEKDAY_CODES, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True)
)
TIMES_OF_DAY = ("morning", "afternoon", "evening")


def time_of_day(hour: int) -> str:
    """Morning before noon, afternoon to five, evening after."""
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


#: booked → checked in → completed; or cancelled or no-show. The two ways back undo a
#: mistaken click at the desk (checked in the wrong person, no-show too early).
STATUS_FLOW: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.BOOKED: frozenset(
        {AppointmentStatus.CHECKED_IN, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.CHECKED_IN: frozenset(
        {AppointmentStatus.COMPLETED, AppointmentStatus.BOOKED}
    ),
    AppointmentStatus.NO_SHOW: frozenset({AppointmentStatus.BOOKED}),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
}
