"""The records part of the role × action matrix (tests/services/test_roles.py): what the
template practice needs for handing records out (a fee schedule, and a visit of Alex's
with carla's signed note, so a superbill has something to bill), and plausible
arguments for each method of the records, releases, superbills and schedule-printing
services. For a role the table refuses, the arguments only need to be well-formed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from ehrdesk.core.billing import ClinicianIdentity, PracticeIdentity
from ehrdesk.core.chart import NoteSection
from ehrdesk.core.models import Role
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.core.records import (
    STANDARD_CATEGORIES,
    Delivery,
    RecordRequest,
    Release,
    ReleaseDraft,
)
from ehrdesk.services.documents import Purpose
from ehrdesk.services.registry import Services
from tests.records_support import signature_png
from tests.services.role_chart_args import SOAP, ChartRecords

Args = tuple[tuple[Any, ...], dict[str, Any]]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
AROUND_TODAY = (date(2026, 3, 1), date(2026, 3, 3))
CARLA_ID = 2


def prepare_records(
    services: Services,
    sign_in: Callable[[str], None],
    passwords: dict[str, str],
    records: ChartRecords,
) -> None:
    """A fee for 90834, and carla's signed note for Alex's visit (a billable visit)."""
    sign_in("owner")
    services.superbills.set_fee_schedule({"90834": 150_00})
    services.session.sign_out()
    sign_in("carla")
    note = services.notes.start_from_appointment(records.appointment, SOAP)
    sections = [NoteSection(s.key, s.label, "Billed visit.") for s in note.sections]
    note = services.notes.save_draft(note, sections)
    services.notes.sign_note(note, passwords["carla"])
    services.session.sign_out()


def _alex(c: Any) -> int:
    return c.practice.records.alex  # type: ignore[no-any-return]


def _may(c: Any, action: Action) -> bool:
    user = c.practice.services.session.user
    return user is not None and allowed(user.role, action) and c.allowed_to_act


def _draft() -> ReleaseDraft:
    return ReleaseDraft(
        "Dr. Lee", STANDARD_CATEGORIES, "Continuity of care", date(2026, 3, 1), date(2026, 9, 1)
    )


def _release(c: Any, *, form: bytes | None = None) -> Release:
    """A real release when the caller may record one; a stand-in otherwise."""
    services = c.practice.services
    if _may(c, Action.MANAGE_RELEASES):
        return services.releases.record(_alex(c), _draft(), form)  # type: ignore[no-any-return]
    now = datetime(2026, 3, 2, tzinfo=UTC)
    return Release(
        1, _alex(c), "Dr. Lee", "", STANDARD_CATEGORIES, "Care", date(2026, 3, 1),
        date(2026, 9, 1), None, None, 0, now, "Carla", False, 1,
    )  # fmt: skip


RECORDS_ARGUMENTS: dict[str, Callable[[Any], Args]] = {
    "ClientRecords.outline": lambda c: ((_alex(c),), {}),
    "ClientRecords.new_passphrase": lambda c: ((), {}),
    "ClientRecords.export": lambda c: ((_alex(c), RecordRequest(), Delivery.PDF), {}),
    "ClientRecords.passphrase_sheet": lambda c: (
        ("abandon ability able about above absent absorb abstract", "x.age", Purpose.PRINT),
        {},
    ),
    "ClientRecords.disclosures": lambda c: ((_alex(c),), {}),
    "ClientRecords.accounting": lambda c: ((_alex(c), Purpose.SAVE), {}),
    "Releases.releases": lambda c: ((_alex(c),), {}),
    "Releases.record": lambda c: ((_alex(c), _draft()), {}),
    "Releases.attach_form": lambda c: ((_release(c), PNG), {}),
    "Releases.signed_form": lambda c: ((_release(c, form=PNG).id,), {}),
    "Releases.sign_on_screen": lambda c: ((_release(c), signature_png()), {}),
    "Releases.revoke": lambda c: ((_release(c),), {}),
    "Superbills.billing_settings": lambda c: ((), {}),
    "Superbills.set_practice_identity": lambda c: ((PracticeIdentity(phone="312 555 0100"),), {}),
    "Superbills.set_fee_schedule": lambda c: (({"90834": 160_00},), {}),
    "Superbills.set_clinician_identity": lambda c: (
        (CARLA_ID, ClinicianIdentity(licence="LPC")),
        {},
    ),
    "Superbills.visits": lambda c: ((_alex(c), *AROUND_TODAY), {}),
    "Superbills.superbill": lambda c: ((_alex(c), *AROUND_TODAY, Purpose.SAVE), {}),
    "SchedulePrint.schedule": lambda c: ((date(2026, 3, 2), 7, CARLA_ID, Purpose.PRINT), {}),
    "EmergencyAccess.uses": lambda c: ((), {}),
    "AuditReview.client_access_report": lambda c: ((_alex(c), Purpose.SAVE), {}),
}

__all__ = ["RECORDS_ARGUMENTS", "Role", "prepare_records"]
