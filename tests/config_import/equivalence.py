"""Behavioural equivalence: does the rendered import serve what the original served?

Requests are derived from the original's own rules (the hosts, paths, headers, methods
its ACLs test, plus ones no rule matches); both configs are served side by side, each in
its own network and mount namespace (`equivalence_runner.py`), with the same loopback
backends; the answers -- which servers answered, status and Location -- are compared,
never the text. Needs root, `unshare` and haproxy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controlplane.config_import.haproxy_reader import read_haproxy
from controlplane.config_import.legacy import modern_config
from controlplane.model.file_flow import read_model_files
from controlplane.model.loader import validate_data
from controlplane.usecases.files import render_loaded, write_rendered

RUNNER = Path(__file__).with_name("equivalence_runner.py")
MAX_REQUESTS = 120


def can_run() -> bool:
    return (
        os.geteuid() == 0 and shutil.which("unshare") is not None and bool(shutil.which("haproxy"))
    )


@dataclass(frozen=True)
class Difference:
    request: dict[str, Any]
    original: dict[str, Any]
    imported: dict[str, Any]

    def __str__(self) -> str:
        r = self.request
        scheme = "https" if r["tls"] else "http"
        return (
            f"{r['method']} {scheme}://{r['host']}:{r['port']}{r['path']} "
            f"{r.get('headers') or ''}: original {self.original}, import {self.imported}"
        )


def derive_requests(config: str, vip: str) -> list[dict[str, Any]]:
    """Return requests that exercise the config's own rules on each of its listeners."""
    sections = read_haproxy(config.encode(), "original")
    hosts, paths, methods = {"unknown.example"}, {"/", "/zz-nothing"}, {"GET"}
    headers: list[dict[str, str]] = [{}]
    for section in sections:
        for line in section.lines:
            w = line.words
            for i, word in enumerate(w):
                values = [v for v in w[i + 1 :] if not v.startswith("-") and v not in ("}", "if")]
                values = values[:4]
                if (
                    "hdr(host)" in word.lower()
                    or "hdr_dom(host)" in word.lower()
                    or "hdr_beg(host)" in word.lower()
                    or "ssl_fc_sni" in word
                ):
                    hosts.update(v.lstrip(".") for v in values if "." in v)
                elif w[:2] == ["stats", "uri"] and i == 0:
                    paths.add(w[2])
                elif word in ("path", "path_beg"):
                    for v in values:
                        if v.startswith("/"):
                            paths.update({v, v.rstrip("/") + "/more"})
                elif word == "path_end":
                    paths.update("/x" + v for v in values)
                elif word == "method":
                    methods.update(v for v in values if v.isupper())
                elif (
                    word.startswith(("hdr(", "req.hdr(", "req.fhdr("))
                    and "host" not in word.lower()
                ):
                    name = word[word.index("(") + 1 : -1]
                    for v in values[:1] or ["1"]:
                        headers.append({name: v})
    requests = []
    for port, tls, address in _listeners(sections, vip):
        for host in sorted(hosts):
            for path in sorted(paths):
                requests.append(_request(address, port, tls, "GET", host, path, {}))
        first = sorted(hosts - {"unknown.example"}) or ["unknown.example"]
        for method in sorted(methods - {"GET"}):
            requests.append(_request(address, port, tls, method, first[0], "/", {}))
        for header in headers[1:]:
            for host in first[:2]:
                requests.append(_request(address, port, tls, "GET", host, "/", header))
    return requests[: MAX_REQUESTS * 4]


def _request(
    address: str, port: int, tls: bool, method: str, host: str, path: str, headers: dict[str, str]
) -> dict[str, Any]:
    return {
        "address": address,
        "port": port,
        "tls": tls,
        "method": method,
        "host": host,
        "path": path,
        "headers": headers,
    }


def _listeners(sections: list[Any], vip: str) -> list[tuple[int, bool, str]]:
    out = []
    for s in sections:
        if s.keyword not in ("frontend", "listen") or s.name.startswith("lbctl:"):
            continue
        binds = [ln.words for ln in s.lines if ln.keyword == "bind"]
        if s.args:
            binds.append(["bind", *s.args])
        if not binds:
            continue
        words = binds[0]
        address, _, port = words[1].rpartition(":")
        if not port.isdigit():
            continue
        address = address.strip("[]")
        out.append((int(port), "ssl" in words, vip if address in ("", "*", "0.0.0.0") else address))
    return out


