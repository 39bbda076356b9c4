"""The security check (owner only): the practice's own state, item by item, with what
is good and what needs doing, and the yearly risk-review record made from it.

Backups are another part of ehrdesk: their status comes through `BackupStatusSource`,
and until that part is wired in, the default source says "not available yet" rather
than guessing. The audit chain item reads the newest recorded verification and checks
the log's newest row against the anchor in vault.json (instant); a full verification
is the audit screen's "Verify chain".
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol

from ehrdesk import __version__
from ehrdesk.core import audit_actions as actions
from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.clock import Clock
from ehrdesk.core.compliance import (
    DUE_SOON_DAYS,
    CheckItem,
    CheckStatus,
    SecurityCheckReport,
)
from ehrdesk.core.models import UserStatus
from ehrdesk.core.permissions import Action
from ehrdesk.security import kdf
from ehrdesk.security.passwords import policy_fingerprint
from ehrdesk.services.activity import compute_flags, practice_hours, thresholds
from ehrdesk.services.auth import password_policy
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name
from ehrdesk.services.guard import requires
from ehrdesk.services.safeguards import collect_records
from ehrdesk.services.session import Session
from ehrdesk.storage.audit_review import AuditQueries
from ehrdesk.storage.database import Connection
from ehrdesk.storage.incidents import IncidentRepository
from ehrdesk.storage.safeguards import PasswordPolicyChecks
from ehrdesk.storage.users import SettingsRepository, UserRepository
from ehrdesk.storage.vault_file import VaultStore

if TYPE_CHECKING:
    from ehrdesk.reports.compliance import SafeguardRecords

BACKUP_MAX_AGE: Final = timedelta(days=7)
DRILL_MAX_AGE: Final = timedelta(days=365)
CHAIN_VERIFY_MAX_AGE: Final = timedelta(days=31)
IDLE_GOOD_MINUTES: Final = 15
PLAN_MAX_AGE: Final = timedelta(days=365)


class BackupStatusSource(Protocol):
    """What the backups part of ehrdesk tells the security check."""

    #: False until a real source is wired in; the check then says "not available yet".
    available: bool

    def newest_verified_backup_at(self) -> datetime | None:
        """When the newest backup that was read back and verified was taken."""
        ...

    def last_restore_drill(self) -> datetime | None:
        """When a backup was last restored as a drill (into a scratch folder)."""
        ...


class BackupStatusNotAvailable:
    """The default until the backups work is merged."""

    available = False

    def newest_verified_backup_at(self) -> datetime | None:
        return None

    def last_restore_drill(self) -> datetime | None:
        return None


def _count(n: int, thing: str) -> str:
    return f"1 {thing}" if n == 1 else f"{n} {thing}s"


def _ago(now: datetime, then: datetime) -> str:
    days = (now - then).days
    return "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"


def _item(key: str, title: str, good: bool, finding: str, to_do: str) -> CheckItem:
    return CheckItem(
        key, title, CheckStatus.GOOD if good else CheckStatus.TO_DO, finding, "" if good else to_do
    )


class SecurityCheck:
    def __init__(
        self,
        session: Session,
        store: VaultStore,
        clock: Clock,
        backups: BackupStatusSource | None = None,
    ) -> None:
        self._session = session
        self._store = store
        self._clock = clock
        self.backups: BackupStatusSource = backups or BackupStatusNotAvailable()

    @requires(Action.RUN_SECURITY_CHECK)
    def run(self) -> SecurityCheckReport:
        conn = self._session.database.conn
        now = self._clock.now()
        today = now.astimezone(practice_hours(conn).zone).date()
        checks: list[Callable[[], CheckItem]] = [
            lambda: self._second_factor(conn),
            lambda: self._passwords(conn),
            self._key_slots,
            *self._backup_items(now),
            self._workstation,
            lambda: self._idle(conn),
            lambda: self._chain(conn, now),
            lambda: self._flags(conn, now),
            lambda: self._incidents(conn, today),
            lambda: self._training(conn, today),
            lambda: self._associates(conn, today),
            lambda: self._plan(conn, now),
        ]
        report = SecurityCheckReport(now, tuple(check() for check in checks))
        with self._session.transaction() as tx:
            tx.audit("security_check_run", reason=f"{len(report.to_do)} to do")
        return report

    @requires(Action.RUN_SECURITY_CHECK)
    def review_record(self, report: SecurityCheckReport, purpose: Purpose) -> PreparedDocument:
        """The yearly risk-review record: this check and the safeguard records."""
        conn = self._session.database.conn
        zone = practice_hours(conn)
        records = collect_records(conn, report.checked_at.astimezone(zone.zone).date())
        practice = str(SettingsRepository(conn).get("practice_name", ""))
        with self._session.transaction() as tx:
            tx.audit(
                actions.DOCUMENT_PRINTED if purpose is Purpose.PRINT else actions.DOCUMENT_EXPORTED,
                object_type="document",
                object_id="security_risk_review",
            )
        return PreparedDocument(
            "Security risk review",
            file_name("Security risk review", report.checked_at.strftime("%Y-%m-%d")),
            lambda: _render(report, records, practice, zone.time_zone),
        )

    # The items ------------------------------------------------------------------------

    def _second_factor(self, conn: Connection) -> CheckItem:
        users = UserRepository(conn)
        active = [u for u in users.all() if u.status is UserStatus.ACTIVE]
        without = [u.username for u in active if not users.totp(u.id)[0]]
        return _item(
            "second_factor",
            "Second factor",
            not without,
            f"All {len(active)} active users have an authenticator app set up."
            if not without
            else f"No second factor: {', '.join(without)}.",
            "Have each of them set up an authenticator app in Settings.",
        )

    def _passwords(self, conn: Connection) -> CheckItem:
        current = policy_fingerprint(password_policy(conn))
        checked = PasswordPolicyChecks(conn).all()
        active = [u for u in UserRepository(conn).all() if u.status is UserStatus.ACTIVE]
        stale = [u.username for u in active if checked.get(u.id) != current]
        return _item(
            "passwords",
            "Passwords against today's policy",
            not stale,
            "Every active user's password was checked against today's policy and blocklist "
            "when it was set."
            if not stale
            else f"Set under an earlier policy or blocklist, or before ehrdesk recorded it: "
            f"{', '.join(stale)}. Stored passwords cannot be re-checked.",
            "Ask them to change their password (or reset it) so the current policy checks it.",
        )

    def _key_slots(self) -> CheckItem:
        weak = sum(1 for slot in self._store.load().slots if kdf.is_weak(slot.params))
        return _item(
            "key_slots",
            "Key derivation",
            not weak,
            "Every key slot uses the shipped Argon2id parameters."
            if not weak
            else f"{_count(weak, 'key slot')} use weaker Argon2id parameters than ehrdesk ships.",
            "Change those users' passwords; the new slots use the shipped parameters.",
        )

    def _backup_items(self, now: datetime) -> list[Callable[[], CheckItem]]:
        source = self.backups
        if not source.available:
            return [
                lambda: CheckItem(
                    "backups",
                    "Newest verified backup",
                    CheckStatus.UNKNOWN,
                    "Backup status is not available yet in this version.",
                ),
                lambda: CheckItem(
                    "restore_drill",
                    "Last restore drill",
                    CheckStatus.UNKNOWN,
                    "Restore drills are not available yet in this version.",
                ),
            ]

        def backup() -> CheckItem:
            newest = source.newest_verified_backup_at()
            return _item(
                "backups",
                "Newest verified backup",
                newest is not None and now - newest <= BACKUP_MAX_AGE,
                "No verified backup yet."
                if newest is None
                else f"Taken and verified {_ago(now, newest)}.",
                f"Take a backup; one at least every {BACKUP_MAX_AGE.days} days.",
            )

        def drill() -> CheckItem:
            last = source.last_restore_drill()
            return _item(
                "restore_drill",
                "Last restore drill",
                last is not None and now - last <= DRILL_MAX_AGE,
                "No restore drill yet." if last is None else f"Done {_ago(now, last)}.",
                "Restore a backup into a scratch folder to prove it works (once a year).",
            )

        return [backup, drill]

    def _workstation(self) -> CheckItem:
        bound = self._store.load().workstation_binding
        return _item(
            "workstation",
            "Workstation binding",
            bound,
            "The vault is bound to this computer's keyring."
            if bound
            else "The vault is not bound to this computer: a copied database and vault.json "
            "can be attacked with password guesses alone.",
            "Set up a new vault with workstation binding, or accept and record the risk.",
        )

    def _idle(self, conn: Connection) -> CheckItem:
        value = SettingsRepository(conn).get("idle_timeout_seconds", 600)
        minutes = (value if isinstance(value, int) else 600) // 60
        return _item(
            "idle_timeout",
            "Automatic lock",
            minutes <= IDLE_GOOD_MINUTES,
            f"ehrdesk locks after {minutes} idle minutes.",
            f"Shorten the idle timeout to {IDLE_GOOD_MINUTES} minutes or less in Settings.",
        )

    def _chain(self, conn: Connection, now: datetime) -> CheckItem:
        anchor = self._store.load().audit_anchor
        newest = self._session.audit_log().newest()
        if anchor is not None and (
            newest is None
            or newest.seq < anchor.seq
            or (newest.seq == anchor.seq and not hmac.compare_digest(newest.mac, anchor.mac))
        ):
            return _item(
                "audit_chain",
                "Audit log",
                False,
                "The newest audit events do not match the anchor in vault.json.",
                "Verify the chain on the Audit screen and investigate.",
            )
        last = AuditQueries(conn).page(AuditFilter(actions=("audit_chain_verified",)), limit=1)
        if not last:
            return _item(
                "audit_chain",
                "Audit log",
                False,
                "The chain has never been verified.",
                "Verify the chain on the Audit screen.",
            )
        event = last[0]
        ok = (event.reason or "ok") == "ok"
        recent = now - event.at <= CHAIN_VERIFY_MAX_AGE
        return _item(
            "audit_chain",
            "Audit log",
            ok and recent,
            f"Last verified {_ago(now, event.at)}: " + ("intact." if ok else f"{event.reason}."),
            "Verify the chain on the Audit screen" + ("." if ok else " and investigate."),
        )

    def _flags(self, conn: Connection, now: datetime) -> CheckItem:
        limits = thresholds(conn)
        flags = compute_flags(conn, now, limits, practice_hours(conn))
        return _item(
            "activity",
            "Unusual activity",
            not flags,
            f"No unusual activity in the last {limits.lookback_days} days."
            if not flags
            else f"{_count(len(flags), 'unusual-activity flag')} in the last "
            f"{limits.lookback_days} days.",
            "Review each flag's events on the Today view.",
        )

    def _incidents(self, conn: Connection, today: date) -> CheckItem:
        zone = practice_hours(conn).zone
        open_ = IncidentRepository(conn).all(open_only=True)
        overdue = [
            i for i in open_ if i.needs_notification and i.notification_deadline(zone) < today
        ]
        return _item(
            "incidents",
            "Incidents",
            not open_,
            "No open incidents."
            if not open_
            else _count(len(open_), "open incident")
            + (f", {len(overdue)} past the 60-day notification deadline." if overdue else "."),
            "Finish each incident's assessment, notify where needed, and close it.",
        )

    def _training(self, conn: Connection, today: date) -> CheckItem:
        due = [t.username for t in collect_records(conn, today).training_due if t.is_due(today)]
        soon = [
            t.username
            for t in collect_records(conn, today).training_due
            if t.due_on and today < t.due_on <= today + timedelta(days=DUE_SOON_DAYS)
        ]
        finding = (
            "Everyone's security training is up to date."
            if not due
            else (f"Training due: {', '.join(due)}.")
        )
        if soon:
            finding += f" Due within {DUE_SOON_DAYS} days: {', '.join(soon)}."
        return _item(
            "training",
            "Security training",
            not due,
            finding,
            "Record this year's security training for each of them.",
        )

    def _associates(self, conn: Connection, today: date) -> CheckItem:
        associates = [a for a in collect_records(conn, today).associates if a.active]
        due = [a.vendor for a in associates if a.review_due(today)]
        unsigned = [a.vendor for a in associates if a.agreement_signed_on is None]
        good = not due and not unsigned
        finding = (
            f"{_count(len(associates), 'business associate')}, all agreements current."
            if good
            else (
                (f"Review due: {', '.join(due)}. " if due else "")
                + (f"No signed agreement: {', '.join(unsigned)}." if unsigned else "")
            )
        )
        return _item(
            "business_associates",
            "Business associates",
            good,
            finding.strip(),
            "Review each agreement and set the next review date.",
        )

    def _plan(self, conn: Connection, now: datetime) -> CheckItem:
        plan = collect_records(conn, now.date()).plan
        if plan is None:
            return _item(
                "response_plan",
                "Incident-response plan",
                False,
                "No written plan has been saved.",
                "Write the plan: roles, steps and contacts.",
            )
        return _item(
            "response_plan",
            "Incident-response plan",
            now - plan.saved_at <= PLAN_MAX_AGE,
            f"Version {plan.version}, saved {_ago(now, plan.saved_at)}.",
            "Review the plan and save it again (once a year).",
        )


def _render(
    report: SecurityCheckReport, records: SafeguardRecords, practice: str, time_zone: str
) -> bytes:
    # Loaded when the record is made, not at start-up: reportlab takes a while.
    from ehrdesk.reports.compliance import render_security_review  # noqa: PLC0415

    return render_security_review(report, records, practice, time_zone, __version__)
