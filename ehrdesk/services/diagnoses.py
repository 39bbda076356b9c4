"""Diagnoses from ICD-10-CM: search the code set, add a diagnosis with its onset and
primary flag, change its status; every change is kept in its history.

A diagnosis names a code from the code set as it stands (the description is copied
when it is added); a code that is not in ICD-10-CM is refused. There is one primary
diagnosis at most: marking another primary clears the old one, in history too.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from ehrdesk.core.chart import CodeMatch, Diagnosis, DiagnosisChange, DiagnosisStatus
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.permissions import Action
from ehrdesk.services.auth import Auth
from ehrdesk.services.chart_access import ChartServiceBase
from ehrdesk.services.guard import requires
from ehrdesk.services.icd10 import CodeIndex
from ehrdesk.services.session import Session
from ehrdesk.storage.diagnoses import DiagnosisRepository


class Diagnoses(ChartServiceBase):
    def __init__(self, session: Session, clock: Clock, auth: Auth, codes: CodeIndex) -> None:
        super().__init__(session, clock, auth)
        self.codes = codes

    @requires(Action.MANAGE_DIAGNOSES)
    def search_codes(self, query: str, *, limit: int = 50) -> list[CodeMatch]:
        """Codes whose code starts with the query, or whose words start with each word
        typed; mental and behavioural disorders (F) first. No client data: not audited."""
        return self.codes.search(query, max(1, min(limit, 500)))

    @requires(Action.VIEW_CHART)
    def diagnoses(self, client_id: int) -> list[Diagnosis]:
        self._require_chart(client_id)
        return DiagnosisRepository(self._session.database.conn).for_client(client_id)

    @requires(Action.VIEW_CHART)
    def history(self, diagnosis: Diagnosis) -> list[DiagnosisChange]:
        self._require_chart(diagnosis.client_id)
        return DiagnosisRepository(self._session.database.conn).history(diagnosis.id)

    @requires(Action.MANAGE_DIAGNOSES)
    def add_diagnosis(
        self, client_id: int, code: str, *, onset: date | None = None, primary: bool = False
    ) -> Diagnosis:
        match = self.codes.describe(code.strip())
        if match is None:
            raise InvalidInput("That is not an ICD-10-CM code; pick one from the search.")
        if onset is not None and onset > self._clock.now().date():
            raise InvalidInput("The onset cannot be in the future.")
        self._require_chart(client_id)
        with self._session.transaction() as tx:
            diagnosis = DiagnosisRepository(tx.conn).add(
                client_id,
                match.code,
                match.description,
                onset,
                primary,
                self._me().id,
                self._clock.now(),
            )
            tx.audit("diagnosis_added", object_type="diagnosis", object_id=str(diagnosis.id))
        return diagnosis

    @requires(Action.MANAGE_DIAGNOSES)
    def change_diagnosis(
        self, diagnosis: Diagnosis, *, status: DiagnosisStatus, primary: bool
    ) -> Diagnosis:
        """A new status or primary flag, appended to the history; the code never changes."""
        stored = DiagnosisRepository(self._session.database.conn).get(diagnosis.id)
        self._require_chart(stored.client_id)
        if stored.status is DiagnosisStatus.ENTERED_IN_ERROR:
            raise InvalidInput("A diagnosis entered in error stays so; add the right one.")
        with self._session.transaction() as tx:
            changed = DiagnosisRepository(tx.conn).change(
                dataclasses.replace(stored, row_version=diagnosis.row_version),
                status=status,
                primary=primary,
                user_id=self._me().id,
                now=self._clock.now(),
            )
            tx.audit(
                "diagnosis_changed",
                object_type="diagnosis",
                object_id=str(diagnosis.id),
                reason=status.value,
            )
        return changed
