"""The audit chain catches every kind of tampering and names the first broken row."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ehrdesk.core.models import Role, User, UserStatus
from ehrdesk.storage.audit import AuditLog
from ehrdesk.storage.database import Connection, Database
from ehrdesk.storage.migrations import runner
from ehrdesk.storage.vault_file import AuditAnchor

KEY = os.urandom(32)
OLIVE = User(
    1,
    "olive",
    "Olive",
    Role.OWNER,
    UserStatus.ACTIVE,
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(2026, 1, 1, tzinfo=UTC),
    False,
    1,
)
T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[Connection]:
    db = Database.open(tmp_path / "a.ehrdb", os.urandom(32), create=True)
    runner.migrate(db)
    yield db.conn
    db.close()


def fill(conn: Connection, n: int = 10) -> AuditAnchor:
    log = AuditLog(conn, KEY)
    anchor = None
    for i in range(n):
        anchor = log.append(
            at=T0 + timedelta(minutes=i),
            action="view",
            actor=OLIVE,
            object_type="client",
            object_id=str(100 + i),
        )
    assert anchor is not None
    return anchor


def untrigger(conn: Connection) -> None:
    """What an attacker holding the key does first."""
    conn.execute("DROP TRIGGER audit_event_never_updated")
    conn.execute("DROP TRIGGER audit_event_never_deleted")


def test_an_intact_log_verifies(conn: Connection) -> None:
    anchor = fill(conn)
    report = AuditLog(conn, KEY).verify(anchor)
    assert report.ok and report.events_checked == 10


def test_rows_cannot_be_changed_or_deleted_through_sql(conn: Connection) -> None:
    fill(conn, 2)
    with pytest.raises(Exception, match="never changed"):
        conn.execute("UPDATE audit_event SET action = 'x' WHERE seq = 1")
    with pytest.raises(Exception, match="never deleted"):
        conn.execute("DELETE FROM audit_event WHERE seq = 1")


def test_an_edited_field_is_named(conn: Connection) -> None:
    anchor = fill(conn)
    untrigger(conn)
    conn.execute("UPDATE audit_event SET object_id = '999' WHERE seq = 4")
    report = AuditLog(conn, KEY).verify(anchor)
    assert report.first_bad_seq == 4


def test_a_deleted_middle_row_is_named(conn: Connection) -> None:
    anchor = fill(conn)
    untrigger(conn)
    conn.execute("DELETE FROM audit_event WHERE seq = 6")
    report = AuditLog(conn, KEY).verify(anchor)
    assert report.first_bad_seq == 6
    assert report.why == "an event is missing"


def test_a_deleted_and_renumbered_row_is_caught(conn: Connection) -> None:
    anchor = fill(conn)
    untrigger(conn)
    conn.execute("DELETE FROM audit_event WHERE seq = 6")
    conn.execute("UPDATE audit_event SET seq = seq - 1 WHERE seq > 6")
    report = AuditLog(conn, KEY).verify(anchor)
    assert report.first_bad_seq == 6


def test_reordered_rows_are_caught(conn: Connection) -> None:
    anchor = fill(conn)
    untrigger(conn)
    conn.execute("UPDATE audit_event SET seq = -1 WHERE seq = 3")
    conn.execute("UPDATE audit_event SET seq = 3 WHERE seq = 4")
    conn.execute("UPDATE audit_event SET seq = 4 WHERE seq = -1")
    report = AuditLog(conn, KEY).verify(anchor)
    assert report.first_bad_seq == 3


def test_a_cut_tail_is_caught_by_the_anchor(conn: Connection) -> None:
    anchor = fill(conn)
    untrigger(conn)
    conn.execute("DELETE FROM audit_event WHERE seq > 7")
    assert AuditLog(conn, KEY).verify(None).ok  # what remains is a valid chain…
    report = AuditLog(conn, KEY).verify(anchor)  # …but shorter than the anchor says
    assert not report.ok
    assert report.first_bad_seq == 8
    assert report.why == "the newest events were removed"


def test_a_rewritten_log_with_a_forged_key_fails_at_the_first_row(conn: Connection) -> None:
    anchor = fill(conn)
    report = AuditLog(conn, os.urandom(32)).verify(anchor)
    assert report.first_bad_seq == 1


def test_an_anchor_older_than_the_tail_is_fine(conn: Connection) -> None:
    """A crash between the commit and the anchor update leaves an older anchor."""
    old_anchor = fill(conn, 5)
    fill(conn, 3)
    assert AuditLog(conn, KEY).verify(old_anchor).ok


def test_an_anchor_that_does_not_match_is_caught(conn: Connection) -> None:
    anchor = fill(conn, 5)
    forged = AuditAnchor(anchor.seq, bytes(32))
    report = AuditLog(conn, KEY).verify(forged)
    assert report.first_bad_seq == 5


def test_events_page_in_order(conn: Connection) -> None:
    fill(conn, 12)
    log = AuditLog(conn, KEY)
    first = list(log.events(limit=5))
    assert [e.seq for e in first] == [1, 2, 3, 4, 5]
    assert [e.seq for e in log.events(after_seq=10)] == [11, 12]
    assert first[0].at == T0
