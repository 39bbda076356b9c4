"""The client signs a release of information on screen: they read what they authorise
(recipient, what, purpose, until when, and the statements an authorisation makes) and
sign on the pad; the service keeps the authorisation with the signature as the
release's signed form, a PDF inside the encrypted database. The signature exists only
in memory until then. Closes on lock."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.records import Release, ShareCategory, authorisation_statements
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.widgets.card import heading
from ehrdesk.ui.widgets.signature_pad import SignaturePadWidget


def terms_html(release: Release) -> str:
    shared = ", ".join(c.label for c in ShareCategory if c in release.categories)
    facts = (
        ("Shared with", release.recipient),
        ("Their contact", release.recipient_contact or "—"),
        ("What may be shared", shared),
        ("Purpose", release.purpose),
        ("Expires on", f"{release.expires_on:%d %B %Y}"),
    )
    rows = "".join(
        f"<tr><td><b>{escape(k)}</b>&nbsp;&nbsp;</td><td>{escape(v)}</td></tr>" for k, v in facts
    )
    items = "".join(f"<li>{escape(s)}</li>" for s in authorisation_statements("this practice"))
    return f"<table>{rows}</table><ul>{items}</ul>"


class SignReleaseDialog(QDialog):
    def __init__(self, services: Services, release: Release, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.release = release
        self.signed: Release | None = None
        self.setWindowTitle("Sign the release on screen")
        self.setAccessibleName(self.windowTitle())
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Authorisation to release information", scale=1.2))
        terms = QLabel(terms_html(release))
        terms.setWordWrap(True)
        terms.setAccessibleName("What the client authorises")
        layout.addWidget(terms)
        layout.addWidget(QLabel("Signature of the client or their personal representative:"))
        self.pad = SignaturePadWidget()
        self.pad.changed.connect(self._changed)
        layout.addWidget(self.pad, 1)
        self.problem = QLabel()
        self.problem.setObjectName("message")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QHBoxLayout()
        self.clear_button = QPushButton("C&lear")
        self.clear_button.clicked.connect(self.pad.clear)
        self.sign_button = QPushButton("&Sign")
        self.sign_button.setDefault(True)
        self.sign_button.clicked.connect(self.submit)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_button)
        buttons.addWidget(cancel)
        layout.addLayout(buttons)
        self._changed()
        self.resize(640, 560)

    def _changed(self) -> None:
        self.sign_button.setEnabled(not self.pad.is_blank())

    def submit(self) -> None:
        if self.pad.is_blank():
            self.problem.setText("Sign on the pad first.")
            return
        try:
            self.signed = self._services.releases.sign_on_screen(self.release, self.pad.png())
        except InvalidInput as error:
            self.problem.setText(error.message)
            return
        except Exception as error:
            show_error(self, error)
            return
        self.accept()


__all__ = ["SignReleaseDialog", "terms_html"]
