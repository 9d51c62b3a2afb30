"""Read back what render writes: lbctl's haproxy.cfg and keepalived.conf as typed values.

A deploy compares a host's files with the new ones (stale server states, VIPs that change
VRRP instance, what the runtime API can apply) and the local check prepares its private
copy; both read here. This reads the layout lbctl renders, not every file HAProxy or
keepalived would accept, and a deployed file edited by hand is read the same way:

- haproxy.cfg: a line with no indent starts a section (`backend app`), the indented lines
  below it are its body, and a body line `server NAME ADDRESS OPTION...` is a server;
- keepalived.conf: `vrrp_instance NAME {` with no indent opens a VRRP instance, a line
  starting with `}` closes it, and a line `ADDRESS/PREFIX dev INTERFACE` in it is a VIP.

Blank lines and comments are skipped. Lines are numbered from 1 and split at "\\n", as
haproxy -c and keepalived -t count them.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# HAProxy's weight for a server line that names none.
DEFAULT_WEIGHT = 1
# `crt PATH` (a bind's certificate) and `ca-file PATH` (a server's CA), as render prints them;
# `ca-verify-file PATH` (client CAs a bind does not name) in an imported original.
_CERTIFICATE = re.compile(r"(?<=\s)(?:crt|ca-file|ca-verify-file) (/\S+)")


@dataclass(frozen=True)
class Server:
    """One `server NAME ADDRESS OPTION...` line."""

    name: str
    address: str  # as printed: "198.18.0.21:8080", "[2001:db8::1]:443", "app.internal:80"
    weight: int
    disabled: bool  # starts in maintenance: lbctl's `state: maint`
    options: tuple[str, ...]  # every other word after the address, in order
    line: int

    @property
    def tls(self) -> bool:
        return "ssl" in self.options

    @property
    def dns_name(self) -> str | None:
        """Return the host name of a `NAME:PORT` (or `NAME`) address; None for an IP literal."""
        host, colon, port = self.address.partition(":")
        if (colon and not port.isdecimal()) or not host or host.startswith("["):
            return None
        return None if set(host) <= set("0123456789.") else host


@dataclass(frozen=True)
class Section:
    """A section of haproxy.cfg: its header and its body lines, stripped."""

    header: str  # "backend app"; "" for indented lines before the first header
    lines: tuple[str, ...]
    settings: tuple[str, ...]  # the body lines that are not servers
    servers: tuple[Server, ...]

    @property
    def kind(self) -> str:
        """Return the section's keyword: "global", "frontend", "backend", "peers"..."""
        return self.header.split()[0] if self.header else ""

    @property
    def name(self) -> str:
        words = self.header.split()
        return words[1] if len(words) > 1 else ""


@dataclass(frozen=True)
class CertificatePath:
    """A file the host must hold: a `crt` (certificate) or `ca-file` (CA) argument."""

    path: str
    line: int
    column: int  # where the path starts in its line, from 0


@dataclass(frozen=True)
class HaproxyConfig:
    sections: tuple[Section, ...]  # in file order
    certificates: tuple[CertificatePath, ...]  # in file order

    @property
    def servers(self) -> dict[str, Server]:
        """Return the servers of every backend by `backend/server`, the runtime API's name."""
        return {
            f"{section.name}/{server.name}": server
            for section in self.sections
            if section.kind == "backend" and section.name
            for server in section.servers
        }


@dataclass(frozen=True)
class Vip:
    address: str  # with its prefix: "198.18.0.100/24"
    interface: str
    line: int


@dataclass(frozen=True)
class VrrpInstance:
    name: str
    interface: str  # "" when the instance names none
    priority: int | None
    nopreempt: bool
    vips: tuple[Vip, ...]


@dataclass(frozen=True)
class KeepalivedConfig:
    instances: tuple[VrrpInstance, ...]  # in file order
    interfaces: tuple[str, ...]  # every interface the file names (`interface X`, `dev X`)

    @property
    def vip_instances(self) -> dict[str, str]:
        """Return VIP (with its prefix) -> name of the VRRP instance that carries it."""
        return {vip.address: i.name for i in self.instances for vip in i.vips}


