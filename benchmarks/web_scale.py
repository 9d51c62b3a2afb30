"""Benchmark: the admin app's pages, API calls and plan against model size, cache off and on.

    .venv/bin/python benchmarks/web_scale.py [--sizes 500,5000] [--servers 10] [--repeat 3]
        [--no-before] [--only "form,PUT,servers"] [--cpu]

Each size is render_scale.py's generated model (N pools x S servers, N/10 routed frontends)
in a fresh SQLite store, with revision 1 recorded as deployed and revision 2 changing one
server, so the preview and the plan show a one-server change. Requests go through Flask's
test client, one at a time, in this process (no network, no TLS): the figures are the
app's own time (a body holding the model is made by joining two cached halves of its
JSON around the changed weight: the client's json.dumps of 5.5 MB is not counted). Each
cell is the median of `--repeat` requests after one more that is not counted; "cache
off" runs the same requests with the revision cache disabled
(LBCTL_REVISION_CACHE=0's behaviour: every request parses, validates and renders again),
which is how every request behaved before the cache. Edits (PUT, the UI form, plan,
validate, the server change route) each change one server's weight; the app has no
reachable hosts, so the server change reports each host's failure after saving and
rendering. Prints a markdown table; nothing is a test.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render_scale import generated_model

from controlplane import store
from controlplane.store import Actor
from controlplane.store.revision_cache import REVISIONS
from controlplane.usecases import revisions
from controlplane.web import create_app
from controlplane.web.request_limits import ExpensiveCallLimits

PASSWORD = "a-long-benchmark-password"
SEED = Actor("benchmark", "admin", via="cli")


class Bench:
    """One app on one generated model, with a logged-in browser and an API token."""

    def __init__(self, pools: int, servers: int, home: Path) -> None:
        self.pools = pools
        self.app = create_app(
            home=home,
            environment="bench",
            inventory=Path(home) / "hosts.yml",
            secure_cookies=False,
            admin_password=None,
        )
        # The benchmark is one client calling in a loop: no per-client rate limit.
        self.app.extensions["lbctl.request_limits"] = ExpensiveCallLimits(1e9, 10**9, 10**9)
        self.document = generated_model(pools, servers)
        self.weight = 1
        # The model's JSON around pool7/s3's weight, so each edit's body is encoded by
        # joining strings: json.dumps of the 5.5 MB body is the client's time, not the app's.
        marked = self.edited_weight(987_654_321)
        self._model_json = json.dumps(marked).split("987654321")
        assert len(self._model_json) == 2
        sessions = self.app.extensions["lbctl.sessions"]
        started = time.perf_counter()
        with sessions.begin() as session:
            store.create_user(session, "admin", PASSWORD, "admin")
            first = revisions.save_document(session, "bench", self.document, SEED, "seed", None)
            deployment = store.create_deployment(session, first, "bench")
            store.start_deployment(session, deployment.id)
            store.finish_deployment(session, deployment.id, "succeeded", [])
            user = store.get_user(session, "admin")
            _, self.token = store.create_token(session, user, "bench", "admin")
        self.seed_s = time.perf_counter() - started
        self.browser = self.app.test_client()
        page = self.browser.get("/login").get_data(as_text=True)
        self.csrf = _csrf(page)
        self.browser.post(
            "/login", data={"name": "admin", "password": PASSWORD, "csrf_token": self.csrf}
        )
        self.csrf = _csrf(self.browser.get("/model/pools/pool7").get_data(as_text=True))
        self.api = self.app.test_client()
        self.put({"message": "one server"})  # revision 2: a one-server change to preview

    def head(self) -> int:
        with self.app.extensions["lbctl.sessions"]() as session:
            found = store.current_revision(session, "bench")
            assert found is not None
            return found.number

    def edited(self) -> dict[str, Any]:
        """The document with pool7/s3's weight changed (a new value each call)."""
        self.weight = self.weight % 250 + 1
        return self.edited_weight(self.weight)

    def edited_weight(self, weight: int) -> dict[str, Any]:
        pools = list(self.document["pools"])
        pool = dict(pools[7])
        pool["servers"] = [dict(s) for s in pool["servers"]]
        pool["servers"][3]["weight"] = weight
        pools[7] = pool
        return dict(self.document, pools=pools)

    def edited_json(self, extra: dict[str, Any]) -> bytes:
        """The JSON body {"model": edited(), **extra}, encoded without dumping the model."""
        self.weight = self.weight % 250 + 1
        model = str(self.weight).join(self._model_json)
        rest = "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in extra.items())
        return ('{"model": ' + model + rest + "}").encode()

    def call(self, method: str, path: str, body: dict[str, Any] | bytes | None = None) -> Any:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        answer = self.api.open(
            path,
            method=method,
            data=data,
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        if answer.status_code >= 400:
            raise SystemExit(f"{method} {path}: {answer.status_code} {answer.get_data()[:500]!r}")
        return answer

    def put(self, extra: dict[str, Any] | None = None) -> Any:
        body = self.edited_json({"base_revision": self.head()} | (extra or {}))
        return self.call("PUT", "/api/v1/model", body)

    def server_change(self) -> Any:
        self.weight = self.weight % 250 + 1
        body = {"weight": self.weight, "base_revision": self.head()}
        return self.call("POST", "/api/v1/pools/pool7/servers/s3", body)

    def page(self, path: str) -> Any:
        answer = self.browser.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path}: {answer.status_code}")
        return answer

    def form_save(self) -> Any:
        self.weight = self.weight % 250 + 1
        form = {
            "csrf_token": self.csrf,
            "base_revision": str(self.head()),
            "name": "s3",
            "address": self.document["pools"][7]["servers"][3]["address"],
            "port": "8080",
            "weight": str(self.weight),
        }
        answer = self.browser.post("/model/pools/pool7/servers/s3", data=form)
        if answer.status_code != 302:
            raise SystemExit(f"form save: {answer.status_code} {answer.get_data()[:300]!r}")
        return answer


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token"
    return found.group(1)


