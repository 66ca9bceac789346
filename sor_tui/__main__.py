"""``python -m sor_tui``."""

from sor_tui.cli import main

raise SystemExit(main())
