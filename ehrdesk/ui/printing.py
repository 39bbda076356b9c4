"""One path for every document: "Save as PDF…" and "Print…".

A service prepares a document (checks the permission, reads, audits) and hands back a
`PreparedDocument` whose `render()` needs no database. Here the person chooses first
(a file name, a folder, or a printer in the system's print dialog), then the service
prepares, and the rendering runs off the GUI thread:

* Save: the PDF bytes are written with `save_document` (temporary name beside the
  target, 0600, fsync, rename): whole or not at all, and only where the person chose.
* Print: PySide6-Essentials has no QtPdf, so each page is rasterised in memory with
  pypdfium2 and painted onto the QPrinter (Qt allows QPainter on a QPrinter outside the
  GUI thread). No client document touches a temporary file.

PDFium is not thread-safe, so one lock serialises every use of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pypdfium2 as pdfium
from PySide6.QtCore import QRectF, QStandardPaths
from PySide6.QtGui import QImage, QPageLayout, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from ehrdesk.core.errors import UserCancelled
from ehrdesk.services.documents import PreparedDocument, Purpose, save_document
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.tasks import BackgroundTask, run_in_background

#: Fine enough for 7-point type; an A4 page is then about 35 MB in memory, one at a time.
MAX_PRINT_DPI = 300
_pdfium_lock = threading.Lock()
Prepare = Callable[[Purpose], PreparedDocument | Sequence[PreparedDocument]]


def _documents(prepared: PreparedDocument | Sequence[PreparedDocument]) -> list[PreparedDocument]:
    return [prepared] if isinstance(prepared, PreparedDocument) else list(prepared)


def page_images(pdf: bytes, dpi: int) -> list[QImage]:
    """Every page of `pdf` as an image (tests and previews; printing goes page by page)."""
    return list(_each_page(pdf, dpi))


def _each_page(pdf: bytes, dpi: int):  # type: ignore[no-untyped-def]
    with _pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        try:
            for index in range(len(document)):
                page = document[index]
                bitmap = page.render(
                    scale=dpi / 72, rev_byteorder=True, prefer_bgrx=True, optimize_mode="print"
                )
                image = QImage(
                    bytes(bitmap.buffer),
                    bitmap.width,
                    bitmap.height,
                    bitmap.stride,
                    QImage.Format.Format_RGBX8888,
                ).copy()
                bitmap.close()
                page.close()
                yield image
        finally:
            document.close()


def paint_pdfs(printer: QPrinter, pdfs: Sequence[bytes]) -> int:
    """Paint every page of `pdfs` onto `printer`, each fitted to the printable area
    with its proportions kept. Returns the number of pages printed."""
    dpi = max(72, min(MAX_PRINT_DPI, printer.resolution()))
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be started")
    pages = 0
    try:
        for pdf in pdfs:
            for image in _each_page(pdf, dpi):
                if pages:
                    printer.newPage()
                area = printer.pageLayout().paintRectPixels(printer.resolution())
                scale = min(area.width() / image.width(), area.height() / image.height())
                width, height = image.width() * scale, image.height() * scale
                x = (area.width() - width) / 2
                painter.drawImage(QRectF(x, 0, width, height), image)
                pages += 1
    finally:
        painter.end()
    return pages


def _documents_folder() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)


class DocumentOutput:
    """Save-as-PDF and print for one parent widget; keeps the running task alive."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self.task: BackgroundTask | None = None
        #: Tests set these to skip the system dialogs.
        self.choose_file: Callable[[str], Path | None] = self._ask_file
        self.choose_any_file: Callable[[str, str], Path | None] = self._ask_any_file
        self.choose_folder: Callable[[], Path | None] = self._ask_folder
        self.choose_printer: Callable[[], QPrinter | None] = self._ask_printer
        self.message: Callable[[str], None] = self._tell

    # The person's choices ---------------------------------------------------------

    def _ask_file(self, suggested: str) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(
            self._parent,
            "Save as PDF",
            str(Path(_documents_folder()) / suggested),
            "PDF documents (*.pdf)",
        )
        return Path(chosen) if chosen else None

    def _ask_any_file(self, suggested: str, kind: str) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(
            self._parent, "Save", str(Path(_documents_folder()) / suggested), kind
        )
        return Path(chosen) if chosen else None

    def _ask_folder(self) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(
            self._parent, "Choose a folder for the PDFs", _documents_folder()
        )
        return Path(chosen) if chosen else None

    def _ask_printer(self) -> QPrinter | None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageOrientation(QPageLayout.Orientation.Portrait)
        dialog = QPrintDialog(printer, self._parent)
        dialog.setAccessibleName("Print")
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _tell(self, text: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "ehrdesk",
            text,
            QMessageBox.StandardButton.Ok,
            self._parent,
        )
        box.setAccessibleName("Done")
        box.exec()

    # The two paths ----------------------------------------------------------------

    def _prepare(self, prepare: Prepare, purpose: Purpose) -> list[PreparedDocument] | None:
        try:
            return _documents(prepare(purpose))
        except Exception as error:
            show_error(self._parent, error)
            return None

    def save_as_pdf(self, suggested: str, prepare: Prepare) -> None:
        """Ask for a file name, then prepare, render and write atomically."""
        path = self.choose_file(suggested)
        if path is None:
            return
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        documents = self._prepare(prepare, Purpose.SAVE)
        if not documents:
            return

        def work() -> Path:
            save_document(path, documents[0].render())
            return path

        self.task = run_in_background(
            self._parent, work, lambda p: self.message(f"Saved {p.name}."), label="Saving…"
        )

    def save_file(
        self,
        suggested: str,
        kind: str,
        prepare: Callable[[], PreparedDocument],
        done: Callable[[Path], None] | None = None,
    ) -> None:
        """Any document (FHIR JSON, an encrypted package): ask where, then prepare,
        render off the GUI thread and write atomically. `kind` is the dialog's filter."""
        path = self.choose_any_file(suggested, kind)
        if path is None:
            return
        try:
            document = prepare()
        except Exception as error:
            show_error(self._parent, error)
            return

        def work() -> Path:
            save_document(path, document.render())
            return path

        def finished(saved: Path) -> None:
            if done is not None:
                done(saved)
            else:
                self.message(f"Saved {saved.name}.")

        self.task = run_in_background(self._parent, work, finished, label="Saving…")

    def save_each_as_pdf(self, prepare: Prepare) -> None:
        """Several documents (one letter per client): ask for a folder, write each."""
        folder = self.choose_folder()
        if folder is None:
            return
        documents = self._prepare(prepare, Purpose.SAVE)
        if not documents:
            return

        def work() -> int:
            for document in documents:
                save_document(folder / document.file_name, document.render())
            return len(documents)

        self.task = run_in_background(
            self._parent,
            work,
            lambda n: self.message(f"Saved {n} PDF files in {folder}."),
            label="Saving…",
        )

    def print(self, prepare: Prepare) -> None:
        """The system's print dialog first; then prepare, render and paint."""
        printer = self.choose_printer()
        if printer is None:
            return
        documents = self._prepare(prepare, Purpose.PRINT)
        if not documents:
            return

        def work() -> int:
            return paint_pdfs(printer, [d.render() for d in documents])

        self.task = run_in_background(
            self._parent,
            work,
            lambda n: self.message(f"Sent {n} pages to the printer."),
            label="Printing…",
            on_error=lambda e: (
                None if isinstance(e, UserCancelled) else show_error(self._parent, e)
            ),
        )
