"""Structured errors that the CLI and web layers turn into text or JSON."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One problem in a model document: where it is and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class ModelInvalid(Exception):
    """The model document cannot be used; `errors` lists every problem found."""

    errors: list[FieldError]
    source: str = ""

    def __str__(self) -> str:
        head = f"{self.source}: " if self.source else ""
        n = len(self.errors)
        return f"{head}{n} error{'s' if n != 1 else ''} in the model"


def one_error(source: str, where: str, message: str) -> ModelInvalid:
    """Return a ModelInvalid holding one error: a document refused before validation."""
    return ModelInvalid([FieldError(where, message)], source)


@dataclass
class CheckFailed(Exception):
    """A rendered file was refused by the real haproxy/keepalived binary."""

    host: str
    file: str
    tool: str
    output: str

    def __str__(self) -> str:
        return f"{self.host}/{self.file}: rejected by {self.tool}:\n{self.output}"


@dataclass
class ToolMissing(Exception):
    """A binary needed for validation is not installed."""

    tool: str
    hint: str = field(default="")

    def __str__(self) -> str:
        return f"{self.tool} not found on PATH. {self.hint}".strip()


@dataclass
class HostsUnreachable(Exception):
    """Some LB hosts could not be asked anything; `errors` maps each to what SSH said."""

    errors: dict[str, str]

    def __str__(self) -> str:
        hosts = "; ".join(f"{host}: {error}" for host, error in sorted(self.errors.items()))
        return f"cannot reach {hosts}"
