"""Desktop integration: the .desktop file and AppStream metainfo pass their validators
and agree with `ehrdesk.APP_ID` and `ehrdesk.__version__`, the icon exists at every
size, and the per-user install leaves the practice's folder alone, then uninstalls to
the very last file.

`tools/setup --test` installs the validators (desktop-file-utils, appstream).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from ehrdesk import APP_ID, __version__

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
#: appstreamcli 1.x warns that there is no screenshot; ehrdesk has none published yet.
ALLOWED_APPSTREAM_WARNINGS = {"screenshot-default-missing"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"needs {name}: `tools/setup --test` installs it")
    return path


def desktop_file_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("desktop-file-validate"), str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def appstream_problems(path: Path) -> tuple[list[str], list[str]]:
    """The (errors, warnings) `appstreamcli validate --no-net` reports, by tag name."""
    done = subprocess.run(
        [tool("appstreamcli"), "validate", "--no-net", "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert "Validation" in output, output  # it ran and judged the file
    found: dict[str, list[str]] = {"E": [], "W": []}
    for line in output.splitlines():
        match = re.match(r"^([EW]): \S+?:\S*: (\S+)", line)
        if match:
            found[match.group(1)].append(match.group(2))
    if done.returncode != 0:
        assert found["E"] or found["W"], output
    return found["E"], found["W"]


def desktop_entry(path: Path) -> dict[str, str]:
    entry = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            entry[key] = value
    return entry


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert data[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# The .desktop file ---------------------------------------------------------------------


def test_the_desktop_file_passes_desktop_file_validate() -> None:
    done = desktop_file_validate(DESKTOP)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "error:" not in done.stdout + done.stderr


def test_desktop_file_validate_would_catch_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / f"{APP_ID}.desktop"
    broken.write_text(DESKTOP.read_text().replace("Type=Application\n", ""))

    assert desktop_file_validate(broken).returncode != 0


def test_the_desktop_file_names_the_app_id_and_its_icon() -> None:
    entry = desktop_entry(DESKTOP)

    assert DESKTOP.name == f"{APP_ID}.desktop"  # Qt's desktopFileName finds it by this
    assert entry["Icon"] == APP_ID
    assert entry["Exec"] == "ehrdesk"
    assert entry["Categories"] == "Office;MedicalSoftware;"
    assert entry["Terminal"] == "false"
    assert entry["StartupWMClass"] == "ehrdesk"


# The AppStream metainfo ----------------------------------------------------------------


def test_the_metainfo_passes_appstreamcli_validate() -> None:
    errors, warnings = appstream_problems(METAINFO)

    assert errors == []
    assert set(warnings) <= ALLOWED_APPSTREAM_WARNINGS


def test_appstreamcli_would_catch_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / f"{APP_ID}.metainfo.xml"
    broken.write_text(re.sub(r"<summary>.*?</summary>", "", METAINFO.read_text()))

    errors, _ = appstream_problems(broken)

    assert errors


def test_the_metainfo_describes_this_app() -> None:
    root = ET.parse(METAINFO).getroot()

    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("name") == "ehrdesk"
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "LicenseRef-proprietary"
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP.name
    assert [c.text for c in root.iter("category")] == ["Office", "MedicalSoftware"]
    assert root.find("content_rating") is not None
    assert root.findtext("developer/name")
    assert root.findtext("url[@type='homepage']", "").startswith("https://")
    assert root.findtext("provides/binary") == "ehrdesk"


def test_the_newest_release_is_the_version_ehrdesk_reports() -> None:
    """The version lives in ehrdesk/__init__.py; raising it without a <release> entry
    for it (newest first, as AppStream wants) fails here."""
    releases = ET.parse(METAINFO).getroot().findall("releases/release")

    assert releases, "no <release> in the metainfo"
    assert releases[0].get("version") == __version__
    dates = [date.fromisoformat(r.get("date", "")) for r in releases]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] <= date.today()


# Icons ---------------------------------------------------------------------------------


def test_the_icon_source_is_a_square_svg() -> None:
    svg = ET.parse(ICONS / f"{APP_ID}.svg").getroot()

    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.get("viewBox") == "0 0 256 256"
    assert not any(e.get("{http://www.w3.org/1999/xlink}href") for e in svg.iter())  # no files


@pytest.mark.parametrize("size", SIZES)
def test_the_icon_is_rendered_at(size: int) -> None:
    png = ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"

    assert png_size(png) == (size, size)


def test_render_icons_makes_every_size_from_the_svg(tmp_path: Path) -> None:
    """The script, run on a copy of the tree, renders the sizes the tests expect."""
    tool("rsvg-convert")
    copy = tmp_path / "tree"
    (copy / "packaging").mkdir(parents=True)
    (copy / "resources" / "icons").mkdir(parents=True)
    shutil.copy2(ROOT / "packaging" / "render-icons", copy / "packaging")
    shutil.copy2(ICONS / f"{APP_ID}.svg", copy / "resources" / "icons")

    done = subprocess.run(
        [str(copy / "packaging" / "render-icons")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    for size in SIZES:
        png = copy / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        assert png_size(png / f"{APP_ID}.png") == (size, size)


def test_the_app_finds_its_icon_in_a_checkout(qapp: object) -> None:
    from ehrdesk.ui import resources

    assert resources.resources_dir() == ROOT / "resources"
    assert sorted(resources.icon_files()) == list(SIZES)
    icon = resources.app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == set(SIZES)


def test_the_frozen_app_finds_its_icon_in_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ehrdesk.ui import resources

    bundle_icons = tmp_path / "resources" / "icons" / "hicolor" / "48x48" / "apps"
    bundle_icons.mkdir(parents=True)
    shutil.copy2(ICONS / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png", bundle_icons)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)

    assert resources.resources_dir() == tmp_path / "resources"
    assert resources.icon_files() == {48: bundle_icons / f"{APP_ID}.png"}


# The per-user install ------------------------------------------------------------------

DUMMY_APP = "#!/bin/sh\necho 'ehrdesk (a stand-in for the built app)'\n"


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A stand-in for dist/ehrdesk: the executable and a folder beside it."""
    folder = tmp_path / "dist" / "ehrdesk"
    (folder / "_internal" / "resources").mkdir(parents=True)
    (folder / "_internal" / "libsomething.so").write_bytes(b"\x7fELF stand-in")
    app = folder / "ehrdesk"
    app.write_text(DUMMY_APP)
    app.chmod(0o755)
    return folder


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home folder whose only content is a practice's data folder."""
    home = tmp_path / "home"
    practice = home / ".local" / "share" / "ehrdesk" / "practice"
    practice.mkdir(parents=True)
    (practice / "vault.json").write_text('{"stand-in": "the practice keys"}')
    (practice / "practice.ehrdb").write_bytes(os.urandom(4096))
    (home / ".local" / "share" / "ehrdesk" / "demo").mkdir()
    return home


