"""A backend's check lines and `default-server` check options -> the model's health check.

`http-check expect rstring`, `option tcp-check` with one `tcp-check send` and its
`expect string`/`expect rstring`, and `default-server agent-check agent-port ...` map to
fields of the pool's health check; `default-server send-proxy[-v2]` to its default_server.
A line these do not cover (a second send, an expect before the send) returns False and
the caller keeps it verbatim.
"""

from __future__ import annotations

import re
from typing import Any

# default-server options that take a value (the word after them).
AGENT_WORDS = ("agent-port", "agent-inter", "agent-send")
_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}
_DURATION = re.compile(r"[0-9]{1,9}(us|ms|s|m|h|d)?")


def send_text(decoded: str) -> str | None:
    """The model's `send` for a word the reader decoded (CR LF back to `\\r\\n`), or None.

    The model prints `send` between double quotes, where HAProxy reads `\\r`, `\\n`, `\\t`:
    any other character a double-quoted word could not hold as is has no model form.
    """
    out = []
    for char in decoded:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif " " <= char <= "~" and char not in '"\\$':
            out.append(char)
        else:
            return None
    return "".join(out) or None


def tcp_check(lines: list[list[str]]) -> dict[str, Any] | None:
    """The model's tcp check said by a backend's `option tcp-check` and `tcp-check` lines.

    None when there are none, or when their sequence is more than one send followed by
    its expectations: then every one of them stays verbatim, in order (HAProxy runs the
    steps in the order written, and a `connect` step must come first).
    """
    steps = [w for w in lines if w[0] == "tcp-check" or w == ["option", "tcp-check"]]
    if ["option", "tcp-check"] not in steps:
        return None
    check: dict[str, Any] = {"type": "tcp"}
    for w in steps:
        if w != ["option", "tcp-check"] and not _tcp_step(w, check):
            return None
    return check


def is_tcp_check(w: list[str]) -> bool:
    return w[0] == "tcp-check" or w == ["option", "tcp-check"]


def check_line(w: list[str], check: dict[str, Any]) -> bool:
    """Map one `http-check expect rstring` line into `check`."""
    if w[:3] == ["http-check", "expect", "rstring"] and len(w) == 4:
        return _expect(check, "expect_regex", w[3])
    return False


def _tcp_step(w: list[str], check: dict[str, Any]) -> bool:
    if w[1:2] == ["send"] and len(w) == 3:
        text = send_text(w[2])
        if text is None or "send" in check or "expect_string" in check or "expect_regex" in check:
            return False  # the model sends once, before its expectations
        check["send"] = text
        return True
    if w[1:3] == ["expect", "string"] and len(w) == 4:
        return "expect_regex" not in check and _expect(check, "expect_string", w[3])
    if w[1:3] == ["expect", "rstring"] and len(w) == 4:
        return _expect(check, "expect_regex", w[3])
    return False


def _expect(check: dict[str, Any], key: str, value: str) -> bool:
    # Printed between single quotes: a quote or a line break in it has no model form.
    if key in check or "'" in value or not value.isprintable():
        return False
    check[key] = value
    return True


def take_agent(options: dict[str, str], check: dict[str, Any]) -> None:
    """Move `agent-check agent-port P [agent-inter T] [agent-send S]` into check['agent']."""
    if "agent-check" not in options or not options.get("agent-port", "").isdigit():
        return
    send = options.get("agent-send")
    agent: dict[str, Any] = {"port": int(options["agent-port"])}
    if send is not None:
        text = send_text(send)
        if text is None:
            return
        agent["send"] = text
    inter = options.get("agent-inter")
    if inter is not None:
        if not _DURATION.fullmatch(inter) or not inter.strip("0").strip("umshd"):
            return
        agent["interval"] = f"{inter}ms" if inter.isdigit() else inter
    for word in ("agent-check", *AGENT_WORDS):
        options.pop(word, None)
    check["agent"] = agent


def take_send_proxy(options: dict[str, str], defaults: dict[str, Any]) -> None:
    """Move `send-proxy` / `send-proxy-v2` into the pool's default_server."""
    given = [w for w in ("send-proxy", "send-proxy-v2") if w in options]
    if len(given) == 1:
        options.pop(given[0])
        defaults["send_proxy"] = "v2" if given[0].endswith("v2") else "v1"
