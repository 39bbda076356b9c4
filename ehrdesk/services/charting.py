"""Opening a chart: its header and its timeline, a page at a time; the Today view's
chart lists; and full-text search over the person's own notes.

Every chart opening is audited (`chart_opened`, the client's id and why this person
may open it: assigned, supervisor or emergency); the pages after the first and the
header refreshed after a change are part of that opening and are not. A search is
audited as `notes_searched` with the number of hits, never the words.
"""

from __future__ import annotations

from datetime import timedelta

from ehrdesk.core.chart import (
    ChartHeader,
    NoteSearchHit,
    OpenedChart,
    PlanReviewDue,
    TimelineCursor,
    TimelinePage,
    UnsignedNote,
)
from ehrdesk.core.permissions import Action
from ehrdesk.services.chart_access import ChartServiceBase, access_basis
from ehrdesk.services.guard import requires
from ehrdesk.storage.assessments import IntakeRepository, TreatmentPlanRepository
from ehrdesk.storage.chart import ChartRepository
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.diagnoses import DiagnosisRepository
from ehrdesk.storage.measures import MeasureRepository
from ehrdesk.storage.notes import NoteRepository
from ehrdesk.storage.users import UserRepository

PAGE = 50
MAX_SEARCH_HITS = 50
REVIEW_WINDOW_DAYS = 14


class Charts(ChartServiceBase):
    @requires(Action.VIEW_CHART)
    def open_chart(self, client_id: int, *, page_size: int = PAGE) -> OpenedChart:
        """The header and the newest page of the timeline; audited as one opening."""
        basis, _ = self._require_chart(client_id)
        header = self._header(client_id)
        page = ChartRepository(self._session.database.conn).timeline(
            client_id, viewer_id=self._me().id, before=None, limit=page_size
        )
        with self._session.transaction() as tx:
            tx.audit("chart_opened", object_type="client", object_id=str(client_id), reason=basis)
        return OpenedChart(header, page)

    @requires(Action.VIEW_CHART)
    def header(self, client_id: int) -> ChartHeader:
        """The header again, after a change made in the open chart."""
        self._require_chart(client_id)
        return self._header(client_id)

    @requires(Action.VIEW_CHART)
    def timeline_page(
        self, client_id: int, before: TimelineCursor | None, *, page_size: int = PAGE
    ) -> TimelinePage:
        self._require_chart(client_id)
        return ChartRepository(self._session.database.conn).timeline(
            client_id, viewer_id=self._me().id, before=before, limit=page_size
        )

    def _header(self, client_id: int) -> ChartHeader:
        conn = self._session.database.conn
        now = self._clock.now()
        found = access_basis(conn, self._me(), client_id, now)
        assert found is not None  # checked by the caller
        basis, grant = found
        name, born, pronouns, clinician_id = ClientRepository(conn).header(client_id)
        clinician = None if clinician_id is None else UserRepository(conn).get(clinician_id)
        measures = MeasureRepository(conn)
        flags: list[str] = []
        flagged_at = measures.latest_phq9_flag(client_id)
        if flagged_at is not None:
            when = flagged_at.astimezone().strftime("%d %b %Y")
            flags.append(f"PHQ-9 item 9 above zero ({when}): ask about thoughts of self-harm")
        intake = IntakeRepository(conn).latest(client_id)
        if intake is not None:
            for label, level in (
                ("Suicide risk", intake.risk.suicide),
                ("Self-harm risk", intake.risk.self_harm),
                ("Violence risk", intake.risk.violence),
            ):
                if level.flagged:
                    flags.append(f"{label}: {level.label.lower()} (intake)")
        return ChartHeader(
            client_id=client_id,
            display_name=name,
            date_of_birth=born,
            pronouns=pronouns,
            assigned_clinician_id=clinician_id,
            assigned_clinician_name=None if clinician is None else clinician.full_name,
            active_diagnoses=tuple(
                DiagnosisRepository(conn).for_client(client_id, active_only=True)
            ),
            risk_flags=tuple(flags),
            scores=tuple(measures.recent_scores(client_id)),
            access=basis,
            emergency=grant,
        )

    # The Today view --------------------------------------------------------------

    @requires(Action.WRITE_NOTES)
    def unsigned_notes(self) -> list[UnsignedNote]:
        """The signed-in person's own drafts, oldest service first."""
        return NoteRepository(self._session.database.conn).unsigned(self._me().id)

    @requires(Action.MANAGE_TREATMENT_PLANS)
    def plan_reviews_due(self, within_days: int = REVIEW_WINDOW_DAYS) -> list[PlanReviewDue]:
        """Plans in force for the person's own clients whose review is due soon."""
        by = (self._clock.now() + timedelta(days=within_days)).date()
        return TreatmentPlanRepository(self._session.database.conn).reviews_due(by, self._me().id)

    # Search ------------------------------------------------------------------------

    @requires(Action.VIEW_CHART)
    def search_notes(self, query: str, *, limit: int = MAX_SEARCH_HITS) -> list[NoteSearchHit]:
        """The person's own notes and addenda holding every word typed (each as the
        start of a word), newest first, in charts they may open now."""
        me, now = self._me(), self._clock.now()
        conn = self._session.database.conn
        hits = NoteRepository(conn).search(query, me.id, max(1, min(limit, 200)))
        allowed: dict[int, bool] = {}
        kept = []
        for hit in hits:
            if hit.client_id not in allowed:
                allowed[hit.client_id] = access_basis(conn, me, hit.client_id, now) is not None
            if allowed[hit.client_id]:
                kept.append(hit)
        with self._session.transaction() as tx:
            tx.audit("notes_searched", reason=f"{len(kept)} hits")
        return kept
