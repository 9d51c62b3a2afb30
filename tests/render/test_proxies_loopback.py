"""Health checks, server options and logging as HAProxy runs them, on loopback.

Each test renders a model with lbctl, runs the rendered pool or frontend section in the
real haproxy beside small test servers on 127.0.0.1, and checks what HAProxy did.
"""

from __future__ import annotations

import gzip
import socket
import urllib.request
from pathlib import Path
from typing import Any

from controlplane.model import validate_data
from controlplane.render import render_model
from tests.render.loopback import free_port, haproxy, http_answer, section, tcp_server
from tests.support import needs_binaries

pytestmark = needs_binaries


def rendered_cfg(document: dict[str, Any]) -> str:
    return render_model(validate_data(document).model).hosts[0].files["haproxy.cfg"]


def frontend_to(backend: str, port: int) -> str:
    return f"frontend f\n    bind 127.0.0.1:{port}\n    default_backend {backend}\n\n"


def with_servers(example: dict[str, Any], *ports: int) -> dict[str, Any]:
    example["pools"][0]["servers"] = [
        {"name": f"s{i}", "address": "127.0.0.1", "port": port} for i, port in enumerate(ports)
    ]
    return example


def fast(check: dict[str, Any]) -> dict[str, Any]:
    return {**check, "interval": "100ms", "rise": 1, "fall": 1}


def test_http_check_expect_string_marks_a_server_without_it_down(example, tmp_path: Path) -> None:
    with (
        tcp_server(http_answer(b"status: ready\n")) as ready,
        tcp_server(http_answer(b"status: starting\n")) as starting,
    ):
        with_servers(example, ready, starting)
        example["health_checks"][0] = fast(
            {"name": "http-ok", "type": "http", "path": "/", "expect_string": "ready"}
        )
        with haproxy(tmp_path, section(rendered_cfg(example), "backend app")) as running:
            assert running.wait_for_status("app", {"s0": "UP", "s1": "DOWN"}) == {
                "s0": "UP",
                "s1": "DOWN",
            }


def test_http_check_expect_regex_keeps_its_backslashes(example, tmp_path: Path) -> None:
    with (
        tcp_server(http_answer(b"version 12\n")) as numbered,
        tcp_server(http_answer(b"version x\n")) as unnumbered,
    ):
        with_servers(example, numbered, unnumbered)
        example["health_checks"][0] = fast(
            {"name": "http-ok", "type": "http", "expect_regex": r"version \d+"}
        )
        with haproxy(tmp_path, section(rendered_cfg(example), "backend app")) as running:
            assert running.wait_for_status("app", {"s0": "UP", "s1": "DOWN"}) == {
                "s0": "UP",
                "s1": "DOWN",
            }


def redis_like(reply_to_ping: bytes):  # type: ignore[no-untyped-def]
    def answer(conn: socket.socket) -> None:
        data = b""
        while len(data) < 6 and (chunk := conn.recv(64)):
            data += chunk
        conn.sendall(reply_to_ping if data == b"PING\r\n" else b"-ERR what\r\n")

    return answer


def test_tcp_check_sends_line_breaks_and_expects_the_answer(example, tmp_path: Path) -> None:
    with (
        tcp_server(redis_like(b"+PONG\r\n")) as healthy,
        tcp_server(redis_like(b"-LOADING\r\n")) as loading,
    ):
        with_servers(example, healthy, loading)
        example["health_checks"][0] = fast(
            {"name": "http-ok", "type": "tcp", "send": "PING\\r\\n", "expect_string": "+PONG"}
        )
        example["frontends"] = [example["frontends"][2]]
        example["frontends"][0]["default_pool"] = "app"
        cfg = rendered_cfg(example)
        assert '    tcp-check send "PING\\r\\n"\n' in cfg
        with haproxy(tmp_path, section(cfg, "backend app")) as running:
            assert running.wait_for_status("app", {"s0": "UP", "s1": "DOWN"}) == {
                "s0": "UP",
                "s1": "DOWN",
            }


def test_an_agent_that_answers_down_takes_its_server_down(example, tmp_path: Path) -> None:
    def agent(word: bytes):  # type: ignore[no-untyped-def]
        return lambda conn: conn.sendall(word)

    with (
        tcp_server(http_answer(b"ok\n")) as web1,
        tcp_server(http_answer(b"ok\n")) as web2,
        tcp_server(agent(b"up\n")) as agent_up,
    ):
        with_servers(example, web1, web2)
        example["health_checks"][0] = fast(
            {"name": "http-ok", "type": "http", "agent": {"port": agent_up, "interval": "100ms"}}
        )
        with haproxy(tmp_path, section(rendered_cfg(example), "backend app")) as running:
            assert running.wait_for_status("app", {"s0": "UP", "s1": "UP"}) == {
                "s0": "UP",
                "s1": "UP",
            }
    with (
        tcp_server(http_answer(b"ok\n")) as web1,
        tcp_server(agent(b"down\n")) as agent_down,
    ):
        with_servers(example, web1)
        example["health_checks"][0]["agent"]["port"] = agent_down
        with haproxy(tmp_path, section(rendered_cfg(example), "backend app")) as running:
            assert running.wait_for_status("app", {"s0": "DOWN (agent)"}) == {"s0": "DOWN (agent)"}


