"""The main window: one stack of pages, and the rules for moving between them.

    no vault ─▶ start page ─▶ setup wizard ─────────┐
                     └────▶ restore from a backup ──┤
    damaged / newer vault ─▶ problem page           │
    vault ─▶ sign-in ◀──────────────────────────────┘
    sign-in ─▶ workspace ─(lock: idle, Ctrl+L, OS)─▶ lock screen ─▶ workspace
                                                      └─ switch user ─▶ sign-in

On every lock the workspace clears its views and the clipboard loses what ehrdesk put
there, before the lock screen appears. Automatic backups (the owner's settings) run
from here: once a day at a set time while the app is open, and when it closes, to the
last used drive if it is connected; a missing drive is a quiet note, never a dialog.

The workspace (every signed-in view) is built just after the first screen is shown,
while the person reaches for the keyboard, or at the first sign-in if that comes
sooner: start-up shows the sign-in window without first building a dozen views that
nobody sees yet (bench/startup.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from ehrdesk.core.errors import VaultError, VaultNotFound
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.services import demo
from ehrdesk.services.auth import SignedIn
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState
from ehrdesk.ui.bridge import SessionSignals
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.idle import IdleWatcher
from ehrdesk.ui.views.lock_screen import LockScreen
from ehrdesk.ui.views.restore_page import RestorePage
from ehrdesk.ui.views.sign_in import SignInView
from ehrdesk.ui.views.start_page import StartPage, VaultProblemPage

if TYPE_CHECKING:
    from ehrdesk.ui.views.workspace import Workspace

#: How long after the first screen the workspace is built (ms): its first paint is done.
PREPARE_WORKSPACE_MS = 200


class MainWindow(QMainWindow):
    def __init__(
        self,
        services: Services,
        clipboard: ClipboardGuard | None = None,
        *,
        demo_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self._demo_dir = demo_dir
        self._signed: SignedIn | None = None
        self.clipboard = clipboard or ClipboardGuard()
        self.signals = SessionSignals(services.events, self)
        self.signals.locked.connect(self._on_locked)
        self.signals.signed_out.connect(self._on_signed_out)
        self.idle = IdleWatcher(services.session, self)
        self.setAccessibleName("ehrdesk")
        self._practice_name = ""
        self._demo = False

        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.sign_in = SignInView(services)
        self.sign_in.signed_in.connect(self._on_signed_in)
        self.sign_in.back_requested.connect(self._back_to_lock)
        self.lock_screen = LockScreen(services)
        self.lock_screen.unlocked.connect(self._on_unlocked)
        self.lock_screen.switch_user.connect(self._switch_user)
        self._workspace: Workspace | None = None
        self._closing_after_backup = False
        self._closing_backup: object | None = None
        self.auto_backup_timer = QTimer(self)
        self.auto_backup_timer.setInterval(60_000)
        self.auto_backup_timer.timeout.connect(self.automatic_backup_if_due)
        self.auto_backup_timer.start()
        for page in (self.sign_in, self.lock_screen):
            self.stack.addWidget(page)

        self.toolbar = self._make_toolbar()
        self.lock_action = QAction("&Lock", self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.setToolTip("Lock ehrdesk (Ctrl+L)")
        self.lock_action.triggered.connect(self.lock)
        self.toolbar.addAction(self.lock_action)
        self.addAction(self.lock_action)
        self.about_action = QAction("&About ehrdesk", self)
        self.about_action.setShortcut(QKeySequence.StandardKey.HelpContents)  # F1
        self.about_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.about_action.setToolTip("About ehrdesk: versions and the practice folder (F1)")
        self.about_action.triggered.connect(self.open_about)
        self.toolbar.addAction(self.about_action)
        self.addAction(self.about_action)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)
        self.resize(
            self.fontMetrics().horizontalAdvance("M") * 80, self.fontMetrics().height() * 40
        )
        self._first_page()
        QTimer.singleShot(PREPARE_WORKSPACE_MS, self._prepare_workspace)

    @property
    def workspace(self) -> Workspace:
        """The signed-in pages, built on first use (see the module docstring)."""
        if self._workspace is None:
            from ehrdesk.ui.views.workspace import Workspace  # noqa: PLC0415 - see above

            workspace = Workspace(self.services)
            workspace.settings_requested.connect(self.open_settings)
            workspace.backups.restored_over.connect(self._restored_over)
            self.stack.addWidget(workspace)
            self._workspace = workspace
        return self._workspace

    def _prepare_workspace(self) -> None:
        if self._workspace is None:
            self.workspace  # noqa: B018 - built now, in idle time, not at sign-in

    # Pages -------------------------------------------------------------------------

    def _make_toolbar(self) -> QToolBar:
        toolbar = QToolBar("Session")
        toolbar.setMovable(False)
        toolbar.setAccessibleName("Session toolbar")
        self.user_label = QLabel()
        self.user_label.setAccessibleName("Signed-in user and role")
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(self.user_label)
        toolbar.addWidget(spacer)
        settings = QAction("&Settings…", self)
        settings.setShortcut(QKeySequence("Ctrl+,"))
        settings.setToolTip("Settings (Ctrl+,)")
        settings.triggered.connect(self.open_settings)
        toolbar.addAction(settings)
        self.addToolBar(toolbar)
        toolbar.hide()
        return toolbar

    def _first_page(self) -> None:
        try:
            vault = self.services.vaults.load()
        except VaultNotFound:
            self._show_start()
            return
        except VaultError as error:
            problem = VaultProblemPage(self.services.data_dir, error.message)
            problem.quit_requested.connect(self.close)
            self._show_page(problem)
            return
        self._demo = vault.demo
        if vault.demo:
            self.sign_in.show_demo_credentials(self._demo_text())
            self._demo_timer = QTimer(self)
            self._demo_timer.timeout.connect(self._refresh_demo_code)
            self._demo_timer.start(1000)
        self._show_sign_in()

    def _demo_text(self) -> str:
        names = ", ".join(f"{u.username} ({u.role.label.lower()})" for u in demo.USERS)
        code = demo.current_code(self.services)
        return (
            "DEMO practice: synthetic people only.\n"
            f"Usernames: {names}\n"
            f"Password: {demo.PASSWORD}\n"
            f"Code now: {code[:3]} {code[3:]} (it changes every 30 seconds)"
        )

    def _refresh_demo_code(self) -> None:
        if self._demo and self.stack.currentWidget() is self.sign_in:
            self.sign_in.show_demo_credentials(self._demo_text())

    def _show_page(self, page: QWidget) -> None:
        if self.stack.indexOf(page) < 0:
            self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)
        self.toolbar.setVisible(page is self._workspace)
        self._update_title()

    def _show_start(self) -> None:
        start = StartPage(self.services.data_dir)
        start.set_up.connect(self._start_setup)
        start.try_demo.connect(self._try_demo)
        start.restore.connect(self._start_restore)
        self._show_page(start)

    def _start_restore(self) -> None:
        page = RestorePage(self.services)
        page.back_requested.connect(self._show_start)
        page.restored.connect(self._practice_restored)
        self.restore_page = page
        self._show_page(page)

    def _practice_restored(self, restored: object) -> None:
        self._show_sign_in()
        self.sign_in.message.setText(
            "The practice is restored. Sign in with the password you had on the day "
            "the backup was taken."
        )
        self.sign_in.username.setFocus()

    def _restored_over(self) -> None:
        self.sign_in.message.setText(
            "The backup is restored. Sign in with the password you had on the day it "
            "was taken; the practice as it was is kept until then."
        )

    def _start_setup(self) -> None:
        from ehrdesk.ui.setup_wizard import SetupWizard  # noqa: PLC0415 - first run only

        wizard = SetupWizard(self.services, self.clipboard)
        wizard.setWindowFlags(Qt.WindowType.Widget)
        wizard.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 52)
        wizard.practice_created.connect(self._practice_created)
        wizard.rejected.connect(self._show_start)
        page = QWidget()
        row = QHBoxLayout(page)
        row.addStretch(1)
        row.addWidget(wizard, 3)
        row.addStretch(1)
        self._show_page(page)

    def _practice_created(self, username: str) -> None:
        self._show_sign_in()
        self.sign_in.username.setText(username)
        self.sign_in.password.setFocus()

    def _try_demo(self) -> None:
        if self._demo_dir is None:
            return
        try:
            demo_services = Services.build(self._demo_dir, keyring=self.services.vaults.keyring)
            if not demo_services.vaults.exists():
                demo.create_demo_practice(demo_services)
        except Exception as error:
            show_error(self, error)
            return
        window = MainWindow(demo_services, self.clipboard)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        self._demo_window = window

    def _show_sign_in(self, *, switching: bool = False) -> None:
        self.sign_in.reset(switching=switching)
        if self._demo:
            self.sign_in.show_demo_credentials(self._demo_text())
        self._show_page(self.sign_in)

    def _update_title(self) -> None:
        parts = ["ehrdesk"]
        current = self.stack.currentWidget()
        if current is self._workspace and self._practice_name:
            parts.insert(0, self._practice_name)
        elif current is self.lock_screen:
            parts.insert(0, "Locked")
        if self._demo:
            parts.insert(0, "DEMO")
        self.setWindowTitle(" — ".join(parts))

    # Session -----------------------------------------------------------------------

    def _on_signed_in(self, signed: SignedIn) -> None:
        if signed.password_change_required:
            from ehrdesk.ui.dialogs.change_password import ChangePasswordDialog  # noqa: PLC0415

            dialog = ChangePasswordDialog(self.services, forced=True, parent=self)
            if not dialog.exec():
                self.services.session.sign_out(reason="password_change_declined")
                return
        self._signed = signed
        self._practice_name = self.services.settings.practice_name()
        user = signed.user
        self.user_label.setText(f"  {user.full_name} · {user.role.label}")
        self.workspace.show_for(signed)
        self._show_page(self.workspace)

    def _on_unlocked(self) -> None:
        if self._signed is not None:
            user = self.services.session.current_user()
            self.workspace.show_for(dataclasses.replace(self._signed, user=user))
        self._show_page(self.workspace)

    def open_chart(self, client_id: int) -> bool:
        """Show a client's chart: the entry point for the client list and the schedule."""
        if self.services.session.state is not SessionState.SIGNED_IN:
            return False
        return self.workspace.open_chart(client_id)

    def lock(self) -> None:
        if self.services.session.state is SessionState.SIGNED_IN:
            self.services.session.lock(reason="manual")

    def _on_locked(self, reason: str) -> None:
        if self._workspace is not None:
            self._workspace.clear()
        self.clipboard.clear_if_ours()
        user = self.services.session.user
        if self.services.session.state is SessionState.LOCKED and user is not None:
            self.lock_screen.show_for(self._practice_name, user, demo=self._demo)
            self._show_page(self.lock_screen)

    def _on_signed_out(self, reason: str) -> None:
        if self._workspace is not None:
            self._workspace.clear()
        self.clipboard.clear_if_ours()
        self._practice_name = ""
        self._signed = None
        self._show_sign_in()

    def _switch_user(self) -> None:
        self._show_sign_in(switching=True)

    def _back_to_lock(self) -> None:
        if self.services.session.state is SessionState.LOCKED:
            self._show_page(self.lock_screen)
            self.lock_screen.password.setFocus()

    def open_settings(self) -> None:
        from ehrdesk.ui.dialogs.settings_dialog import SettingsDialog  # noqa: PLC0415

        if self.services.session.state is not SessionState.SIGNED_IN:
            return
        SettingsDialog(self.services, self.clipboard, self).exec()

    def open_about(self) -> None:
        """Versions and the practice folder; open on every page, signed in or not."""
        from ehrdesk.ui.dialogs.about import AboutDialog  # noqa: PLC0415 - rarely opened

        AboutDialog(self, data_dir=self.services.data_dir, events=self.services.events).exec()

    # Automatic backups ------------------------------------------------------------

    def _owner_signed_in(self) -> bool:
        session = self.services.session
        user = session.user
        return (
            session.state is SessionState.SIGNED_IN
            and user is not None
            and allowed(user.role, Action.MANAGE_BACKUPS)
        )

    def automatic_backup_if_due(self) -> None:
        """The daily backup at the owner's set time, quietly, to the last used drive."""
        if not self._owner_signed_in():
            return
        backups = self.services.backups
        try:
            if not backups.daily_backup_due():
                return
            folder = backups.automatic_folder()
        except Exception:
            return  # a locked session or a busy database: the next tick tries again
        if folder is None:
            self.workspace.backups.say(
                "The daily backup is waiting for its drive: connect it and it will run."
            )
            return
        self.workspace.backups.back_up_now(folder, quiet=True)

    def _backup_at_close(self) -> bool:
        """Start the closing backup if the owner asked for one and the drive is here;
        True if the window must wait for it."""
        if self._closing_after_backup or not self._owner_signed_in():
            return False
        backups = self.services.backups
        try:
            if not backups.settings().at_close:
                return False
            folder = backups.automatic_folder()
        except Exception:
            return False
        if folder is None:
            return False  # a missing drive: Today reminds the owner next time
        task = self.workspace.backups.back_up_now(folder)
        if task is None:
            return False
        self._closing_backup = task
        task.finished.connect(self._close_after_backup)
        return True

    def _close_after_backup(self) -> None:
        self._closing_after_backup = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing_backup is not None and not self._closing_after_backup:
            event.ignore()  # the closing backup is still running
            return
        if self._backup_at_close():
            event.ignore()
            return
        if self.services.session.state is not SessionState.SIGNED_OUT:
            self.services.session.sign_out(reason="app_closed")
        self.clipboard.clear_if_ours()
        event.accept()
