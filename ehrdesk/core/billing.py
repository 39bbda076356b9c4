"""Superbills: the practice's and clinicians' billing identifiers, the fee schedule, and
the superbill a client hands to their insurer.

A superbill carries codes, never clinical words: the diagnoses' ICD-10-CM codes (with
the code set's own short description, as a claim form would), and for each visit its
date, place of service, CPT code from the signed note, units and fee. That is why the
front desk may print one (DESIGN §1: "superbills' billing codes"). Frozen dataclasses
and their checks; no I/O. Money is whole cents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from ehrdesk.core.chart import CPT_CODES
from ehrdesk.core.errors import InvalidInput

CPT_LABELS = dict(CPT_CODES)
MAX_FEE_CENTS = 100_000_00
_CPT = re.compile(r"^[0-9]{4}[0-9A-Z]$")


def npi_valid(npi: str) -> bool:
    """A National Provider Identifier: ten digits whose last is the Luhn check digit of
    the first nine prefixed with 80840 (the NPI standard's rule)."""
    if not re.fullmatch(r"[0-9]{10}", npi):
        return False
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if i % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return (10 - total % 10) % 10 == int(npi[9])


def check_npi(npi: str, whose: str) -> str:
    npi = "".join(npi.split())
    if npi and not npi_valid(npi):
        raise InvalidInput(f"{whose} NPI is not a valid NPI: ten digits, the last a check digit.")
    return npi


def check_tax_id(tax_id: str) -> str:
    """An employer identification number, written NN-NNNNNNN."""
    digits = re.sub(r"[\s-]", "", tax_id)
    if not digits:
        return ""
    if not re.fullmatch(r"[0-9]{9}", digits):
        raise InvalidInput("The tax id is an EIN: nine digits, written like 12-3456789.")
    return f"{digits[:2]}-{digits[2:]}"


def _line(text: str, what: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        raise InvalidInput(f"The {what} is too long: at most {limit} characters.")
    return text


@dataclass(frozen=True, slots=True)
class PracticeIdentity:
    """What a superbill's header says about the practice (settings, owner's to edit)."""

    address_line1: str = ""
    address_line2: str = ""
    city_region_postcode: str = ""
    phone: str = ""
    npi: str = ""  # the practice's (type 2) NPI, if it has one
    tax_id: str = ""

    def checked(self) -> PracticeIdentity:
        return PracticeIdentity(
            _line(self.address_line1, "address"),
            _line(self.address_line2, "address"),
            _line(self.city_region_postcode, "city, state and postcode"),
            _line(self.phone, "phone number", 40),
            check_npi(self.npi, "The practice's"),
            check_tax_id(self.tax_id),
        )

    def to_json(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_json(cls, raw: object) -> PracticeIdentity:
        if not isinstance(raw, dict):
            return cls()
        return cls(**{k: str(v) for k, v in raw.items() if k in cls.__slots__})


@dataclass(frozen=True, slots=True)
class ClinicianIdentity:
    """A rendering clinician's identifiers (a per-user practice setting)."""

    npi: str = ""
    licence: str = ""  # e.g. "LCSW 012345 (IL)"

    def checked(self) -> ClinicianIdentity:
        return ClinicianIdentity(
            check_npi(self.npi, "The clinician's"), _line(self.licence, "licence", 60)
        )

    def to_json(self) -> dict[str, str]:
        return {"npi": self.npi, "licence": self.licence}

    @classmethod
    def from_json(cls, raw: object) -> ClinicianIdentity:
        if not isinstance(raw, dict):
            return cls()
        return cls(str(raw.get("npi", "")), str(raw.get("licence", "")))


def check_fee_schedule(fees: Mapping[str, int]) -> dict[str, int]:
    """CPT code → fee in cents; every code five characters, every fee 0 to $100,000."""
    checked: dict[str, int] = {}
    for typed, cents in fees.items():
        code = typed.strip().upper()
        if not _CPT.match(code):
            raise InvalidInput(f"“{code}” is not a CPT code: five characters, like 90834.")
        if not isinstance(cents, int) or isinstance(cents, bool) or not 0 <= cents <= MAX_FEE_CENTS:
            raise InvalidInput(f"The fee for {code} must be between $0 and $100,000.")
        checked[code] = cents
    return dict(sorted(checked.items()))


def money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def parse_money(text: str) -> int:
    """ "150", "150.00", "$1,200.5" → cents; InvalidInput otherwise."""
    cleaned = text.strip().replace("$", "").replace(",", "")
    match = re.fullmatch(r"([0-9]{1,6})(?:\.([0-9]{1,2}))?", cleaned)
    if not match:
        raise InvalidInput(f"“{text.strip()}” is not an amount of money, like 150.00.")
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def place_of_service(location: str) -> tuple[str, str]:
    """The CMS place-of-service code and its name for a note's location."""
    text = location.casefold()
    if text.startswith("telehealth") and "home" in text:
        return "10", "Telehealth in the client's home"
    if text.startswith("telehealth"):
        return "02", "Telehealth elsewhere"
    return "11", "Office"


@dataclass(frozen=True)
class BillingSettings:
    practice: PracticeIdentity = field(default_factory=PracticeIdentity)
    fees: Mapping[str, int] = field(default_factory=dict)  # CPT code → cents
    clinicians: Mapping[int, ClinicianIdentity] = field(default_factory=dict)  # user id →


@dataclass(frozen=True, slots=True)
class BillableVisit:
    """An appointment of the client, and whether it can be billed (a signed note gives
    its CPT code); what the superbill dialog lists."""

    appointment_id: int
    starts_at: datetime
    clinician_id: int
    clinician_name: str
    type_label: str
    cpt_code: str | None  # None: no signed note yet

    @property
    def billable(self) -> bool:
        return self.cpt_code is not None


@dataclass(frozen=True, slots=True)
class ServiceLine:
    day: date
    cpt_code: str
    description: str
    units: int
    place_of_service: str
    diagnosis_pointers: str  # "A", "AB": letters of the diagnoses table
    fee_cents: int
    clinician_name: str


@dataclass(frozen=True, slots=True)
class RenderingClinician:
    name: str
    identity: ClinicianIdentity


@dataclass(frozen=True)
class Superbill:
    practice_name: str
    practice: PracticeIdentity
    clinicians: tuple[RenderingClinician, ...]
    client_name: str
    client_born: date
    client_address: tuple[str, ...]
    insurance_payer: str
    insurance_member_id: str
    insurance_group: str
    diagnoses: tuple[tuple[str, str], ...]  # (ICD-10-CM code, description), primary first
    lines: tuple[ServiceLine, ...]
    period: tuple[date, date]
    generated_at: datetime
    app_version: str
    not_billed: int = 0  # visits in the period without a signed note
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total_cents(self) -> int:
        return sum(line.fee_cents * line.units for line in self.lines)
