"""Errors the lab raises: structured, so callers decide how to show them."""

from __future__ import annotations


class LabError(Exception):
    """The lab could not be built, used or torn down; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LabCommandError(LabError):
    """A command run for the lab (ip, nsenter, a control script) exited non-zero."""

    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str) -> None:
        detail = (stderr or stdout).strip().splitlines()[-5:]
        super().__init__(
            f"command failed with exit code {returncode}: {' '.join(argv)}"
            + ("\n  " + "\n  ".join(detail) if detail else "")
        )
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
