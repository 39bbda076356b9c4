"""Clients and their search terms: the only SQL that reads or writes `client`.

Invariants: a client's `client_search_term` rows are rewritten in the same
transaction as the client (search never finds a stale name); `sort_key` is written
here and never by a person; an update that does not match the `row_version` read
raises `ConcurrentEditError` and changes nothing.

Search picks one of two query shapes per query (see `search`), so that a rare word
and a one-letter prefix matching thousands are both one short index walk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.core.front_desk import (
    CLIENT_DRAFT_FIELDS,
    Client,
    ClientDraft,
    ClientStatus,
    ClientSummary,
    ContactMethod,
)
from ehrdesk.core.search_terms import client_terms, fold, prefix_upper_bound, sort_key
from ehrdesk.storage.database import Connection, limit_sql
from ehrdesk.storage.stamps import parse_stamp, stamp

_BOOL_FIELDS = {"ok_to_leave_voicemail", "ok_to_text", "ok_to_email"}
_COLUMNS = ("id", *CLIENT_DRAFT_FIELDS, "created_at", "updated_at", "row_version")
_SELECT = ", ".join(_COLUMNS)
_SUMMARY = (
    "c.id, c.legal_last_name, c.legal_first_name, c.preferred_name, c.date_of_birth, "
    "c.phone_mobile, c.phone_home, c.status, c.assigned_clinician_id, c.sort_key"
)
#: Search picks its query shape by how many terms the rarest word matches (counted
#: up to this many). At most this many: that word's terms drive (one index range),
#: the covering `client_keyset` index filters and sorts the candidates, and whole
#: rows are read for one page only. More (a letter, "555"): matches are usually dense,
#: so the list is walked in order, with one index probe per word, through at most
#: WALK_WINDOW clients; if that does not fill a page (the word is a surname prefix
#: whose clients sit together far down the list: "Wa"), the rare-word shape runs
#: after all. Tuned with bench/front_desk.py on the 100,000-client demo practice.
DRIVE_UP_TO = 2_000
WALK_WINDOW = 3_000
CHOOSE_UP_TO = 20_000
#: Page-sized lists of ids are bound in groups of this many (the rest padded with an
#: id no client has), so a page of 37 and one of 41 share one prepared statement.
ID_GROUP = 25


def _client(row: Sequence[object]) -> Client:
    values = dict(zip(_COLUMNS, row, strict=True))
    return Client(
        id=int(str(values["id"])),
        legal_first_name=str(values["legal_first_name"]),
        legal_middle_name=str(values["legal_middle_name"]),
        legal_last_name=str(values["legal_last_name"]),
        preferred_name=str(values["preferred_name"]),
        date_of_birth=date.fromisoformat(str(values["date_of_birth"])),
        pronouns=str(values["pronouns"]),
        phone_mobile=str(values["phone_mobile"]),
        phone_home=str(values["phone_home"]),
        email=str(values["email"]),
        preferred_contact=ContactMethod(str(values["preferred_contact"])),
        ok_to_leave_voicemail=bool(values["ok_to_leave_voicemail"]),
        ok_to_text=bool(values["ok_to_text"]),
        ok_to_email=bool(values["ok_to_email"]),
        address_line1=str(values["address_line1"]),
        address_line2=str(values["address_line2"]),
        city=str(values["city"]),
        region=str(values["region"]),
        postal_code=str(values["postal_code"]),
        emergency_name=str(values["emergency_name"]),
        emergency_relationship=str(values["emergency_relationship"]),
        emergency_phone=str(values["emergency_phone"]),
        insurance_payer=str(values["insurance_payer"]),
        insurance_member_id=str(values["insurance_member_id"]),
        insurance_group=str(values["insurance_group"]),
        assigned_clinician_id=(
            None
            if values["assigned_clinician_id"] is None
            else int(str(values["assigned_clinician_id"]))
        ),
        status=ClientStatus(str(values["status"])),
        admin_notes=str(values["admin_notes"]),
        created_at=parse_stamp(str(values["created_at"])),
        updated_at=parse_stamp(str(values["updated_at"])),
        row_version=int(str(values["row_version"])),
    )


def display_name(last: str, first: str, preferred: str) -> str:
    """As `Client.display_name` says it: "Last, First (Preferred)"."""
    if preferred and preferred != first:
        first = f"{first} ({preferred})"
    return f"{last}, {first}"


#: `display_name` as SQL over the client table aliased `c`: the one fragment that lists
#: joining the client table (notes to sign, plans due, emergency notices) name it by.
CLIENT_NAME_SQL = (
    "c.legal_last_name || ', ' || c.legal_first_name || "
    "CASE WHEN c.preferred_name != '' AND c.preferred_name != c.legal_first_name "
    "THEN ' (' || c.preferred_name || ')' ELSE '' END"
)


def _summary(row: Sequence[object]) -> ClientSummary:
    cid, last, first, preferred, born, mobile, home, status, clinician, key = row
    return ClientSummary(
        id=int(str(cid)),
        display_name=display_name(str(last), str(first), str(preferred)),
        date_of_birth=date.fromisoformat(str(born)),
        phone=str(mobile or home),
        status=ClientStatus(str(status)),
        assigned_clinician_id=None if clinician is None else int(str(clinician)),
        sort_key=str(key),
    )


def _draft_values(draft: ClientDraft) -> list[object]:
    values: list[object] = []
    for name in CLIENT_DRAFT_FIELDS:
        value = getattr(draft, name)
        if name in _BOOL_FIELDS:
            value = int(value)
        elif name == "date_of_birth":
            value = value.isoformat()
        elif name in ("status", "preferred_contact"):
            value = value.value
        values.append(value)
    return values


def terms_for(draft: ClientDraft) -> set[str]:
    return client_terms(
        names=(
            draft.legal_first_name,
            draft.legal_middle_name,
            draft.legal_last_name,
            draft.preferred_name,
        ),
        date_of_birth=draft.date_of_birth,
        phones=(draft.phone_mobile, draft.phone_home),
    )


def key_for(draft: ClientDraft, client_id: int) -> str:
    return sort_key(
        draft.legal_last_name, draft.legal_first_name, draft.legal_middle_name, client_id
    )


class _Query:
    """One search's words, filters and page, as the SQL of each shape."""

    def __init__(
        self,
        words: Sequence[str],
        status: ClientStatus | None,
        clinician_id: int | None,
        after: str | None,
        limit: int,
    ) -> None:
        self.ranges = [(w, prefix_upper_bound(w)) for w in words]
        self.limit = limit
        self.filters = ["c.sort_key > ?"]
        self.params: list[object] = [after or ""]
        if status is not None:
            self.filters.append("c.status = ?")
            self.params.append(status.value)
        if clinician_id is not None:
            self.filters.append("c.assigned_clinician_id = ?")
            self.params.append(clinician_id)

    def _probes(self, skip: int | None, alias: str) -> tuple[list[str], list[object]]:
        """One index probe per word: has this client a term that starts with it?"""
        probes: list[str] = []
        values: list[object] = []
        for index, (low, high) in enumerate(self.ranges):
            if index != skip:
                probes.append(
                    "EXISTS (SELECT 1 FROM client_search_term t "  # noqa: S608 - alias is ours
                    f"WHERE t.client_id = {alias}.id AND t.term >= ? AND t.term < ?)"
                )
                values.extend((low, high))
        return probes, values

    def listed(self) -> tuple[str, list[object]]:
        sql = (
            f"SELECT c.id FROM client c WHERE {' AND '.join(self.filters)} "  # noqa: S608
            f"ORDER BY c.sort_key {limit_sql(self.limit)}"
        )
        return sql, list(self.params)

    def walked(self) -> tuple[str, list[object]]:
        """The next WALK_WINDOW clients in list order (from the list's index alone),
        each probed for every word."""
        probes, values = self._probes(None, "w")
        sql = (
            f"SELECT w.id FROM (SELECT c.id, c.sort_key FROM client c "  # noqa: S608
            f"WHERE {' AND '.join(self.filters)} ORDER BY c.sort_key "
            f"{limit_sql(WALK_WINDOW)}) w "
            f"WHERE {' AND '.join(probes)} ORDER BY w.sort_key {limit_sql(self.limit)}"
        )
        return sql, [*self.params, *values]

    def driven(self, rarest: int, fetch: int) -> tuple[str, list[object]]:
        """The rarest word's terms drive; the covering client_keyset index filters
        and sorts (CROSS JOIN keeps that join order)."""
        probes, values = self._probes(rarest, "c")
        sql = (
            "SELECT c.id FROM client_search_term m "  # noqa: S608
            "CROSS JOIN client c INDEXED BY client_keyset ON c.id = m.client_id "
            f"WHERE m.term >= ? AND m.term < ? AND {' AND '.join(self.filters + probes)} "
            f"ORDER BY c.sort_key {limit_sql(fetch)}"
        )
        return sql, [*self.ranges[rarest], *self.params, *values]


class ClientRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # Writing -----------------------------------------------------------------------

    def next_id(self) -> int:
        return int(self._conn.execute("SELECT coalesce(max(id), 0) + 1 FROM client").fetchone()[0])

    def add(self, draft: ClientDraft, now: datetime) -> Client:
        client_id = self.next_id()
        self.add_many([(client_id, draft, now)])
        return self.get(client_id)

    def add_many(self, rows: Iterable[tuple[int, ClientDraft, datetime]]) -> None:
        """Insert clients with the ids given (the demo generator's bulk path too)."""
        placeholders = ", ".join("?" for _ in range(len(CLIENT_DRAFT_FIELDS) + 4))
        client_rows: list[tuple[object, ...]] = []
        term_rows: list[tuple[str, int]] = []
        for client_id, draft, at in rows:
            when = stamp(at)
            client_rows.append(
                (client_id, *_draft_values(draft), key_for(draft, client_id), when, when)
            )
            term_rows.extend((term, client_id) for term in terms_for(draft))
        self._conn.executemany(
            f"INSERT INTO client (id, {', '.join(CLIENT_DRAFT_FIELDS)}, sort_key, "  # noqa: S608
            f"created_at, updated_at) VALUES ({placeholders})",
            client_rows,
        )
        self._conn.executemany(
            "INSERT INTO client_search_term (term, client_id) VALUES (?, ?)", term_rows
        )

    def update(self, client: Client, draft: ClientDraft, now: datetime) -> Client:
        assignments = ", ".join(f"{name} = ?" for name in CLIENT_DRAFT_FIELDS)
        cur = self._conn.execute(
            f"UPDATE client SET {assignments}, sort_key = ?, updated_at = ?, "  # noqa: S608
            "row_version = row_version + 1 WHERE id = ? AND row_version = ?",
            (
                *_draft_values(draft),
                key_for(draft, client.id),
                stamp(now),
                client.id,
                client.row_version,
            ),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        self._conn.execute("DELETE FROM client_search_term WHERE client_id = ?", (client.id,))
        self._conn.executemany(
            "INSERT INTO client_search_term (term, client_id) VALUES (?, ?)",
            [(term, client.id) for term in terms_for(draft)],
        )
        return self.get(client.id)

    # Reading -----------------------------------------------------------------------

    def get(self, client_id: int) -> Client:
        row = self._conn.execute(
            f"SELECT {_SELECT} FROM client WHERE id = ?",  # noqa: S608
            (client_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That client record does not exist.")
        return _client(row)

    def assigned_clinician(self, client_id: int) -> int | None:
        row = self._conn.execute(
            "SELECT assigned_clinician_id FROM client WHERE id = ?", (client_id,)
        ).fetchone()
        if row is None:
            raise NotFound("That client record does not exist.")
        return None if row[0] is None else int(row[0])

    def existing(self, client_ids: Iterable[int]) -> set[int]:
        """Which of these ids are clients."""
        ids = sorted(set(client_ids))
        found: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found.update(
                int(r[0])
                for r in self._conn.execute(
                    f"SELECT id FROM client WHERE id IN ({', '.join('?' for _ in chunk)})",  # noqa: S608
                    chunk,
                )
            )
        return found

    def header(self, client_id: int) -> tuple[str, date, str, int | None]:
        """(display name, date of birth, pronouns, assigned clinician): the few columns a
        chart's header shows, without reading the whole record."""
        row = self._conn.execute(
            f"SELECT {CLIENT_NAME_SQL}, c.date_of_birth, c.pronouns, c.assigned_clinician_id "  # noqa: S608
            "FROM client c WHERE c.id = ?",
            (client_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That client record does not exist.")
        name, born, pronouns, clinician = row
        return (
            str(name),
            date.fromisoformat(str(born)),
            str(pronouns),
            None if clinician is None else int(clinician),
        )

    def names(self, client_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(client_ids))
        found: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._conn.execute(
                f"SELECT c.id, {CLIENT_NAME_SQL} FROM client c "  # noqa: S608
                f"WHERE c.id IN ({', '.join('?' for _ in chunk)})",
                chunk,
            )
            found.update({int(r[0]): str(r[1]) for r in rows})
        return found

    def search(
        self,
        words: Sequence[str],
        *,
        status: ClientStatus | None = None,
        clinician_id: int | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[ClientSummary]:
        """A page of clients in list order, each matching every word by prefix (see
        DRIVE_UP_TO for how the query is chosen)."""
        query = _Query(words, status, clinician_id, after, limit)
        if not query.ranges:
            return self._summaries(self._ids(*query.listed()))
        counts = [self._count_terms(low, high, DRIVE_UP_TO) for low, high in query.ranges]
        walk = min(counts) > DRIVE_UP_TO
        if walk and len(counts) > 1:
            # Every word is common, but all of them together may not be ("ka pa"):
            # count further, and walk only if the window should hold a page of them.
            counts = [self._count_terms(low, high, CHOOSE_UP_TO) for low, high in query.ranges]
            walk = WALK_WINDOW * math.prod(min(1.0, c / self._size()) for c in counts) >= limit
        rarest = counts.index(min(counts))
        ids = self._ids(*query.walked()) if walk else []
        if len(ids) < limit:
            ids = self._driven_ids(query, rarest)
        return self._summaries(ids)

    def _size(self) -> int:
        """About how many clients there are (ids are not reused), at no cost."""
        return max(1, int(self._conn.execute("SELECT max(id) FROM client").fetchone()[0] or 0))

    def explain_search(
        self,
        words: Sequence[str],
        *,
        status: ClientStatus | None = None,
        clinician_id: int | None = None,
    ) -> dict[str, list[str]]:
        """EXPLAIN QUERY PLAN of the list walk and of the drive by the first word,
        the two shapes `search` chooses between."""
        query = _Query(words, status, clinician_id, None, 50)
        plans = {"walk": query.walked() if query.ranges else query.listed()}
        if query.ranges:
            plans["drive"] = query.driven(0, 100)
        return {
            name: [str(r[3]) for r in self._conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            for name, (sql, params) in plans.items()
        }

    def _ids(self, sql: str, params: list[object]) -> list[int]:
        return [int(r[0]) for r in self._conn.execute(sql, params)]

    def _driven_ids(self, query: _Query, rarest: int) -> list[int]:
        """The page's ids when the rarest word drives. A client found by two of its
        terms comes twice (no DISTINCT: with SQLCipher's memory security on, its
        temporary b-tree cost three times the rest of the query), so fetch twice a
        page, drop repeats, and fetch more in the rare case that was not enough."""
        fetch = query.limit * 2
        while True:
            rows = self._ids(*query.driven(rarest, fetch))
            ids = list(dict.fromkeys(rows))
            if len(ids) >= query.limit or len(rows) < fetch:
                return ids[: query.limit]
            fetch *= 4

    def _summaries(self, ids: list[int]) -> list[ClientSummary]:
        if not ids:
            return []
        # The ids come in list order: sorting them again in SQL would cost a sorter's
        # allocations (see limit_sql); here it is a dictionary look-up each.
        bound = [*ids, *[0] * (-len(ids) % ID_GROUP)]
        rows = self._conn.execute(
            f"SELECT {_SUMMARY} FROM client c WHERE c.id IN "  # noqa: S608
            f"({', '.join('?' for _ in bound)})",
            bound,
        )
        by_id = {int(r[0]): r for r in rows}
        return [_summary(by_id[i]) for i in ids if i in by_id]

    def _count_terms(self, low: str, high: str, cap: int) -> int:
        row = self._conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM client_search_term "  # noqa: S608 - a number
            f"WHERE term >= ? AND term < ? {limit_sql(cap + 1)})",
            (low, high),
        ).fetchone()
        return int(row[0])

    def likely_duplicates(
        self,
        *,
        first: str,
        last: str,
        born: date,
        phone_digits: Sequence[str],
        exclude_id: int | None = None,
    ) -> list[ClientSummary]:
        """Same folded first and last name and date of birth, or the same phone
        number: its last ten digits (a national number; "+1 312…" is "312…"), or all
        of a shorter one, end some number on record."""
        ids: set[int] = set()
        for cid, row_first, row_last in self._conn.execute(
            "SELECT id, legal_first_name, legal_last_name FROM client WHERE date_of_birth = ?",
            (born.isoformat(),),
        ):
            if fold(row_first) == fold(first) and fold(row_last) == fold(last):
                ids.add(int(cid))
        for number in (n[-10:] for n in phone_digits):
            if len(number) >= 7:
                ids.update(
                    int(r[0])
                    for r in self._conn.execute(
                        "SELECT client_id FROM client_search_term WHERE term = ?", (number,)
                    )
                )
        ids.discard(exclude_id if exclude_id is not None else -1)
        if not ids:
            return []
        chosen = sorted(ids)[:20]
        rows = self._conn.execute(
            f"SELECT {_SUMMARY} FROM client c WHERE c.id IN "  # noqa: S608
            f"({', '.join('?' for _ in chosen)}) ORDER BY c.sort_key",
            chosen,
        )
        return [_summary(r) for r in rows]

    def attendance(self, client_id: int, now: datetime) -> tuple[int, int, int]:
        """No-shows, late cancellations and upcoming appointments of one client."""
        row = self._conn.execute(
            "SELECT coalesce(sum(status = 'no_show'), 0), coalesce(sum(late_cancel), 0), "
            "coalesce(sum(starts_at >= ? AND status IN ('booked', 'checked_in')), 0) "
            "FROM appointment WHERE client_id = ?",
            (stamp(now), client_id),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM client").fetchone()[0])
