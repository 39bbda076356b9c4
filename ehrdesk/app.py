"""The composition root: parse arguments, build the services, run the CLI or the GUI.

No other module builds services or reads the environment for settings; everything
below gets what it needs from here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import platformdirs

from ehrdesk import cli, crashlog
from ehrdesk.security.workstation import SystemKeyring
from ehrdesk.services.registry import Services

DATA_DIR_ENV = "EHRDESK_DATA_DIR"
#: The end-to-end tests' one setting: a short idle timeout in seconds, so a test can
#: watch the app lock itself without waiting the shortest real timeout (one minute).
TEST_IDLE_SETTING = "EHRDESK_TEST_IDLE_SECONDS"
#: The start-up benchmark's setting: quit as soon as the first screen is shown.
BENCH_STARTUP_SETTING = "EHRDESK_BENCH_QUIT_WHEN_SHOWN"


def default_data_dir() -> Path:
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)
    return platformdirs.user_data_path("ehrdesk", appauthor=False) / "practice"


def demo_data_dir() -> Path:
    return platformdirs.user_data_path("ehrdesk", appauthor=False) / "demo"


def build_services(data_dir: Path) -> Services:
    services = Services.build(data_dir, keyring=SystemKeyring())
    override = os.environ.get(TEST_IDLE_SETTING, "")
    if override.isdigit() and int(override) > 0:
        services.session.idle_override_seconds = int(override)
        services.session.set_idle_seconds(int(override))
    return services


def start_gui(services: Services) -> int:
    """The desktop app; imported only here, so the command line never loads Qt."""
    from ehrdesk.ui.application import run_gui  # noqa: PLC0415

    quit_when_shown = os.environ.get(BENCH_STARTUP_SETTING) == "1"
    return run_gui(services, demo_dir=demo_data_dir(), quit_when_shown=quit_when_shown)


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # nothing ehrdesk writes is for other accounts on this computer
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return cli.run(
            args,
            make_services=build_services,
            default_data_dir=default_data_dir(),
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            start_gui=start_gui,
            demo_data_dir=demo_data_dir(),
        )
    except KeyboardInterrupt:
        return cli.REFUSED
    except Exception as error:
        sys.stderr.write(f"ehrdesk: {crashlog.generic_message(crashlog.record(error))}\n")
        return cli.REFUSED
