"""Handing a client's record out: what may be shared, releases of information, the legal
bases that need none, disclosures, and the snapshot a printed or exported record is
made from.

Frozen dataclasses and the rules about them; no I/O. A record goes to the client (the
right of access: not a disclosure) or to someone else, which is a disclosure and needs
either a release the client signed that is in force and covers everything sent, or a
legal basis recorded instead (a court order, treatment by another provider, a duty in
law, or another reason typed in). Psychotherapy notes go to someone else only under a
release that names them; a legal basis alone never sends them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from ehrdesk.core.chart import (
    Diagnosis,
    DiagnosisChange,
    Intake,
    MeasureResult,
    ProgressNote,
    PsychotherapyNote,
    TreatmentPlan,
)
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.front_desk import Appointment, Client

MAX_TEXT = 300
#: A scanned release form: big enough for a few pages scanned at 200 dpi.
MAX_FORM_BYTES = 8 * 1024 * 1024
FORM_TYPES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}


class ShareCategory(StrEnum):
    """A part of the record that a release may cover and an export may include."""

    DEMOGRAPHICS = "demographics"
    DIAGNOSES = "diagnoses"
    APPOINTMENTS = "appointments"
    PROGRESS_NOTES = "progress_notes"
    INTAKE = "intake"
    TREATMENT_PLANS = "treatment_plans"
    MEASURES = "measures"
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes"

    @property
    def label(self) -> str:
        return {
            "demographics": "Demographics and contact details",
            "diagnoses": "Diagnoses",
            "appointments": "Appointments",
            "progress_notes": "Progress notes",
            "intake": "Intake assessment",
            "treatment_plans": "Treatment plans",
            "measures": "Measures (PHQ-9, GAD-7)",
            "psychotherapy_notes": "Psychotherapy notes",
        }[self.value]


#: What a record holds unless the person narrows it: everything but psychotherapy notes.
STANDARD_CATEGORIES = frozenset(ShareCategory) - {ShareCategory.PSYCHOTHERAPY_NOTES}


def categories_text(categories: Iterable[ShareCategory]) -> str:
    chosen = set(categories)
    return ", ".join(c.label for c in ShareCategory if c in chosen)


def encode_categories(categories: Iterable[ShareCategory]) -> str:
    chosen = set(categories)
    return ",".join(c.value for c in ShareCategory if c in chosen)


def decode_categories(text: str) -> frozenset[ShareCategory]:
    return frozenset(ShareCategory(v) for v in text.split(",") if v)


class LegalBasis(StrEnum):
    """Why a disclosure needs no release from the client."""

    COURT_ORDER = "court_order"
    TREATMENT = "treatment"
    REQUIRED_BY_LAW = "required_by_law"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "court_order": "A court order or subpoena signed by a judge",
            "treatment": "Treatment by another provider",
            "required_by_law": "Required by law (for example a report of abuse)",
            "other": "Another reason (say which)",
        }[self.value]


def clean_text(text: str, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    """One line of typed text, spaces collapsed; InvalidInput naming `what`."""
    text = " ".join(text.split())
    if required and not text:
        raise InvalidInput(f"Please fill in the {what}.")
    if len(text) > limit:
        raise InvalidInput(f"The {what} is too long: at most {limit} characters.")
    return text


@dataclass(frozen=True, slots=True)
class ReleaseDraft:
    """A release of information as typed from the client's signed form."""

    recipient: str
    categories: frozenset[ShareCategory]
    purpose: str
    signed_on: date
    expires_on: date
    recipient_contact: str = ""

    def checked(self, today: date) -> ReleaseDraft:
        if not self.categories:
            raise InvalidInput("Choose at least one part of the record the release covers.")
        if self.signed_on > today:
            raise InvalidInput("The release cannot be signed on a future date.")
        if self.expires_on <= self.signed_on:
            raise InvalidInput("The release must expire after the day it was signed.")
        return ReleaseDraft(
            clean_text(self.recipient, "recipient"),
            frozenset(self.categories),
            clean_text(self.purpose, "purpose"),
            self.signed_on,
            self.expires_on,
            clean_text(self.recipient_contact, "recipient's contact", required=False),
        )


