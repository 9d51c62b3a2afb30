"""User lists: named sets of users with hashed passwords, for basic auth and the stats page.

A model never holds a plaintext password: each user's `password` is a crypt(3) hash, which
HAProxy checks with the C library's crypt() on each request. Measured with HAProxy 2.6 on
Debian 12 (libxcrypt): SHA-512 (`$6$`), SHA-256 (`$5$`), bcrypt (`$2b$`/`$2y$`/`$2a$`) and
yescrypt (`$y$`) hashes all answer 200 with the right password and 401 with a wrong one;
`haproxy -c` accepts any text, so the form is checked here. MD5 (`$1$`) and DES hashes are
refused as too weak to protect anything.

The hashes count as secrets (secrets.py): masked in exports, pages, API answers and diffs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from ..errors import FieldError
from .base import Strict
from .duplicates import duplicate_errors
from .error_budget import Counted
from .types import Name

if TYPE_CHECKING:
    from .schema import LbModel

MAX_USERLISTS = 1_000
MAX_USERS = 10_000

# Base64-like crypt alphabet; none of these characters is syntax in haproxy.cfg, and a
# bare `$` outside double quotes is printed as is (measured: alice's `$6$...` logs in).
_B64 = r"[./0-9A-Za-z]"
_HASH_FORMS = (
    re.compile(rf"\$6\$(rounds=[0-9]{{1,9}}\$)?{_B64}{{1,16}}\${_B64}{{86}}"),
    re.compile(rf"\$5\$(rounds=[0-9]{{1,9}}\$)?{_B64}{{1,16}}\${_B64}{{43}}"),
    re.compile(rf"\$2[aby]\$[0-9]{{2}}\${_B64}{{53}}"),
    re.compile(rf"\$y\${_B64}{{1,32}}\${_B64}{{1,86}}\${_B64}{{43}}"),
)
HOW_TO_HASH = "make one with `mkpasswd -m sha-512` (Debian package whois) or `openssl passwd -6`"


def password_hash_problem(value: str) -> str | None:
    """Return why `value` is not a password hash the model takes (None: it is one).

    The message never echoes the value: it may be a plaintext password typed by mistake.
    """
    if any(form.fullmatch(value) for form in _HASH_FORMS):
        return None
    if value.startswith(("$1$", "$apr1$")):
        return f"MD5 hashes are too weak; {HOW_TO_HASH}"
    return (
        "must be a crypt(3) password hash (SHA-512 `$6$...`, SHA-256 `$5$...`, bcrypt "
        f"`$2b$...` or yescrypt `$y$...`), never a plaintext password; {HOW_TO_HASH}"
    )


def _check_password_hash(value: str) -> str:
    problem = password_hash_problem(value)
    if problem:
        raise ValueError(problem)
    return value


PasswordHash = Annotated[
    str,
    Field(
        max_length=512,
        description=(
            "crypt(3) hash: SHA-512 `$6$`, SHA-256 `$5$`, bcrypt `$2b$` or yescrypt `$y$`; "
            "e.g. from `mkpasswd -m sha-512` or `openssl passwd -6`"
        ),
    ),
    AfterValidator(_check_password_hash),
]

UserName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$",
        description="1-63 ASCII letters, digits, '_', '.', '@', '-'; starts with a letter or digit",
    ),
]


class User(Strict):
    name: UserName
    password: PasswordHash


class Userlist(Strict):
    name: Name
    users: list[Counted[User]] = Field(default_factory=list, max_length=MAX_USERS)


def userlist_errors(model: LbModel) -> Iterator[FieldError]:
    """Return errors of the model's user lists: duplicate list names and user names."""
    yield from duplicate_errors("userlists", model.userlists)
    for userlist in model.userlists:
        yield from duplicate_errors(
            f"userlists[{userlist.name}].users", userlist.users, label="user", listed_as="users"
        )


def userlist_warnings(model: LbModel) -> Iterator[FieldError]:
    for userlist in model.userlists:
        if not userlist.users:
            yield FieldError(f"userlists[{userlist.name}].users", "no users: nobody can log in")
