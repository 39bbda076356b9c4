"""The About dialog: ehrdesk's one version, and the versions of what it runs on."""

from __future__ import annotations

import platform
from pathlib import Path

import PySide6
import sqlcipher3
from PySide6.QtCore import Qt, qVersion
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from ehrdesk import __version__
from ehrdesk.core.events import EventBus
from ehrdesk.ui.dialogs import about
from ehrdesk.ui.dialogs.about import AboutDialog


def test_it_shows_every_version_and_the_practice_folder(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = AboutDialog(data_dir=tmp_path / "practice")
    qtbot.addWidget(dialog)

    assert dialog.windowTitle() == "About ehrdesk"
    assert dialog.version_label.text() == f"Version {__version__}"
    assert dialog.values["Qt"].text() == qVersion()
    assert dialog.values["PySide6"].text() == PySide6.__version__
    assert dialog.values["Python"].text() == platform.python_version()
    assert dialog.values["Practice folder"].text() == str(tmp_path / "practice")
    assert "Your records are encrypted on this computer." in dialog.text()
    assert not (tmp_path / "practice").exists()  # showing the folder does not make it


def test_the_sqlcipher_version_is_the_one_that_opens_vaults(qtbot: QtBot) -> None:
    """The same answer a keyed database gives (storage/database.py refuses anything but
    4.x), asked of an in-memory database that is never keyed."""
    keyed = sqlcipher3.connect(":memory:")
    keyed.execute("PRAGMA key = \"x'" + "11" * 32 + "'\"")
    expected = keyed.execute("PRAGMA cipher_version").fetchone()[0]
    keyed.close()
    dialog = AboutDialog()
    qtbot.addWidget(dialog)

    shown = dialog.values["SQLCipher"].text()
    assert shown == expected
    assert shown.startswith("4.")


def test_without_a_folder_there_is_no_folder_row(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)

    assert list(dialog.values) == ["SQLCipher", "Qt", "PySide6", "Python"]
    assert "Practice folder" not in dialog.text()


def test_every_value_is_named_and_can_be_selected(qtbot: QtBot) -> None:
    dialog = AboutDialog(data_dir=Path("/somewhere"))
    qtbot.addWidget(dialog)

    for name, label in dialog.values.items():
        assert label.accessibleName() == name
        assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByKeyboard


def test_escape_closes_it(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    QTest.keyClick(dialog, Qt.Key.Key_Escape)

    assert not dialog.isVisible()
    assert dialog.result() == AboutDialog.DialogCode.Rejected


def test_it_closes_when_the_session_locks(qtbot: QtBot) -> None:
    events = EventBus()
    dialog = AboutDialog(events=events)
    qtbot.addWidget(dialog)
    dialog.show()

    events.publish("session.locked", reason="manual")

    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)


def test_an_unusable_sqlcipher_is_shown_as_unknown(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def refuse(*args: object, **kwargs: object) -> None:
        raise sqlcipher3.OperationalError("no")

    monkeypatch.setattr(sqlcipher3, "connect", refuse)

    assert about.sqlcipher_version() == "unknown"
