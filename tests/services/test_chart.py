"""Opening a chart: the header (name, age, pronouns, clinician, diagnoses, risk
flags, scores) and the timeline, newest first, a page at a time by keyset."""

from __future__ import annotations

from datetime import date, timedelta

from ehrdesk.core.chart import (
    IntakeRisk,
    NoteSection,
    NoteStart,
    RiskLevel,
    TimelineKind,
)
from ehrdesk.core.measures import Instrument
from ehrdesk.services.registry import Services
from tests.chart_support import CLINICIAN_PASSWORD, ChartPractice, add_appointment, start_at


def test_the_header_says_who_the_client_is(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    header = services.charts.open_chart(chart_practice.casey).header
    assert header.display_name == "Rivers, Casey"
    assert header.pronouns == "they/them"
    assert header.assigned_clinician_name == "Carla"
    assert header.age_on(date(2026, 3, 2)) == 35
    assert header.age_on(date(2026, 6, 15)) == 36
    assert header.risk_flags == () and header.active_diagnoses == () and header.scores == ()


def test_the_header_shows_diagnoses_flags_and_scores(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    casey = chart_practice.casey
    services.diagnoses.add_diagnosis(casey, "F33.1", primary=True)
    services.diagnoses.add_diagnosis(casey, "F41.1")
    for total in (18, 14, 9):
        chart_practice.practice.clock.advance(7 * 24 * 3600)
        answers = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0]
        services.measures.record_measure(casey, Instrument.PHQ9, answers)
    header = services.charts.header(casey)
    assert [d.code for d in header.active_diagnoses] == ["F33.1", "F41.1"]
    assert header.active_diagnoses[0].primary
    assert [p.total for p in header.scores] == [18, 14, 9]  # oldest first
    assert header.risk_flags == ()

    services.measures.record_measure(casey, Instrument.PHQ9, [0] * 8 + [1])
    intake = services.intakes.start_intake(casey)
    services.intakes.save_intake(
        intake, {"risk_details": "x"}, IntakeRisk(RiskLevel.HIGH, RiskLevel.LOW), {}
    )
    flags = services.charts.header(casey).risk_flags
    assert any(f.startswith("PHQ-9 item 9 above zero") for f in flags)
    assert "Suicide risk: high (intake)" in flags
    assert not any("Self-harm" in f for f in flags)

    # A newer PHQ-9 with item 9 at zero clears that flag; voiding it brings it back.
    chart_practice.practice.clock.advance(60)
    newer = services.measures.record_measure(casey, Instrument.PHQ9, [0] * 9)
    assert not any("PHQ-9" in f for f in services.charts.header(casey).risk_flags)
    services.measures.void_measure(newer)
    assert any("PHQ-9" in f for f in services.charts.header(casey).risk_flags)


def fill(services: Services, client_id: int, count: int) -> None:
    """`count` signed notes, one a day going back, and an appointment every third day."""
    now = services.clock.now().replace(microsecond=0)
    for day in range(count):
        at = now - timedelta(days=day + 1)
        note = services.notes.start_note(client_id, 1, NoteStart(at, 50, "90834", "Office"))
        sections = [NoteSection(s.key, s.label, f"day {day}") for s in note.sections]
        services.notes.save_draft(note, sections)
        if day % 3 == 0:
            add_appointment(services, client_id, services.session.current_user().id, at)


def test_the_timeline_pages_newest_first_without_gaps_or_repeats(
    chart_practice: ChartPractice,
) -> None:
    services = chart_practice.as_user("carla")
    casey = chart_practice.casey
    fill(services, casey, 60)
    services.measures.record_measure(casey, Instrument.GAD7, [1] * 7)
    services.psychotherapy.write(casey, "process")
    opened = services.charts.open_chart(casey, page_size=25)
    entries = list(opened.first_page.entries)
    page = opened.first_page
    while page.more:
        page = services.charts.timeline_page(casey, page.next_cursor, page_size=25)
        entries += page.entries
    assert len(entries) == 60 + 20 + 1 + 1
    keys = [(e.kind, e.id) for e in entries]
    assert len(set(keys)) == len(keys)
    assert [e.cursor for e in entries] == sorted((e.cursor for e in entries), reverse=True)
    assert entries[0].kind in (TimelineKind.MEASURE, TimelineKind.PSYCHOTHERAPY)
    same_instant = [e for e in entries if e.kind is TimelineKind.APPOINTMENT]
    assert len(same_instant) == 20  # an appointment and its note share a time: both kept


def test_only_the_first_opening_is_audited(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    fill(services, chart_practice.casey, 5)
    opened = services.charts.open_chart(chart_practice.casey, page_size=2)
    services.charts.timeline_page(chart_practice.casey, opened.first_page.next_cursor)
    services.charts.header(chart_practice.casey)
    services = chart_practice.as_user("owner")
    opened_events = [e for e in services.audit.events(limit=10_000) if e.action == "chart_opened"]
    assert [(e.username, e.object_id, e.reason) for e in opened_events] == [
        ("carla", str(chart_practice.casey), "assigned")
    ]


def test_search_finds_only_ones_own_words_in_charts_one_may_open(
    chart_practice: ChartPractice,
) -> None:
    services = chart_practice.as_user("carla")
    note = services.notes.start_note(chart_practice.casey, 1, start_at(services))
    sections = [NoteSection(s.key, s.label, "") for s in note.sections]
    sections[0] = NoteSection(sections[0].key, sections[0].label, "Nightmares about the flood.")
    note = services.notes.save_draft(note, sections)
    assert [h.note_id for h in services.charts.search_notes("nightmare flooding")] == [note.id]
    assert services.charts.search_notes("nightm*") == []  # whole words, any form
    assert services.charts.search_notes("nightmares river") == []
    assert services.charts.search_notes('" OR owner:u1 *') == []  # typed syntax is literal
    hit = services.charts.search_notes("FLOOD")[0]
    assert "\x02flood\x03" in hit.snippet.casefold() and hit.client_name == "Rivers, Casey"
    assert "flood" in hit.plain_snippet.casefold() and "\x02" not in hit.plain_snippet

    signed = services.notes.sign_note(note, CLINICIAN_PASSWORD)
    services.notes.add_addendum(signed, "The flood was in 2019.", CLINICIAN_PASSWORD)
    hits = services.charts.search_notes("2019")
    assert [(h.note_id, h.in_addendum) for h in hits] == [(note.id, True)]

    services = chart_practice.as_user("dev")
    assert services.charts.search_notes("flood") == []
    services = chart_practice.as_user("owner")
    assert services.charts.search_notes("flood") == []  # the supervisor's own words only

    # Carla's words in a chart no longer hers stay out of her results.
    with services.session.database.transaction() as conn:
        conn.execute(
            "UPDATE client SET assigned_clinician_id = ? WHERE id = ?",
            (chart_practice.ids["dev"], chart_practice.casey),
        )
    services = chart_practice.as_user("carla")
    assert services.charts.search_notes("flood") == []
