"""Client records: search, open, create, update; likely duplicates before a new one.

Opening a record (`open`) is a view and is audited (`client_viewed`); searching is not
a view of each record it lists. Every change is audited in its own transaction
(`client_created`, `client_updated` with the names of the fields that changed).
Audit events carry ids and action words only, never a name or any value.

A clinician reaches only the clients assigned to them (`schedule_rules.acting_for`);
a refused record is audited as `permission_denied` with the client's id.
"""

from __future__ import annotations

from datetime import date

from ehrdesk.core.client_rules import check_client
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import ConcurrentEditError, InvalidFields, InvalidInput
from ehrdesk.core.front_desk import (
    CLIENT_DRAFT_FIELDS,
    Client,
    ClientDraft,
    ClientOverview,
    ClientPage,
    ClientStatus,
    ClientSummary,
    Clinician,
)
from ehrdesk.core.permissions import Action
from ehrdesk.core.recurrence import to_local
from ehrdesk.core.search_terms import digits, query_words
from ehrdesk.services.guard import requires
from ehrdesk.services.schedule_rules import (
    acting_for,
    check_clinician,
    clinicians,
    practice_zone,
    refuse,
)
from ehrdesk.services.session import Session
from ehrdesk.storage.clients import ClientRepository

MAX_PAGE = 200


class Clients:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def _today(self) -> date:
        return to_local(self._clock.now(), practice_zone(self._session.database.conn)).date()

    @requires(Action.VIEW_CLIENTS)
    def search(
        self,
        query: str = "",
        *,
        status: ClientStatus | None = None,
        clinician_id: int | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> ClientPage:
        """A page of the client list, filtered by what was typed: each word must start
        a name, the date of birth as typed, or a run of a phone number's digits."""
        status = None if status is None else ClientStatus(status)
        own = acting_for(self._session)
        if own is not None:
            if clinician_id not in (None, own):
                raise refuse(self._session, "user", clinician_id)
            clinician_id = own
        limit = max(1, min(MAX_PAGE, limit))
        rows = ClientRepository(self._session.database.conn).search(
            query_words(query), status=status, clinician_id=clinician_id, after=after, limit=limit
        )
        return ClientPage(tuple(rows), rows[-1].sort_key if len(rows) == limit else None)

    @requires(Action.VIEW_CLIENTS)
    def clinicians(self) -> list[Clinician]:
        """Who clients can be assigned to (a clinician sees only themselves)."""
        own = acting_for(self._session)
        found = clinicians(self._session.database.conn)
        return [c for c in found if own is None or c.id == own]

    @requires(Action.VIEW_CLIENTS)
    def open(self, client_id: int) -> ClientOverview:
        """The whole record and its attendance counts; audited as a view."""
        own = acting_for(self._session)
        with self._session.transaction() as tx:
            repo = ClientRepository(tx.conn)
            client = repo.get(client_id)
            if own is not None and client.assigned_clinician_id != own:
                raise refuse(self._session, "client", client_id)
            no_shows, late, upcoming = repo.attendance(client_id, self._clock.now())
            tx.audit("client_viewed", object_type="client", object_id=str(client_id))
        return ClientOverview(client, no_shows, late, upcoming)

    def _checked(self, draft: ClientDraft) -> ClientDraft:
        draft = check_client(draft, self._today())
        if draft.assigned_clinician_id is not None:
            try:
                check_clinician(self._session.database.conn, draft.assigned_clinician_id)
            except InvalidInput as error:
                raise InvalidFields({"assigned_clinician_id": error.message}) from None
        return draft

    @requires(Action.EDIT_CLIENTS)
    def likely_duplicates(
        self, draft: ClientDraft, *, exclude_id: int | None = None
    ) -> list[ClientSummary]:
        """Records that may be this same person: the same name and date of birth, or
        the same phone number. The form shows them before a new record is saved."""
        return ClientRepository(self._session.database.conn).likely_duplicates(
            first=draft.legal_first_name,
            last=draft.legal_last_name,
            born=draft.date_of_birth,
            phone_digits=[digits(p) for p in (draft.phone_mobile, draft.phone_home) if p],
            exclude_id=exclude_id,
        )

    @requires(Action.EDIT_CLIENTS)
    def create(self, draft: ClientDraft) -> Client:
        draft = self._checked(draft)
        with self._session.transaction() as tx:
            client = ClientRepository(tx.conn).add(draft, self._clock.now())
            tx.audit("client_created", object_type="client", object_id=str(client.id))
        return client

    @requires(Action.EDIT_CLIENTS)
    def update(self, client_id: int, row_version: int, draft: ClientDraft) -> Client:
        """Save a changed record; ConcurrentEditError if someone saved it since
        `row_version` was read (nothing is overwritten)."""
        draft = self._checked(draft)
        with self._session.transaction() as tx:
            repo = ClientRepository(tx.conn)
            current = repo.get(client_id)
            if current.row_version != row_version:
                raise ConcurrentEditError
            before = ClientDraft.of(current)
            changed = [n for n in CLIENT_DRAFT_FIELDS if getattr(before, n) != getattr(draft, n)]
            if not changed:
                return current
            client = repo.update(current, draft, self._clock.now())
            tx.audit(
                "client_updated",
                object_type="client",
                object_id=str(client_id),
                reason=",".join(changed),
            )
        return client
