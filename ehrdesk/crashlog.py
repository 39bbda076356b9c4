"""Where unexpected errors go: a log file with the traceback, never the screen.

The person sees one generic sentence naming this file. Tracebacks hold code and
exception types; ehrdesk's own exceptions never carry client data (core/errors.py).
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import platformdirs


def log_path() -> Path:
    return platformdirs.user_log_path("ehrdesk", appauthor=False) / "ehrdesk.log"


def record(error: BaseException) -> Path:
    """Append the traceback of `error` to the log; returns the log's path."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    logger = logging.getLogger("ehrdesk.crash")
    if not logger.handlers:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    logger.error("unexpected error\n%s", text)
    return path


def generic_message(path: Path) -> str:
    return f"Something went wrong. The details are in {path}."
