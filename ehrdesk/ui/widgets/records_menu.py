"""The "Records" menu of a client's chart and client form: hand the record to the client
or share it, releases of information, the accounting of disclosures, a superbill, and
(for the owner) who opened this chart. Each item is there only for a role that may use
it; the services decide per client and refuse with one sentence."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from ehrdesk.core.permissions import Action, allowed
from ehrdesk.services.documents import file_name
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.printing import DocumentOutput


class RecordsMenu(QToolButton):
    def __init__(
        self,
        services: Services,
        client_id: Callable[[], int | None],
        *,
        show_access: Callable[[int], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._client_id = client_id
        self._show_access = show_access
        self.output = DocumentOutput(self)
        self.setText("Rec&ords")
        self.setAccessibleName("Records: hand out, releases, disclosures, superbill")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setMenu(QMenu(self))

    def fill_for_role(self) -> None:
        """The items this person's role may use (call after sign-in)."""
        menu = self.menu()
        menu.clear()
        role = self._services.session.current_user().role
        if allowed(role, Action.RELEASE_RECORDS):
            menu.addAction("Give the &client their record…", partial(self.export, False))
            menu.addAction("&Share with someone else…", partial(self.export, True))
        if allowed(role, Action.MANAGE_RELEASES):
            menu.addAction("&Releases of information…", self.releases)
        if allowed(role, Action.VIEW_DISCLOSURES):
            menu.addAction("&Accounting of disclosures…", self.disclosures)
        if allowed(role, Action.PRINT_SUPERBILLS):
            menu.addAction("Su&perbill…", self.superbill)
        if allowed(role, Action.VIEW_AUDIT_LOG):
            menu.addSeparator()
            if self._show_access is not None:
                menu.addAction("&Who opened this chart", self.who_opened)
            menu.addAction("Print who &opened this chart…", self.print_who_opened)
            menu.addAction("Save who opened this chart as PDF…", self.save_who_opened)
        self.setVisible(not menu.isEmpty())

    def _run(self, make: Callable[[int], QWidget]) -> None:
        client_id = self._client_id()
        if client_id is None:
            return
        try:
            dialog = make(client_id)
        except Exception as error:
            show_error(self, error)
            return
        dialog.exec()  # type: ignore[attr-defined]

    def export(self, someone_else: bool) -> None:
        from ehrdesk.ui.dialogs.record_export import RecordExportDialog  # noqa: PLC0415

        self._run(
            lambda cid: RecordExportDialog(
                self._services, cid, for_someone_else=someone_else, parent=self.window()
            )
        )

    def releases(self) -> None:
        from ehrdesk.ui.dialogs.releases import ReleasesDialog  # noqa: PLC0415

        self._run(lambda cid: ReleasesDialog(self._services, cid, self.window()))

    def disclosures(self) -> None:
        from ehrdesk.ui.dialogs.disclosures import DisclosuresDialog  # noqa: PLC0415

        self._run(lambda cid: DisclosuresDialog(self._services, cid, self.window()))

    def superbill(self) -> None:
        from ehrdesk.ui.dialogs.superbill import SuperbillDialog  # noqa: PLC0415

        self._run(lambda cid: SuperbillDialog(self._services, cid, self.window()))

    def who_opened(self) -> None:
        client_id = self._client_id()
        if client_id is not None and self._show_access is not None:
            self._show_access(client_id)

    def print_who_opened(self) -> None:
        client_id = self._client_id()
        if client_id is not None:
            self.output.print(lambda p: self._services.audit.client_access_report(client_id, p))

    def save_who_opened(self) -> None:
        client_id = self._client_id()
        if client_id is not None:
            self.output.save_as_pdf(
                file_name("Who opened this record", str(client_id)),
                lambda p: self._services.audit.client_access_report(client_id, p),
            )


__all__ = ["RecordsMenu"]
