"""Reading, filtering, exporting and verifying the audit log, and the vault's
self-check (`ehrdesk check`).

Every export and print of the log is itself audited, with the filter's shape (never
its values beyond ids) as the reason. Verifying a long chain and writing a large CSV
run on a connection of their own (`ReaderJob`), so the GUI can run them off its thread.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ehrdesk import __version__
from ehrdesk.core import audit_actions as actions
from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.clock import Clock
from ehrdesk.core.models import AuditEvent
from ehrdesk.core.permissions import Action
from ehrdesk.security import kdf
from ehrdesk.security.subkeys import audit_key
from ehrdesk.services.activity import practice_hours
from ehrdesk.services.background import Progress, ReaderJob
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name, save_document
from ehrdesk.services.guard import requires
from ehrdesk.services.session import Session
from ehrdesk.storage.audit import AuditLog, ChainReport, format_time
from ehrdesk.storage.audit_review import AuditCursor, AuditQueries
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.database import Connection
from ehrdesk.storage.emergency import EmergencyAccessRepository
from ehrdesk.storage.users import SettingsRepository, UserRepository
from ehrdesk.storage.vault_file import VaultStore

CSV_HEADER = (
    "seq",
    "time_utc",
    "user_id",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "reason",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CheckReport:
    database_problems: tuple[str, ...]
    chain: ChainReport
    weak_key_slots: int
    workstation_bound: bool

    @property
    def ok(self) -> bool:
        return not self.database_problems and self.chain.ok and not self.weak_key_slots


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_row(e: AuditEvent) -> list[str]:
    values = (
        e.seq,
        format_time(e.at),
        e.user_id,
        e.username,
        e.role,
        e.action,
        e.object_type,
        e.object_id,
        e.reason,
    )
    return [_cell(v) for v in values]


def write_csv(conn: Connection, filt: AuditFilter, destination: Path, progress: Progress) -> int:
    """Every event of `filt`, newest first, as CSV at `destination`; returns the count."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    count = 0
    for event in AuditQueries(conn).stream(filt):
        writer.writerow(_csv_row(event))
        count += 1
        if count % 10_000 == 0:
            progress(count, 0)
    save_document(destination, buffer.getvalue().encode("utf-8"))
    return count


def _filter_reason(filt: AuditFilter) -> str:
    """Which filters were set (the audit event's reason): names only, no values."""
    used = [
        name
        for name, value in (
            ("period", filt.since or filt.until),
            ("user", filt.user_id is not None),
            ("action", filt.actions),
            ("object", filt.object_type),
        )
        if value
    ]
    return "filtered by " + ", ".join(used) if used else "unfiltered"


