"""The `lbctl` command line: parse arguments, call a use case (usecases/), print; no rules."""

from __future__ import annotations

import os
import sys

from .group import main
from .output import DEBUG_ENV, err, unexpected_error_text

__all__ = ["main", "run"]


def run() -> None:
    """Entry point that never shows a traceback unless LBCTL_DEBUG is set."""
    try:
        main()
    except KeyboardInterrupt as exc:
        # The running Ansible step was stopped; `lbctl diff -i` shows where the hosts stand.
        err(f"interrupted{': ' + str(exc) if str(exc) else ''}")
        sys.exit(130)
    except Exception as exc:  # outside any command (the group turns a command's into exit 3)
        if os.environ.get(DEBUG_ENV):
            raise
        err(f"error: {unexpected_error_text(exc)}")
        sys.exit(3)
