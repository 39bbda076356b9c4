"""The Emergency Kit PDF: what it says, that it prints, and how it reaches the disk.

Needs poppler-utils (pdftotext, pdfinfo, pdftoppm) and zbar-tools (zbarimg).
"""

from __future__ import annotations

import builtins
import errno
import os
import re
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ehrdesk.core.errors import InvalidInput
from ehrdesk.reports.emergency_kit import render_emergency_kit, write_emergency_kit
from ehrdesk.reports.layout import format_utc

KEY = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789"
PRACTICE = "Riverside Counselling & Therapy <North>"
VAULT_ID = "3f2a9c1e-7b4d-4e8a-9f01-2c3d4e5f6a7b"
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CANNOT_SAVE = "The Emergency Kit cannot be saved there; choose another folder."

# A4 printed on US Letter at actual size loses this much at top and bottom.
A4_WIDTH, A4_HEIGHT = 595.28, 841.89
LETTER_OVERHANG = (A4_HEIGHT - 792) / 2
HALF_INCH = 36.0


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is needed: apt-get install poppler-utils zbar-tools")
    return found


def _run(*args: str | Path) -> str:
    result = subprocess.run(
        [_tool(str(args[0])), *map(str, args[1:])],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _write(path: Path, **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "practice_name": PRACTICE,
        "recovery_key": KEY,
        "vault_id": VAULT_ID,
        "created_at": CREATED,
        "app_version": "0.1.0",
        **overrides,
    }
    write_emergency_kit(path, **arguments)


def _words(pdf: Path) -> str:
    return " ".join(_run("pdftotext", pdf, "-").split())


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    path = tmp_path / "Emergency Kit.pdf"
    _write(path)
    return path


def test_kit_says_what_it_must(kit: Path) -> None:
    text = _words(kit)
    for phrase in [
        "ehrdesk Emergency Kit",
        PRACTICE,
        "Created 5 January 2026",
        f"Vault ID: {VAULT_ID}",
        "RECOVERY KEY",
        KEY,
        "opens the practice\u2019s data and every backup",
        "passwords are lost or the computer is replaced",
        "locked drawer or a safe",
        "Not with the computer",
        "Never photographed",
        "cloud service",
        "install ehrdesk, choose \u201cRestore from backup\u201d, and type this key",
        "\u201cUse recovery key\u201d at sign-in",
        "Anyone holding this page can read all client records.",
        "Where our backups are kept",
        "Confidential",
        "Page 1 of 1",
        "Generated 2026-01-05 09:00 UTC by ehrdesk 0.1.0",
    ]:
        assert phrase in text, phrase


def test_every_group_of_the_key_is_printed_as_given(kit: Path) -> None:
    text = _run("pdftotext", kit, "-")
    for group in KEY.split("-"):
        assert group in text
    assert KEY in text.splitlines()


def test_kit_is_one_a4_page(kit: Path) -> None:
    info = _run("pdfinfo", kit)
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    assert re.search(r"^Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info, re.MULTILINE)
    assert re.search(r"^Title:\s+ehrdesk Emergency Kit$", info, re.MULTILINE)


def test_every_word_lies_where_letter_paper_prints_it_too(kit: Path) -> None:
    boxes = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"',
        _run("pdftotext", "-bbox", kit, "-"),
    )
    assert len(boxes) > 100
    top, bottom = LETTER_OVERHANG + HALF_INCH, A4_HEIGHT - LETTER_OVERHANG - HALF_INCH
    for x_min, y_min, x_max, y_max in ((float(v) for v in box) for box in boxes):
        assert x_min >= HALF_INCH and x_max <= A4_WIDTH - HALF_INCH
        assert top <= y_min and y_max <= bottom


def test_kit_renders_to_an_image(kit: Path, tmp_path: Path) -> None:
    _run("pdftoppm", "-png", "-r", "60", "-singlefile", kit, tmp_path / "page")
    png = tmp_path / "page.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.stat().st_size > 5000


def test_qr_code_holds_exactly_the_recovery_key(kit: Path, tmp_path: Path) -> None:
    _run("pdftoppm", "-png", "-r", "200", "-singlefile", kit, tmp_path / "page")
    assert _run("zbarimg", "--raw", "-q", tmp_path / "page.png").strip() == KEY


def test_a_long_key_wraps_between_groups_and_stays_whole(tmp_path: Path) -> None:
    long_key = "-".join([KEY] * 2)
    path = tmp_path / "kit.pdf"
    _write(path, recovery_key=long_key)
    # -layout: plain pdftotext would join a line ending in "-" as if it were hyphenated.
    lines = [line.strip() for line in _run("pdftotext", "-layout", path, "-").splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("ABCD-"))
    assert len(lines[start]) < len(long_key)
    assert lines[start].endswith("-")
    assert lines[start] + lines[start + 1] == long_key
    _run("pdftoppm", "-png", "-r", "200", "-singlefile", path, tmp_path / "page")
    assert _run("zbarimg", "--raw", "-q", tmp_path / "page.png").strip() == long_key


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_kit_file_is_owner_only(kit: Path) -> None:
    assert stat.S_IMODE(kit.stat().st_mode) == 0o600


def test_no_temporary_file_is_left_behind(kit: Path) -> None:
    assert [p.name for p in kit.parent.iterdir()] == [kit.name]


def test_an_existing_kit_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "kit.pdf"
    path.write_bytes(b"an older kit")
    _write(path)
    assert path.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["kit.pdf"]


def test_failure_mid_write_leaves_no_kit_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(errno.EIO, "simulated I/O error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(InvalidInput) as caught:
        _write(tmp_path / "kit.pdf")
    assert caught.value.message == CANNOT_SAVE
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_refused_plainly(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        _write(tmp_path / "USB drive not mounted" / "kit.pdf")
    assert caught.value.message == CANNOT_SAVE
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_refused_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulated, because chmod does not stop root (CI containers often run as root).
    def denied(*args: Any, **kwargs: Any) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(InvalidInput) as caught:
        _write(tmp_path / "kit.pdf")
    assert caught.value.message == CANNOT_SAVE
    assert list(tmp_path.iterdir()) == []


def test_folder_reported_unwritable_is_refused_before_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(InvalidInput, match="choose another folder"):
        _write(tmp_path / "kit.pdf")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_place_of_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kit.pdf").mkdir()
    with pytest.raises(InvalidInput, match="choose another folder"):
        _write(tmp_path / "kit.pdf")
    assert [p.name for p in tmp_path.iterdir()] == ["kit.pdf"]


def test_rendering_writes_nothing_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    real_open, real_os_open = builtins.open, os.open

    def read_only_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        assert not set(mode) & set("wax+"), f"rendering opened {file!r} for writing"
        return real_open(file, mode, *args, **kwargs)

    def read_only_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        assert not flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT), f"wrote {path!r}"
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only_open)
    monkeypatch.setattr(os, "open", read_only_os_open)
    pdf = render_emergency_kit(
        practice_name=PRACTICE,
        recovery_key=KEY,
        vault_id=VAULT_ID,
        created_at=CREATED,
        app_version="0.1.0",
    )
    assert pdf.startswith(b"%PDF-")


def test_same_input_gives_the_same_bytes() -> None:
    arguments: dict[str, Any] = {
        "practice_name": PRACTICE,
        "recovery_key": KEY,
        "vault_id": VAULT_ID,
        "created_at": CREATED,
        "app_version": "0.1.0",
    }
    assert render_emergency_kit(**arguments) == render_emergency_kit(**arguments)


def test_dates_follow_their_zones(tmp_path: Path) -> None:
    evening_in_new_york = datetime(2026, 1, 5, 20, 30, tzinfo=timezone(timedelta(hours=-5)))
    path = tmp_path / "kit.pdf"
    _write(path, created_at=evening_in_new_york)
    text = _words(path)
    assert "Created 5 January 2026" in text
    assert "Generated 2026-01-06 01:30 UTC by ehrdesk 0.1.0" in text


def test_a_reprint_names_when_it_was_generated(tmp_path: Path) -> None:
    path = tmp_path / "kit.pdf"
    _write(path, generated_at=datetime(2027, 3, 1, 14, 5, tzinfo=UTC), app_version="0.4.2")
    text = _words(path)
    assert "Created 5 January 2026" in text
    assert "Generated 2027-03-01 14:05 UTC by ehrdesk 0.4.2" in text


@pytest.mark.parametrize("bad_key", ["", " ABCD-EFGH", "ABCD-EFGH\nJKMN-PQRS"])
def test_a_malformed_key_is_a_programming_error(tmp_path: Path, bad_key: str) -> None:
    with pytest.raises(ValueError, match="recovery key"):
        _write(tmp_path / "kit.pdf", recovery_key=bad_key)
    assert list(tmp_path.iterdir()) == []


def test_naive_times_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _write(tmp_path / "kit.pdf", created_at=datetime(2026, 1, 5, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        format_utc(datetime(2026, 1, 5, 9, 0))
