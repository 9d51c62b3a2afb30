"""ACME HTTP-01 answers in HAProxy's challenge map, on every host of a pair, without a reload.

The rendered port-80 frontend of a pair with ACME certificates answers
/.well-known/acme-challenge/TOKEN from a map file (render/acme.py); this module adds and
removes the map's entries through each host's runtime API (`add map` / `del map`), in
parallel, and reads each entry back: the ACME server may fetch through either host (the
VIP moves), so a challenge is published only when every host serves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .haproxy import RuntimeAnswerError, send
from .pool import ChannelPool
from .ssh import SshFailed
from .targets import HostTarget

TIMEOUT_S = 10.0
# RFC 8555: a token is base64url; a key authorization is two of them joined by a dot.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_KEY_AUTHORIZATION = re.compile(r"[A-Za-z0-9_-]{1,256}\.[A-Za-z0-9_-]{1,256}")
_NOT_FOUND = "Key not found."


class MapChallengeResponder:
    """Publishes HTTP-01 answers in `map_path` on every target's HAProxy (a ChallengeResponder)."""

    def __init__(self, channels: ChannelPool, targets: list[HostTarget], map_path: str) -> None:
        if not targets:
            raise ValueError("an ACME challenge needs at least one host to answer it")
        self.channels = channels
        self.targets = targets
        self.map_path = map_path

    def publish(self, token: str, key_authorization: str) -> None:
        """Serve `key_authorization` for `token` on every host; raise RuntimeAnswerError."""
        _refuse_unless(_TOKEN, token, "ACME token")
        _refuse_unless(_KEY_AUTHORIZATION, key_authorization, "ACME key authorization")
        path = self.map_path
        commands = [
            f"del map {path} {token}",  # `add map` twice would keep two entries
            f"add map {path} {token} {key_authorization}",
            f"get map {path} {token}",
        ]
        expected = f'value="{key_authorization}"'

        def on(target: HostTarget) -> str:
            answers = self._send(target, commands)
            if answers[0].strip() not in ("", _NOT_FOUND) or answers[1].strip():
                return f"{target.name}: {(answers[0].strip() or answers[1].strip())[:200]}"
            if expected not in answers[2]:
                return f"{target.name}: the map does not hold the answer after `add map`"
            return ""

        errors = [e for e in self._each(on) if e]
        if errors:
            raise RuntimeAnswerError("ACME challenge not published: " + "; ".join(errors))

    def withdraw(self, token: str) -> None:
        """Remove the token's answer on every host (a host that fails keeps a harmless entry)."""
        if not _TOKEN.fullmatch(token):
            return
        self._each(lambda t: self._send(t, [f"del map {self.map_path} {token}"])[0])

    def entries(self) -> dict[str, str]:
        """Return host -> the map's `show map` text (for tests and `lbctl acme status`)."""
        found = self._each(lambda t: self._send(t, [f"show map {self.map_path}"])[0])
        return {t.name: text for t, text in zip(self.targets, found, strict=True)}

    def _send(self, target: HostTarget, commands: list[str]) -> list[str]:
        try:
            agent = self.channels.agent(target)
            return send(agent, target.haproxy_socket, commands, TIMEOUT_S)
        except SshFailed as exc:
            raise RuntimeAnswerError(str(exc)) from None

    def _each(self, work: Callable[[HostTarget], str]) -> list[str]:
        """Return `work`'s answer on every target, in parallel; a failure is its message."""

        def guarded(target: HostTarget) -> str:
            try:
                return work(target)
            except RuntimeAnswerError as exc:
                return f"{target.name}: {exc}"

        with ThreadPoolExecutor(max_workers=len(self.targets)) as pool:
            return list(pool.map(guarded, self.targets))


def _refuse_unless(pattern: re.Pattern[str], value: str, what: str) -> None:
    # Both reach a runtime command line: anything but base64url could inject a command.
    if not pattern.fullmatch(value):
        raise RuntimeAnswerError(f"{what} {value[:40]!r} is not base64url")
