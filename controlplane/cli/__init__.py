"""The `lbctl` command line: parse arguments, call a use case (usecases/), print; no rules."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .group import main

__all__ = ["main", "run"]


def run() -> None:
    """Entry point that never shows a traceback unless LBCTL_DEBUG is set."""
    # Before importing the commands (pydantic and the model classes): a model file to
    # validate or render starts parsing now, in a second process (model/parse_ahead.py).
    model_file = _model_file(sys.argv[1:])
    if model_file is not None and not _probably_cached(sys.argv[1:], model_file):
        from ..model.parse_ahead import start

        start(model_file)
    from .group import main
    from .output import DEBUG_ENV, err, unexpected_error_text

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


# The options of `validate` / `render` that take a value; every other option is a flag.
_VALUE_OPTIONS = ("--out",)


def _model_file(args: list[str]) -> str | None:
    """Return FILE of `lbctl validate FILE` / `lbctl render FILE ...`, else None.

    A guess made before click parses the line: a wrong one costs a parse that is not used
    (the loader uses the result only for the same file name and the same bytes).
    """
    if not args or args[0] not in ("validate", "render"):
        return None
    rest = iter(args[1:])
    for arg in rest:
        if arg in _VALUE_OPTIONS:
            next(rest, None)
        elif arg == "--":
            return next(rest, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _probably_cached(args: list[str], model_file: str) -> bool:
    """Return whether the result cache holds an entry for this command and model file.

    Then the command will most likely not parse the model, and a parse in a second process
    would only cost CPU. The bytes read here are the ones the command uses.
    """
    from ..usecases import result_cache

    if "--no-cache" in args or not result_cache.enabled():
        return False
    try:
        model = result_cache.read_model(model_file, early=True)
        return result_cache.ResultCache().has(args[0], {}, model)
    except OSError:
        return False  # the command reports it


def __getattr__(name: str) -> Any:
    # `from controlplane.cli import main` (tests, embedding): the group, imported when asked.
    if name == "main":
        from .group import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
