"""Handing a client's record out: to the client (the right of access), or to someone else
as a disclosure; and the accounting of those disclosures.

`export` is the one way a record leaves, whatever its form (printed, PDF, FHIR R4 JSON,
or both sealed in an age file with a passphrase). In one go it checks that the person
may see this chart, that psychotherapy notes (if any) are the person's own, and, for
anyone but the client, that a release in force covers everything sent or that a legal
basis is recorded; then, in one transaction, it writes the disclosure to the
accounting and audits the export (`record_printed` / `record_exported`, the client's
id, and "disclosure <id>" or "right of access": ids only). It returns a
`PreparedDocument` whose rendering needs no database.

Refusals are one sentence each: an expired or revoked release, one that does not
cover what was chosen, psychotherapy notes without a release naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.chart import (
    Diagnosis,
    DiagnosisChange,
    Intake,
    MeasureResult,
    ProgressNote,
    PsychotherapyNote,
    TreatmentPlan,
)
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.permissions import Action
from ehrdesk.core.records import (
    AppointmentLine,
    ClientRecord,
    Delivery,
    Disclosure,
    IncludedPsychotherapyNote,
    LegalBasis,
    RecordOutline,
    RecordRequest,
    ShareCategory,
    clean_text,
    encode_categories,
)
from ehrdesk.core.recurrence import to_local
from ehrdesk.security import passphrase as passphrases
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name
from ehrdesk.services.guard import requires
from ehrdesk.services.psychotherapy import my_notes, notes_for_release
from ehrdesk.services.releases import check_record_access
from ehrdesk.services.schedule_rules import practice_zone, schedule_settings
from ehrdesk.services.session import Session
from ehrdesk.storage.appointments import AppointmentRepository
from ehrdesk.storage.assessments import IntakeRepository, TreatmentPlanRepository
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.database import Connection
from ehrdesk.storage.diagnoses import DiagnosisRepository
from ehrdesk.storage.measures import MeasureRepository
from ehrdesk.storage.notes import NoteRepository
from ehrdesk.storage.releases import DisclosureRepository, ReleaseRepository
from ehrdesk.storage.users import SettingsRepository, UserRepository

RIGHT_OF_ACCESS: Final = "Right of access: the client's own copy"
PSYCHOTHERAPY_NEEDS_RELEASE: Final = (
    "Psychotherapy notes go to someone other than the client only under a release that "
    "names them; leave them out or choose such a release."
)
_MEDIA: Final = {
    Delivery.PRINTED: ("application/pdf", ".pdf"),
    Delivery.PDF: ("application/pdf", ".pdf"),
    Delivery.FHIR: ("application/fhir+json", ".fhir.json"),
    Delivery.PACKAGE: ("application/age", ".age"),
}


@dataclass(frozen=True)
class _Recipient:
    name: str
    basis: str
    purpose: str
    release_id: int | None = None
    legal_basis: LegalBasis | None = None
    legal_detail: str = ""


def delivery_for(purpose: Purpose) -> Delivery:
    """What the shared print path's purpose means for a record: a print or a PDF."""
    return Delivery.PRINTED if purpose is Purpose.PRINT else Delivery.PDF