class AuditReview:
    def __init__(self, session: Session, store: VaultStore, clock: Clock) -> None:
        self._session = session
        self._store = store
        self._clock = clock

    @requires(Action.VIEW_AUDIT_LOG)
    def events(self, *, after_seq: int = 0, limit: int = 200) -> list[AuditEvent]:
        return list(self._session.audit_log().events(after_seq=after_seq, limit=limit))

    @requires(Action.VIEW_AUDIT_LOG)
    def newest_events(self, *, before_seq: int | None = None, limit: int = 200) -> list[AuditEvent]:
        """Newest first by sequence number (`ehrdesk check` and older callers)."""
        return list(self._session.audit_log().newest_events(before_seq=before_seq, limit=limit))

    @requires(Action.VIEW_AUDIT_LOG)
    def page(
        self, filt: AuditFilter, *, after: AuditEvent | None = None, limit: int = 200
    ) -> list[AuditEvent]:
        """One page of the audit screen: newest first, after the last event shown."""
        cursor = None if after is None else AuditCursor.after(after)
        return AuditQueries(self._session.database.conn).page(filt, after=cursor, limit=limit)

    @requires(Action.VIEW_AUDIT_LOG)
    def verify_chain(self, progress: Callable[[int, int], None] | None = None) -> ChainReport:
        report = self._session.audit_log().verify(self._store.load().audit_anchor, progress)
        self._record_verification(report)
        return report

    @requires(Action.VIEW_AUDIT_LOG)
    def start_chain_verification(self) -> ReaderJob[ChainReport]:
        """A job that verifies the chain on its own connection (run it off the GUI
        thread); hand its report to `record_chain_verification`."""
        key = self._session.reauthenticate_key()
        anchor = self._store.load().audit_anchor

        def verify(conn: Connection, progress: Progress) -> ChainReport:
            return AuditLog(conn, audit_key(key)).verify(anchor, progress)

        return ReaderJob(self._session.database.path, key, verify)

    @requires(Action.VIEW_AUDIT_LOG)
    def record_chain_verification(self, report: ChainReport) -> None:
        self._record_verification(report)

    def _record_verification(self, report: ChainReport) -> None:
        with self._session.transaction() as tx:
            tx.audit(
                "audit_chain_verified",
                reason="ok" if report.ok else f"broken at {report.first_bad_seq}",
            )

    @requires(Action.EXPORT_AUDIT_LOG)
    def start_csv_export(self, filt: AuditFilter, destination: Path) -> ReaderJob[int]:
        """Audit the export, and return the job that writes every event of `filt` as
        CSV at `destination` (atomically) on its own connection."""
        with self._session.transaction() as tx:
            tx.audit(actions.AUDIT_LOG_EXPORTED, reason=f"csv, {_filter_reason(filt)}")
        key = self._session.reauthenticate_key()

        def export(conn: Connection, progress: Progress) -> int:
            return write_csv(conn, filt, destination, progress)

        return ReaderJob(self._session.database.path, key, export)

    @requires(Action.EXPORT_AUDIT_LOG)
    def audit_report(self, filt: AuditFilter, purpose: Purpose) -> PreparedDocument:
        """The filtered view as a PDF report, audited as exported or printed."""
        # Loaded when a document is made, not at start-up: reportlab takes a while.
        from ehrdesk.reports.audit_report import (  # noqa: PLC0415
            MAX_EVENTS,
            AuditReport,
            render_audit_report,
        )

        conn = self._session.database.conn
        queries = AuditQueries(conn)
        events = queries.page(filt, limit=MAX_EVENTS + 1)
        verified = queries.page(AuditFilter(actions=("audit_chain_verified",)), limit=1)
        hours = practice_hours(conn)
        if verified:
            last = verified[0]
            chain_note = (
                f"last verified {last.at.astimezone(hours.zone):%Y-%m-%d %H:%M}: "
                f"{last.reason or 'ok'}"
            )
        else:
            chain_note = "not verified yet"
        action = (
            actions.AUDIT_REPORT_PRINTED if purpose is Purpose.PRINT else actions.AUDIT_LOG_EXPORTED
        )
        with self._session.transaction() as tx:
            tx.audit(action, reason=f"pdf, {_filter_reason(filt)}")
        report = AuditReport(
            practice_name=str(SettingsRepository(conn).get("practice_name", "")),
            filter_description=filt.describe(
                hours.zone, {u.id: u.username for u in UserRepository(conn).all()}
            ),
            events=tuple(events[:MAX_EVENTS]),
            truncated=len(events) > MAX_EVENTS,
            chain_note=chain_note,
            time_zone=hours.time_zone,
            generated_at=self._clock.now(),
            app_version=__version__,
            emergency=tuple(
                EmergencyAccessRepository(conn).uses(
                    since=filt.since, until=filt.until, limit=MAX_EVENTS
                )
            ),
        )
        name = file_name("Audit report", self._clock.now().strftime("%Y-%m-%d"))
        return PreparedDocument("Audit report", name, lambda: render_audit_report(report))

    @requires(Action.EXPORT_AUDIT_LOG)
    def client_access_report(self, client_id: int, purpose: Purpose) -> PreparedDocument:
        """ "Who opened this record": every audit event about one client, newest first, as
        a document with the client's name on it; audited against the client."""
        from ehrdesk.reports.audit_report import MAX_EVENTS  # noqa: PLC0415 - start-up
        from ehrdesk.reports.disclosures import (  # noqa: PLC0415 - start-up
            AccessReport,
            render_access_report,
        )

        conn = self._session.database.conn
        client = ClientRepository(conn).get(client_id)
        events = AuditQueries(conn).page(AuditFilter.for_client(client_id), limit=MAX_EVENTS + 1)
        action = (
            actions.AUDIT_REPORT_PRINTED if purpose is Purpose.PRINT else actions.AUDIT_LOG_EXPORTED
        )
        with self._session.transaction() as tx:
            tx.audit(
                action, object_type=actions.CLIENT, object_id=str(client_id), reason="access report"
            )
        report = AccessReport(
            practice_name=str(SettingsRepository(conn).get("practice_name", "")),
            client_id=client_id,
            client_name=client.display_name,
            client_born=client.date_of_birth,
            events=tuple(events[:MAX_EVENTS]),
            truncated=len(events) > MAX_EVENTS,
            staff_names={u.id: u.full_name for u in UserRepository(conn).all()},
            time_zone=practice_hours(conn).time_zone,
            generated_at=self._clock.now(),
        )
        name = file_name("Who opened this record", str(client_id))
        return PreparedDocument(
            "Who opened this record", name, lambda: render_access_report(report)
        )

    @requires(Action.CHECK_VAULT)
    def check_vault(self) -> CheckReport:
        vault = self._store.load()
        problems = tuple(self._session.database.integrity_problems())
        chain = self._session.audit_log().verify(vault.audit_anchor)
        weak = sum(1 for slot in vault.slots if kdf.is_weak(slot.params))
        with self._session.transaction() as tx:
            tx.audit("vault_checked", reason="ok" if not problems and chain.ok else "problems")
        return CheckReport(problems, chain, weak, vault.workstation_binding)
