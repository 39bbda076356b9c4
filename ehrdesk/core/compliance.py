"""The practice's compliance records: incidents, training, business associates, the
incident-response plan, and the security check's findings.

Frozen dataclasses that services return and the UI shows; no I/O. The text in them is
the practice's own words about its safeguards. An incident may list the ids of clients
it may affect, but client names and addresses are only read when a letter is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Final

#: 45 CFR 164.404(b): notice "in no case later than 60 calendar days after discovery".
NOTIFICATION_DAYS: Final = 60
#: A training record older than this makes the person due for training again.
TRAINING_INTERVAL_DAYS: Final = 365
#: How far ahead the security check warns of training or a review coming due.
DUE_SOON_DAYS: Final = 30


class IncidentStatus(StrEnum):
    OPEN = "open"  # being investigated and assessed
    NOTIFIED = "notified"  # the people who must be told have been
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class RiskConclusion(StrEnum):
    """What the four-factor assessment of 45 CFR 164.402(2) concluded."""

    UNDETERMINED = "undetermined"
    LOW_PROBABILITY = "low_probability"  # low probability the PHI was compromised
    BREACH = "breach"  # a breach: notify

    @property
    def label(self) -> str:
        return {
            "undetermined": "Not yet assessed",
            "low_probability": "Low probability of compromise (no notification)",
            "breach": "Breach: notification required",
        }[self.value]


@dataclass(frozen=True)
class RiskAssessment:
    """The four factors of 45 CFR 164.402(2), in the practice's words."""

    nature_and_extent: str = ""  # of the PHI: types of identifiers, likelihood of re-identification
    unauthorized_person: str = ""  # who used the PHI or to whom it was disclosed
    acquired_or_viewed: str = ""  # whether the PHI was actually acquired or viewed
    mitigation: str = ""  # the extent to which the risk has been mitigated
    conclusion: RiskConclusion = RiskConclusion.UNDETERMINED


@dataclass(frozen=True)
class Incident:
    id: int
    title: str
    what_happened: str
    occurred_from: datetime | None
    occurred_until: datetime | None
    discovered_at: datetime
    risk: RiskAssessment
    decisions: str
    status: IncidentStatus
    notified_on: date | None
    client_ids: tuple[int, ...]
    created_at: datetime
    updated_at: datetime
    row_version: int

    def notification_deadline(self, zone: tzinfo) -> date:
        """The last day to notify: 60 calendar days after the day of discovery, the
        day counted in the practice's time zone."""
        return notification_deadline(self.discovered_at, zone)

    @property
    def needs_notification(self) -> bool:
        """Still counting down: not closed, nobody notified, and not assessed as a low
        probability of compromise (until then the rule presumes a breach)."""
        return (
            self.status is IncidentStatus.OPEN
            and self.notified_on is None
            and self.risk.conclusion is not RiskConclusion.LOW_PROBABILITY
        )


def notification_deadline(discovered_at: datetime, zone: tzinfo) -> date:
    return discovered_at.astimezone(zone).date() + timedelta(days=NOTIFICATION_DAYS)


@dataclass(frozen=True)
class NotificationCountdown:
    """An incident still counting down to its notification deadline (Today view)."""

    incident_id: int
    title: str
    discovered_on: date
    deadline: date
    days_left: int  # negative: overdue

    @property
    def summary(self) -> str:
        if self.days_left < 0:
            when = f"overdue by {-self.days_left} days"
        elif self.days_left == 0:
            when = "due today"
        else:
            when = f"{self.days_left} days left"
        return f"Incident #{self.incident_id} “{self.title}”: notify by {self.deadline} ({when})"


@dataclass(frozen=True)
class IncidentDraft:
    """What the owner types to record or update an incident."""

    title: str
    what_happened: str
    discovered_at: datetime
    occurred_from: datetime | None = None
    occurred_until: datetime | None = None
    risk: RiskAssessment = RiskAssessment()
    decisions: str = ""
    status: IncidentStatus = IncidentStatus.OPEN
    notified_on: date | None = None


@dataclass(frozen=True)
class LetterAddressee:
    """A client's name and postal address, read only to print a notification letter."""

    client_id: int
    name: str
    address_lines: tuple[str, ...]


@dataclass(frozen=True)
class TrainingRecord:
    id: int
    user_id: int
    username: str
    completed_on: date
    topic: str


@dataclass(frozen=True)
class TrainingDue:
    """One active user's training status for the yearly reminder."""

    user_id: int
    username: str
    last_completed: date | None
    due_on: date | None  # None: never trained, due now

    def is_due(self, today: date) -> bool:
        return self.due_on is None or self.due_on <= today


@dataclass(frozen=True)
class BusinessAssociate:
    id: int
    vendor: str
    handles: str  # what PHI or service they handle for the practice
    agreement_signed_on: date | None
    next_review_on: date | None
    active: bool
    row_version: int

    def review_due(self, today: date) -> bool:
        return self.active and (self.next_review_on is None or self.next_review_on <= today)


@dataclass(frozen=True)
class ResponsePlan:
    """One version of the practice's written incident-response plan."""

    version: int
    roles: str
    steps: str
    contacts: str
    saved_at: datetime
    saved_by: str


class CheckStatus(StrEnum):
    GOOD = "good"
    TO_DO = "to_do"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {"good": "Good", "to_do": "Needs doing", "unknown": "Not known"}[self.value]


@dataclass(frozen=True)
class CheckItem:
    """One line of the security check: what was looked at, and what to do."""

    key: str
    title: str
    status: CheckStatus
    finding: str
    to_do: str = ""


@dataclass(frozen=True)
class SecurityCheckReport:
    checked_at: datetime
    items: tuple[CheckItem, ...]

    @property
    def to_do(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if i.status is not CheckStatus.GOOD)
