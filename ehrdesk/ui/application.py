"""Starting the desktop app: the QApplication, its identity, and the main window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from ehrdesk import APP_ID, __version__
from ehrdesk.services.registry import Services
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.main_window import MainWindow
from ehrdesk.ui.resources import app_icon
from ehrdesk.ui.style import STYLE_SHEET


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv if argv is not None else sys.argv[:1])
    give_identity(app)
    return app


def give_identity(app: QApplication) -> None:
    """Name, version, desktop file, icon and style: what the desktop and Qt show."""
    app.setApplicationName("ehrdesk")
    app.setApplicationDisplayName("ehrdesk")
    app.setApplicationVersion(__version__)
    app.setOrganizationDomain("ehrdesk.org")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    app.setStyleSheet(STYLE_SHEET)


def run_gui(
    services: Services, *, demo_dir: Path | None = None, quit_when_shown: bool = False
) -> int:
    """Run the app until its window closes. `quit_when_shown` is for the start-up
    benchmark: leave as soon as the first screen has been painted."""
    app = make_application()
    window = MainWindow(services, ClipboardGuard(), demo_dir=demo_dir)
    window.show()
    if quit_when_shown:
        QTimer.singleShot(0, app.quit)
    return app.exec()
