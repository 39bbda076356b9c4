"""Emergency access ("break the glass"): opening the chart of a client who is not
assigned to you, for a stated reason and a limited time.

The reason has a category, which the audit event carries, and the person's own words,
which stay in the encrypted `emergency_access` table and never in the log (they may
name the client's situation). A grant lasts 15 minutes to 4 hours (one hour unless
said otherwise) and can be ended early; while it lasts the chart shows a banner, and
the owner's Today view lists it until the owner has acknowledged it. The owner reviews
every use (`uses`) on the Emergency access screen, and the audit report lists those
of its period.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.chart import EmergencyGrant, EmergencyNotice, EmergencyUse, ReasonCategory
from ehrdesk.core.errors import InvalidInput, PermissionDenied
from ehrdesk.core.permissions import Action
from ehrdesk.services.chart_access import ChartServiceBase
from ehrdesk.services.guard import requires
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.emergency import EmergencyAccessRepository

DEFAULT_MINUTES = 60
MIN_MINUTES = 15
MAX_MINUTES = 4 * 60
MAX_REASON = 500


class EmergencyAccess(ChartServiceBase):
    @requires(Action.EMERGENCY_ACCESS)
    def request_access(
        self,
        client_id: int,
        category: ReasonCategory,
        reason: str,
        *,
        minutes: int = DEFAULT_MINUTES,
    ) -> EmergencyGrant:
        reason = " ".join(reason.split())
        if not reason:
            raise InvalidInput(
                "Please say why you need this chart; emergency access needs a reason."
            )
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"Please keep the reason under {MAX_REASON} characters.")
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise InvalidInput(f"Emergency access lasts {MIN_MINUTES} minutes to 4 hours.")
        me, now = self._me(), self._clock.now()
        with self._session.transaction() as tx:
            if ClientRepository(tx.conn).assigned_clinician(client_id) == me.id:
                raise InvalidInput("This client is assigned to you; the chart opens as usual.")
            grant = EmergencyAccessRepository(tx.conn).add(
                me.id, client_id, category, reason, now, now + timedelta(minutes=minutes)
            )
            tx.audit(
                actions.EMERGENCY_ACCESS_GRANTED,
                object_type="client",
                object_id=str(client_id),
                reason=category.value,
            )
        return grant

    @requires(Action.EMERGENCY_ACCESS)
    def end_access(self, grant: EmergencyGrant) -> EmergencyGrant:
        stored = EmergencyAccessRepository(self._session.database.conn).get(grant.id)
        if stored.user_id != self._me().id:
            raise PermissionDenied("Only the person who asked for emergency access can end it.")
        with self._session.transaction() as tx:
            ended = EmergencyAccessRepository(tx.conn).end(
                dataclasses.replace(stored, row_version=grant.row_version), self._clock.now()
            )
            tx.audit(
                actions.EMERGENCY_ACCESS_ENDED, object_type="client", object_id=str(grant.client_id)
            )
        return ended

    @requires(Action.REVIEW_EMERGENCY_ACCESS)
    def notices(self) -> list[EmergencyNotice]:
        """Every grant the owner has not acknowledged yet (the Today view)."""
        return EmergencyAccessRepository(self._session.database.conn).waiting()

    @requires(Action.REVIEW_EMERGENCY_ACCESS)
    def uses(self, *, waiting_only: bool = False) -> list[EmergencyUse]:
        """Every use of emergency access, newest first (the owner's review): who, whose
        chart, when, why (the category), for how long, and whether acknowledged."""
        return EmergencyAccessRepository(self._session.database.conn).uses(
            waiting_only=waiting_only
        )

    @requires(Action.REVIEW_EMERGENCY_ACCESS)
    def grant(self, grant_id: int) -> EmergencyGrant:
        """One grant with its reason, for the owner's review."""
        return EmergencyAccessRepository(self._session.database.conn).get(grant_id)

    @requires(Action.REVIEW_EMERGENCY_ACCESS)
    def acknowledge(self, grant: EmergencyGrant) -> EmergencyGrant:
        with self._session.transaction() as tx:
            acked = EmergencyAccessRepository(tx.conn).acknowledge(
                grant, self._me().id, self._clock.now()
            )
            tx.audit(
                actions.EMERGENCY_ACCESS_ACKNOWLEDGED,
                object_type="emergency_access",
                object_id=str(grant.id),
            )
        return acked
