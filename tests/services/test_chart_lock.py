"""The session says `session.locking` while the database is still open, so a draft is
saved before the connection closes; a saver that fails does not stop the lock."""

from __future__ import annotations

import pytest

from ehrdesk import crashlog
from ehrdesk.core.chart import NoteSection
from ehrdesk.services.session import SessionState
from tests.chart_support import ChartPractice, start_at


class DraftHolder:
    """What an editor does on `session.locking`: save the text it holds."""

    def __init__(self, chart: ChartPractice, note, text: str) -> None:  # type: ignore[no-untyped-def]
        self.services = chart.services
        self.note = note
        self.text = text
        self.seen: list[str] = []
        self.services.events.subscribe("session.locking", self.locking)

    def locking(self, reason: str) -> None:
        sections = [NoteSection(s.key, s.label, self.text) for s in self.note.sections]
        self.note = self.services.notes.save_draft(self.note, sections)
        self.seen.append(reason)


def test_a_lock_saves_the_draft_before_closing(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.notes.start_note(chart_practice.casey, 1, start_at(services))
    holder = DraftHolder(chart_practice, note, "typed just before the lock")
    services.session.lock(reason="idle")
    assert holder.seen == ["idle"]
    assert services.session.state is SessionState.LOCKED
    services.auth.unlock(chart_practice.practice.passwords["carla"])
    assert services.notes.note(note.id).sections[0].text == "typed just before the lock"


def test_sign_out_and_the_idle_timer_save_too(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.notes.start_note(chart_practice.casey, 1, start_at(services))
    holder = DraftHolder(chart_practice, note, "before the idle lock")
    chart_practice.practice.clock.advance(services.session.idle_seconds + 1)
    services.session.check_timers()
    assert holder.seen == ["idle"]
    services.auth.unlock(chart_practice.practice.passwords["carla"])
    holder.text = "before signing out"
    services.session.sign_out()
    assert holder.seen == ["idle", "sign_out"]
    services = chart_practice.as_user("carla")
    assert services.notes.note(note.id).sections[0].text == "before signing out"


def test_a_failing_saver_does_not_stop_the_lock(
    chart_practice: ChartPractice, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = chart_practice.as_user("carla")
    recorded: list[BaseException] = []
    monkeypatch.setattr(crashlog, "record", recorded.append)

    def broken(reason: str) -> None:
        raise RuntimeError("saver failed")

    services.events.subscribe("session.locking", broken)
    services.session.lock()
    assert services.session.state is SessionState.LOCKED
    assert [str(e) for e in recorded] == ["saver failed"]
