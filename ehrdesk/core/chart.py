"""The clinician's chart: frozen records that the chart services return and the views
show. No behaviour beyond small derived properties, no I/O.

A chart belongs to one client. What a person may see of it is decided by the services
(`services/chart_access.py`); these records never hold more than the person asked for
and was allowed: a psychotherapy note reaches only its author, and the timeline names
entries without their text.

Times are timezone-aware UTC `datetime`s; plain dates are `date`s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from ehrdesk.core.measures import Instrument

#: The longest note (all sections together), addendum, or free-text answer accepted:
#: about forty pages of typing. A paste beyond it is refused whole; nothing is cut.
MAX_TEXT_CHARS = 100_000

#: Common outpatient psychotherapy services (CPT), offered first in the note form.
CPT_CODES: tuple[tuple[str, str], ...] = (
    ("90791", "Psychiatric diagnostic evaluation"),
    ("90832", "Psychotherapy, 30 minutes"),
    ("90834", "Psychotherapy, 45 minutes"),
    ("90837", "Psychotherapy, 60 minutes"),
    ("90839", "Psychotherapy for crisis, first 60 minutes"),
    ("90846", "Family psychotherapy without the client"),
    ("90847", "Family psychotherapy with the client"),
    ("90853", "Group psychotherapy"),
)

LOCATIONS: tuple[str, ...] = ("Office", "Telehealth (client at home)", "Telehealth (other)")


class NoteStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"

    @property
    def label(self) -> str:
        return "Draft" if self is NoteStatus.DRAFT else "Signed"


class AccessBasis(StrEnum):
    """Why this person may open this chart."""

    ASSIGNED = "assigned"  # the client is assigned to them
    SUPERVISOR = "supervisor"  # the owner supervises every chart
    EMERGENCY = "emergency"  # an emergency-access grant, time-boxed and audited


@dataclass(frozen=True, slots=True)
class TemplateField:
    key: str
    label: str
    prompt: str


@dataclass(frozen=True, slots=True)
class NoteTemplate:
    id: int
    name: str
    fields: tuple[TemplateField, ...]
    builtin: bool
    active: bool
    row_version: int


@dataclass(frozen=True, slots=True)
class NoteSection:
    """One field of a note as written: the template's key and label, and the text."""

    key: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Addendum:
    id: int
    note_id: int
    author_id: int
    author_name: str
    text: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class ProgressNote:
    id: int
    client_id: int
    author_id: int
    author_name: str
    template_id: int | None
    template_name: str
    appointment_id: int | None
    service_at: datetime
    duration_minutes: int
    cpt_code: str
    location: str
    sections: tuple[NoteSection, ...]
    status: NoteStatus
    signed_by_name: str | None
    signed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    row_version: int
    addenda: tuple[Addendum, ...] = ()

    @property
    def signed(self) -> bool:
        return self.status is NoteStatus.SIGNED

    @property
    def text_length(self) -> int:
        return sum(len(s.text) for s in self.sections)


@dataclass(frozen=True, slots=True)
class NoteStart:
    """Where a new note comes from: an appointment's facts, or what the person chose."""

    service_at: datetime
    duration_minutes: int
    cpt_code: str
    location: str
    appointment_id: int | None = None


@dataclass(frozen=True, slots=True)
class UnsignedNote:
    """A line of the Today view's "notes to sign"."""

    note_id: int
    client_id: int
    client_name: str
    service_at: datetime
    template_name: str


@dataclass(frozen=True, slots=True)
class PsychotherapyNote:
    id: int
    client_id: int
    author_id: int
    text: str
    created_at: datetime
    updated_at: datetime
    row_version: int


class RiskLevel(StrEnum):
    NOT_ASSESSED = "not_assessed"
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    @property
    def label(self) -> str:
        return "Not assessed" if self is RiskLevel.NOT_ASSESSED else self.value.capitalize()

    @property
    def flagged(self) -> bool:
        return self in (RiskLevel.MODERATE, RiskLevel.HIGH)


@dataclass(frozen=True, slots=True)
class IntakeRisk:
    suicide: RiskLevel = RiskLevel.NOT_ASSESSED
    self_harm: RiskLevel = RiskLevel.NOT_ASSESSED
    violence: RiskLevel = RiskLevel.NOT_ASSESSED


@dataclass(frozen=True, slots=True)
class Intake:
    id: int
    client_id: int
    author_id: int
    author_name: str
    answers: Mapping[str, str]
    risk: IntakeRisk
    safety_plan: Mapping[str, str]
    status: NoteStatus
    signed_by_name: str | None
    signed_at: datetime | None
    created_at: datetime
    row_version: int


