"""Psychotherapy notes: their author's alone, every opening audited, never searched."""

from __future__ import annotations

import pytest

from ehrdesk.core.chart import NoteSection, TimelineKind
from ehrdesk.core.errors import ConcurrentEditError, InvalidInput, PermissionDenied
from tests.chart_support import ChartPractice, start_at

SECRET = "zqxprocesswords about the dream"


def opened_and_refused(chart: ChartPractice, note_id: int) -> list[tuple[str, str | None]]:
    services = chart.as_user("owner")
    return [
        (e.action, e.username)
        for e in services.audit.events(limit=10_000)
        if e.object_type == "psychotherapy_note" and e.object_id == str(note_id)
    ]


def test_the_author_writes_reads_and_changes_their_note(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.psychotherapy.write(chart_practice.casey, SECRET)
    opened = services.psychotherapy.open(note.id)
    assert opened.text == SECRET
    changed = services.psychotherapy.save(opened, SECRET + " and the lake")
    assert changed.row_version == opened.row_version + 1
    with pytest.raises(ConcurrentEditError):
        services.psychotherapy.save(opened, "an older copy")
    assert services.psychotherapy.open(note.id).text == SECRET + " and the lake"
    with pytest.raises(InvalidInput):
        services.psychotherapy.write(chart_practice.casey, "  ")


@pytest.mark.parametrize("who", ["owner", "dev", "frank"])
def test_nobody_else_opens_it_and_the_attempt_is_audited(
    chart_practice: ChartPractice, who: str
) -> None:
    services = chart_practice.as_user("carla")
    note = services.psychotherapy.write(chart_practice.casey, SECRET)
    services = chart_practice.as_user(who)
    with pytest.raises(PermissionDenied) as refused:
        services.psychotherapy.open(note.id)
    assert SECRET not in refused.value.message
    with pytest.raises(PermissionDenied):
        services.psychotherapy.save(note, "overwritten")
    events = opened_and_refused(chart_practice, note.id)
    assert events[0] == ("psychotherapy_note_created", "carla")
    if who == "frank":  # the front desk is refused by role, before the note is looked at
        assert all(action != "psychotherapy_note_opened" for action, _ in events)
    else:
        assert ("psychotherapy_note_refused", who) in events
    assert ("psychotherapy_note_opened", who) not in events
    services = chart_practice.as_user("carla")
    assert services.psychotherapy.open(note.id).text == SECRET


def test_every_opening_by_the_author_is_audited(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.psychotherapy.write(chart_practice.casey, SECRET)
    for _ in range(3):
        services.psychotherapy.open(note.id)
    events = opened_and_refused(chart_practice, note.id)
    assert [a for a, _ in events].count("psychotherapy_note_opened") == 3


def test_it_is_in_the_authors_timeline_only(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    services.psychotherapy.write(chart_practice.casey, SECRET)
    kinds = [e.kind for e in services.charts.open_chart(chart_practice.casey).first_page.entries]
    assert TimelineKind.PSYCHOTHERAPY in kinds
    services = chart_practice.as_user("owner")
    page = services.charts.open_chart(chart_practice.casey).first_page
    assert all(e.kind is not TimelineKind.PSYCHOTHERAPY for e in page.entries)


def test_it_is_never_found_by_search(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    services.psychotherapy.write(chart_practice.casey, SECRET)
    note = services.notes.start_note(chart_practice.casey, 1, start_at(services))
    sections = [NoteSection(s.key, s.label, "zqxprogress words") for s in note.sections]
    services.notes.save_draft(note, sections)
    assert services.charts.search_notes("zqxprogress")
    assert services.charts.search_notes("zqxprocesswords") == []
    assert services.charts.search_notes("dream") == []
    for who in ("owner", "dev"):
        services = chart_practice.as_user(who)
        assert services.charts.search_notes("zqxprocesswords") == []
        assert services.charts.search_notes("zqxprogress") == []  # not their words either
    conn = services.session.database.conn
    rows = conn.execute("SELECT body FROM note_search").fetchall()
    assert all("zqxprocesswords" not in str(r[0]) for r in rows)