def _addresses(config: str) -> tuple[set[str], list[tuple[str, int]]]:
    """Addresses to put on loopback, and the backend servers to start.

    A server checked on another port (`port 9200`, on its line or a `default-server`) gets a
    backend there too, so its check passes as it would against the real service.
    """
    addresses: set[str] = set()
    servers: set[tuple[str, int]] = set()
    inherited: str | None = None
    for s in read_haproxy(config.encode(), "config"):
        check_port = None if s.keyword == "defaults" else inherited
        for ln in s.lines:
            if ln.keyword == "default-server" and "port" in ln.words[1:-1]:
                check_port = ln.words[ln.words.index("port", 1) + 1]
            if ln.keyword == "server" and len(ln.words) >= 3:
                address, _, port = ln.words[2].rpartition(":")
                if port.isdigit() and address[:1].isdigit():
                    servers.add((address, int(port)))
                    addresses.add(address)
                    own = ln.words[3:]
                    checked = own[own.index("port") + 1] if "port" in own[:-1] else check_port
                    if checked and checked.isdigit():
                        servers.add((address, int(checked)))
            if ln.keyword == "bind" and len(ln.words) >= 2:
                address = ln.words[1].rpartition(":")[0].strip("[]")
                if address[:1].isdigit() and address != "0.0.0.0" and ":" not in address:
                    addresses.add(address)
        if s.keyword == "defaults":
            inherited = check_port
    return addresses, sorted(servers)


def serve_and_ask(
    config: str, files: dict[str, Path], vips: list[str], requests: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Serve `config` in private namespaces and return the answers to `requests`."""
    addresses, servers = _addresses(config)
    addresses.update(vips)
    listeners = sorted({(r["address"], r["port"]) for r in requests})
    with tempfile.TemporaryDirectory(prefix="lbctl-equiv-") as tmp:
        work = Path(tmp)
        (work / "haproxy.cfg").write_text(config)
        spec = {
            "config": str(work / "haproxy.cfg"),
            "workdir": str(work),
            "files": {k: str(v) for k, v in files.items()},
            "addresses": sorted(addresses),
            "servers": servers,
            "listeners": listeners,
            "requests": requests,
        }
        (work / "spec.json").write_text(json.dumps(spec))
        proc = subprocess.run(
            [
                "unshare",
                "--net",
                "--mount",
                "--propagation",
                "private",
                "--",
                sys.executable,
                str(RUNNER),
                str(work / "spec.json"),
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"runner failed: {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if "error" in result:
        raise RuntimeError(f"haproxy did not start: {result['error']}")
    return list(result["answers"])


def original_files(host_dir: Path) -> dict[str, Path]:
    root = host_dir / "files"
    if not root.is_dir():
        return {}
    return {"/" + str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}


@dataclass
class Rendered:
    config: str
    files: dict[str, Path]
    folder: Path


def render_import(model: dict[str, Any], model_dir: Path, host: str) -> Rendered:
    """Render the imported model (files read next to it) and return one host's config."""
    loaded = validate_data(model)
    contents = read_model_files(loaded.model, model_dir / "lb.yaml")
    result = render_loaded(loaded, binary_check=False, contents=contents)
    out = model_dir / "rendered"
    write_rendered(result.rendered, out)
    files_dir = loaded.model.settings.files_dir
    host_out = out / host
    files = {
        f"{files_dir}/{p.relative_to(host_out)}": p
        for p in host_out.rglob("*")
        if p.is_file() and p.name not in ("haproxy.cfg", "keepalived.conf")
    }
    return Rendered((host_out / "haproxy.cfg").read_text(), files, out)


def compare(
    original_dir: Path, host: str, model: dict[str, Any], model_dir: Path
) -> tuple[list[Difference], int]:
    """Return the requests answered differently by the original and the rendered import."""
    host_dir = original_dir / host
    original = modern_config((host_dir / "haproxy.cfg").read_bytes(), "original")
    vips = [v.split("/")[0] for p in model["vip_pairs"] for v in p["vips"]]
    requests = derive_requests(original, vips[0])
    imported = render_import(model, model_dir, host)
    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(serve_and_ask, original, original_files(host_dir), vips, requests)
        b = pool.submit(serve_and_ask, imported.config, imported.files, vips, requests)
        left, right = a.result(), b.result()
    differences = [
        Difference(r, x, y) for r, x, y in zip(requests, left, right, strict=True) if x != y
    ]
    return differences, len(requests)
