"""UI tests run offscreen with pytest-qt and build only the widget under test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
