"""Import and export use exactly the CLI's YAML format, through the one audited path.

Exports mask secrets and imports restore masked ones; an invalid import writes nothing.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from controlplane.errors import ModelInvalid
from controlplane.model import dump_model_yaml, load_model
from controlplane.store import Actor, AuditEntry, Revision
from controlplane.usecases.revisions import export_yaml, import_yaml
from tests.support import EXAMPLE, MODELS

ALICE = Actor("alice", "operator", "192.0.2.7", "cli")
SECRET_MODEL = MODELS / "sticky_tls_tcp.yaml"  # a VIP pair with a VRRP password


@pytest.mark.parametrize("path", [EXAMPLE, SECRET_MODEL], ids=lambda p: p.name)
def test_an_imported_model_exports_and_imports_back_unchanged(session, path):
    text = path.read_text()
    revision = import_yaml(session, "prod", text, ALICE, "import", None)
    session.commit()

    exported = export_yaml(revision)
    again = import_yaml(session, "prod", exported, ALICE, "re-import", 1)
    assert again.content == revision.content  # masked secrets kept their values
    assert export_yaml(again) == exported


def test_an_export_masks_vrrp_passwords_that_the_store_keeps(session):
    revision = import_yaml(session, "prod", SECRET_MODEL.read_text(), ALICE, "", None)
    assert "s3cret" not in export_yaml(revision)
    assert "password: '********'" in export_yaml(revision)
    stored = json.loads(revision.content)["vip_pairs"][0]["authentication"]["password"]
    assert stored == "s3cret"  # keepalived needs it to render


def test_an_export_without_secrets_is_the_cli_format(session):
    revision = import_yaml(session, "prod", EXAMPLE.read_text(), ALICE, "", None)
    assert export_yaml(revision) == dump_model_yaml(load_model(EXAMPLE.read_text()).model)


def test_an_import_is_audited_with_its_actor(session):
    import_yaml(session, "prod", EXAMPLE.read_text(), ALICE, "from git", None)
    [entry] = session.scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.action, entry.remote_addr) == ("alice", "model.import", "192.0.2.7")
    assert entry.detail == {"message": "from git", "via": "cli"}


def test_an_invalid_import_names_the_fields_and_writes_nothing(session):
    text = EXAMPLE.read_text().replace("port: 8080}", 'port: "8080"}', 1)
    text = text.replace("balance: leastconn", "balance: leastcon")

    with pytest.raises(ModelInvalid) as refused:
        import_yaml(session, "prod", text, ALICE, "broken", None)
    paths = [error.path for error in refused.value.errors]
    assert "pools[app].servers[app1].port" in paths
    assert "pools[app-tcp].balance" in paths
    assert session.scalar(select(func.count()).select_from(Revision)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
