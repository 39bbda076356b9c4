"""`python -m ehrdesk` runs the same entry point as the `ehrdesk` command."""

from ehrdesk.app import main

raise SystemExit(main())
