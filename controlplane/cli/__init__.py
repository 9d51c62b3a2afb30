"""The `lbctl` command line: parse arguments, call `service`, print. No business rules here."""

from __future__ import annotations

import os
import sys

from .group import main
from .output import err

__all__ = ["main", "run"]


def run() -> None:
    """Entry point that never shows a traceback unless LBCTL_DEBUG is set."""
    try:
        main()
    except KeyboardInterrupt as exc:
        # The running Ansible step was stopped; `lbctl diff -i` shows where the hosts stand.
        err(f"interrupted{': ' + str(exc) if str(exc) else ''}")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("LBCTL_DEBUG"):
            raise
        err(f"internal error: {type(exc).__name__}: {exc} (set LBCTL_DEBUG=1 for details)")
        sys.exit(3)
