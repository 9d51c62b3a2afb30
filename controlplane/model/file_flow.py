"""The file flow: read the files a model declares with `file:`, next to the model file.

Paths are relative to the model file's folder and must stay inside it: the schema refuses
absolute paths and '..', and here a path that resolves outside the folder (through a
symbolic link) is refused too. A model checked out from a repository can then only ship
files from that checkout, never /etc/shadow or a key elsewhere on the machine that renders it.

Reading is the only thing done here; what the contents must be is `file_checks.py`'s.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import FieldError, ModelInvalid
from .config_files import MAX_FILE_BYTES, FileContents, FileKind, declared_files


def read_model_files(model: object, model_file: Path | str) -> FileContents:
    """Return the contents of every declared file that has `file:`, read next to the model.

    Raises ModelInvalid with one error per file that cannot be read, naming the field
    (`certificates[site].file`) and the path.
    """
    base = Path(model_file).resolve().parent
    texts: dict[tuple[FileKind, str], str] = {}
    errors: list[FieldError] = []
    for declared in declared_files(model):
        if declared.file is None:
            continue
        where = f"{declared.path}.file"
        try:
            texts[(declared.kind, declared.name)] = _read(base, declared.file)
        except _Unreadable as exc:
            errors.append(FieldError(where, str(exc)))
    if errors:
        raise ModelInvalid(errors, str(model_file))
    return FileContents(texts)


class _Unreadable(Exception):
    pass


def _read(base: Path, relative: str) -> str:
    path = base / relative
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        raise _Unreadable(f"{relative} not found (looked in {base})") from None
    except OSError as exc:
        raise _Unreadable(f"cannot read {relative}: {exc.strerror}") from None
    if not resolved.is_relative_to(base):
        raise _Unreadable(
            f"{relative} leads outside the model file's folder (a symbolic link to "
            f"{resolved}); copy the file next to the model instead"
        )
    if not resolved.is_file():
        raise _Unreadable(f"{relative} is not a regular file")
    try:
        with resolved.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Unreadable(f"cannot read {relative}: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise _Unreadable(f"{relative} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unreadable(
            f"{relative} is not text (UTF-8); a certificate must be PEM, not DER"
        ) from None
