"""The synthetic practice generator: the same rows and audit events as the services,
deterministic by seed, never into a real practice, and stoppable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.errors import InvalidInput, UserCancelled
from ehrdesk.core.front_desk import AppointmentStatus
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services import demo
from ehrdesk.services.chart_demo import DIAGNOSES
from ehrdesk.services.demo_data import GENERATOR_VERSION, fill_practice
from ehrdesk.services.icd10 import CodeIndex
from ehrdesk.services.registry import Services
from tests.conftest import Practice


def _demo(tmp_path: Path, name: str, **size: object) -> Services:
    clock = FrozenClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    services = Services.build(tmp_path / name, keyring=MemoryKeyring(), clock=clock)
    demo.create_demo_practice(services, **size)  # type: ignore[arg-type]
    clock.advance(30)
    services.auth.sign_in("demo", demo.PASSWORD, demo.current_code(services))
    return services


TABLES = (
    "client",
    "appointment",
    "appointment_series",
    "waitlist_entry",
    "room",
    "progress_note",
    "measure_result",
    "diagnosis",
    "diagnosis_change",
)


def _dump(services: Services) -> list[object]:
    conn = services.session.database.conn
    tables = [conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in TABLES]
    index = conn.execute("SELECT rowid, owner, body FROM note_search ORDER BY rowid").fetchall()
    return [*tables, index]


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


def test_the_charts_hold_a_note_for_each_session_with_measures_and_diagnoses(
    tmp_path: Path,
) -> None:
    services = _demo(tmp_path, "a", patients=80, years=1.0)
    conn = services.session.database.conn
    now = services.clock.now()
    # Every note belongs to an appointment that took place, for its client and
    # clinician; every completed appointment that ended two hours ago has its note.
    mismatched = conn.execute(
        "SELECT count(*) FROM progress_note n JOIN appointment a ON a.id = n.appointment_id "
        "WHERE a.status != 'completed' OR a.client_id != n.client_id "
        "OR a.clinician_id != n.author_id OR a.starts_at != n.service_at"
    ).fetchone()[0]
    assert mismatched == 0
    without = conn.execute(
        "SELECT count(*) FROM appointment a WHERE a.status = 'completed' AND a.ends_at < ? "
        "AND NOT EXISTS (SELECT 1 FROM progress_note n WHERE n.appointment_id = a.id)",
        ((now - timedelta(hours=2, minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),),
    ).fetchone()[0]
    assert without == 0
    notes, drafts, long_notes = conn.execute(
        "SELECT count(*), sum(status = 'draft'), sum(length(sections) > 1000) FROM progress_note"
    ).fetchone()
    assert notes > 500 and 0 < drafts < notes // 20 and long_notes > notes * 0.9
    # Each note is in the full-text index under its author, as NoteRepository.add puts it.
    assert conn.execute("SELECT count(*) FROM note_search").fetchone()[0] == notes
    counted = dict(conn.execute("SELECT action, count(*) FROM audit_event GROUP BY action"))
    assert services.audit.verify_chain().ok
    services.session.sign_out()
    services.clock.advance(30)
    services.auth.sign_in("clinician", demo.PASSWORD, demo.current_code(services))
    assert services.charts.search_notes("session")
    services.session.sign_out()
    services.clock.advance(30)
    services.auth.sign_in("demo", demo.PASSWORD, demo.current_code(services))
    conn = services.session.database.conn
    assert counted["note_created"] == notes
    assert counted["note_signed"] == notes - drafts
    assert (
        counted["measure_recorded"]
        == conn.execute("SELECT count(*) FROM measure_result").fetchone()[0]
        > notes // 4
    )
    intakes = conn.execute(
        "SELECT count(*) FROM progress_note n JOIN appointment a ON a.id = n.appointment_id "
        "WHERE a.type_code = 'intake'"
    ).fetchone()[0]
    primary = conn.execute("SELECT count(*) FROM diagnosis WHERE is_primary = 1").fetchone()[0]
    assert primary == intakes
    assert (
        counted["diagnosis_added"]
        == conn.execute("SELECT count(*) FROM diagnosis_change").fetchone()[0]
    )
    checked = services.audit.check_vault()  # what `ehrdesk check` reports
    assert checked.chain.ok and checked.database_problems == ()


def test_the_diagnoses_are_described_as_the_code_set_describes_them() -> None:
    index = CodeIndex()
    for code, description in DIAGNOSES:
        match = index.describe(code)
        assert match is not None and match.description == description


def test_a_long_chart_holds_exactly_the_notes_asked_for(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    services = Services.build(tmp_path / "a", keyring=MemoryKeyring(), clock=clock)
    demo.create_demo_practice(services, patients=30, years=0.5, long_chart_notes=300)
    clock.advance(30)
    services.auth.sign_in("clinician", demo.PASSWORD, demo.current_code(services))
    conn = services.session.database.conn
    client, count = conn.execute(
        "SELECT client_id, count(*) FROM progress_note GROUP BY client_id ORDER BY 2 DESC"
    ).fetchone()
    assert count == 300
    opened = services.charts.open_chart(client)
    assert opened.header.client_id == client and opened.first_page.entries
    # Twice a week for years before the simulated half year, none of it double-booked.
    first = conn.execute(
        "SELECT min(starts_at) FROM appointment WHERE client_id = ?", (client,)
    ).fetchone()[0]
    assert first < "2024-03-01"
    services.session.sign_out()
    clock.advance(30)
    services.auth.sign_in("demo", demo.PASSWORD, demo.current_code(services))
    assert services.audit.verify_chain().ok


def test_the_same_seed_gives_the_same_practice(tmp_path: Path) -> None:
    first = _dump(_demo(tmp_path, "a", patients=40, years=0.5, long_chart_notes=20))
    second = _dump(_demo(tmp_path, "b", patients=40, years=0.5, long_chart_notes=20))
    assert first == second
    assert all(first)  # every table has rows: a test that could not fail is a defect


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
