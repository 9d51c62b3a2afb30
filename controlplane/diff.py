"""Text diff between what lbctl would render and what is somewhere else (a folder, a host)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Status = Literal["unchanged", "changed", "added", "removed"]

# Secrets in rendered files: shown as changed, never printed.
_SECRET_LINE = re.compile(
    r"^(\s*(?:auth_pass|stats auth \S+?:|userlist-password|user \S+ password)\s*)\S.*$"
)


@dataclass(frozen=True)
class FileDiff:
    host: str
    file: str
    status: Status
    lines: list[str]  # unified diff lines, secrets masked


# Every line _SECRET_LINE matches holds one of these: a text without them has no secret,
# which a substring search says at C speed (masking 100,000 lines one by one took 0.9 s).
_SECRET_WORDS = ("auth_pass", "stats auth", "userlist-password", " password")


def _may_hold_secrets(text: str) -> bool:
    return any(word in text for word in _SECRET_WORDS)


def mask_secrets(text: str, marker: str = "********") -> str:
    """Return text with secret values replaced by `marker`."""
    if not _may_hold_secrets(text):
        return text
    return "\n".join(_SECRET_LINE.sub(rf"\g<1>{marker}", line) for line in text.split("\n"))


def _mask_new(text: str, kept: set[str]) -> str:
    """Return `text` masked, its secret lines not in `kept` marked as changed."""
    if not _may_hold_secrets(text):
        return text
    return "\n".join(
        _SECRET_LINE.sub(r"\g<1>********" if line in kept else r"\g<1>******** (changed)", line)
        for line in text.split("\n")
    )


def _secrets(text: str) -> list[str]:
    if not _may_hold_secrets(text):
        return []
    return [line for line in text.split("\n") if _SECRET_LINE.match(line)]


def diff_files(
    expected: Mapping[str, Mapping[str, str]], actual: Mapping[str, Mapping[str, str | None]]
) -> list[FileDiff]:
    """Return a FileDiff per host and file: `expected` is the render, `actual` what exists.

    Both map host -> file name -> text; a missing file in `actual` is None or absent.
    """
    diffs: list[FileDiff] = []
    for host in _ordered(expected, actual):
        wanted = expected.get(host, {})
        present = actual.get(host, {})
        for name in _ordered(wanted, present):
            diffs.append(_diff_one(host, name, wanted.get(name), present.get(name)))
    return diffs


def has_changes(diffs: list[FileDiff]) -> bool:
    return any(d.status != "unchanged" for d in diffs)


def _ordered(first: Mapping[str, object], second: Mapping[str, object]) -> list[str]:
    return list(first) + sorted(k for k in second if k not in first)


def _diff_one(host: str, name: str, new: str | None, old: str | None) -> FileDiff:
    if new == old:
        return FileDiff(host, name, "unchanged", [])
    status: Status = "added" if old is None else "removed" if new is None else "changed"
    label = f"{host}/{name}"
    # A changed secret shows as a changed line without either value; a secret line the old
    # file has too (anywhere: a window may leave it out) is masked alike in both. The old
    # file is searched for its secret lines only when the new part shows one: searching a
    # 4 MB file took 5 ms, and a window of a long file rarely holds a secret.
    whole_old = old or ""
    windowed = 0
    if old is not None and new is not None:
        windowed, old, new = _line_window(old, new)
    kept = set(_secrets(whole_old)) if _may_hold_secrets(new or "") else set()
    before = mask_secrets(old or "").splitlines(keepends=False)
    after = _mask_new(new or "", kept).splitlines(keepends=False)
    skipped, before, after = _around_the_changes(before, after, force=windowed > 0)
    skipped += windowed
    lines = list(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"a/{label}" if old is not None else "/dev/null",
            tofile=f"b/{label}" if new is not None else "/dev/null",
            lineterm="",
        )
    )
    if skipped:
        lines = [_shifted(line, skipped) if line.startswith("@@") else line for line in lines]
    return FileDiff(host, name, status, lines)


# Files longer than this are diffed around their changes only: difflib spent 5 s comparing
# two 100,000-line files that differ in one line, most of it on the lines both share.
_LONG_FILE = 2000
_CONTEXT = 3  # unified_diff's context lines
_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@$")


def _around_the_changes(
    before: list[str], after: list[str], force: bool = False
) -> tuple[int, list[str], list[str]]:
    """Return (lines skipped at the start, both files without the lines they share at the
    start and at the end beyond the context lines), for long files (or `force`: a window
    of long files); short ones as they are.

    The diff of what is left is the whole files' diff with its line numbers shifted, except
    that difflib may pair repeated lines differently inside the changed part.
    """
    if min(len(before), len(after)) < _LONG_FILE and not force:
        return 0, before, after
    shortest = min(len(before), len(after))
    head = next((i for i in range(shortest) if before[i] != after[i]), shortest)
    tail = 0
    while tail < shortest - head and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    start = max(0, head - _CONTEXT)
    kept_tail = max(0, tail - _CONTEXT)
    return start, before[start : len(before) - kept_tail], after[start : len(after) - kept_tail]


# What str.splitlines splits at besides "\n": a text holding one is diffed the long way.
_OTHER_LINE_BREAKS = "\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_WINDOW_MARGIN = 5  # lines kept around the changed part: more than _CONTEXT, see below
_CHUNK = 1 << 16


def _line_window(old: str, new: str) -> tuple[int, str, str]:
    """Return (lines skipped, the part of `old`, the part of `new`) around their changes:
    both files less the whole lines they share at the start and at the end, but for
    _WINDOW_MARGIN lines each side; long files only (others whole, 0 skipped).

    The lines and the diff are then the whole files' (_around_the_changes finds the same
    first changed line and the same shared end within the margins). Found by comparing
    64 KiB slices: splitting and comparing 100,000 lines one by one took 0.3 s a file.
    """
    if (
        not _has_lines(old, _LONG_FILE)
        or not _has_lines(new, _LONG_FILE)
        or any(c in old or c in new for c in _OTHER_LINE_BREAKS)
    ):
        return 0, old, new
    shared = _shared_start(old, new)
    shared_end = _shared_end(old, new, min(len(old), len(new)) - shared)
    start = old.rfind("\n", 0, shared) + 1
    for _ in range(_WINDOW_MARGIN):
        if start == 0:
            break
        start = old.rfind("\n", 0, start - 1) + 1
    end = len(old) - shared_end
    for _ in range(_WINDOW_MARGIN + 1):
        found = old.find("\n", end)
        end = len(old) if found < 0 else found + 1
    cut = len(old) - end  # characters both files end with, whole lines
    return old.count("\n", 0, start), old[start:end], new[start : len(new) - cut]


def _has_lines(text: str, count: int) -> bool:
    """Return whether `text` holds at least `count` line breaks ("\\n"), reading only as
    much of it as that takes (counting all of two 4 MB files took 6 ms)."""
    found, start, size = 0, 0, _CHUNK
    while found < count and start < len(text):
        found += text.count("\n", start, start + size)
        start, size = start + size, size * 2
    return found >= count


def _shared_start(a: str, b: str) -> int:
    """Return how many characters `a` and `b` share at their start."""
    limit = min(len(a), len(b))
    at = 0
    while at < limit and a[at : at + _CHUNK] == b[at : at + _CHUNK]:
        at += _CHUNK
    low, high = at, min(at + _CHUNK, limit)
    if a[low:high] == b[low:high]:
        return high
    while high - low > 1:  # a[at:low] == b[at:low]; they differ before `high`
        middle = (low + high) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle
    return low if a[low] != b[low] else high


def _shared_end(a: str, b: str, limit: int) -> int:
    """Return how many characters `a` and `b` share at their end, at most `limit`."""
    at = 0
    while at < limit:
        size = min(_CHUNK, limit - at)
        if a[len(a) - at - size : len(a) - at] != b[len(b) - at - size : len(b) - at]:
            break
        at += size
    else:
        return limit
    low, high = at, at + min(_CHUNK, limit - at)  # they share `low`, not `high`
    while high - low > 1:
        middle = (low + high) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle
    return low


def _shifted(hunk: str, lines: int) -> str:
    found = _HUNK.match(hunk)
    if found is None:
        return hunk
    old, old_count, new, new_count = found.groups()
    return f"@@ -{int(old) + lines}{old_count or ''} +{int(new) + lines}{new_count or ''} @@"


# --- files that travel with the config ----------------------------------------------------

# Keys under files_dir whose text is PEM: shown as metadata, never as text.
_PEM_FOLDERS = ("certs/", "ca/", "crl/")


def diff_attached(
    expected: Mapping[str, Mapping[str, str]], actual: Mapping[str, Mapping[str, str | None]]
) -> list[FileDiff]:
    """Return a FileDiff per host and attached file (key under files_dir -> text).

    Certificates, CA bundles and CRLs differ as metadata (subject, serial, SHA-256
    fingerprint, not-after: old -> new), never as PEM text, so no key can be printed; maps,
    error pages and crt-lists as text diffs.
    """
    diffs: list[FileDiff] = []
    for host in _ordered(expected, actual):
        wanted = expected.get(host, {})
        present = actual.get(host, {})
        for key in _ordered(wanted, present):
            new, old = wanted.get(key), present.get(key)
            if key.startswith(_PEM_FOLDERS) and not key.endswith(".crt-list"):
                diffs.append(_metadata_diff(host, key, new, old))
            else:
                diffs.append(_diff_one(host, key, new, old))
    return diffs


def _metadata_diff(host: str, key: str, new: str | None, old: str | None) -> FileDiff:
    if new == old:
        return FileDiff(host, key, "unchanged", [])
    status: Status = "added" if old is None else "removed" if new is None else "changed"
    label = f"{host}/{key}"
    before, after = _metadata(key, old), _metadata(key, new)
    lines = [
        f"--- a/{label}" if old is not None else "--- /dev/null",
        f"+++ b/{label}" if new is not None else "+++ /dev/null",
    ]
    for field_name in dict.fromkeys([*before, *after]):
        was, now = before.get(field_name), after.get(field_name)
        if was == now:
            lines.append(f" {field_name}: {now}")
            continue
        if was is not None:
            lines.append(f"-{field_name}: {was}")
        if now is not None:
            lines.append(f"+{field_name}: {now}")
    if old is not None and new is not None and before == after:
        lines.append(" (the file changed, its metadata did not: the chain or the key order)")
    return FileDiff(host, key, status, lines)


def _metadata(key: str, text: str | None) -> dict[str, str]:
    """Printable metadata of a PEM file under files_dir (none of its PEM text)."""
    if text is None:
        return {}
    # Here, not at the top: `lbctl validate` imports this module and never needs cryptography.
    from .model.certificates import inspect_ca_bundle, inspect_certificate, inspect_crl

    if key.startswith("certs/"):
        report = inspect_certificate(text, require_key=False)
        info = report.info
        if info is None:
            return {"certificate": "(not a readable certificate)"}
        return {
            "subject": info.subject,
            "sans": ", ".join(info.sans),
            "issuer": info.issuer,
            "serial": info.serial,
            "fingerprint_sha256": info.fingerprint_sha256,
            "not_after": info.not_after.strftime("%Y-%m-%d %H:%M:%SZ"),
            "key": f"{info.key_type} {info.key_size}",
        }
    if key.startswith("ca/"):
        bundle, _ = inspect_ca_bundle(text)
        if bundle is None:
            return {"ca_bundle": "(not a readable CA bundle)"}
        return {
            "fingerprint_sha256": bundle.fingerprint_sha256,
            "certificates": "; ".join(c.subject for c in bundle.certificates),
            "not_after": bundle.not_after.strftime("%Y-%m-%d %H:%M:%SZ"),
        }
    crl, _ = inspect_crl(text)
    if crl is None:
        return {"crl": "(not a readable CRL)"}
    return {
        "issuer": crl.issuer,
        "fingerprint_sha256": crl.fingerprint_sha256,
        "revoked": str(len(crl.revoked_serials)),
        "next_update": crl.next_update.strftime("%Y-%m-%d %H:%M:%SZ") if crl.next_update else "-",
    }
