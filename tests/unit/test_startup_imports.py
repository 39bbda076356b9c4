"""Start-up loads what the sign-in window needs and no more: the document, calendar,
keyring and QR libraries are loaded when first used (about half of the start-up time
on the 2-core machine went to loading them; bench/ measures it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LATER = ("reportlab", "icalendar", "keyring", "segno")


def _loaded_at_start_up(extra: str = "") -> set[str]:
    script = (
        "import sys\n"
        "import ehrdesk.app, ehrdesk.ui.application\n"
        f"{extra}"
        f"print(' '.join(m for m in {LATER!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""},
    )
    return set(result.stdout.split())


def test_start_up_leaves_documents_calendars_keyring_and_qr_codes_for_later() -> None:
    assert _loaded_at_start_up() == set()


def test_the_check_sees_a_library_that_is_loaded() -> None:
    assert _loaded_at_start_up("import ehrdesk.reports.audit_report\n") == {"reportlab"}