class DiagnosisStatus(StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"
    ENTERED_IN_ERROR = "entered_in_error"

    @property
    def label(self) -> str:
        return {"active": "Active", "resolved": "Resolved", "entered_in_error": "Entered in error"}[
            self.value
        ]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    id: int
    client_id: int
    code: str
    description: str
    onset: date | None
    status: DiagnosisStatus
    primary: bool
    added_by_name: str
    added_at: datetime
    row_version: int


@dataclass(frozen=True, slots=True)
class DiagnosisChange:
    """One line of a diagnosis's history: what it became, when, and who said so."""

    status: DiagnosisStatus
    primary: bool
    changed_at: datetime
    changed_by_name: str


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """An ICD-10-CM code offered by the search."""

    code: str
    description: str
    billable: bool


@dataclass(frozen=True, slots=True)
class PlanObjective:
    text: str
    target_date: date | None = None


@dataclass(frozen=True, slots=True)
class PlanGoal:
    text: str
    objectives: tuple[PlanObjective, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanProblem:
    text: str
    goals: tuple[PlanGoal, ...] = ()
    interventions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TreatmentPlan:
    id: int
    client_id: int
    author_id: int
    author_name: str
    problems: tuple[PlanProblem, ...]
    target_date: date | None
    review_date: date
    status: NoteStatus
    signed_by_name: str | None
    signed_at: datetime | None
    created_at: datetime
    row_version: int


@dataclass(frozen=True, slots=True)
class PlanReviewDue:
    plan_id: int
    client_id: int
    client_name: str
    review_date: date


@dataclass(frozen=True, slots=True)
class MeasureResult:
    id: int
    client_id: int
    instrument: Instrument
    answers: tuple[int, ...]
    total: int
    band: str
    risk_flag: bool
    administered_at: datetime
    entered_by_name: str
    by_client: bool
    voided: bool
    row_version: int


@dataclass(frozen=True, slots=True)
class ScorePoint:
    """One point of the header's score chart."""

    instrument: Instrument
    at: datetime
    total: int


class ReasonCategory(StrEnum):
    CRISIS = "crisis"
    COVERING = "covering"
    SUPERVISION = "supervision"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "crisis": "A crisis: the client needs help now",
            "covering": "Covering for the assigned clinician",
            "supervision": "Clinical supervision or consultation",
            "other": "Another reason (say which)",
        }[self.value]


@dataclass(frozen=True, slots=True)
class EmergencyGrant:
    id: int
    user_id: int
    user_name: str
    client_id: int
    reason_category: ReasonCategory
    reason: str
    started_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    acknowledged_at: datetime | None
    row_version: int

    def active(self, now: datetime) -> bool:
        return self.ended_at is None and self.started_at <= now < self.expires_at


@dataclass(frozen=True, slots=True)
class EmergencyNotice:
    """A line of the owner's Today view: someone opened a chart in an emergency."""

    grant_id: int
    user_name: str
    client_id: int
    client_name: str
    reason_category: ReasonCategory
    started_at: datetime


@dataclass(frozen=True, slots=True)
class EmergencyUse:
    """One use of emergency access, as the owner's review lists it."""

    grant_id: int
    user_name: str
    client_id: int
    client_name: str
    reason_category: ReasonCategory
    started_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by_name: str | None

    def minutes(self, now: datetime) -> int:
        """How long the chart was open to them: to the end, the expiry, or now."""
        end = self.ended_at or min(self.expires_at, now)
        return max(0, round((end - self.started_at).total_seconds() / 60))

    def state(self, now: datetime) -> str:
        if self.ended_at is None and self.started_at <= now < self.expires_at:
            return "open now"
        return "ended early" if self.ended_at is not None else "expired"


@dataclass(frozen=True, slots=True)
class ChartHeader:
    client_id: int
    display_name: str
    date_of_birth: date
    pronouns: str
    assigned_clinician_id: int | None
    assigned_clinician_name: str | None
    active_diagnoses: tuple[Diagnosis, ...]
    risk_flags: tuple[str, ...]
    scores: tuple[ScorePoint, ...]
    access: AccessBasis
    emergency: EmergencyGrant | None = None

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class TimelineKind(StrEnum):
    """What a timeline line is. The value orders lines of one instant (keyset)."""

    APPOINTMENT = "appointment"
    INTAKE = "intake"
    MEASURE = "measure"
    NOTE = "note"
    PLAN = "plan"
    PSYCHOTHERAPY = "psychotherapy"

    @property
    def label(self) -> str:
        return {
            "appointment": "Appointment",
            "intake": "Intake",
            "measure": "Measure",
            "note": "Progress note",
            "plan": "Treatment plan",
            "psychotherapy": "Psychotherapy note",
        }[self.value]


@dataclass(frozen=True, slots=True, order=True)
class TimelineCursor:
    """Where the next page starts: strictly older than this (at, kind, id)."""

    at: str
    kind: str
    id: int


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    kind: TimelineKind
    id: int
    at: datetime
    title: str
    detail: str
    cursor: TimelineCursor
    flagged: bool = False


@dataclass(frozen=True, slots=True)
class TimelinePage:
    entries: tuple[TimelineEntry, ...]
    more: bool

    @property
    def next_cursor(self) -> TimelineCursor | None:
        return self.entries[-1].cursor if self.entries and self.more else None


@dataclass(frozen=True, slots=True)
class OpenedChart:
    header: ChartHeader
    first_page: TimelinePage


#: Around each matching word of a search hit's snippet: control characters, which no
#: typed text holds, so the view can mark them up after escaping everything else.
HIT_START, HIT_END = "\x02", "\x03"


@dataclass(frozen=True, slots=True)
class NoteSearchHit:
    note_id: int
    client_id: int
    client_name: str
    service_at: datetime
    snippet: str
    in_addendum: bool = False

    @property
    def plain_snippet(self) -> str:
        return self.snippet.replace(HIT_START, "").replace(HIT_END, "")


@dataclass(frozen=True, slots=True)
class AppointmentFacts:
    """What a note takes from the appointment it starts from."""

    id: int
    client_id: int
    clinician_id: int
    starts_at: datetime
    ends_at: datetime
    location: str
    type_code: str

    @property
    def minutes(self) -> int:
        return max(1, round((self.ends_at - self.starts_at).total_seconds() / 60))
