"""The audit log: rows only ever inserted, each chained to the one before by an HMAC.

mac(n) = HMAC-SHA256(K_audit, mac(n-1) ‖ fields(n)), with mac(0) all zero bytes and
fields encoded unambiguously (a JSON array). Sequence numbers run 1, 2, 3 … without
gaps. The newest (seq, mac) is copied to vault.json as the anchor, so a removed tail is
caught even though every remaining row still verifies.

`_encode` is the definition of "fields"; `_encode_fast` is how verification computes
the same bytes a few times faster, falling back to `_encode` for anything it was not
written for, so every event ever written verifies exactly as before.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

from ehrdesk.core.models import AuditEvent, User
from ehrdesk.storage.database import Connection
from ehrdesk.storage.vault_file import AuditAnchor

GENESIS_MAC = bytes(32)
_COLUMNS = "seq, at, user_id, username, role, action, object_type, object_id, reason, mac"


def _encode(
    seq: int,
    at: str,
    user_id: int | None,
    username: str | None,
    role: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    reason: str | None,
) -> bytes:
    fields = [seq, at, user_id, username, role, action, object_type, object_id, reason]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


#: How many distinct texts `_encode_fast` remembers during one verification.
_TEXT_CACHE_LIMIT: Final = 4096
#: Rows fetched at a time while verifying: small enough that the row tuples die young
#: (large batches make the garbage collector walk thousands of live rows, again and
#: again), large enough that fetching costs nothing per batch.
_VERIFY_BATCH: Final = 256


def _encode_fast(
    texts: dict[str | None, str],
    seq: Any,
    at: Any,
    user_id: Any,
    username: Any,
    role: Any,
    action: Any,
    object_type: Any,
    object_id: Any,
    reason: Any,
) -> bytes:
    """Exactly `_encode(seq, at, …)`, for every input: the same bytes, or the same
    exception. `texts` maps a text to its JSON form (None to null) and is filled here;
    it holds only str keys and None, so a value of any other type never matches it.

    The fast path covers what the app writes: integers (exact type, so neither a bool
    nor a float, whose JSON differs), texts and None. `encode_basestring` is the very
    function `json` uses for a string with `ensure_ascii=False`, and an f-string formats
    an int as `json` does (`int.__repr__`). Anything else (a tampered row may hold a
    float, a blob, a text where a number belongs) raises KeyError or TypeError on the
    way and is encoded by `_encode` itself.
    """
    try:
        if seq.__class__ is not int or (user_id is not None and user_id.__class__ is not int):
            raise TypeError
        return (
            f"[{seq},{encode_basestring(at)},{'null' if user_id is None else user_id},"
            f"{texts[username]},{texts[role]},{texts[action]},{texts[object_type]},"
            f"{'null' if object_id is None else encode_basestring(object_id)},"
            f"{'null' if reason is None else encode_basestring(reason)}]"
        ).encode()
    except (KeyError, TypeError):
        if len(texts) < _TEXT_CACHE_LIMIT:
            for value in (username, role, action, object_type):
                if value.__class__ is str:
                    texts[value] = encode_basestring(value)
        return _encode(seq, at, user_id, username, role, action, object_type, object_id, reason)


@dataclass(frozen=True, slots=True)
class ChainReport:
    events_checked: int
    first_bad_seq: int | None
    why: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None and self.why is None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One event to append with `AuditLog.append_many`."""

    at: datetime
    action: str
    actor: User | None
    object_type: str | None = None
    object_id: str | None = None
    reason: str | None = None


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class AuditLog:
    """Repository of `audit_event` over one connection and K_audit."""

    def __init__(self, conn: Connection, key: bytes) -> None:
        self._conn = conn
        # HMAC-SHA256 from `cryptography`, as DESIGN.md's table of dependencies asks:
        # the same MAC as the standard library's, and copying a keyed one is about
        # half the cost, which is most of verifying a long log.
        self._mac = crypto_hmac.HMAC(key, hashes.SHA256())

    def _chain(self, prev: bytes, encoded: bytes) -> bytes:
        h = self._mac.copy()
        h.update(prev + encoded)
        return h.finalize()

    def newest(self) -> AuditAnchor | None:
        row = self._conn.execute(
            "SELECT seq, mac FROM audit_event ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return None if row is None else AuditAnchor(int(row[0]), bytes(row[1]))

    def append(
        self,
        *,
        at: datetime,
        action: str,
        actor: User | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        reason: str | None = None,
    ) -> AuditAnchor:
        """Insert one event; call inside the transaction of the change it describes."""
        user_id = actor.id if actor else None
        username = actor.username if actor else None
        role = actor.role.value if actor else None
        newest = self.newest()
        seq = 1 if newest is None else newest.seq + 1
        prev = GENESIS_MAC if newest is None else newest.mac
        stamp = format_time(at)
        mac = self._chain(
            prev,
            _encode(seq, stamp, user_id, username, role, action, object_type, object_id, reason),
        )
        self._conn.execute(
            f"INSERT INTO audit_event ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            (seq, stamp, user_id, username, role, action, object_type, object_id, reason, mac),
        )
        return AuditAnchor(seq, mac)

    def append_many(self, records: Iterable[AuditRecord]) -> AuditAnchor | None:
        """Append many events in order with one INSERT statement: the same rows and
        chain as calling `append` for each (bulk generation); None if there were none."""
        newest = self.newest()
        seq = 0 if newest is None else newest.seq
        prev = GENESIS_MAC if newest is None else newest.mac
        rows = []
        for record in records:
            seq += 1
            actor = record.actor
            user_id = actor.id if actor else None
            username = actor.username if actor else None
            role = actor.role.value if actor else None
            stamp = format_time(record.at)
            prev = self._chain(
                prev,
                _encode(
                    seq,
                    stamp,
                    user_id,
                    username,
                    role,
                    record.action,
                    record.object_type,
                    record.object_id,
                    record.reason,
                ),
            )
            rows.append(
                (
                    seq,
                    stamp,
                    user_id,
                    username,
                    role,
                    record.action,
                    record.object_type,
                    record.object_id,
                    record.reason,
                    prev,
                )
            )
        if not rows:
            return None
        self._conn.executemany(
            f"INSERT INTO audit_event ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            rows,
        )
        return AuditAnchor(seq, prev)

    def verify(
        self,
        anchor: AuditAnchor | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ChainReport:
        """Walk the whole chain; name the first row that does not verify.

        Each row costs a few microseconds, most of it SQLite handing the row to Python
        and one HMAC; the loop is kept lean (see `_encode_fast` and `_VERIFY_BATCH`)."""
        # For the progress bar only: an unbroken chain holds exactly `max(seq)` events,
        # and the primary key answers that at once (count(*) reads a whole index).
        newest = self._conn.execute("SELECT max(seq) FROM audit_event").fetchone()[0]
        total = newest if newest.__class__ is int else 0
        prev, expected, checked = GENESIS_MAC, 1, 0
        anchor_seq = None if anchor is None else anchor.seq
        anchor_seen = anchor is None
        texts: dict[str | None, str] = {None: "null"}
        start = self._mac.copy
        same = hmac.compare_digest
        cursor = self._conn.execute(f"SELECT {_COLUMNS} FROM audit_event ORDER BY seq")  # noqa: S608
        while rows := cursor.fetchmany(_VERIFY_BATCH):
            for seq, at, uid, uname, role, action, otype, oid, reason, mac in rows:
                if seq != expected:
                    return ChainReport(checked, expected, "an event is missing")
                fields = _encode_fast(texts, seq, at, uid, uname, role, action, otype, oid, reason)
                h = start()
                h.update(prev + fields)
                good = h.finalize()
                if not same(good, mac if mac.__class__ is bytes else bytes(mac)):
                    return ChainReport(checked, seq, "an event was changed, removed or reordered")
                if seq == anchor_seq:
                    assert anchor is not None
                    if not same(anchor.mac, good):
                        return ChainReport(checked, seq, "the log does not match its anchor")
                    anchor_seen = True
                prev, expected, checked = good, expected + 1, checked + 1
            if progress is not None:
                progress(checked, total)
        if not anchor_seen:
            return ChainReport(checked, expected, "the newest events were removed")
        return ChainReport(checked, None, None)

    def events(self, *, after_seq: int = 0, limit: int = 200) -> Iterator[AuditEvent]:
        """Oldest first, from `after_seq` on."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM audit_event WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608
            (after_seq, limit),
        )
        return self._events(rows)

    def newest_events(
        self, *, before_seq: int | None = None, limit: int = 200
    ) -> Iterator[AuditEvent]:
        """Newest first, older than `before_seq` (a page of the audit screen)."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM audit_event WHERE seq < ? ORDER BY seq DESC LIMIT ?",  # noqa: S608
            (before_seq if before_seq is not None else 2**62, limit),
        )
        return self._events(rows)

    @staticmethod
    def _events(rows: Iterator[Any]) -> Iterator[AuditEvent]:
        for seq, at, uid, uname, role, action, otype, oid, reason, mac in rows:
            yield AuditEvent(
                seq,
                datetime.fromisoformat(at),
                uid,
                uname,
                role,
                action,
                otype,
                oid,
                reason,
                bytes(mac),
            )


def last_event_about(
    conn: Connection, object_type: str, object_id: str
) -> tuple[str, int | None, datetime] | None:
    """(action, user id, time) of the newest event about one object, through the
    (object_type, object_id, seq) index."""
    row = conn.execute(
        "SELECT action, user_id, at FROM audit_event "
        "WHERE object_type = ? AND object_id = ? ORDER BY seq DESC LIMIT 1",
        (object_type, object_id),
    ).fetchone()
    if row is None:
        return None
    return str(row[0]), None if row[1] is None else int(row[1]), datetime.fromisoformat(row[2])
