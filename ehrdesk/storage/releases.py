"""Releases of information, their signed forms, and the accounting of disclosures.

Invariants (the schema's triggers keep them too): what the client signed is never
changed, only revoked; a release is never deleted; a signed form may be replaced only
until a disclosure has been made under its release; a disclosure is never changed or
removed. Listing releases never reads the scanned forms (they live in their own table).
"""

from __future__ import annotations

from datetime import date, datetime

from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.core.records import (
    Delivery,
    Disclosure,
    LegalBasis,
    Release,
    ReleaseDraft,
    SignedForm,
    decode_categories,
    encode_categories,
)
from ehrdesk.storage.database import Connection
from ehrdesk.storage.stamps import parse_stamp, stamp

_RELEASE = (
    "r.id, r.client_id, r.recipient, r.recipient_contact, r.categories, r.purpose, "
    "r.signed_on, r.expires_on, r.revoked_at, f.media_type, coalesce(f.size, 0), "
    "r.created_at, u.full_name, "
    "EXISTS (SELECT 1 FROM disclosure d WHERE d.release_id = r.id), r.row_version"
)
_RELEASE_FROM = (
    "release_of_information r JOIN user u ON u.id = r.created_by "
    "LEFT JOIN release_form f ON f.release_id = r.id"
)
_DISCLOSURE = (
    "d.id, d.client_id, d.disclosed_at, d.recipient, d.categories, d.purpose, d.release_id, "
    "d.legal_basis, d.legal_detail, d.period_from, d.period_until, d.delivery, u.full_name"
)


def _day(value: object) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _release(row: tuple[object, ...]) -> Release:
    rid, client, recipient, contact, categories, purpose, signed, expires = row[:8]
    revoked, form_type, form_size, created, by, used, version = row[8:]
    signed_on, expires_on = _day(signed), _day(expires)
    assert signed_on is not None and expires_on is not None
    return Release(
        id=int(str(rid)),
        client_id=int(str(client)),
        recipient=str(recipient),
        recipient_contact=str(contact),
        categories=decode_categories(str(categories)),
        purpose=str(purpose),
        signed_on=signed_on,
        expires_on=expires_on,
        revoked_at=None if revoked is None else parse_stamp(str(revoked)),
        form_type=None if form_type is None else str(form_type),
        form_size=int(str(form_size)),
        created_at=parse_stamp(str(created)),
        created_by_name=str(by),
        used=bool(used),
        row_version=int(str(version)),
    )


def _disclosure(row: tuple[object, ...]) -> Disclosure:
    did, client, at, recipient, categories, purpose, release, basis = row[:8]
    detail, since, until, delivery, by = row[8:]
    return Disclosure(
        id=int(str(did)),
        client_id=int(str(client)),
        disclosed_at=parse_stamp(str(at)),
        recipient=str(recipient),
        categories=decode_categories(str(categories)),
        purpose=str(purpose),
        release_id=None if release is None else int(str(release)),
        legal_basis=None if basis is None else LegalBasis(str(basis)),
        legal_detail=str(detail),
        since=_day(since),
        until=_day(until),
        delivery=Delivery(str(delivery)),
        by_name=str(by),
    )


class ReleaseRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, client_id: int, draft: ReleaseDraft, user_id: int, now: datetime) -> Release:
        cur = self._conn.execute(
            "INSERT INTO release_of_information (client_id, recipient, recipient_contact, "
            "categories, purpose, signed_on, expires_on, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                client_id,
                draft.recipient,
                draft.recipient_contact,
                encode_categories(draft.categories),
                draft.purpose,
                draft.signed_on.isoformat(),
                draft.expires_on.isoformat(),
                stamp(now),
                user_id,
            ),
        )
        return self.get(int(cur.lastrowid))

    def get(self, release_id: int) -> Release:
        row = self._conn.execute(
            f"SELECT {_RELEASE} FROM {_RELEASE_FROM} WHERE r.id = ?",  # noqa: S608 - constants
            (release_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That release of information does not exist.")
        return _release(row)

    def for_client(self, client_id: int) -> list[Release]:
        """Newest signed first."""
        rows = self._conn.execute(
            f"SELECT {_RELEASE} FROM {_RELEASE_FROM} WHERE r.client_id = ? "  # noqa: S608 - constants
            "ORDER BY r.signed_on DESC, r.id DESC",
            (client_id,),
        )
        return [_release(r) for r in rows]

    def revoke(self, release: Release, user_id: int, now: datetime) -> Release:
        cur = self._conn.execute(
            "UPDATE release_of_information SET revoked_at = ?, revoked_by = ?, "
            "row_version = row_version + 1 WHERE id = ? AND row_version = ? "
            "AND revoked_at IS NULL",
            (stamp(now), user_id, release.id, release.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(release.id)

    def attach_form(self, release_id: int, form: SignedForm, user_id: int, now: datetime) -> None:
        self._conn.execute(
            "INSERT INTO release_form (release_id, media_type, data, size, attached_at, "
            "attached_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (release_id) DO UPDATE SET "
            "media_type = excluded.media_type, data = excluded.data, size = excluded.size, "
            "attached_at = excluded.attached_at, attached_by = excluded.attached_by",
            (release_id, form.media_type, form.data, len(form.data), stamp(now), user_id),
        )

    def form(self, release_id: int) -> SignedForm:
        row = self._conn.execute(
            "SELECT media_type, data FROM release_form WHERE release_id = ?", (release_id,)
        ).fetchone()
        if row is None:
            raise NotFound("No signed form is attached to this release yet.")
        return SignedForm(str(row[0]), bytes(row[1]))


class DisclosureRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self,
        *,
        client_id: int,
        at: datetime,
        recipient: str,
        categories: str,
        purpose: str,
        release_id: int | None,
        legal_basis: LegalBasis | None,
        legal_detail: str,
        since: date | None,
        until: date | None,
        delivery: Delivery,
        user_id: int,
    ) -> int:
        cur = self._conn.execute(
            "INSERT INTO disclosure (client_id, disclosed_at, recipient, categories, purpose, "
            "release_id, legal_basis, legal_detail, period_from, period_until, delivery, "
            "disclosed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                client_id,
                stamp(at),
                recipient,
                categories,
                purpose,
                release_id,
                None if legal_basis is None else legal_basis.value,
                legal_detail,
                None if since is None else since.isoformat(),
                None if until is None else until.isoformat(),
                delivery.value,
                user_id,
            ),
        )
        return int(cur.lastrowid)

    def for_client(self, client_id: int) -> list[Disclosure]:
        """Newest first."""
        rows = self._conn.execute(
            f"SELECT {_DISCLOSURE} FROM disclosure d JOIN user u ON u.id = d.disclosed_by "  # noqa: S608 - constants
            "WHERE d.client_id = ? ORDER BY d.disclosed_at DESC, d.id DESC",
            (client_id,),
        )
        return [_disclosure(r) for r in rows]
