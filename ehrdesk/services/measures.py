"""PHQ-9 and GAD-7: entered by the clinician, or by the client on the workstation's
full-screen form, which ends by locking the session so the client cannot wander into
the app. Scored with the published bands (core/measures.py); a PHQ-9 with item 9
above zero flags the chart."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from ehrdesk.core.chart import MeasureResult
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.measures import Instrument, score
from ehrdesk.core.permissions import Action
from ehrdesk.services.chart_access import ChartServiceBase
from ehrdesk.services.guard import requires
from ehrdesk.storage.measures import MeasureRepository


class Measures(ChartServiceBase):
    @requires(Action.RECORD_MEASURES)
    def record_measure(
        self,
        client_id: int,
        instrument: Instrument,
        answers: list[int],
        *,
        administered_at: datetime | None = None,
    ) -> MeasureResult:
        return self._record(client_id, instrument, answers, administered_at, by_client=False)

    @requires(Action.RECORD_MEASURES)
    def begin_client_form(self, client_id: int, instrument: Instrument) -> None:
        """The clinician hands the workstation to the client for one questionnaire."""
        self._require_chart(client_id)
        with self._session.transaction() as tx:
            tx.audit(
                "client_form_started",
                object_type="client",
                object_id=str(client_id),
                reason=instrument.value,
            )

    @requires(Action.RECORD_MEASURES)
    def submit_client_form(
        self, client_id: int, instrument: Instrument, answers: list[int]
    ) -> MeasureResult:
        """Record what the client answered, then lock: the next person at the screen
        needs the clinician's password."""
        result = self._record(client_id, instrument, answers, None, by_client=True)
        self._session.lock(reason="client_form")
        return result

    @requires(Action.VIEW_CHART)
    def measures(self, client_id: int) -> list[MeasureResult]:
        self._require_chart(client_id)
        return MeasureRepository(self._session.database.conn).for_client(client_id)

    @requires(Action.RECORD_MEASURES)
    def void_measure(self, result: MeasureResult) -> MeasureResult:
        """Mark a result entered in error; it stays in the chart, crossed out."""
        stored = MeasureRepository(self._session.database.conn).get(result.id)
        self._require_chart(stored.client_id)
        with self._session.transaction() as tx:
            voided = MeasureRepository(tx.conn).void(
                dataclasses.replace(stored, row_version=result.row_version),
                self._me().id,
                self._clock.now(),
            )
            tx.audit("measure_voided", object_type="measure", object_id=str(result.id))
        return voided

    def _record(
        self,
        client_id: int,
        instrument: Instrument,
        answers: list[int],
        administered_at: datetime | None,
        *,
        by_client: bool,
    ) -> MeasureResult:
        scored = score(instrument, answers)
        now = self._clock.now()
        when = administered_at or now
        if when > now:
            raise InvalidInput("A measure cannot be dated in the future.")
        self._require_chart(client_id)
        with self._session.transaction() as tx:
            result = MeasureRepository(tx.conn).add(
                client_id,
                scored,
                administered_at=when,
                entered_by=self._me().id,
                by_client=by_client,
                now=now,
            )
            tx.audit(
                "measure_recorded",
                object_type="measure",
                object_id=str(result.id),
                reason="client form" if by_client else None,
            )
        return result
