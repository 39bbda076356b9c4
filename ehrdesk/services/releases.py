"""Releases of information: what a client signed to let their record go to someone.

Recorded from the client's signed form (recipient, what may be shared, purpose, the day
signed and the day it expires), with the scanned form kept as a BLOB inside the
encrypted database: the bytes come from the UI and never touch a file here. Or the
client signs on screen: the authorisation with their drawn signature becomes a PDF
(reports/release_form.py), kept the same way. A release
is revoked, never changed or deleted; its form may be replaced by a better scan until
a disclosure has been made under it, and from then on it is the evidence.

Who: those who may hand out the client's record (the chart's access rule: their own
clients, the owner as supervisor, anyone under emergency access). Every change and
every viewing of a form is audited against the client, with ids only.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from ehrdesk import __version__
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.permissions import Action
from ehrdesk.core.records import Release, ReleaseDraft, SignedForm
from ehrdesk.core.recurrence import to_local
from ehrdesk.services.chart_access import access_basis
from ehrdesk.services.guard import RecordRefused, requires
from ehrdesk.services.schedule_rules import practice_zone, schedule_settings
from ehrdesk.services.session import Session, Transaction
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.releases import ReleaseRepository
from ehrdesk.storage.users import SettingsRepository

FORM_KEPT = "A disclosure was made under this release, so its signed form is kept as it is."
BAD_SIGNATURE = "The signature could not be read; ask the client to sign again."


def check_record_access(session: Session, client_id: int, now_clock: Clock) -> None:
    """RecordRefused unless the signed-in person may see this client's chart now."""
    conn = session.database.conn
    if access_basis(conn, session.current_user(), client_id, now_clock.now()) is None:
        raise RecordRefused("client", client_id)


class Releases:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def _today(self) -> date:
        return to_local(self._clock.now(), practice_zone(self._session.database.conn)).date()

    def _audit(self, tx: Transaction, action: str, release: Release) -> None:
        tx.audit(
            action,
            object_type="client",
            object_id=str(release.client_id),
            reason=f"release {release.id}",
        )

    @requires(Action.MANAGE_RELEASES)
    def releases(self, client_id: int) -> list[Release]:
        """The client's releases, newest signed first."""
        check_record_access(self._session, client_id, self._clock)
        return ReleaseRepository(self._session.database.conn).for_client(client_id)

    @requires(Action.MANAGE_RELEASES)
    def record(
        self, client_id: int, draft: ReleaseDraft, signed_form: bytes | None = None
    ) -> Release:
        """A release as the client signed it, with the scanned form if there is one."""
        checked = draft.checked(self._today())
        form = None if signed_form is None else SignedForm.from_bytes(signed_form)
        check_record_access(self._session, client_id, self._clock)
        me, now = self._session.current_user(), self._clock.now()
        with self._session.transaction() as tx:
            repo = ReleaseRepository(tx.conn)
            release = repo.add(client_id, checked, me.id, now)
            if form is not None:
                repo.attach_form(release.id, form, me.id, now)
                release = repo.get(release.id)
            self._audit(tx, "release_recorded", release)
        return release

    @requires(Action.MANAGE_RELEASES)
    def attach_form(self, release: Release, signed_form: bytes) -> Release:
        form = SignedForm.from_bytes(signed_form)
        stored = ReleaseRepository(self._session.database.conn).get(release.id)
        check_record_access(self._session, stored.client_id, self._clock)
        if stored.used:
            raise InvalidInput(FORM_KEPT)
        with self._session.transaction() as tx:
            repo = ReleaseRepository(tx.conn)
            repo.attach_form(stored.id, form, self._session.current_user().id, self._clock.now())
            self._audit(tx, "release_form_attached", stored)
            return repo.get(stored.id)

    @requires(Action.MANAGE_RELEASES)
    def sign_on_screen(self, release: Release, signature_png: bytes) -> Release:
        """The client signed the release on screen: keep the authorisation with their
        signature as the release's signed form (a PDF)."""
        from ehrdesk.reports.release_form import (  # noqa: PLC0415 - loads reportlab
            ReleaseForm,
            render_release_form,
            signature_size,
        )

        signature = SignedForm.from_bytes(signature_png)
        if signature.media_type != "image/png":
            raise InvalidInput(BAD_SIGNATURE)
        try:
            signature_size(signature.data)
        except ValueError:
            raise InvalidInput(BAD_SIGNATURE) from None
        conn = self._session.database.conn
        stored = ReleaseRepository(conn).get(release.id)
        check_record_access(self._session, stored.client_id, self._clock)
        if stored.used:
            raise InvalidInput(FORM_KEPT)
        client = ClientRepository(conn).get(stored.client_id)
        now = self._clock.now()
        pdf = render_release_form(
            ReleaseForm(
                practice_name=str(SettingsRepository(conn).get("practice_name", "")),
                client_name=client.display_name,
                client_born=client.date_of_birth,
                release=stored,
                signature_png=signature.data,
                signed_at=now,
                time_zone=schedule_settings(conn).time_zone,
                generated_at=now,
                app_version=__version__,
            )
        )
        with self._session.transaction() as tx:
            repo = ReleaseRepository(tx.conn)
            form = SignedForm.from_bytes(pdf)
            repo.attach_form(stored.id, form, self._session.current_user().id, now)
            self._audit(tx, "release_signed_on_screen", stored)
            return repo.get(stored.id)

    @requires(Action.MANAGE_RELEASES)
    def signed_form(self, release_id: int) -> SignedForm:
        """The scanned form, to show; audited as a view of the client's record."""
        repo = ReleaseRepository(self._session.database.conn)
        release = repo.get(release_id)
        check_record_access(self._session, release.client_id, self._clock)
        form = repo.form(release_id)
        with self._session.transaction() as tx:
            self._audit(tx, "release_form_viewed", release)
        return form

    @requires(Action.MANAGE_RELEASES)
    def revoke(self, release: Release) -> Release:
        """The client withdrew it: from now on nothing is shared under it."""
        stored = ReleaseRepository(self._session.database.conn).get(release.id)
        check_record_access(self._session, stored.client_id, self._clock)
        if stored.revoked_at is not None:
            raise InvalidInput("This release was revoked already.")
        with self._session.transaction() as tx:
            revoked = ReleaseRepository(tx.conn).revoke(
                dataclasses.replace(stored, row_version=release.row_version),
                self._session.current_user().id,
                self._clock.now(),
            )
            self._audit(tx, "release_revoked", revoked)
        return revoked
