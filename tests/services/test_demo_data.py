"""The synthetic practice generator: the same rows and audit events as the services,
deterministic by seed, never into a real practice, and stoppable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.errors import InvalidInput, UserCancelled
from ehrdesk.core.front_desk import AppointmentStatus
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services import demo
from ehrdesk.services.demo_data import GENERATOR_VERSION, fill_practice
from ehrdesk.services.registry import Services
from tests.conftest import Practice


def _demo(tmp_path: Path, name: str, **size: object) -> Services:
    clock = FrozenClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    services = Services.build(tmp_path / name, keyring=MemoryKeyring(), clock=clock)
    demo.create_demo_practice(services, **size)  # type: ignore[arg-type]
    clock.advance(30)
    services.auth.sign_in("demo", demo.PASSWORD, demo.current_code(services))
    return services


def _dump(services: Services) -> list[object]:
    conn = services.session.database.conn
    return [
        conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        for table in ("client", "appointment", "appointment_series", "waitlist_entry", "room")
    ]


def test_a_generated_practice_is_consistent_and_its_audit_chain_verifies(
    tmp_path: Path,
) -> None:
    services = _demo(tmp_path, "a", patients=120, years=1.0)
    assert GENERATOR_VERSION >= 1
    conn = services.session.database.conn
    clients = conn.execute("SELECT count(*) FROM client").fetchone()[0]
    assert clients == 120
    assert services.audit.verify_chain().ok
    assert services.audit.check_vault().database_problems == ()
    # Every client and appointment has its audit events, naming only ids.
    events = services.audit.events(limit=100_000)
    created = {e.object_id for e in events if e.action == "client_created"}
    assert created == {str(i) for i in range(1, 121)}
    booked = {e.object_id for e in events if e.action == "appointment_booked"}
    appointments = conn.execute("SELECT count(*) FROM appointment").fetchone()[0]
    assert len(booked) == appointments > 600
    statuses = dict(conn.execute("SELECT status, count(*) FROM appointment GROUP BY status"))
    assert set(statuses) == {s.value for s in AppointmentStatus} - {"checked_in"}
    completed = sum(e.action == "appointment_completed" for e in events)
    assert completed == statuses["completed"]
    # No clinician is double-booked; the week view and search work on it.
    overlaps = conn.execute(
        "SELECT count(*) FROM appointment a JOIN appointment b ON a.clinician_id = "
        "b.clinician_id AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
        "WHERE a.status != 'cancelled' AND b.status != 'cancelled'"
    ).fetchone()[0]
    assert overlaps == 0
    assert services.schedule.days(date(2026, 3, 2), 7)
    assert services.clients.search("a").rows
    assert services.waitlist.waiting()


def test_the_same_seed_gives_the_same_practice(tmp_path: Path) -> None:
    first = _dump(_demo(tmp_path, "a", patients=40, years=0.5))
    second = _dump(_demo(tmp_path, "b", patients=40, years=0.5))
    assert first == second


def test_synthetic_data_never_goes_into_a_real_practice(practice: Practice) -> None:
    practice.sign_in("owner")
    with pytest.raises(InvalidInput, match="only into a demo"):
        fill_practice(practice.services, patients=10, years=1)
    assert practice.services.clients.search("").rows == ()


def test_a_cancelled_generation_keeps_whole_weeks_and_a_sound_log(tmp_path: Path) -> None:
    weeks: list[int] = []

    def progress(done: int, total: int, label: str) -> None:
        weeks.append(done)

    with pytest.raises(UserCancelled):
        _demo(
            tmp_path,
            "a",
            patients=200,
            years=1.0,
            progress=progress,
            cancelled=lambda: len(weeks) >= 10,
        )
    services = Services.build(
        tmp_path / "a",
        keyring=MemoryKeyring(),
        clock=FrozenClock(datetime(2026, 3, 2, 14, 5, tzinfo=UTC)),
    )
    services.auth.sign_in("demo", demo.PASSWORD, demo.current_code(services))
    clients = services.session.database.conn.execute("SELECT count(*) FROM client").fetchone()[0]
    assert 0 < clients < 200
    assert services.audit.verify_chain().ok