# Cached (the values are immutable): a plan reads the deployed and the candidate file, and
# the check has read the candidate already; at 50,000 servers one read takes about 0.5 s.
@functools.lru_cache(maxsize=4)
def read_haproxy_cfg(text: str) -> HaproxyConfig:
    """Return the sections, servers and certificate paths of a haproxy.cfg."""
    sections: list[Section] = []
    certificates: list[CertificatePath] = []
    header = ""
    body: list[tuple[int, str]] = []  # (number, line) of the section being read
    for number, line in _content_lines(text, "#"):
        if not line[0].isspace():
            sections.append(_section(header, body))
            header, body = line.strip(), []
            continue
        body.append((number, line))
        if "crt " in line or "-file " in line:  # ca-file, ca-verify-file (and a few misses)
            certificates += [
                CertificatePath(m.group(1), number, m.start(1)) for m in _CERTIFICATE.finditer(line)
            ]
    sections.append(_section(header, body))
    # Indented lines before the first header are a section only when there are some.
    return HaproxyConfig(tuple(s for s in sections if s.header or s.lines), tuple(certificates))


def read_keepalived_conf(text: str) -> KeepalivedConfig:
    """Return the VRRP instances of a keepalived.conf and every interface it names."""
    lines = list(_content_lines(text, "#!"))
    instances = [
        _instance(line.split()[1], itertools.islice(lines, index + 1, None))
        for index, (_, line) in enumerate(lines)
        if _opens_instance(line)
    ]
    interfaces = set()
    tracking = False  # inside a `track_interface {` block: each line names an interface
    for _, line in lines:
        words = line.split()
        if words[0] == "interface" and len(words) > 1:
            interfaces.add(words[1])
        if len(words) > 1 and words[-2] == "dev":
            interfaces.add(words[-1])
        if tracking and words[0] != "}":
            interfaces.add(words[0])
        tracking = words == ["track_interface", "{"] or (tracking and words[0] != "}")
    return KeepalivedConfig(tuple(instances), tuple(sorted(interfaces)))


def _content_lines(text: str, comment: str) -> Iterator[tuple[int, str]]:
    """Yield (number, line) for each line that is neither blank nor a comment."""
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped and stripped[0] not in comment:
            yield number, line


def _section(header: str, body: list[tuple[int, str]]) -> Section:
    settings: list[str] = []
    servers: list[Server] = []
    for number, line in body:
        words = line.split()
        if len(words) >= 3 and words[0] == "server":
            servers.append(_server(words, number))
        else:
            settings.append(line.strip())
    lines = tuple(line.strip() for _, line in body)
    return Section(header, lines, tuple(settings), tuple(servers))


def _server(words: list[str], number: int) -> Server:
    """Return a server line read: `weight N` and `disabled` apart from the other options."""
    weight, disabled, options = DEFAULT_WEIGHT, False, []
    index = 3
    while index < len(words):
        word = words[index]
        if word.startswith("#"):
            break  # a comment to the end of the line (a hand-written file has them)
        if word == "weight" and index + 1 < len(words) and words[index + 1].isdecimal():
            weight, index = int(words[index + 1]), index + 2
            continue
        if word == "disabled":
            disabled = True
        else:
            options.append(word)
        index += 1
    return Server(words[1], words[2], weight, disabled, tuple(options), number)


def _opens_instance(line: str) -> bool:
    words = line.split()
    return not line[0].isspace() and len(words) == 3 and words[0::2] == ["vrrp_instance", "{"]


def _instance(name: str, following: Iterable[tuple[int, str]]) -> VrrpInstance:
    """Return the instance `name` read from the lines after its opening line."""
    interface, nopreempt, vips = "", False, []
    priority: int | None = None
    for number, line in following:
        if line.startswith("}") or _opens_instance(line):
            break
        words = line.split()
        if words[0] == "interface" and len(words) == 2:
            interface = words[1]
        elif words[0] == "priority" and len(words) == 2 and words[1].isdecimal():
            priority = int(words[1])
        elif words == ["nopreempt"]:
            nopreempt = True
        elif len(words) == 3 and words[1] == "dev" and "/" in words[0]:
            vips.append(Vip(words[0], words[2], number))
    return VrrpInstance(name, interface, priority, nopreempt, tuple(vips))
