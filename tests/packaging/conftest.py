"""Packaging tests: the Xvfb display of the end-to-end tests, and Qt offscreen for the
one test that builds a QIcon."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.e2e.conftest import display  # noqa: F401 - a fixture, shared
