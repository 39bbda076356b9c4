"""The Backups screen and automatic backups, over real services, offscreen.

Backups really run (in the task doorway's worker thread, on their own connections);
the tests wait for them as a person would wait for the screen to say so.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QTableView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ehrdesk.core.models import Role
from ehrdesk.services import backup_jobs
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState
from ehrdesk.storage.backup_records import BackupSettings
from ehrdesk.ui import errors as ui_errors
from ehrdesk.ui.main_window import MainWindow
from ehrdesk.ui.models.backup_table import Column
from ehrdesk.ui.views import backups as backups_view
from ehrdesk.ui.views.backups import BackupsView
from tests.conftest import Practice

WAIT_MS = 20_000


def shot(widget: QWidget, name: str) -> None:
    """Save a screenshot when EHRDESK_SCREENSHOTS names a folder (for looking at)."""
    folder = os.environ.get("EHRDESK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(folder) / f"{name}.png"))


@pytest.fixture
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What would be shown in a message box (a modal box would block the test)."""
    shown: list[str] = []

    def record(parent: QWidget | None, error: BaseException) -> None:
        text = ui_errors.message_for(error)
        assert text is not None
        shown.append(text)

    monkeypatch.setattr(backups_view, "show_error", record)
    return shown


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    folder = tmp_path / "KINGSTON"
    folder.mkdir()
    return folder


@pytest.fixture
def view(practice: Practice, qtbot: QtBot, drive: Path, shown_errors: list[str]) -> BackupsView:
    practice.sign_in("owner")
    widget = BackupsView(practice.services)
    qtbot.addWidget(widget)
    widget.resize(900, 640)
    widget.show()
    widget.refresh()
    widget.fill_drives(str(drive))
    return widget


def wait_idle(qtbot: QtBot, view: BackupsView) -> None:
    qtbot.waitUntil(lambda: view._task is None or view._task.done, timeout=WAIT_MS)


def backups_on(drive: Path) -> list[str]:
    return sorted(p.name for p in drive.iterdir())


def test_back_up_now_writes_lists_and_says_so(
    view: BackupsView, qtbot: QtBot, drive: Path, shown_errors: list[str]
) -> None:
    assert view.drive.currentData() == str(drive)
    qtbot.mouseClick(view.back_up, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view)

    assert shown_errors == []
    assert len(backups_on(drive)) == 1
    assert view.model.rowCount() == 1
    assert view.model.index(0, Column.STATE).data() == "Verified"
    assert view.model.index(0, Column.WHERE).data() == str(drive)
    assert "read back and verified" in view.note.text()
    assert "Newest verified backup" in view.summary.text()
    shot(view, "backups-after-backup")


def test_verify_and_test_restore_of_the_selected_backup(
    view: BackupsView, qtbot: QtBot, practice: Practice, shown_errors: list[str]
) -> None:
    view.back_up_now()
    wait_idle(qtbot, view)
    assert not view.verify.isEnabled()  # nothing selected yet
    view.table.selectRow(0)
    assert view.verify.isEnabled() and view.drill.isEnabled()

    qtbot.mouseClick(view.verify, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view)
    assert "is sound" in view.note.text()

    view.table.selectRow(0)
    qtbot.mouseClick(view.drill, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view)
    assert view.note.text().startswith("Test restore passed")
    assert "Last test restore:" in view.summary.text() and "passed" in view.summary.text()
    drill = practice.services.backups.last_restore_drill()
    assert drill is not None and drill.ok
    assert shown_errors == []


def test_a_damaged_backup_is_shown_as_such(
    view: BackupsView, qtbot: QtBot, drive: Path, shown_errors: list[str]
) -> None:
    view.back_up_now()
    wait_idle(qtbot, view)
    path = drive / backups_on(drive)[0]
    path.write_bytes(path.read_bytes()[:-3])
    view.table.selectRow(0)
    view.verify_selected()
    wait_idle(qtbot, view)
    assert shown_errors and "damaged" in shown_errors[0]
    assert view.model.index(0, Column.STATE).data() == "Damaged"


