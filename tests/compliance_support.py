"""Helpers for the audit-review and compliance tests: clients through the front desk's
repository (no service: no role or audit event in the way), events as a given user at
a given time, and reading a PDF's words and first page."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from ehrdesk.core.front_desk import ClientDraft
from ehrdesk.core.models import User
from ehrdesk.services.registry import Services
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.users import UserRepository

SHOTS = Path("/tmp/compliance-shots")


def add_client(
    services: Services,
    first: str,
    last: str,
    *,
    line1: str = "12 Elm Street",
    city: str = "Springfield",
    region: str = "IL",
    postal: str = "62701",
) -> int:
    draft = ClientDraft(
        legal_first_name=first,
        legal_last_name=last,
        date_of_birth=date(1980, 1, 1),
        address_line1=line1,
        city=city,
        region=region,
        postal_code=postal,
    )
    with services.session.database.transaction() as conn:
        return ClientRepository(conn).add(draft, services.clock.now()).id


def user(services: Services, username: str) -> User:
    found = UserRepository(services.session.database.conn).find(username)
    assert found is not None
    return found


def log(
    services: Services,
    action: str,
    at: datetime,
    who: User | None,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
) -> None:
    with services.session.transaction() as tx:
        tx.audit(action, at=at, user=who, object_type=object_type, object_id=object_id)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is needed: apt-get install poppler-utils")
    return found


def pdf_words(data: bytes, tmp_path: Path, name: str = "doc") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        [_tool("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(out.split())


def pdf_page_png(data: bytes, tmp_path: Path, name: str, *, page: int = 1) -> Path:
    """Page `page` as a PNG, copied to /tmp/compliance-shots for a person to look at."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    subprocess.run(
        [
            _tool("pdftoppm"),
            "-png",
            "-r",
            "70",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(path),
            str(tmp_path / name),
        ],
        check=True,
    )
    png = tmp_path / f"{name}.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert png.stat().st_size > 4000
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, SHOTS / png.name)
    return png


def pdf_pages(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(data)
    info = subprocess.run(
        [_tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
