"""The composition root: parse arguments, build the services, run the CLI or the GUI.

No other module builds services or reads the environment for settings; everything
below gets what it needs from here.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import platformdirs

from ehrdesk import cli
from ehrdesk.security.workstation import SystemKeyring
from ehrdesk.services.registry import Services

DATA_DIR_ENV = "EHRDESK_DATA_DIR"


def default_data_dir() -> Path:
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)
    return platformdirs.user_data_path("ehrdesk", appauthor=False) / "practice"


def log_path() -> Path:
    return platformdirs.user_log_path("ehrdesk", appauthor=False) / "ehrdesk.log"


def _log_crash() -> Path:
    """Write the traceback (never shown to the person) to the log file."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    logging.basicConfig(filename=path, level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("ehrdesk").error("unexpected error\n%s", traceback.format_exc())
    return path


def build_services(data_dir: Path) -> Services:
    return Services.build(data_dir, keyring=SystemKeyring())


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
        )
    except KeyboardInterrupt:
        return cli.REFUSED
    except Exception:
        where = _log_crash()
        sys.stderr.write(f"ehrdesk: something went wrong; the details are in {where}.\n")
        return cli.REFUSED
