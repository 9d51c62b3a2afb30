"""TLS on the lab from the store flow: certificates uploaded to the control plane's store,
deployed as the web app deploys (a revision, in the background), served by SNI through the
VIP; a certificate swapped behind the model's back is drift; a new upload is a revision.

One store and one deploy per module; the drift checks and the second deploy share them.
Root only (the lab).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from controlplane import lab as lab_api
from controlplane import store
from controlplane.lab import Lab
from controlplane.observe.drift import collect_drift
from controlplane.render import render_model
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.usecases import revisions, stored_files
from controlplane.usecases.deployments import start_deploy, wait_for_deployment
from tests.tls_material import Issued, make_ca, make_leaf

from .deploying import LAB_MODEL, VIP, runtime

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

ENVIRONMENT = "lab-store"
ADMIN = store.Actor("alice", "admin", None, "api")
SITE_B = "/etc/haproxy/lbctl/certs/site-b.pem"


@dataclass
class StoredSite:
    lab: Lab
    sessions: sessionmaker[Session]
    ca: Issued
    a: Issued
    b: Issued

    def deploy(self, number: int | None = None) -> str:
        deployment_id = start_deploy(
            self.sessions, ENVIRONMENT, self.lab.inventory_path, ADMIN, number
        )
        return wait_for_deployment(self.sessions, deployment_id, 300).state

    def drift(self) -> list[tuple[str, str, str]]:
        with self.sessions() as session:
            revision = revisions.deployed_revision(session, ENVIRONMENT)
            assert revision is not None
            model = store.revision_model(revision)
            contents = stored_files.revision_contents(session, revision, model)
        report = collect_drift(model, render_model(model, contents), self.lab.inventory_path)
        return [(d.host, d.kind, d.subject) for d in report.differences]


def tls_document() -> dict:
    document = yaml.safe_load(LAB_MODEL.read_text())
    document["certificates"] = [{"name": "site-a"}, {"name": "site-b"}]  # no file: stored
    document["frontends"].append(
        {
            "name": "web-tls",
            "vip_pair": "edge",
            "vip": VIP,
            "port": 443,
            "mode": "http",
            "default_pool": "app",
            "tls": {"certificates": ["site-a", "site-b"]},
        }
    )
    return document


@pytest.fixture(scope="module")
def site(lab_session: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoredSite]:
    running = lab_api.current()
    if running is None or running.health():
        running = lab_api.up(lb_hosts=2, backends=3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(FILES_KEY_ENV, new_key())
        engine = store.make_engine(f"sqlite:///{tmp_path_factory.mktemp('store')}/lbctl.sqlite3")
        try:
            store.upgrade(engine)
            sessions = store.session_factory(engine)
            ca = make_ca("lab store CA")
            stored = StoredSite(
                running,
                sessions,
                ca,
                make_leaf(ca, "a.example.com"),
                make_leaf(ca, "b.example.com"),
            )
            with sessions.begin() as session:
                stored_files.put_certificate(
                    session, ENVIRONMENT, ADMIN, "site-a", stored.a.bundle()
                )
                stored_files.put_certificate(
                    session, ENVIRONMENT, ADMIN, "site-b", stored.b.bundle()
                )
                revisions.save_document(session, ENVIRONMENT, tls_document(), ADMIN, "tls", None)
            assert stored.deploy() == "succeeded"
            yield stored
        finally:
            engine.dispose()


def served_serial(lab: Lab, name: str) -> int:
    """Return the serial of the certificate the VIP presents for SNI `name` (openssl)."""
    pipeline = (
        f"openssl s_client -connect {VIP}:443 -servername {shlex.quote(name)} </dev/null "
        "2>/dev/null | openssl x509 -noout -serial"
    )
    out = lab.exec_in_client(["sh", "-c", pipeline]).stdout
    return int(out.strip().split("=", 1)[1], 16)


def swap_certificate(lab: Lab, host: str, path: str, issued: Issued) -> None:
    """Replace what HAProxy serves as `path` through the runtime API, as a person might."""
    payload = issued.bundle().rstrip("\n")
    answer = runtime(lab, host, f"set ssl cert {path} <<\n{payload}\n")
    assert "Transaction" in answer, answer
    assert "Success" in runtime(lab, host, f"commit ssl cert {path}")


def test_the_vip_serves_each_stored_certificate_by_sni(site: StoredSite) -> None:
    assert served_serial(site.lab, "a.example.com") == site.a.cert.serial_number
    assert served_serial(site.lab, "b.example.com") == site.b.cert.serial_number


def test_a_certificate_swapped_on_a_host_is_drift_until_put_back(site: StoredSite) -> None:
    assert site.drift() == []
    stranger = make_leaf(make_ca("stranger"), "b.example.com")
    swap_certificate(site.lab, "lb2", SITE_B, stranger)
    try:
        assert site.drift() == [("lb2", "certificate served", f"site-b ({SITE_B})")]
    finally:
        swap_certificate(site.lab, "lb2", SITE_B, site.b)
    # Put back: HAProxy holds the model's certificate again (a third drift run costs ~10 s).
    serial = format(site.b.cert.serial_number, "X")
    assert f"Serial: {serial.zfill(len(serial) + len(serial) % 2)}" in runtime(
        site.lab, "lb2", f"show ssl cert {SITE_B}"
    )


def test_an_uploaded_new_version_is_a_revision_that_deploys(site: StoredSite) -> None:
    renewed = make_leaf(site.ca, "a.example.com")
    with site.sessions.begin() as session:
        upload = stored_files.put_certificate(
            session, ENVIRONMENT, ADMIN, "site-a", renewed.bundle()
        )
        assert upload.revision is not None
        number = upload.revision.number
    assert site.deploy(number) == "succeeded"
    assert served_serial(site.lab, "a.example.com") == renewed.cert.serial_number
    assert served_serial(site.lab, "b.example.com") == site.b.cert.serial_number
