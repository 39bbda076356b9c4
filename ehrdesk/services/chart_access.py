"""Whose chart a person may open, and the plumbing every chart service shares.

The roles table (core/permissions.py) says whether a role does chart work at all; this
module decides it per client:

- a clinician opens the charts of clients assigned to them;
- the owner opens every chart, as the practice's clinical supervisor (DESIGN §1: the
  owner does "everything below"), but never reads another person's psychotherapy
  notes: those are their author's alone, whoever asks;
- anyone else's chart needs emergency access: a stated reason, a time limit, an audit
  event, a banner while it is open and a notice on the owner's Today view.

A refusal is audited (`chart_access_denied`, the client's id only) in its own
transaction before `ChartAccessRequired` is raised, so it survives the rollback of
whatever the caller was doing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ehrdesk.core.chart import MAX_TEXT_CHARS, AccessBasis, EmergencyGrant
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import AuthenticationFailed, ChartAccessRequired, InvalidInput
from ehrdesk.core.models import Role, User
from ehrdesk.services.auth import Auth
from ehrdesk.services.session import Session, Transaction
from ehrdesk.storage.audit import last_event_about
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.database import Connection
from ehrdesk.storage.emergency import EmergencyAccessRepository

#: Saves of one draft by one person within this long are one audit event: an editor
#: autosaves every few seconds, and the log should say "edited", not every keystroke.
EDIT_AUDIT_INTERVAL = timedelta(minutes=15)

TOO_LONG = (
    f"This text is too long to save ({MAX_TEXT_CHARS:,} characters at most); nothing was "
    "lost: what was saved before is kept."
)


def access_basis(
    conn: Connection, user: User, client_id: int, now: datetime
) -> tuple[AccessBasis, EmergencyGrant | None] | None:
    """Why `user` may open this client's chart now, or None. NotFound for no client."""
    assigned = ClientRepository(conn).assigned_clinician(client_id)
    if assigned == user.id:
        return AccessBasis.ASSIGNED, None
    grant = EmergencyAccessRepository(conn).active(user.id, client_id, now)
    if grant is not None:
        return AccessBasis.EMERGENCY, grant
    if user.role is Role.OWNER:
        return AccessBasis.SUPERVISOR, None
    return None


def check_length(*texts: str) -> None:
    if sum(len(t) for t in texts) > MAX_TEXT_CHARS:
        raise InvalidInput(TOO_LONG)


class ChartServiceBase:
    """What the chart services share: the session, the clock, the access check and the
    signature (a re-entered password, counted by the sign-in throttle)."""

    def __init__(self, session: Session, clock: Clock, auth: Auth) -> None:
        self._session = session
        self._clock = clock
        self._auth = auth

    def _me(self) -> User:
        return self._session.current_user()

    def _require_chart(self, client_id: int) -> tuple[AccessBasis, EmergencyGrant | None]:
        user = self._me()
        basis = access_basis(self._session.database.conn, user, client_id, self._clock.now())
        if basis is None:
            with self._session.transaction() as tx:
                tx.audit("chart_access_denied", object_type="client", object_id=str(client_id))
            raise ChartAccessRequired
        return basis

    def _audit_edit(self, tx: Transaction, action: str, object_type: str, object_id: int) -> None:
        """Audit a draft's save, unless the newest event about it is this person's
        creation or save within EDIT_AUDIT_INTERVAL (the same stretch of typing)."""
        last = last_event_about(tx.conn, object_type, str(object_id))
        if last is not None:
            last_action, user_id, at = last
            recent = at >= self._clock.now() - EDIT_AUDIT_INTERVAL
            ours = last_action == action or last_action.endswith("_created")
            if ours and recent and user_id == self._me().id:
                return
        tx.audit(action, object_type=object_type, object_id=str(object_id))

    def _confirm_signature(self, password: str) -> None:
        """The signer's own password, again. A wrong one counts toward the throttle like
        any re-entry and is told only that it is not right."""
        user = self._me()
        key = self._auth.verify_password(user.username, password, kind="sign")
        if key != self._session.reauthenticate_key():
            raise AuthenticationFailed("That password is not right.")
        self._auth.forget_failures(user.username)
