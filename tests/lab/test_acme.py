"""ACME on the lab: pebble orders, the pair answers HTTP-01 through the VIP, HAProxy serves.

One deployment for the module: the environment is stored with an `acme:` certificate on a
TLS frontend, `renew_certificates` deploys the stand-in, orders from a real pebble (its
validation fetches http://www.lab.test/.well-known/acme-challenge/TOKEN, resolved to the
VIP by pebble's own DNS), stores the chain and rotates it in; then a forced renewal
rotates a new certificate with the same worker. Pebble runs on loopback of the control
plane's namespace, started and stopped by pid.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import yaml
from click.testing import CliRunner
from cryptography import x509

from controlplane import lab as lab_api
from controlplane import store
from controlplane.cli import main
from controlplane.lab import Lab
from controlplane.lab.acme_server import AcmeTestServer, running_pebble
from controlplane.runtime import ChannelPool
from controlplane.runtime.acme_challenges import MapChallengeResponder
from controlplane.store import acme as acme_store
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.usecases import acme, revisions
from controlplane.usecases.acme import AcmeOutcome
from tests.support import SEED

from .deploying import LAB_MODEL, VIP, runtime, wait_for, worker_pid

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.timeout(600)]

ENVIRONMENT = "lab-acme"
HOSTS = ("lb1", "lb2")
DOMAIN = "www.lab.test"
ACTOR = store.Actor("tester", "operator", via="cli")
CHALLENGE_MAP = "/etc/haproxy/lbctl/maps/_acme-challenges.map"


def acme_model(directory: str) -> str:
    """The lab model with an ACME certificate served on a TLS frontend of the same pair."""
    data = yaml.safe_load(LAB_MODEL.read_text())
    data["certificates"] = [
        {
            "name": "www",
            "acme": {"domains": [DOMAIN], "contact": "mailto:ops@lab.test", "directory": directory},
        }
    ]
    data["frontends"].append(
        {
            "name": "web-tls",
            "vip_pair": "edge",
            "vip": VIP,
            "port": 443,
            "mode": "http",
            "default_pool": "app",
            "tls": {"certificates": ["www"]},
        }
    )
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture(scope="module")
def acme_lab(lab_session: None) -> Lab:
    """The running lab (the `lab` fixture, for the module): no rebuild before or after."""
    current = lab_api.current()
    if current is None or current.health():
        current = lab_api.up(lb_hosts=2, backends=3)
    return current


@pytest.fixture(scope="module")
def files_key() -> Iterator[str]:
    before = os.environ.get(FILES_KEY_ENV)
    os.environ[FILES_KEY_ENV] = key = new_key()
    try:
        yield key
    finally:
        if before is None:
            os.environ.pop(FILES_KEY_ENV, None)
        else:
            os.environ[FILES_KEY_ENV] = before


@pytest.fixture(scope="module")
def pebble(acme_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AcmeTestServer]:
    # Every name resolves to the VIP: pebble's HTTP-01 fetch goes through the pair.
    with running_pebble(tmp_path_factory.mktemp("pebble"), VIP, http_port=80) as server:
        yield server


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory, files_key: str, pebble: AcmeTestServer):
    folder = tmp_path_factory.mktemp("store")
    engine = store.make_engine(store.database_url(folder))
    store.upgrade(engine)
    factory = store.session_factory(engine)
    with factory.begin() as session:
        revisions.import_yaml(
            session, ENVIRONMENT, acme_model(pebble.directory_url), SEED, "acme lab", None
        )
    yield factory
    engine.dispose()


@pytest.fixture(scope="module")
def channels() -> Iterator[ChannelPool]:
    pool = ChannelPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="module")
def first_order(
    acme_lab: Lab, sessions, pebble: AcmeTestServer, channels: ChannelPool
) -> AcmeOutcome:
    [outcome] = acme.renew_certificates(
        sessions, ENVIRONMENT, acme_lab.inventory_path, ACTOR,
        ca_bundle=str(pebble.ca_bundle), channels=channels,
    )  # fmt: skip
    return outcome


def served_certificate(lab: Lab) -> x509.Certificate:
    """Return the leaf HAProxy serves through the VIP for DOMAIN (SNI), from the client."""
    done = lab.exec_in_client(
        ["sh", "-c", f"openssl s_client -connect {VIP}:443 -servername {DOMAIN} </dev/null"],
        check=False,
        timeout=15,
    )
    found = re.search(
        r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", done.stdout, re.DOTALL
    )
    assert found, done.stdout + done.stderr
    return x509.load_pem_x509_certificate(found.group(0).encode())


def test_the_first_order_is_validated_through_the_vip_and_served(
    acme_lab: Lab, first_order: AcmeOutcome, pebble: AcmeTestServer
) -> None:
    assert first_order.status == "issued", first_order.message
    served = served_certificate(acme_lab)
    assert f"{served.serial_number:x}" == first_order.serial
    intermediate = x509.load_pem_x509_certificate(pebble.intermediates().encode())
    assert served.issuer == intermediate.subject  # pebble's, not the stand-in's
    # The stand-in was deployed in full first; the issued one was rotated in on both hosts.
    assert [h["host"] for h in first_order.hosts] == list(HOSTS)
    assert all(h["ok"] and h["changed"] for h in first_order.hosts)


def test_the_challenge_map_is_empty_again_on_both_hosts(
    acme_lab: Lab, first_order: AcmeOutcome
) -> None:
    for host in HOSTS:
        answer = runtime(acme_lab, host, f"show map {CHALLENGE_MAP}")
        assert answer.strip() == "", answer


def test_lbctl_acme_status_shows_the_issued_certificate(
    first_order: AcmeOutcome, sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LBCTL_DATABASE_URL", str(sessions.kw["bind"].url))
    monkeypatch.setenv("LBCTL_ENVIRONMENT", ENVIRONMENT)
    result = CliRunner().invoke(main, ["acme", "status", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["name"], row["issued"], row["due"], row["failures"]) == ("www", True, False, 0)
    assert row["domains"] == [DOMAIN] and row["not_after"] == first_order.not_after


def test_a_certificate_not_due_is_left_alone(
    acme_lab: Lab, first_order: AcmeOutcome, sessions, pebble, channels
) -> None:
    [outcome] = acme.renew_certificates(
        sessions, ENVIRONMENT, acme_lab.inventory_path, ACTOR,
        ca_bundle=str(pebble.ca_bundle), channels=channels,
    )  # fmt: skip
    assert outcome.status == "not_due"


def test_at_two_thirds_of_its_lifetime_it_renews_and_rotates_without_a_reload(
    acme_lab: Lab,
    first_order: AcmeOutcome,
    sessions,
    pebble,
    channels,
    capsys: pytest.CaptureFixture[str],
) -> None:
    issued = served_certificate(acme_lab)
    start, end = issued.not_valid_before_utc, issued.not_valid_after_utc
    due = start + (end - start) * 2 / 3
    pids = {h: worker_pid(acme_lab, h) for h in HOSTS}
    [early] = acme.renew_certificates(
        sessions, ENVIRONMENT, acme_lab.inventory_path, ACTOR, now=due - timedelta(minutes=1),
        ca_bundle=str(pebble.ca_bundle), channels=channels,
    )  # fmt: skip
    assert early.status == "not_due"
    started = time.monotonic()
    [renewed] = acme.renew_certificates(
        sessions, ENVIRONMENT, acme_lab.inventory_path, ACTOR, now=due,
        ca_bundle=str(pebble.ca_bundle), channels=channels,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    with capsys.disabled():
        rotations = ", ".join(f"{h['host']} {h['seconds'] * 1000:.0f} ms" for h in renewed.hosts)
        print(
            f"\n  ACME renewal (order on pebble + rotation): {elapsed * 1000:.0f} ms; {rotations}"
        )
    assert renewed.status == "issued", renewed.message
    assert renewed.serial != first_order.serial
    assert f"{served_certificate(acme_lab).serial_number:x}" == renewed.serial
    assert {h: worker_pid(acme_lab, h) for h in HOSTS} == pids  # same worker: no reload
    assert "rotated without a reload" in renewed.message


def test_after_rotations_the_files_on_disk_still_load_and_a_reload_serves_the_same(
    acme_lab: Lab, first_order: AcmeOutcome
) -> None:
    # Rotation wrote the new files too: haproxy -c on each host's own files passes, with
    # the challenge map in place, and a reload serves the same (renewed) certificate.
    for host in HOSTS:
        checked = acme_lab.exec_on(host, ["haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"])
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert acme_lab.exec_on(host, ["test", "-f", CHALLENGE_MAP], check=False).returncode == 0
    before = served_certificate(acme_lab).serial_number
    pid = worker_pid(acme_lab, "lb1")
    acme_lab.exec_on("lb1", [str(acme_lab.host("lb1").haproxy_reload)])
    assert wait_for(lambda: worker_pid(acme_lab, "lb1") != pid, 10)
    assert served_certificate(acme_lab).serial_number == before


def test_a_published_answer_is_on_both_hosts_and_served_through_the_vip(
    acme_lab: Lab, first_order: AcmeOutcome, channels: ChannelPool
) -> None:
    targets = list(channels.targets(acme_lab.inventory_path, list(HOSTS)).values())
    responder = MapChallengeResponder(channels, targets, CHALLENGE_MAP)
    token, answer = "lab-Token_1", "lab-Token_1.thumbprint-X"
    url = f"http://{VIP}/.well-known/acme-challenge/{token}"
    fetch = ["curl", "-s", "-o", "-", "-w", " %{http_code}", "--max-time", "5", url]
    responder.publish(token, answer)
    try:
        assert all(
            f'value="{answer}"' in runtime(acme_lab, h, f"get map {CHALLENGE_MAP} {token}")
            for h in HOSTS
        )
        assert acme_lab.exec_in_client(fetch).stdout == f"{answer} 200"
    finally:
        responder.withdraw(token)
    assert all(
        "found=no" in runtime(acme_lab, h, f"get map {CHALLENGE_MAP} {token}") for h in HOSTS
    )
    # An unknown token is an ordinary request: the frontend's pool answers it.
    assert not acme_lab.exec_in_client(fetch).stdout.startswith(answer)


def test_the_audit_log_records_each_issue_without_key_material(
    first_order: AcmeOutcome, sessions
) -> None:
    with sessions() as session:
        entries = [
            e for e in store.list_audit_entries(session, 200) if e.action.startswith("acme.")
        ]
    actions = [e.action for e in entries]
    assert "acme.placeholder" in actions and actions.count("acme.issued") >= 1
    text = repr([(e.action, e.target, e.detail) for e in entries])
    assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text
    assert first_order.serial in text


def test_an_order_whose_challenge_cannot_be_fetched_fails_and_is_recorded(
    acme_lab: Lab, first_order: AcmeOutcome, sessions, pebble, channels
) -> None:
    # The port-80 frontend stops listening on both hosts (runtime API, no reload): pebble's
    # fetch through the VIP is refused, so the order fails, names the domain, and counts.
    for host in HOSTS:
        assert runtime(acme_lab, host, "disable frontend web").strip() == ""
    try:
        [outcome] = acme.renew_certificates(
            sessions, ENVIRONMENT, acme_lab.inventory_path, ACTOR, force=True,
            ca_bundle=str(pebble.ca_bundle), channels=channels,
        )  # fmt: skip
    finally:
        for host in HOSTS:
            runtime(acme_lab, host, "enable frontend web")
    assert outcome.status == "failed" and DOMAIN in outcome.message, outcome.message
    assert outcome.failures == 1 and not outcome.failing
    with sessions() as session:
        assert acme_store.renewal_state(session, "www").failures == 1
        entries = store.list_audit_entries(session, 50)
    assert any(e.action == "acme.failed" for e in entries)