def authorisation_statements(practice: str) -> tuple[str, ...]:
    """What a client agrees to when signing a release on screen: the statements a valid
    authorisation makes (HIPAA 45 CFR 164.508(c)), shown before signing and printed
    above the signature."""
    return (
        f"I authorise {practice} to share the information listed above with the "
        "recipient named above, for the purpose stated, until the expiry date.",
        "I may revoke this authorisation at any time by telling the practice in writing; "
        "a revocation does not undo what was already shared under it.",
        "My treatment, payment, enrolment and eligibility for benefits do not depend on "
        "whether I sign this authorisation.",
        "Information shared under it may be shared again by the recipient and may then no "
        "longer be protected by federal privacy rules.",
        "I am entitled to a copy of this authorisation.",
    )


def check_form_size(size: int) -> None:
    """InvalidInput, saying what to do, for a scan over MAX_FORM_BYTES."""
    if size > MAX_FORM_BYTES:
        limit = MAX_FORM_BYTES // 2**20
        raise InvalidInput(
            f"The signed form is too large ({size / 2**20:.1f} MB); forms up to {limit} MB "
            "are kept: scan it again in black and white or at 150 dpi."
        )


@dataclass(frozen=True, slots=True)
class SignedForm:
    """The scanned, signed release form: kept as a BLOB inside the encrypted database."""

    media_type: str
    data: bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedForm:
        """Recognise a PDF, PNG or JPEG by its first bytes; refuse anything else, and
        anything larger than MAX_FORM_BYTES, with one plain sentence."""
        check_form_size(len(data))
        if data.startswith(b"%PDF-"):
            media = "application/pdf"
        elif data.startswith(b"\x89PNG\r\n\x1a\n"):
            media = "image/png"
        elif data.startswith(b"\xff\xd8\xff"):
            media = "image/jpeg"
        else:
            raise InvalidInput("The signed form must be a PDF, PNG or JPEG file.")
        return cls(media, data)


@dataclass(frozen=True, slots=True)
class Release:
    id: int
    client_id: int
    recipient: str
    recipient_contact: str
    categories: frozenset[ShareCategory]
    purpose: str
    signed_on: date
    expires_on: date
    revoked_at: datetime | None
    form_type: str | None  # media type of the signed form, None: not attached yet
    form_size: int
    created_at: datetime
    created_by_name: str
    used: bool  # a disclosure was made under it: its form is evidence now
    row_version: int

    def problem(self, today: date, wanted: Iterable[ShareCategory] = ()) -> str | None:
        """Why this release cannot send `wanted` today, as one sentence; None if it can."""
        if self.revoked_at is not None:
            return (
                "This release was revoked by the client; choose another or record the legal basis."
            )
        if today > self.expires_on:
            return (
                f"This release expired on {self.expires_on:%d %B %Y}; ask the client for a new "
                "one or record the legal basis."
            )
        if today < self.signed_on:
            return "This release is not in force yet."
        missing = set(wanted) - self.categories
        if missing:
            parts = [c.label[0].lower() + c.label[1:] for c in ShareCategory if c in missing]
            return (
                f"This release does not cover {', '.join(parts)}; leave them out or choose "
                "another release."
            )
        return None

    def status(self, today: date) -> str:
        if self.revoked_at is not None:
            return "Revoked"
        if today > self.expires_on:
            return "Expired"
        return "In force"


@dataclass(frozen=True, slots=True)
class DisclosureBasis:
    """To someone other than the client: under a release, or on a legal basis with the
    recipient and purpose typed in. Exactly one of the two."""

    release_id: int | None = None
    legal_basis: LegalBasis | None = None
    legal_detail: str = ""
    recipient: str = ""
    purpose: str = ""

    def __post_init__(self) -> None:
        if (self.release_id is None) == (self.legal_basis is None):
            raise InvalidInput(
                "Choose a release signed by the client, or record the legal basis for "
                "sharing without one."
            )
        if self.legal_basis is not None:
            clean_text(self.recipient, "recipient")
            clean_text(self.purpose, "purpose")
            clean_text(
                self.legal_detail,
                "reason for sharing without a release",
                required=self.legal_basis is LegalBasis.OTHER,
            )


class Delivery(StrEnum):
    """How a record left the practice."""

    PRINTED = "printed"
    PDF = "pdf"
    FHIR = "fhir"
    PACKAGE = "package"

    @property
    def label(self) -> str:
        return {
            "printed": "Printed",
            "pdf": "PDF file",
            "fhir": "FHIR file",
            "package": "Encrypted package",
        }[self.value]