def proxy_protocol_echo(conn: socket.socket) -> None:
    """Read a PROXY header (v1 text or v2 binary), then answer which one came, over HTTP."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
        data += chunk
    if data.startswith(b"PROXY "):
        header, _, _ = data.partition(b"\r\n")
        seen = "v1 " + header.decode()
    elif data.startswith(b"\r\n\r\n\x00\r\nQUIT\n"):
        source = socket.inet_ntoa(data[16:20])
        seen = f"v2 from {source}"
    else:
        seen = "none"
    body = seen.encode()
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def test_send_proxy_v1_and_v2_reach_a_server_that_parses_them(example, tmp_path: Path) -> None:
    port = free_port()
    with tcp_server(proxy_protocol_echo) as v1, tcp_server(proxy_protocol_echo) as v2:
        with_servers(example, v1, v2)
        pool = example["pools"][0]
        pool.update(balance="first", default_server={"send_proxy": "v2"})
        pool["servers"][0]["send_proxy"] = "v1"
        pool.pop("health_check")
        cfg = rendered_cfg(example)
        assert "    default-server send-proxy-v2\n" in cfg
        assert f"server s0 127.0.0.1:{v1} weight 100 no-send-proxy-v2 send-proxy\n" in cfg
        sections = section(cfg, "backend app") + "\n" + frontend_to("app", port)
        with haproxy(tmp_path, sections) as running:
            url = f"http://127.0.0.1:{port}/"
            # `balance first`: s0 takes the request while it is up, s1 once it is disabled.
            first = urllib.request.urlopen(url, timeout=5).read().decode()
            running.command("disable server app/s0")
            second = urllib.request.urlopen(url, timeout=5).read().decode()
    assert first.startswith("v1 PROXY TCP4 127.0.0.1 127.0.0.1 ")
    assert second == "v2 from 127.0.0.1"


def request_id_echo(conn: socket.socket) -> None:
    """Answer, over HTTP, the X-Request-ID header of the request received."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
        data += chunk
    found = [
        line.split(b":", 1)[1].strip()
        for line in data.split(b"\r\n")
        if line.lower().startswith(b"x-request-id:")
    ]
    body = found[0] if found else b"none"
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def test_a_frontend_logs_its_custom_format_with_the_request_id(example, tmp_path: Path) -> None:
    port = free_port()
    with tcp_server(request_id_echo) as web:
        with_servers(example, web)
        example["pools"][0].pop("health_check")
        example["frontends"][0]["routes"] = []
        example["frontends"][0]["logging"] = {
            "custom_format": "lbctl-test %ci %ST id=%ID {%[capture.req.hdr(0)]} # kept",
            "request_id": {"header": "X-Request-ID"},
        }
        cfg = rendered_cfg(example)
        web_section = section(cfg, "frontend web").replace(
            "bind 198.18.0.100:80", f"bind 127.0.0.1:{port}"
        )
        with haproxy(tmp_path, web_section + "\n" + section(cfg, "backend app")) as running:
            url = f"http://127.0.0.1:{port}/"
            sent_id = urllib.request.urlopen(url, timeout=5).read().decode()
            (line,) = running.wait_for_output("lbctl-test")
    assert line.split() == ["lbctl-test", "127.0.0.1", "200", f"id={sent_id}", "{-}", "#", "kept"]
    assert sent_id != "none" and len(sent_id) > 20


def test_a_compressing_frontend_gzips_the_types_it_names(example, tmp_path: Path) -> None:
    port = free_port()
    page = b"<html>" + b"lbctl " * 500 + b"</html>"

    def html(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
            data += chunk
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
            + f"Content-Length: {len(page)}\r\n\r\n".encode()
            + page
        )

    with tcp_server(html) as web:
        with_servers(example, web)
        example["pools"][0].pop("health_check")
        example["frontends"][0].update(
            routes=[], compression={"algorithms": ["gzip"], "types": ["text/html"]}
        )
        cfg = rendered_cfg(example)
        web_section = section(cfg, "frontend web").replace(
            "bind 198.18.0.100:80", f"bind 127.0.0.1:{port}"
        )
        with haproxy(tmp_path, web_section + "\n" + section(cfg, "backend app")):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/", headers={"Accept-Encoding": "gzip"}
            )
            with urllib.request.urlopen(request, timeout=5) as answer:
                encoding, body = answer.headers["Content-Encoding"], answer.read()
    assert encoding == "gzip"
    assert gzip.decompress(body) == page and len(body) < len(page) // 10