class ClientRecords:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def _today(self, conn: Connection) -> date:
        return to_local(self._clock.now(), practice_zone(conn)).date()

    # What the dialog offers ---------------------------------------------------------

    @requires(Action.RELEASE_RECORDS)
    def outline(self, client_id: int) -> RecordOutline:
        check_record_access(self._session, client_id, self._clock)
        conn = self._session.database.conn
        client = ClientRepository(conn).get(client_id)
        return RecordOutline(
            client_id,
            client.display_name,
            tuple(ReleaseRepository(conn).for_client(client_id)),
            tuple(my_notes(self._session, client_id)),
            self._today(conn),
        )

    @requires(Action.RELEASE_RECORDS)
    def new_passphrase(self) -> str:
        """Eight words for a package; shown once, never stored."""
        return passphrases.new_passphrase()

    # The one way out ---------------------------------------------------------------------

    @requires(Action.RELEASE_RECORDS)
    def export(
        self,
        client_id: int,
        request: RecordRequest,
        delivery: Delivery,
        *,
        passphrase: str | None = None,
    ) -> PreparedDocument:
        """Check, record the disclosure, audit, and return the document to print or save."""
        request = request.checked()
        sealed_with = None
        if delivery is Delivery.PACKAGE:
            sealed_with = passphrases.check_passphrase(passphrase or "")
        check_record_access(self._session, client_id, self._clock)
        conn = self._session.database.conn
        recipient = self._recipient(conn, client_id, request)
        psychotherapy: list[PsychotherapyNote] = []
        if request.wants_psychotherapy:
            psychotherapy = notes_for_release(
                self._session,
                client_id,
                request.psychotherapy_note_ids,
                request.all_my_psychotherapy_notes,
            )
        record = self._snapshot(conn, client_id, request, recipient, psychotherapy)
        audit_action = (
            actions.RECORD_PRINTED if delivery is Delivery.PRINTED else actions.RECORD_EXPORTED
        )
        me = self._session.current_user()
        with self._session.transaction() as tx:
            reason = f"right of access, {delivery.value}"
            if request.to is not None:
                disclosure_id = DisclosureRepository(tx.conn).add(
                    client_id=client_id,
                    at=self._clock.now(),
                    recipient=recipient.name,
                    categories=encode_categories(request.shared),
                    purpose=recipient.purpose,
                    release_id=recipient.release_id,
                    legal_basis=recipient.legal_basis,
                    legal_detail=recipient.legal_detail,
                    since=request.since,
                    until=request.until,
                    delivery=delivery,
                    user_id=me.id,
                )
                reason = f"disclosure {disclosure_id}, {delivery.value}"
            tx.audit(
                audit_action, object_type=actions.CLIENT, object_id=str(client_id), reason=reason
            )
            for item in psychotherapy:
                tx.audit(
                    "psychotherapy_note_released",
                    object_type="psychotherapy_note",
                    object_id=str(item.id),
                )
        return self._document(record, delivery, sealed_with)

    def _recipient(self, conn: Connection, client_id: int, request: RecordRequest) -> _Recipient:
        to = request.to
        if to is None:
            return _Recipient("The client", RIGHT_OF_ACCESS, "Right of access")
        if to.release_id is not None:
            release = ReleaseRepository(conn).get(to.release_id)
            if release.client_id != client_id:
                raise InvalidInput("That release is another client's; choose one of this client's.")
            problem = release.problem(self._today(conn), request.shared)
            if problem is not None:
                raise InvalidInput(problem)
            return _Recipient(
                release.recipient,
                f"Release #{release.id} signed by the client on {release.signed_on:%d %B %Y}",
                release.purpose,
                release_id=release.id,
            )
        assert to.legal_basis is not None
        if request.wants_psychotherapy:
            raise InvalidInput(PSYCHOTHERAPY_NEEDS_RELEASE)
        detail = clean_text(
            to.legal_detail,
            "reason for sharing without a release",
            required=to.legal_basis is LegalBasis.OTHER,
        )
        basis = to.legal_basis.label.split(" (")[0]
        return _Recipient(
            clean_text(to.recipient, "recipient"),
            f"No release needed: {basis}" + (f" ({detail})" if detail else ""),
            clean_text(to.purpose, "purpose"),
            legal_basis=to.legal_basis,
            legal_detail=detail,
        )

    def _snapshot(
        self,
        conn: Connection,
        client_id: int,
        request: RecordRequest,
        recipient: _Recipient,
        psychotherapy: list[PsychotherapyNote],
    ) -> ClientRecord:
        settings = schedule_settings(conn)
        zone = practice_zone(conn)
        client = ClientRepository(conn).get(client_id)
        users = {u.id: u.full_name for u in UserRepository(conn).all()}
        wants = request.shared.__contains__

        def in_period(moment: datetime) -> bool:
            return request.in_period(to_local(moment, zone).date())

        diagnoses: tuple[tuple[Diagnosis, tuple[DiagnosisChange, ...]], ...] = ()
        if wants(ShareCategory.DIAGNOSES):
            repo = DiagnosisRepository(conn)
            diagnoses = tuple((d, tuple(repo.history(d.id))) for d in repo.for_client(client_id))
        appointments: tuple[AppointmentLine, ...] = ()
        if wants(ShareCategory.APPOINTMENTS):
            schedule = AppointmentRepository(conn)
            kinds = {t.code: t for t in schedule.types(active_only=False)}
            rooms = {r.id: r.name for r in schedule.rooms(active_only=False)}
            appointments = tuple(
                AppointmentLine(
                    a,
                    kinds[a.type_code].label if a.type_code in kinds else a.type_code,
                    users.get(a.clinician_id, ""),
                    "" if a.room_id is None else rooms.get(a.room_id, ""),
                    a.type_code in kinds and kinds[a.type_code].is_telehealth,
                )
                for a in reversed(schedule.for_client(client_id))
                if in_period(a.starts_at)
            )
        notes: tuple[ProgressNote, ...] = ()
        if wants(ShareCategory.PROGRESS_NOTES):
            notes = tuple(
                n
                for n in NoteRepository(conn).signed_for_client(client_id)
                if in_period(n.service_at)
            )
        intakes: tuple[Intake, ...] = ()
        if wants(ShareCategory.INTAKE):
            intakes = tuple(
                i
                for i in IntakeRepository(conn).signed_for_client(client_id)
                if in_period(i.created_at)
            )
        plans: tuple[TreatmentPlan, ...] = ()
        if wants(ShareCategory.TREATMENT_PLANS):
            plans = tuple(
                p
                for p in TreatmentPlanRepository(conn).signed_for_client(client_id)
                if in_period(p.created_at)
            )
        measures: tuple[MeasureResult, ...] = ()
        if wants(ShareCategory.MEASURES):
            measures = tuple(
                m
                for m in reversed(MeasureRepository(conn).for_client(client_id, limit=-1))
                if not m.voided and in_period(m.administered_at)
            )
        me = self._session.current_user()
        return ClientRecord(
            practice_name=str(SettingsRepository(conn).get("practice_name", "")),
            client=client,
            assigned_clinician=(
                None
                if client.assigned_clinician_id is None
                else users.get(client.assigned_clinician_id)
            ),
            time_zone=settings.time_zone,
            generated_at=self._clock.now(),
            request=request,
            recipient=recipient.name if request.to is not None else "The client (their own copy)",
            basis=recipient.basis,
            namespace=self._session.store.load().vault_id,
            diagnoses=diagnoses,
            appointments=appointments,
            notes=notes,
            intakes=intakes,
            plans=plans,
            measures=measures,
            psychotherapy=tuple(IncludedPsychotherapyNote(n, me.full_name) for n in psychotherapy),
        )

    def _document(
        self, record: ClientRecord, delivery: Delivery, sealed_with: str | None
    ) -> PreparedDocument:
        from ehrdesk.reports.client_record import (  # noqa: PLC0415 - loads reportlab
            render_client_record,
        )
        from ehrdesk.reports.fhir_bundle import render_fhir_json  # noqa: PLC0415 - loads reportlab
        from ehrdesk.reports.record_package import package_zip  # noqa: PLC0415 - loads reportlab

        media, suffix = _MEDIA[delivery]
        name = file_name(
            "Client record", str(record.client.id), f"{record.generated_at:%Y-%m-%d}", suffix=suffix
        )
        title = f"Client record — {record.client.display_name}"

        def render() -> bytes:
            if delivery is Delivery.FHIR:
                return render_fhir_json(record)
            pdf = render_client_record(record)
            if delivery is not Delivery.PACKAGE:
                return pdf
            assert sealed_with is not None
            when = f"{record.generated_at:%d %B %Y}"
            bundle = package_zip(pdf, render_fhir_json(record), record.practice_name, when)
            return passphrases.seal(bundle, sealed_with)

        return PreparedDocument(title, name, render, media)

    @requires(Action.RELEASE_RECORDS)
    def passphrase_sheet(
        self, passphrase: str, package_name: str, purpose: Purpose
    ) -> PreparedDocument:
        """The one-page sheet that carries a package's passphrase (it names no client)."""
        from ehrdesk.reports.record_package import (  # noqa: PLC0415 - loads reportlab
            PassphraseSheet,
            render_passphrase_sheet,
        )

        conn = self._session.database.conn
        with self._session.transaction() as tx:
            tx.audit(
                actions.DOCUMENT_PRINTED if purpose is Purpose.PRINT else actions.DOCUMENT_EXPORTED,
                reason="passphrase sheet",
            )
        sheet = PassphraseSheet(
            str(SettingsRepository(conn).get("practice_name", "")),
            passphrase,
            package_name,
            self._clock.now(),
        )
        return PreparedDocument(
            "Passphrase", file_name("Passphrase"), lambda: render_passphrase_sheet(sheet)
        )

    # The accounting of disclosures ------------------------------------------------------

    @requires(Action.VIEW_DISCLOSURES)
    def disclosures(self, client_id: int) -> list[Disclosure]:
        """Every disclosure of this client's record, newest first."""
        check_record_access(self._session, client_id, self._clock)
        return DisclosureRepository(self._session.database.conn).for_client(client_id)

    @requires(Action.VIEW_DISCLOSURES)
    def accounting(self, client_id: int, purpose: Purpose) -> PreparedDocument:
        """The accounting of disclosures as a document; audited as a print or export of
        the client's record."""
        from ehrdesk.reports.disclosures import (  # noqa: PLC0415 - loads reportlab
            AccountingReport,
            render_accounting,
        )

        check_record_access(self._session, client_id, self._clock)
        conn = self._session.database.conn
        client = ClientRepository(conn).get(client_id)
        with self._session.transaction() as tx:
            tx.audit(
                actions.RECORD_PRINTED if purpose is Purpose.PRINT else actions.RECORD_EXPORTED,
                object_type=actions.CLIENT,
                object_id=str(client_id),
                reason="accounting of disclosures",
            )
        report = AccountingReport(
            practice_name=str(SettingsRepository(conn).get("practice_name", "")),
            client_name=client.display_name,
            client_born=client.date_of_birth,
            disclosures=tuple(DisclosureRepository(conn).for_client(client_id)),
            time_zone=schedule_settings(conn).time_zone,
            generated_at=self._clock.now(),
        )
        name = file_name("Accounting of disclosures", str(client_id))
        return PreparedDocument(
            "Accounting of disclosures", name, lambda: render_accounting(report)
        )