@dataclass(frozen=True, slots=True)
class RecordRequest:
    """Which parts of a record to hand out, for whom, and over which dates.

    Psychotherapy notes come only by their author's choice: listed by id, or
    `all_my_psychotherapy_notes`; the service answers only the author. `to` None is the
    client themself (the right of access).
    """

    categories: frozenset[ShareCategory] = STANDARD_CATEGORIES
    psychotherapy_note_ids: tuple[int, ...] = ()
    all_my_psychotherapy_notes: bool = False
    since: date | None = None
    until: date | None = None
    to: DisclosureBasis | None = None

    @property
    def wants_psychotherapy(self) -> bool:
        return bool(self.psychotherapy_note_ids) or self.all_my_psychotherapy_notes

    @property
    def shared(self) -> frozenset[ShareCategory]:
        """What is sent, psychotherapy notes counted when any are included."""
        base = self.categories - {ShareCategory.PSYCHOTHERAPY_NOTES}
        return base | ({ShareCategory.PSYCHOTHERAPY_NOTES} if self.wants_psychotherapy else set())

    def checked(self) -> RecordRequest:
        if not self.shared:
            raise InvalidInput("Choose at least one part of the record to include.")
        if self.since and self.until and self.until < self.since:
            raise InvalidInput("The end of the period must be on or after its start.")
        return self

    def in_period(self, day: date) -> bool:
        """Whether an entry of this (practice-local) day falls in the period asked for."""
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One line of the accounting of disclosures."""

    id: int
    client_id: int
    disclosed_at: datetime
    recipient: str
    categories: frozenset[ShareCategory]
    purpose: str
    release_id: int | None
    legal_basis: LegalBasis | None
    legal_detail: str
    since: date | None
    until: date | None
    delivery: Delivery
    by_name: str

    @property
    def basis_text(self) -> str:
        if self.release_id is not None:
            return f"Release #{self.release_id} signed by the client"
        assert self.legal_basis is not None
        text = self.legal_basis.label.split(" (")[0]
        return f"{text}: {self.legal_detail}" if self.legal_detail else text

    @property
    def period_text(self) -> str:
        if self.since is None and self.until is None:
            return "whole record"
        start = "the start" if self.since is None else f"{self.since:%Y-%m-%d}"
        end = "today" if self.until is None else f"{self.until:%Y-%m-%d}"
        return f"{start} to {end}"


@dataclass(frozen=True, slots=True)
class AppointmentLine:
    appointment: Appointment
    type_label: str
    clinician_name: str
    room_name: str
    telehealth: bool


@dataclass(frozen=True, slots=True)
class IncludedPsychotherapyNote:
    note: PsychotherapyNote
    author_name: str


@dataclass(frozen=True)
class ClientRecord:
    """Everything one printed or exported record shows, read in one go; rendering it
    (PDF, FHIR JSON, the encrypted package) needs no database."""

    practice_name: str
    client: Client
    assigned_clinician: str | None
    time_zone: str
    generated_at: datetime
    request: RecordRequest
    recipient: str  # "the client" or who it is disclosed to
    basis: str  # "Right of access" or the release or legal basis
    #: A stable namespace for the FHIR ids (the vault's id), so one record's resources
    #: keep their ids from one export to the next.
    namespace: str
    diagnoses: tuple[tuple[Diagnosis, tuple[DiagnosisChange, ...]], ...] = ()
    appointments: tuple[AppointmentLine, ...] = ()
    notes: tuple[ProgressNote, ...] = ()
    intakes: tuple[Intake, ...] = ()
    plans: tuple[TreatmentPlan, ...] = ()
    measures: tuple[MeasureResult, ...] = ()
    psychotherapy: tuple[IncludedPsychotherapyNote, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    def includes(self, category: ShareCategory) -> bool:
        return category in self.request.shared


@dataclass(frozen=True, slots=True)
class RecordOutline:
    """What the export dialog offers: the releases on file, and the signed-in person's
    own psychotherapy notes for this client (id, written), which only they may add."""

    client_id: int
    display_name: str
    releases: tuple[Release, ...]
    my_psychotherapy_notes: tuple[tuple[int, datetime], ...]
    today: date