def actions(bench: Bench) -> list[tuple[str, Callable[[], Any]]]:
    """Return (label, request) for every action the table measures."""
    number = lambda: bench.head()  # noqa: E731
    return [
        ("UI dashboard", lambda: bench.page("/")),
        ("UI pool list (page 1)", lambda: bench.page("/model/pools/")),
        ("UI pool list (page 20)", lambda: bench.page("/model/pools/?page=20")),
        ("UI one pool", lambda: bench.page("/model/pools/pool7")),
        ("UI one server", lambda: bench.page("/model/pools/pool7/servers/s3")),
        ("UI one frontend", lambda: bench.page("/model/frontends/fe3")),
        ("UI preview", lambda: bench.page("/preview")),
        (
            "UI preview: one section",
            lambda: bench.page(f"/preview/{number()}/files/lb1/haproxy.cfg/40"),
        ),
        ("API GET /model", lambda: bench.call("GET", "/api/v1/model")),
        ("API GET /diff", lambda: bench.call("GET", "/api/v1/diff")),
        ("UI save one server (form)", bench.form_save),
        ("API PUT /model (one weight)", bench.put),
        ("API POST /pools/pool7/servers/s3 (weight)", bench.server_change),
        (
            "API POST /validate (one weight)",
            lambda: bench.call("POST", "/api/v1/validate", bench.edited_json({})),
        ),
        (
            "API POST /plan (one weight)",
            lambda: bench.call("POST", "/api/v1/plan", bench.edited_json({})),
        ),
    ]


def measure(
    bench: Bench,
    repeat: int,
    cached: bool,
    only: str = "",
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Return the median seconds of each action (those whose label holds a part of `only`)."""
    REVISIONS.clear()
    REVISIONS.max_entries = 8 if cached else 0
    found: dict[str, float] = {}
    for label, run in actions(bench):
        if not any(part in label for part in only.split(",")):
            continue
        run()  # not counted: fills the cache (on) or warms the code paths (off)
        times = []
        for _ in range(repeat):
            started = clock()
            run()
            times.append(clock() - started)
        found[label] = statistics.median(times)
        print(f"  {label}: {found[label] * 1000:.0f} ms", file=sys.stderr, flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,5000", help="pool counts, comma-separated")
    parser.add_argument("--servers", type=int, default=10, help="servers per pool")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-before", action="store_true", help="skip the cache-off runs")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="CPU seconds of this process instead of wall time (for a machine shared with "
        "other work, whose load inflates wall time)",
    )
    parser.add_argument(
        "--only", default="", help="only the actions whose label holds one of these (a,b,c)"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[tuple[int, bool], dict[str, float]] = {}
    for pools in sizes:
        with tempfile.TemporaryDirectory(prefix="lbctl-web-scale-") as folder:
            print(f"{pools} pools x {args.servers} servers", file=sys.stderr, flush=True)
            bench = Bench(pools, args.servers, Path(folder) / "instance")
            for cached in (False, True) if not args.no_before else (True,):
                print(f" cache {'on' if cached else 'off'}", file=sys.stderr, flush=True)
                results[(pools, cached)] = measure(
                    bench,
                    args.repeat,
                    cached,
                    args.only,
                    time.process_time if args.cpu else time.perf_counter,
                )
            bench.app.extensions["lbctl.sessions"].kw["bind"].dispose()
    labels = list(next(iter(results.values())))  # in the order they ran
    header = ["action"]
    unit = " (CPU)" if args.cpu else ""
    for pools in sizes:
        servers = pools * args.servers
        if not args.no_before:
            header.append(f"{servers:,} servers, cache off{unit}")
        header.append(f"{servers:,} servers, cache on{unit}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label in labels:
        row = [label]
        for pools in sizes:
            for cached in (False, True) if not args.no_before else (True,):
                row.append(f"{results[(pools, cached)][label] * 1000:,.0f} ms")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
