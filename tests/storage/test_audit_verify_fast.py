"""The fast chain verification says exactly what the plain one said, for every log.

`AuditLog.verify` encodes rows with `_encode_fast` and MACs them with `cryptography`;
the chain's definition is `_encode` and HMAC-SHA256. Here the fast path is held to the
definition: the same bytes (or the same exception) for any value a row can hold, and
the same `ChainReport` as a plain, obviously correct walk over logs tampered with in
many ways, including values of the wrong type that only a tampered file can hold.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehrdesk.storage.audit import (
    _COLUMNS,
    _VERIFY_BATCH,
    GENESIS_MAC,
    AuditLog,
    ChainReport,
    _encode,
    _encode_fast,
    format_time,
)
from ehrdesk.storage.database import Connection, Database
from ehrdesk.storage.migrations import runner
from ehrdesk.storage.vault_file import AuditAnchor

KEY = os.urandom(32)
T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)

# Every kind of value SQLite can hand back, and a few Python could pass in.
values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=0x7F)),  # control characters often
    st.binary(max_size=8),
    st.booleans(),
    st.sampled_from(["carla", "clinician", "chart_opened", "client", 'say "hi"\n', "é\u2028"]),
)


def outcome(encode: Callable[..., bytes], *fields: Any) -> tuple[str, bytes | str]:
    try:
        return "bytes", encode(*fields)
    except Exception as error:  # the same kind of refusal is what must match
        return "error", type(error).__name__


@settings(max_examples=500, deadline=None)
@given(fields=st.lists(values, min_size=9, max_size=9), warm=st.booleans())
def test_the_fast_encoding_is_the_definition_for_any_values(fields: list[Any], warm: bool) -> None:
    texts: dict[str | None, str] = {None: "null"}
    if warm:  # a cache that already learnt these values behaves the same
        outcome(lambda *f: _encode_fast(texts, *f), *fields)
    assert outcome(lambda *f: _encode_fast(texts, *f), *fields) == outcome(_encode, *fields)


def test_the_text_cache_stays_bounded() -> None:
    texts: dict[str | None, str] = {None: "null"}
    for n in range(10_000):
        _encode_fast(texts, n, "t", None, f"user{n}", "role", "act", None, None, None)
    assert len(texts) <= 4096 + 4


# Whole logs, tampered with ------------------------------------------------------------


def reference_verify(conn: Connection, key: bytes, anchor: AuditAnchor | None) -> ChainReport:
    """The verification as first written: the standard library's HMAC over `_encode`."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    prev, expected, checked = GENESIS_MAC, 1, 0
    anchor_seen = anchor is None
    for seq, at, uid, uname, role, action, otype, oid, reason, stored in conn.execute(
        f"SELECT {_COLUMNS} FROM audit_event ORDER BY seq"
    ):
        if seq != expected:
            return ChainReport(checked, expected, "an event is missing")
        h = mac.copy()
        h.update(prev)
        h.update(_encode(seq, at, uid, uname, role, action, otype, oid, reason))
        good = h.digest()
        if not hmac.compare_digest(good, bytes(stored)):
            return ChainReport(checked, seq, "an event was changed, removed or reordered")
        if anchor is not None and seq == anchor.seq:
            if not hmac.compare_digest(anchor.mac, good):
                return ChainReport(checked, seq, "the log does not match its anchor")
            anchor_seen = True
        prev, expected, checked = good, expected + 1, checked + 1
    if not anchor_seen:
        return ChainReport(checked, expected, "the newest events were removed")
    return ChainReport(checked, None, None)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[Connection]:
    db = Database.open(tmp_path / "a.ehrdb", os.urandom(32), create=True)
    runner.migrate(db)
    yield db.conn
    db.close()


def fill_with_the_standard_library(conn: Connection, n: int) -> AuditAnchor:
    """Rows MACed the way every earlier ehrdesk wrote them (stdlib HMAC), with texts
    the fast path must escape exactly as `json` does."""
    mac = hmac.new(KEY, digestmod=hashlib.sha256)
    prev = GENESIS_MAC
    users = [(1, "olive", "owner"), (2, "carla", "clinician"), (None, None, None)]
    reasons = [None, 'needed "now"\n', "tab\there\x01", "naïve – ☃ \u2028", "back\\slash"]
    for seq in range(1, n + 1):
        uid, uname, role = users[seq % len(users)]
        row = (
            seq,
            format_time(T0 + timedelta(minutes=seq)),
            uid,
            uname,
            role,
            "client_viewed" if seq % 2 else "sign_in",
            "client" if seq % 3 else None,
            str(100 + seq) if seq % 3 else None,
            reasons[seq % len(reasons)],
        )
        h = mac.copy()
        h.update(prev)
        h.update(_encode(*row))
        prev = h.digest()
        conn.execute(
            f"INSERT INTO audit_event ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", (*row, prev)
        )
    return AuditAnchor(n, prev)


def untrigger(conn: Connection) -> None:
    conn.execute("DROP TRIGGER audit_event_never_updated")
    conn.execute("DROP TRIGGER audit_event_never_deleted")