def snapshot(folder: Path) -> dict[str, bytes | str | None]:
    """Every path under `folder`: a file's bytes, a link's target, None for a folder."""
    found: dict[str, bytes | str | None] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = os.readlink(path)
        elif path.is_file():
            found[name] = path.read_bytes()
        else:
            found[name] = None
    return found


def run_script(name: str, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k != "HOME"}
    environment.update(HOME=str(home), **env)
    return subprocess.run(
        [str(LINUX / name), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("xdg", [False, True], ids=["default-data-home", "XDG_DATA_HOME"])
def test_install_then_uninstall_leaves_only_the_practice(
    home: Path, built: Path, tmp_path: Path, xdg: bool
) -> None:
    data_home = tmp_path / "xdg-data" if xdg else home / ".local" / "share"
    env = {"XDG_DATA_HOME": str(data_home)} if xdg else {}
    if xdg:
        shutil.copytree(home / ".local" / "share" / "ehrdesk", data_home / "ehrdesk")
    before = snapshot(home), snapshot(tmp_path / "xdg-data") if xdg else {}

    installed = run_script("install-user.sh", home, str(built), **env)

    assert installed.returncode == 0, installed.stderr
    app_dir = data_home / "ehrdesk-app"
    assert (app_dir / "ehrdesk").read_text() == DUMMY_APP
    assert (app_dir / "_internal" / "libsomething.so").exists()
    launcher = home / ".local" / "bin" / "ehrdesk"
    assert os.readlink(launcher) == str(app_dir / "ehrdesk")
    ran = subprocess.run([launcher], capture_output=True, text=True, timeout=30, check=True)
    assert "stand-in" in ran.stdout
    desktop = data_home / "applications" / f"{APP_ID}.desktop"
    entry = desktop_entry(desktop)
    assert entry["Exec"] == f'"{app_dir / "ehrdesk"}"'
    assert entry["TryExec"] == str(app_dir / "ehrdesk")
    assert desktop_file_validate(desktop).returncode == 0
    icons = data_home / "icons" / "hicolor"
    for size in SIZES:
        assert (icons / f"{size}x{size}" / "apps" / f"{APP_ID}.png").exists()
    assert (icons / "scalable" / "apps" / f"{APP_ID}.svg").exists()
    assert str(data_home / "ehrdesk") in installed.stdout  # says where the records stay

    again = run_script("install-user.sh", home, str(built), **env)  # an update
    assert again.returncode == 0, again.stderr
    uninstalled = run_script("uninstall-user.sh", home, **env)

    assert uninstalled.returncode == 0, uninstalled.stderr
    assert (snapshot(home), snapshot(tmp_path / "xdg-data") if xdg else {}) == before


def test_uninstall_refuses_a_folder_it_did_not_make(home: Path) -> None:
    stranger = home / ".local" / "share" / "ehrdesk-app"
    stranger.mkdir(parents=True)
    (stranger / "notes.txt").write_text("someone else's")
    before = snapshot(home)

    done = run_script("uninstall-user.sh", home)

    assert done.returncode == 1
    assert "not made by install-user.sh" in done.stderr
    assert snapshot(home) == before


def test_install_refuses_to_replace_another_ehrdesk_command(home: Path, built: Path) -> None:
    other = home / ".local" / "bin" / "ehrdesk"
    other.parent.mkdir(parents=True)
    other.write_text("#!/bin/sh\n# a pip --user install, say\n")
    before = snapshot(home)

    done = run_script("install-user.sh", home, str(built))

    assert done.returncode == 1
    assert "move it away" in done.stderr
    assert snapshot(home) == before


def test_install_without_a_build_says_how_to_make_one(home: Path, tmp_path: Path) -> None:
    before = snapshot(home)

    done = run_script("install-user.sh", home, str(tmp_path / "no-such-build"))

    assert done.returncode == 1
    assert "tools/package" in done.stderr
    assert snapshot(home) == before


def test_uninstall_with_nothing_installed_changes_nothing(home: Path) -> None:
    before = snapshot(home)

    done = run_script("uninstall-user.sh", home)

    assert done.returncode == 0, done.stderr
    assert snapshot(home) == before