def test_cancel_leaves_nothing_on_the_drive(
    view: BackupsView, qtbot: QtBot, drive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, go_on = threading.Event(), threading.Event()
    real = backup_jobs.take_snapshot

    def slow_snapshot(*args: Any, **kwargs: Any) -> Any:
        started.set()
        go_on.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(backup_jobs, "take_snapshot", slow_snapshot)
    task = view.back_up_now()
    assert task is not None
    assert started.wait(10)
    assert not view.back_up.isEnabled()  # one piece of work at a time
    task.cancel()
    go_on.set()
    wait_idle(qtbot, view)
    assert view.note.text() == "Cancelled; nothing was written."
    assert backups_on(drive) == []
    assert view.back_up.isEnabled()


def test_the_settings_are_saved(view: BackupsView, practice: Practice, drive: Path) -> None:
    view.keep.setValue(4)
    view.remind.setValue(3)
    view.at_close.setChecked(True)
    view.daily.setChecked(True)
    view.save_settings()
    assert practice.services.backups.settings() == BackupSettings(
        keep=4, reminder_days=3, at_close=True, daily_at=view.daily_time.time().toString("HH:mm")
    )
    assert view.note.text() == "The backup settings are saved."


def test_every_control_has_a_name_and_a_key(view: BackupsView) -> None:
    controls: list[QWidget] = [
        *view.findChildren(QAbstractButton),
        *view.findChildren(QComboBox),
        *view.findChildren(QAbstractSpinBox),
        *view.findChildren(QTableView),
    ]
    controls = [c for c in controls if not c.objectName().startswith("qt_")]  # Qt's own parts
    assert len(controls) >= 14
    assert [c for c in controls if not c.accessibleName()] == []
    keys = [b.text() for b in view.findChildren(QAbstractButton) if "&" in b.text()]
    keys += [label.text() for label in view.findChildren(QLabel) if label.buddy() is not None]
    letters = [text[text.index("&") + 1].lower() for text in keys]
    assert len(letters) == len(set(letters)), letters
    assert len(letters) >= 12


def test_lock_clears_the_screen(view: BackupsView, qtbot: QtBot, practice: Practice) -> None:
    view.back_up_now()
    wait_idle(qtbot, view)
    assert view.model.rowCount() == 1
    view.clear()
    assert view.model.rowCount() == 0 and view.summary.text() == "" and view.note.text() == ""


# In the main window ----------------------------------------------------------------------


@pytest.fixture
def window(practice: Practice, qtbot: QtBot, shown_errors: list[str]) -> Iterator[MainWindow]:
    win = MainWindow(practice.services)
    qtbot.addWidget(win)
    win.show()
    yield win


def sign_in(win: MainWindow, practice: Practice, username: str = "owner") -> None:
    win.sign_in.username.setText(username)
    win.sign_in.password.setText(practice.passwords[username])
    win.sign_in._advance()
    win.sign_in.code.setText(practice.code(username))
    win.sign_in._advance()


def test_today_reminds_the_owner_and_no_one_else(
    window: MainWindow, practice: Practice, add_user: Any, drive: Path, qtbot: QtBot
) -> None:
    add_user("carla", Role.CLINICIAN)
    practice.sign_in("carla")
    practice.services.account.change_password(practice.passwords["carla"], "granite willow 88 x")
    practice.passwords["carla"] = "granite willow 88 x"
    practice.services.session.sign_out()

    sign_in(window, practice)
    assert "no verified backup yet" in window.workspace.today.notes.text()
    backups = window.workspace.backups
    window.workspace.nav.setCurrentRow(window.workspace.visible_places().index("backups"))
    assert window.workspace.stack.currentWidget() is backups
    backups.back_up_now(drive)
    wait_idle(qtbot, backups)
    assert "backup" not in window.workspace.today.notes.text().lower()
    window.services.session.sign_out()

    sign_in(window, practice, "carla")
    assert "backup" not in window.workspace.today.notes.text().lower()
    assert "backups" not in window.workspace.visible_places()
    window.services.session.sign_out()
    practice.sign_in("owner")
    denied = [
        e for e in practice.services.audit.events(limit=1000) if e.action == "permission_denied"
    ]
    assert denied == []  # the clinician's Today never asked for the owner's reminder


def test_the_daily_backup_runs_quietly_and_a_missing_drive_is_only_a_note(
    window: MainWindow, practice: Practice, drive: Path, qtbot: QtBot, shown_errors: list[str]
) -> None:
    sign_in(window, practice)
    backups = window.workspace.backups
    backups.back_up_now(drive)
    wait_idle(qtbot, backups)
    now = practice.clock.now().astimezone()
    soon = (now.replace(second=0, microsecond=0) + timedelta(minutes=2)).strftime("%H:%M")
    settings = practice.services.backups.settings()
    practice.services.backups.set_settings(
        BackupSettings(daily_at=soon, last_folder=settings.last_folder)
    )
    assert not practice.services.backups.daily_backup_due()
    # Past the set time, and well inside the session's 12-hour limit, so no
    # lock timer can end the session while the backup runs.
    practice.clock.advance(3 * 60)
    practice.services.session.touch()

    unplugged = drive.with_name("unplugged")
    drive.rename(unplugged)
    window.automatic_backup_if_due()
    assert "waiting for its drive" in backups.note.text()
    assert shown_errors == []

    unplugged.rename(drive)
    window.automatic_backup_if_due()
    wait_idle(qtbot, backups)
    assert len(backups_on(drive)) == 2
    assert not practice.services.backups.daily_backup_due()
    assert shown_errors == []


def test_closing_backs_up_first_when_the_owner_asked(
    window: MainWindow, practice: Practice, drive: Path, qtbot: QtBot
) -> None:
    sign_in(window, practice)
    backups = window.workspace.backups
    backups.back_up_now(drive)
    wait_idle(qtbot, backups)
    settings = practice.services.backups.settings()
    practice.services.backups.set_settings(
        BackupSettings(at_close=True, last_folder=settings.last_folder)
    )
    practice.clock.advance(60)

    window.close()
    assert window.isVisible()  # waiting for the closing backup
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert len(backups_on(drive)) == 2
    assert practice.services.session.state is SessionState.SIGNED_OUT


def test_the_owner_restores_over_the_practice_from_the_screen(
    window: MainWindow,
    practice: Practice,
    drive: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(window, practice)
    backups = window.workspace.backups
    backups.refresh()
    backups.back_up_now(drive)
    wait_idle(qtbot, backups)
    asked: list[str] = []

    def answer(prepared: Any) -> bool:
        asked.append(prepared.practice_name)
        return True

    monkeypatch.setattr(backups, "ask_to_restore", answer)
    backups.table.selectRow(0)
    backups.restore_selected()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.sign_in, timeout=WAIT_MS)
    assert asked == ["Riverside Counselling"]
    assert "backup is restored" in window.sign_in.message.text()
    assert practice.services.session.state is SessionState.SIGNED_OUT
    sign_in(window, practice)
    assert window.stack.currentWidget() is window.workspace


def test_a_declined_restore_changes_nothing(
    view: BackupsView, practice: Practice, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view.back_up_now()
    wait_idle(qtbot, view)
    monkeypatch.setattr(view, "ask_to_restore", lambda prepared: False)
    view.table.selectRow(0)
    view.restore_selected()
    wait_idle(qtbot, view)
    assert practice.services.session.state is SessionState.SIGNED_IN
    data_dir = practice.services.data_dir
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".restore-")]
    assert not (data_dir / "safety-copies").exists()


def test_services_stay_out_of_the_worker_thread(practice: Practice) -> None:
    """The jobs open their own connections: the session's stays on this thread."""
    practice.sign_in("owner")
    services: Services = practice.services
    job = services.backups.backup_job(services.data_dir.parent)
    assert not any(isinstance(v, type(services.session.database)) for v in vars(job).values())
