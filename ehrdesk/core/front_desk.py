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
