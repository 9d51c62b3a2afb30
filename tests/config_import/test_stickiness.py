"""Source stickiness written by hand (`stick-table type ip` + `stick on src`) imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.config_import.importer import Imported, import_hosts, read_dir
from controlplane.model.loader import validate_data
from tests.config_import.handwritten_pair import write_pair

HAPROXY = """peers mypeers
    peer lb1 198.18.0.10:1024
    peer lb2 198.18.0.11:1024

frontend web
    bind 198.18.0.100:80
    mode http
    default_backend app

backend app
    mode http
    {table}
    stick on src
    server app1 198.18.0.20:8080
    server app2 198.18.0.21:8080
"""


def _import(folder: Path, table: str) -> Imported:
    imported = import_hosts(read_dir(write_pair(folder, HAPROXY.format(table=table))))
    validate_data(imported.model)
    return imported


def test_a_shared_source_table_is_the_pools_source_stickiness(tmp_path: Path) -> None:
    table = "stick-table type ip size 200k expire 30m peers mypeers"
    imported = _import(tmp_path, table)
    (pool,) = imported.model["pools"]
    assert (pool["sticky"], "extra" in pool) == ("source", False)
    notes = [i.note for i in imported.report.items if i.text == table]
    assert notes == ["its peers are lbctl's own", "the model's table holds 1m entries"]


@pytest.mark.parametrize(
    "table",
    [
        "stick-table type ip size 1m expire 1h",  # another expiry
        "stick-table type string len 32 size 1m expire 30m",  # another key
        "stick-table type ip size 1m expire 30m store conn_cur",  # counters too
    ],
)
def test_another_table_stays_verbatim(tmp_path: Path, table: str) -> None:
    imported = _import(tmp_path, table)
    (pool,) = imported.model["pools"]
    assert "sticky" not in pool
    assert pool["extra"] == [table, "stick on src"]
