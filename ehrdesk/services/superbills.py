"""Superbills, and the billing settings they read: the practice's identifiers, each
clinician's NPI and licence, and the fee schedule (a fee per CPT code).

The role rule: a superbill is billing codes, not clinical content (core/billing.py), so
the front desk prints it for any client, a clinician for their own clients, the owner
for all. It reads the diagnoses' ICD-10-CM codes and each visit's CPT code and place
from its signed note, never a note's words, an onset, a diagnosis history or a
measure. Printing or saving one is audited as a print or export of the client's record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from ehrdesk import __version__
from ehrdesk.core import audit_actions as actions
from ehrdesk.core.billing import (
    CPT_LABELS,
    BillableVisit,
    BillingSettings,
    ClinicianIdentity,
    PracticeIdentity,
    RenderingClinician,
    ServiceLine,
    Superbill,
    check_fee_schedule,
    place_of_service,
)
from ehrdesk.core.chart import DiagnosisStatus
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.front_desk import AppointmentStatus, postal_lines
from ehrdesk.core.permissions import Action
from ehrdesk.core.recurrence import local_day_bounds, to_local
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name
from ehrdesk.services.guard import requires
from ehrdesk.services.schedule_rules import acting_for, practice_zone, refuse
from ehrdesk.services.session import Session
from ehrdesk.storage.appointments import AppointmentRepository
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.database import Connection
from ehrdesk.storage.diagnoses import DiagnosisRepository
from ehrdesk.storage.notes import NoteRepository
from ehrdesk.storage.users import SettingsRepository, UserRepository

PRACTICE_SETTING = "billing_practice"
FEES_SETTING = "fee_schedule"
CLINICIANS_SETTING = "billing_clinicians"
MAX_DAYS = 366
#: A claim form has room for twelve diagnoses (A-L) and four pointers a line.
MAX_DIAGNOSES = 12
_BILLED = (AppointmentStatus.COMPLETED, AppointmentStatus.CHECKED_IN)


def billing_settings(conn: Connection) -> BillingSettings:
    settings = SettingsRepository(conn)
    fees = settings.get(FEES_SETTING, {})
    clinicians = settings.get(CLINICIANS_SETTING, {})
    return BillingSettings(
        PracticeIdentity.from_json(settings.get(PRACTICE_SETTING)),
        {str(k): int(v) for k, v in fees.items()} if isinstance(fees, dict) else {},
        (
            {int(k): ClinicianIdentity.from_json(v) for k, v in clinicians.items()}
            if isinstance(clinicians, dict)
            else {}
        ),
    )


class Superbills:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    # Settings (the owner's) ---------------------------------------------------------

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def billing_settings(self) -> BillingSettings:
        return billing_settings(self._session.database.conn)

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def set_practice_identity(self, identity: PracticeIdentity) -> None:
        checked = identity.checked()
        with self._session.transaction() as tx:
            SettingsRepository(tx.conn).set(PRACTICE_SETTING, checked.to_json())
            tx.audit("settings_changed", object_type="setting", object_id=PRACTICE_SETTING)

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def set_fee_schedule(self, fees: Mapping[str, int]) -> None:
        checked = check_fee_schedule(fees)
        with self._session.transaction() as tx:
            SettingsRepository(tx.conn).set(FEES_SETTING, checked)
            tx.audit("settings_changed", object_type="setting", object_id=FEES_SETTING)

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def set_clinician_identity(self, user_id: int, identity: ClinicianIdentity) -> None:
        checked = identity.checked()
        with self._session.transaction() as tx:
            UserRepository(tx.conn).get(user_id)  # NotFound for no such user
            settings = SettingsRepository(tx.conn)
            current = settings.get(CLINICIANS_SETTING, {})
            table = dict(current) if isinstance(current, dict) else {}
            table[str(user_id)] = checked.to_json()
            settings.set(CLINICIANS_SETTING, table)
            tx.audit("settings_changed", object_type="setting", object_id=CLINICIANS_SETTING)

    # Superbills ---------------------------------------------------------------------

    def _check_client(self, conn: Connection, client_id: int) -> None:
        own = acting_for(self._session)
        if own is not None and ClientRepository(conn).assigned_clinician(client_id) != own:
            raise refuse(self._session, "client", client_id)

    @requires(Action.PRINT_SUPERBILLS)
    def visits(self, client_id: int, since: date, until: date) -> list[BillableVisit]:
        """The client's attended visits from `since` to `until` (practice days), oldest
        first, each with the CPT code of its signed note, or None if it has none yet."""
        conn = self._session.database.conn
        self._check_client(conn, client_id)
        return self._visits(conn, client_id, since, until)

    def _visits(
        self, conn: Connection, client_id: int, since: date, until: date
    ) -> list[BillableVisit]:
        days = (until - since).days + 1
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput("Choose a period of one day to one year.")
        start, end = local_day_bounds(since, days, practice_zone(conn))
        repo = AppointmentRepository(conn)
        found = [
            a
            for a in reversed(repo.for_client(client_id))
            if start <= a.starts_at < end and a.status in _BILLED
        ]
        codes = NoteRepository(conn).signed_codes([a.id for a in found])
        labels = {t.code: t.label for t in repo.types(active_only=False)}
        names = {u.id: u.full_name for u in UserRepository(conn).all()}
        return [
            BillableVisit(
                a.id,
                a.starts_at,
                a.clinician_id,
                names.get(a.clinician_id, ""),
                labels.get(a.type_code, a.type_code),
                codes[a.id][0] if a.id in codes else None,
            )
            for a in found
        ]

    @requires(Action.PRINT_SUPERBILLS)
    def superbill(
        self,
        client_id: int,
        since: date,
        until: date,
        purpose: Purpose,
        *,
        appointment_ids: Sequence[int] = (),
    ) -> PreparedDocument:
        """The superbill for the client's billable visits in the period, or for the
        appointments listed (which must be in it). Refused with one sentence when a visit
        has no signed note, a fee is missing from the schedule, or nothing is billable."""
        from ehrdesk.reports.superbill import render_superbill  # noqa: PLC0415 - loads reportlab

        conn = self._session.database.conn
        self._check_client(conn, client_id)
        visits = self._visits(conn, client_id, since, until)
        if appointment_ids:
            wanted = set(appointment_ids)
            visits = [v for v in visits if v.appointment_id in wanted]
            if len(visits) != len(wanted):
                raise InvalidInput("Choose appointments of this client that were attended.")
            if any(not v.billable for v in visits):
                raise InvalidInput(
                    "That appointment has no signed note yet; its service code comes from "
                    "the signed note."
                )
        billable = [v for v in visits if v.billable]
        if not billable:
            raise InvalidInput("There is no visit with a signed note to bill in this period.")
        bill = self._superbill(conn, client_id, billable, len(visits) - len(billable), since, until)
        with self._session.transaction() as tx:
            tx.audit(
                actions.RECORD_PRINTED if purpose is Purpose.PRINT else actions.RECORD_EXPORTED,
                object_type=actions.CLIENT,
                object_id=str(client_id),
                reason=f"superbill, {len(billable)} visits",
            )
        name = file_name("Superbill", str(client_id), f"{since:%Y-%m-%d}")
        return PreparedDocument("Superbill", name, lambda: render_superbill(bill))

    def _superbill(
        self,
        conn: Connection,
        client_id: int,
        visits: list[BillableVisit],
        not_billed: int,
        since: date,
        until: date,
    ) -> Superbill:
        settings = billing_settings(conn)
        missing = sorted({v.cpt_code or "" for v in visits} - set(settings.fees))
        if missing:
            raise InvalidInput(
                f"The fee schedule has no fee for {', '.join(missing)}; the "
                "owner sets fees in Settings, on the Billing tab."
            )
        client = ClientRepository(conn).get(client_id)
        diagnoses = [
            (d.code, d.description)
            for d in DiagnosisRepository(conn).for_client(client_id, active_only=True)
            if d.status is DiagnosisStatus.ACTIVE
        ][:MAX_DIAGNOSES]
        pointers = "".join("ABCD"[: min(4, len(diagnoses))])
        codes = NoteRepository(conn).signed_codes([v.appointment_id for v in visits])
        zone = practice_zone(conn)
        lines = []
        for visit in visits:
            cpt, location = codes[visit.appointment_id]
            lines.append(
                ServiceLine(
                    to_local(visit.starts_at, zone).date(),
                    cpt,
                    CPT_LABELS.get(cpt, "Psychotherapy service"),
                    1,
                    place_of_service(location)[0],
                    pointers,
                    settings.fees[cpt],
                    visit.clinician_name,
                )
            )
        rendering = []
        for clinician_id in dict.fromkeys(v.clinician_id for v in visits):
            name = next(v.clinician_name for v in visits if v.clinician_id == clinician_id)
            identity = settings.clinicians.get(clinician_id, ClinicianIdentity())
            rendering.append(RenderingClinician(name, identity))
        return Superbill(
            practice_name=str(SettingsRepository(conn).get("practice_name", "")),
            practice=settings.practice,
            clinicians=tuple(rendering),
            client_name=f"{client.legal_first_name} {client.legal_last_name}",
            client_born=client.date_of_birth,
            client_address=postal_lines(client),
            insurance_payer=client.insurance_payer,
            insurance_member_id=client.insurance_member_id,
            insurance_group=client.insurance_group,
            diagnoses=tuple(diagnoses),
            lines=tuple(lines),
            period=(since, until),
            generated_at=self._clock.now(),
            app_version=__version__,
            not_billed=not_billed,
        )
