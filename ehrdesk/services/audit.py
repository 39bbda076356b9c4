"""Reading and verifying the audit log, and the vault's self-check (`ehrdesk check`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ehrdesk.core.models import AuditEvent
from ehrdesk.core.permissions import Action
from ehrdesk.security import kdf
from ehrdesk.services.guard import requires
from ehrdesk.services.session import Session
from ehrdesk.storage.audit import ChainReport
from ehrdesk.storage.vault_file import VaultStore


@dataclass(frozen=True)
class CheckReport:
    database_problems: tuple[str, ...]
    chain: ChainReport
    weak_key_slots: int
    workstation_bound: bool

    @property
    def ok(self) -> bool:
        return not self.database_problems and self.chain.ok and not self.weak_key_slots


class AuditReview:
    def __init__(self, session: Session, store: VaultStore) -> None:
        self._session = session
        self._store = store

    @requires(Action.VIEW_AUDIT_LOG)
    def events(self, *, after_seq: int = 0, limit: int = 200) -> list[AuditEvent]:
        return list(self._session.audit_log().events(after_seq=after_seq, limit=limit))

    @requires(Action.VIEW_AUDIT_LOG)
    def newest_events(self, *, before_seq: int | None = None, limit: int = 200) -> list[AuditEvent]:
        """A page of the audit screen, newest first."""
        return list(self._session.audit_log().newest_events(before_seq=before_seq, limit=limit))

    @requires(Action.VIEW_AUDIT_LOG)
    def verify_chain(self, progress: Callable[[int, int], None] | None = None) -> ChainReport:
        report = self._session.audit_log().verify(self._store.load().audit_anchor, progress)
        with self._session.transaction() as tx:
            tx.audit("audit_chain_verified", reason="ok" if report.ok else "broken")
        return report

    @requires(Action.CHECK_VAULT)
    def check_vault(self) -> CheckReport:
        vault = self._store.load()
        problems = tuple(self._session.database.integrity_problems())
        chain = self._session.audit_log().verify(vault.audit_anchor)
        weak = sum(1 for slot in vault.slots if kdf.is_weak(slot.params))
        with self._session.transaction() as tx:
            tx.audit("vault_checked", reason="ok" if not problems and chain.ok else "problems")
        return CheckReport(problems, chain, weak, vault.workstation_binding)
