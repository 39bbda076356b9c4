"""The composition root's settings: data folder and the end-to-end idle setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from ehrdesk import app
from ehrdesk.services.session import DEFAULT_IDLE_SECONDS


def test_data_dir_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(app.DATA_DIR_ENV, str(tmp_path / "x"))
    assert app.default_data_dir() == tmp_path / "x"
    monkeypatch.delenv(app.DATA_DIR_ENV)
    assert app.default_data_dir().name == "practice"
    assert app.demo_data_dir() != app.default_data_dir()


def test_idle_setting_only_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(app.TEST_IDLE_SETTING, raising=False)
    session = app.build_services(tmp_path).session
    assert session.idle_override_seconds is None
    session.set_idle_seconds(5)
    assert session.idle_seconds == 60  # clamped to the shortest real timeout
    monkeypatch.setenv(app.TEST_IDLE_SETTING, "4")
    session = app.build_services(tmp_path).session
    session.set_idle_seconds(600)  # what sign-in does with the stored setting
    assert session.idle_seconds == 4
    assert DEFAULT_IDLE_SECONDS == 600
