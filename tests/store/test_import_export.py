"""Import and export use exactly the CLI's YAML format; an invalid import writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from controlplane.errors import ModelInvalid
from controlplane.model import dump_model_yaml, load_model
from controlplane.store import Revision, export_yaml, import_yaml
from tests.support import EXAMPLE, MODELS


@pytest.mark.parametrize("path", [EXAMPLE, MODELS / "sticky_tls_tcp.yaml"], ids=lambda p: p.name)
def test_an_imported_model_exports_unchanged(session, path):
    text = path.read_text()
    revision = import_yaml(session, "prod", text, "alice", "import", None)
    session.commit()

    exported = export_yaml(revision)
    assert load_model(exported).model == load_model(text).model
    assert exported == dump_model_yaml(load_model(text).model)
    again = import_yaml(session, "prod", exported, "alice", "re-import", 1)
    assert export_yaml(again) == exported
    # Same content; the hash differs when secrets were sent again (tests/security).
    assert again.content == revision.content


def test_vrrp_passwords_are_stored_as_they_are_needed_to_render(session):
    revision = import_yaml(
        session, "prod", (MODELS / "sticky_tls_tcp.yaml").read_text(), "a", "", None
    )
    assert "password: s3cret" in export_yaml(revision)


def test_an_invalid_import_names_the_fields_and_writes_nothing(session):
    text = EXAMPLE.read_text().replace("port: 8080}", 'port: "8080"}', 1)
    text = text.replace("balance: leastconn", "balance: leastcon")

    with pytest.raises(ModelInvalid) as refused:
        import_yaml(session, "prod", text, "alice", "broken", None)
    paths = [error.path for error in refused.value.errors]
    assert "pools[app].servers[app1].port" in paths
    assert "pools[app-tcp].balance" in paths
    assert session.scalar(select(func.count()).select_from(Revision)) == 0


def test_malformed_yaml_is_refused_with_its_position(session):
    with pytest.raises(ModelInvalid) as refused:
        import_yaml(session, "prod", "lb_hosts:\n  - {name: lb1\n", "alice", "broken", None)
    assert refused.value.errors[0].path == "line 3, column 1"
