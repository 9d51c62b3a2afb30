"""Benchmark: the plan of a one-server change against model size, by blocks and the full way.

    .venv/bin/python benchmarks/plan_scale.py [--sizes 500,5000] [--servers 10] [--repeat 5]

Each size is web_scale.py's app on render_scale.py's generated model (revision 1 deployed,
revision 2 changing one server). "POST /plan" is the API call (Flask's test client, JSON
in and out, as web_scale.py measures it: the client's encoding of the body is not timed);
"POST /plan right after a save" plans the next weight's document after each `PUT /model`
(the first plan against a new current revision; the PUT is not timed); "POST /plan of a
saved revision" plans, by its number, the revision such a PUT just saved; "plan, full
way" is what POST /plan did before usecases/plans.py, in the same process on the same
document: a full render, haproxy -c of every whole file, both files read whole for the
change plan, and whole-file diffs. The phases are those of usecases/plans.plan_document,
each timed alone. Every cell is the median of `--repeat` runs after one that is not
counted (it proves the base files whole): wall-clock time, and in brackets the CPU time of
this process and of the haproxy -c it ran (the figure a busy machine inflates least).
Prints a markdown table and the load average; nothing is a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web_scale import Bench

from controlplane import store
from controlplane.deploy.change_plan import plan_hosts
from controlplane.diff import diff_files
from controlplane.render.incremental import render_edit
from controlplane.section_proof import prove_change
from controlplane.store.revision_cache import REVISIONS
from controlplane.usecases import plans, revisions

Row = tuple[float, float, str]  # median wall seconds, median CPU seconds, a note


def _cpu() -> float:
    """CPU seconds of this process and its finished children (haproxy -c runs as one)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _median(run: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    found = run()
    times, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), _cpu()
        found = run()
        times.append(time.perf_counter() - started)
        cpu.append(_cpu() - used)
    return statistics.median(times), statistics.median(cpu), found


def _median_of_saved(bench: Bench, repeat: int, by_number: bool) -> tuple[float, float, Any]:
    """Time POST /plan after each (not timed) PUT: of the saved revision by its number, or
    of the next weight's document (the first plan against a new current revision)."""
    times, cpu, answer = [], [], None
    for run in range(repeat + 1):
        number = bench.put().get_json()["revision"]
        body = {"revision": number} if by_number else bench.edited_json({})
        started, used = time.perf_counter(), _cpu()
        answer = bench.call("POST", "/api/v1/plan", body)
        if run:  # the first proves its base whole, as in _median
            times.append(time.perf_counter() - started)
            cpu.append(_cpu() - used)
    return statistics.median(times), statistics.median(cpu), answer


def measure(bench: Bench, repeat: int) -> dict[str, Row]:
    """Return label -> (wall, CPU, a note) for the plan and its phases."""
    rows: dict[str, Row] = {}
    # The body is joined from cached halves of its JSON (Bench.edited_json): the client's
    # json.dumps of the 5.5 MB model (55-65 ms of CPU) is not the app's time.
    wall, cpu, answer = _median(
        lambda: bench.call("POST", "/api/v1/plan", bench.edited_json({})), repeat
    )
    rows["POST /plan (one weight)"] = (wall, cpu, answer.get_json()["proof"])
    wall, cpu, answer = _median_of_saved(bench, repeat, by_number=False)
    rows["POST /plan right after a save (one weight)"] = (wall, cpu, answer.get_json()["proof"])
    wall, cpu, answer = _median_of_saved(bench, repeat, by_number=True)
    rows["POST /plan of a saved revision (one weight)"] = (wall, cpu, answer.get_json()["proof"])
    with bench.app.extensions["lbctl.sessions"]() as session:
        wall, cpu, plan = _median(
            lambda: plans.plan_document(session, "bench", bench.edited()), repeat
        )
        rows["plan_document (no HTTP, no JSON)"] = (wall, cpu, plan.proof_summary())
        wall, cpu, _ = _median(
            lambda: revisions.review_document(session, "bench", bench.edited()), repeat
        )
        rows["plan, full way (before)"] = (wall, cpu, "full render, whole-file haproxy -c")
        rows.update(_phases(session, bench, repeat))
    return rows


def _phases(session: Any, bench: Bench, repeat: int) -> dict[str, Row]:
    head = store.current_revision(session, "bench")
    deployed = revisions.deployed_revision(session, "bench")
    assert head is not None and deployed is not None
    document = bench.edited()
    wall, cpu, (loaded, _) = _median(
        lambda: revisions.candidate(session, "bench", document), repeat
    )
    rows: dict[str, Row] = {"  validate (incremental)": (wall, cpu, "")}
    base_contents, base = revisions.revision_rendering(session, head)
    base_model = REVISIONS.loaded(head).model
    wall, cpu, edited = _median(
        lambda: render_edit(loaded.model, base_contents, base_model, base, base_contents),
        repeat,
    )
    rows["  render (by blocks)"] = (wall, cpu, f"{edited.reused_blocks:,} blocks reused")
    wall, cpu, proof = _median(lambda: prove_change(edited.rendered, base), repeat)
    rows["  proof"] = (wall, cpu, proof.summary())
    candidate = {h.host: dict(h.files) for h in edited.rendered.hosts}
    deployed_rendering = revisions.revision_rendering(session, deployed)[1]
    old = {h.host: dict(h.files) for h in deployed_rendering.hosts}
    wall, cpu, _ = _median(lambda: plan_hosts(old, candidate), repeat)
    rows["  change plan (runtime / reload)"] = (wall, cpu, "")
    wall, cpu, _ = _median(lambda: [diff_files(candidate, old) for _ in range(2)], repeat)
    rows["  diffs (current, deployed)"] = (wall, cpu, "")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,5000", help="pool counts, comma-separated")
    parser.add_argument("--servers", type=int, default=10, help="servers per pool")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, Row]] = {}
    for pools in sizes:
        with tempfile.TemporaryDirectory(prefix="lbctl-plan-scale-") as folder:
            print(f"{pools} pools x {args.servers} servers", file=sys.stderr, flush=True)
            bench = Bench(pools, args.servers, Path(folder) / "instance")
            results[pools] = measure(bench, args.repeat)
            bench.app.extensions["lbctl.sessions"].kw["bind"].dispose()
    header = ["step", *(f"{p * args.servers:,} servers: wall (CPU)" for p in sizes), "how"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label in results[sizes[0]]:
        cells = [
            f"{results[p][label][0] * 1000:,.0f} ms ({results[p][label][1] * 1000:,.0f} ms)"
            for p in sizes
        ]
        print(f"| {label} | " + " | ".join(cells) + f" | {results[sizes[-1]][label][2]} |")
    print(f"\nload average when done: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
