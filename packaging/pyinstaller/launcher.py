"""The frozen app's entry point: the same `ehrdesk.app.main` as `python -m ehrdesk`.

A launcher outside the package, rather than `ehrdesk/__main__.py` itself, because
PyInstaller puts the entry script's folder on the module search path: with
`ehrdesk/__main__.py` that would make `ehrdesk/core`, `ehrdesk/ui`… importable as
top-level `core`, `ui`… in the frozen app.
"""

from ehrdesk.app import main

if __name__ == "__main__":
    raise SystemExit(main())
