"""Arrows point down: nothing outside ehrdesk/ui/ may import PySide6."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def non_ui_modules() -> list[str]:
    modules = []
    for path in sorted((ROOT / "ehrdesk").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts
        if "ui" in parts[1:2] or parts[-1] == "__main__":
            continue
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_every_module_below_ui_imports_without_pyside6() -> None:
    modules = non_ui_modules()
    assert "ehrdesk.services.auth" in modules and "ehrdesk.cli" in modules
    script = (
        "import sys, importlib\n"
        "sys.modules['PySide6'] = None\n"  # makes `import PySide6` raise ImportError
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "assert not any(m.startswith('PySide6') and sys.modules[m] for m in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_check_itself_catches_a_qt_import(tmp_path: Path) -> None:
    script = "import sys\nsys.modules['PySide6'] = None\nimport PySide6.QtCore\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert result.returncode != 0