def loosen(conn: Connection) -> None:
    """What an attacker with the key can do: drop STRICT, so a column holds any type."""
    untrigger(conn)
    conn.execute("ALTER TABLE audit_event RENAME TO old_audit_event")
    conn.execute(
        "CREATE TABLE audit_event (seq PRIMARY KEY, at, user_id, username, role, action, "
        "object_type, object_id, reason, mac)"
    )
    conn.execute("INSERT INTO audit_event SELECT * FROM old_audit_event")
    conn.execute("DROP TABLE old_audit_event")


def both(conn: Connection, anchor: AuditAnchor | None) -> tuple[object, object]:
    def run(verify: Callable[[], ChainReport]) -> object:
        try:
            return verify()
        except Exception as error:
            return type(error).__name__

    fast = run(lambda: AuditLog(conn, KEY).verify(anchor))
    plain = run(lambda: reference_verify(conn, KEY, anchor))
    return fast, plain


def test_a_log_written_with_the_standard_library_verifies_the_same(conn: Connection) -> None:
    anchor = fill_with_the_standard_library(conn, 3 * _VERIFY_BATCH + 7)
    fast, plain = both(conn, anchor)
    assert fast == plain == ChainReport(3 * _VERIFY_BATCH + 7, None, None)
    # And new events chain on, whichever HMAC wrote the old ones.
    new = AuditLog(conn, KEY).append(at=T0, action="sign_out")
    assert both(conn, new) == (ChainReport(new.seq, None, None),) * 2


TAMPERINGS: list[tuple[str, list[str]]] = [
    ("text edited", ["UPDATE audit_event SET object_id = '999' WHERE seq = 300"]),
    ("reason with a quote", ["UPDATE audit_event SET reason = 'x\"' WHERE seq = 5"]),
    ("a control character", ["UPDATE audit_event SET action = 'sign' || char(10) WHERE seq = 9"]),
    ("a NUL inside", ["UPDATE audit_event SET username = 'olive' || char(0) WHERE seq = 4"]),
    ("row removed", ["DELETE FROM audit_event WHERE seq = 260"]),
    ("tail removed", ["DELETE FROM audit_event WHERE seq > 500"]),
    (
        "renumbered",
        [
            "DELETE FROM audit_event WHERE seq = 6",
            "UPDATE audit_event SET seq = seq - 1 WHERE seq > 6",
        ],
    ),
    ("mac replaced", ["UPDATE audit_event SET mac = zeroblob(32) WHERE seq = 700"]),
    ("mac shortened", ["UPDATE audit_event SET mac = substr(mac, 1, 31) WHERE seq = 2"]),
]
LOOSE_TAMPERINGS: list[tuple[str, list[str]]] = [
    ("user id as a float", ["UPDATE audit_event SET user_id = 1.0 WHERE seq = 3"]),
    ("user id as text", ["UPDATE audit_event SET user_id = '1' WHERE seq = 3"]),
    ("user id as a blob", ["UPDATE audit_event SET user_id = x'01' WHERE seq = 3"]),
    ("seq as a float", ["UPDATE audit_event SET seq = 3.0 WHERE seq = 3"]),
    ("seq as text", ["UPDATE audit_event SET seq = '3' WHERE seq = 3"]),
    ("role as a number", ["UPDATE audit_event SET role = 7 WHERE seq = 7"]),
    ("action as a float", ["UPDATE audit_event SET action = 1e308 WHERE seq = 8"]),
    ("time as a blob", ["UPDATE audit_event SET at = CAST(at AS BLOB) WHERE seq = 10"]),
    ("time as null", ["UPDATE audit_event SET at = NULL WHERE seq = 10"]),
    ("mac as text", ["UPDATE audit_event SET mac = 'x' WHERE seq = 11"]),
    ("mac as a number", ["UPDATE audit_event SET mac = 32 WHERE seq = 11"]),
    ("mac as null", ["UPDATE audit_event SET mac = NULL WHERE seq = 11"]),
]


@pytest.mark.parametrize(("what", "statements"), TAMPERINGS, ids=[t[0] for t in TAMPERINGS])
def test_a_tampered_log_gets_the_same_report(
    conn: Connection, what: str, statements: list[str]
) -> None:
    anchor = fill_with_the_standard_library(conn, 3 * _VERIFY_BATCH)
    untrigger(conn)
    for statement in statements:
        conn.execute(statement)
    fast, plain = both(conn, anchor)
    assert fast == plain
    assert isinstance(fast, ChainReport) and not fast.ok  # the tampering was caught
    assert both(conn, None) == both(conn, None)[::-1]
    assert (
        both(conn, AuditAnchor(anchor.seq, bytes(32)))[0]
        == both(conn, AuditAnchor(anchor.seq, bytes(32)))[1]
    )


@pytest.mark.parametrize(
    ("what", "statements"), LOOSE_TAMPERINGS, ids=[t[0] for t in LOOSE_TAMPERINGS]
)
def test_values_of_the_wrong_type_get_the_same_report(
    conn: Connection, what: str, statements: list[str]
) -> None:
    anchor = fill_with_the_standard_library(conn, 2 * _VERIFY_BATCH)
    loosen(conn)
    assert both(conn, anchor) == (ChainReport(anchor.seq, None, None),) * 2
    for statement in statements:
        conn.execute(statement)
    fast, plain = both(conn, anchor)
    assert fast == plain
    assert fast != ChainReport(anchor.seq, None, None)  # never passes as untouched
