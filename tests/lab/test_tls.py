"""TLS on the lab: certificates shipped with the config, rotated live, rolled back, refused.

One deploy of a TLS site per module (two certificates by SNI on :443, mutual TLS on :8443,
from the file flow), then the assertions and rotations share it: rotations go through the
runtime path (no reload), and two more deploys prove the deploy's own runtime path and its
rollback. Root only (the lab).
"""

from __future__ import annotations

import re
import shlex
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import hashes

from controlplane.deploy import DeployEvent
from controlplane.deploy import runner as deploy_runner
from controlplane.errors import ModelInvalid
from controlplane.lab import Lab
from controlplane.runtime import ChannelPool, rotate_files
from controlplane.usecases.files import deploy_file, diff_hosts
from tests.tls_material import Issued, make_ca, make_leaf

from .deploying import LAB_MODEL, VIP, runtime, statuses, wait_for, worker_pid

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

HOSTS = ("lb1", "lb2")
FILES_DIR = "/etc/haproxy/lbctl"
SITE_A = f"{FILES_DIR}/certs/site-a.pem"
SITE_B = f"{FILES_DIR}/certs/site-b.pem"


@dataclass
class Site:
    """The TLS site's model folder (file flow), its certificates, and what its deploys said."""

    lab: Lab
    folder: Path
    ca: Issued
    client_ca: Issued
    a: Issued
    b: Issued
    events: list[DeployEvent] = field(default_factory=list)
    runner_folders: list[Path] = field(default_factory=list)

    @property
    def model(self) -> Path:
        return self.folder / "lb.yaml"

    def write(self, overrides: dict[str, str] | None = None) -> None:
        """Write the model and its files (from the site's certificates, or `overrides`)."""
        files = {
            "certs/a.pem": self.a.bundle(),
            "certs/b.pem": self.b.bundle(),
            "ca/clients.pem": self.client_ca.cert_pem(),
        } | (overrides or {})
        for relative, text in files.items():
            (self.folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (self.folder / relative).write_text(text)
        document = yaml.safe_load(LAB_MODEL.read_text())
        document["certificates"] = [
            {"name": "site-a", "file": "certs/a.pem"},
            {"name": "site-b", "file": "certs/b.pem"},
        ]
        document["ca_bundles"] = [{"name": "clients", "file": "ca/clients.pem"}]
        tls_site = {"vip_pair": "edge", "vip": VIP, "mode": "http", "default_pool": "app"}
        sni = {"certificates": ["site-a", "site-b"]}
        mutual = {"certificates": ["site-a"], "client_verify": {"ca_bundle": "clients"}}
        document["frontends"] += [
            {"name": "web-tls", "port": 443, **tls_site, "tls": sni},
            {"name": "mtls", "port": 8443, **tls_site, "tls": mutual},
        ]
        self.model.write_text(yaml.safe_dump(document, sort_keys=False))

    def deploy(self, inventory: Path | None = None) -> list[tuple[str, str]]:
        """Deploy the model file to the lab; keep its events and ansible-runner folders."""
        keeper = _KeepRunnerFolders(self.runner_folders)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(deploy_runner, "shutil", keeper)
            result = deploy_file(
                self.model, inventory or self.lab.inventory_path, on_event=self.events.append
            )
        return statuses(result)


class _KeepRunnerFolders:
    """Stands in for `shutil` in the runner: its private folders stay for the secrets check."""

    def __init__(self, kept: list[Path]) -> None:
        self.kept = kept

    def rmtree(self, path: str | Path, ignore_errors: bool = False) -> None:
        self.kept.append(Path(path))


@pytest.fixture(scope="module")
def site(fresh_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    ca = make_ca("lab site CA")
    client_ca = make_ca("lab clients CA")
    tls = Site(
        fresh_lab,
        tmp_path_factory.mktemp("tls-site"),
        ca,
        client_ca,
        make_leaf(ca, "a.example.com"),
        make_leaf(ca, "b.example.com"),
    )
    tls.write()
    try:
        assert sorted(tls.deploy()) == [("lb1", "changed"), ("lb2", "changed")]
        yield tls
    finally:
        for folder in tls.runner_folders:
            shutil.rmtree(folder, ignore_errors=True)


def served_serial(lab: Lab, name: str, port: int = 443) -> int:
    """Return the serial of the certificate the VIP presents for SNI `name` (openssl)."""
    pipeline = (
        f"openssl s_client -connect {VIP}:{port} -servername {shlex.quote(name)} </dev/null "
        "2>/dev/null | openssl x509 -noout -serial"
    )
    out = lab.exec_in_client(["sh", "-c", pipeline]).stdout
    return int(out.strip().split("=", 1)[1], 16)


def loaded_serial(lab: Lab, host: str, path: str) -> int:
    """Return the serial HAProxy on `host` holds for the certificate file `path`."""
    match = re.search(r"^Serial: ([0-9A-F]+)$", runtime(lab, host, f"show ssl cert {path}"), re.M)
    assert match, f"{host}: no certificate {path}"
    return int(match.group(1), 16)


def files_version(lab: Lab, host: str) -> str:
    return lab.exec_on(host, ["readlink", FILES_DIR]).stdout.strip()


def mtls_status(lab: Lab, site: Site, client: Issued | None) -> str:
    """Return curl's status for https://VIP:8443/ with `client`'s certificate ('000': refused)."""
    argv = ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"]
    if client is not None:
        pem = site.folder / f"client-{client.cert.serial_number}.pem"
        pem.write_text(client.cert_pem() + client.key_pem())
        pem.chmod(0o600)
        argv += ["--cert", str(pem)]
    return lab.exec_in_client([*argv, f"https://{VIP}:8443/"], check=False).stdout.strip()


def _pids(lab: Lab) -> dict[str, str]:
    return {h: worker_pid(lab, h) for h in HOSTS}


# --- the first deploy ---------------------------------------------------------------------------


def test_the_vip_serves_each_certificate_by_sni(site: Site) -> None:
    assert served_serial(site.lab, "a.example.com") == site.a.cert.serial_number
    assert served_serial(site.lab, "b.example.com") == site.b.cert.serial_number
    assert served_serial(site.lab, "other.example.com") == site.a.cert.serial_number  # default


def test_both_hosts_hold_the_files_with_keys_readable_by_root_only(site: Site) -> None:
    for host in HOSTS:
        assert loaded_serial(site.lab, host, SITE_B) == site.b.cert.serial_number
        modes = site.lab.exec_on(
            host, ["stat", "-L", "-c", "%a %U %n", SITE_A, f"{FILES_DIR}/ca/clients.pem"]
        ).stdout.split("\n")
        assert modes[:2] == [f"600 root {SITE_A}", f"640 root {FILES_DIR}/ca/clients.pem"]


def test_no_private_key_reaches_deploy_events_or_ansible_runner_files(site: Site) -> None:
    # A line from the middle of each key: base64 that exists nowhere else.
    secrets = [key.key_pem().splitlines()[2] for key in (site.a, site.b)]
    assert site.events and site.runner_folders
    texts = [repr(event) for event in site.events]
    for folder in site.runner_folders:
        texts += [p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file()]
    assert not [s for s in secrets for text in texts if s in text]


def test_mutual_tls_accepts_a_client_of_the_ca_and_refuses_one_without(site: Site) -> None:
    assert mtls_status(site.lab, site, make_leaf(site.client_ca, client=True)) == "200"
    assert mtls_status(site.lab, site, None) == "000"
    assert mtls_status(site.lab, site, make_leaf(make_ca("stranger"), client=True)) == "000"


# --- rotations ------------------------------------------------------------------------------------


def test_a_certificate_rotates_on_both_hosts_under_load_without_a_reload(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = site.lab
    pids = _pids(lab)
    new_a = make_leaf(site.ca, "a.example.com")
    channels = ChannelPool()
    try:
        targets = list(channels.targets(lab.inventory_path, list(HOSTS)).values())
        channels.warm(targets)
        load = lab.start_load(f"https://{VIP}/", connections=8, duration=4, max_requests=50_000)
        # The load holds keep-alive connections on the MASTER before the rotation starts.
        assert wait_for(lambda: "CurrConns: 0\n" not in runtime(lab, "lb1", "show info"), 5)
        started = time.monotonic()
        result = rotate_files(
            channels, targets, FILES_DIR, {"certs/site-a.pem": new_a.bundle()}, {"certs/site-a.pem"}
        )
        elapsed = time.monotonic() - started
        stats = load.result()
    finally:
        channels.close()
    with capsys.disabled():
        print(
            f"\n  certificate rotation: {elapsed * 1000:.0f} ms request to served on both hosts "
            + ", ".join(f"{h.host} {h.seconds * 1000:.0f} ms" for h in result.hosts)
            + f"; load {stats['ok']} ok, {stats['failed']} failed"
        )
    assert [(h.host, h.ok, h.error, h.changed) for h in result.hosts] == [
        (h, True, "", True) for h in HOSTS
    ]
    fingerprint = new_a.cert.fingerprint(hashes.SHA1()).hex().upper()
    assert all(h.served == {"certs/site-a.pem": fingerprint} for h in result.hosts)
    assert _pids(lab) == pids  # the same workers serve it: no reload
    assert stats["failed"] == 0 and stats["ok"] > 100, stats
    assert served_serial(lab, "a.example.com") == new_a.cert.serial_number
    assert all(loaded_serial(lab, h, SITE_A) == new_a.cert.serial_number for h in HOSTS)
    # On disk too: a later reload (or deploy of the same contents) serves the same.
    assert lab.exec_on("lb2", ["cat", SITE_A]).stdout == new_a.bundle()
    site.a = new_a


def test_a_ca_bundle_rotates_and_client_verification_follows(site: Site) -> None:
    lab = site.lab
    pids = _pids(lab)
    new_ca = make_ca("lab clients CA 2")
    channels = ChannelPool()
    try:
        targets = list(channels.targets(lab.inventory_path, list(HOSTS)).values())
        result = rotate_files(channels, targets, FILES_DIR, {"ca/clients.pem": new_ca.cert_pem()})
    finally:
        channels.close()
    assert result.ok, [h.error for h in result.hosts]
    assert _pids(lab) == pids
    assert mtls_status(lab, site, make_leaf(new_ca, client=True)) == "200"
    assert mtls_status(lab, site, make_leaf(site.client_ca, client=True)) == "000"
    site.client_ca = new_ca


def test_a_deploy_that_changes_only_a_certificate_takes_the_runtime_path(site: Site) -> None:
    lab = site.lab
    pids = _pids(lab)
    new_b = make_leaf(site.ca, "b.example.com")
    site.b = new_b
    site.write()  # also what the rotations above changed: the model follows the hosts

    # The plan (lbctl diff -i / deploy --check) compares the hosts' files by digest.
    preview = diff_hosts(site.model, lab.inventory_path)
    assert sorted((c.host, c.file, c.path) for c in preview.changes) == [
        ("lb1", "certs/site-b.pem", "runtime"),
        ("lb2", "certs/site-b.pem", "runtime"),
    ]
    assert site.deploy() == [("lb2", "changed"), ("lb1", "changed")]

    assert _pids(lab) == pids  # set ssl cert + commit, no reload
    assert served_serial(lab, "b.example.com") == new_b.cert.serial_number
    assert all(loaded_serial(lab, h, SITE_B) == new_b.cert.serial_number for h in HOSTS)
    assert len({files_version(lab, h) for h in HOSTS}) == 1  # one content, one version name


def test_a_deploy_failing_after_the_rotation_rolls_the_certificate_back(
    site: Site, tmp_path: Path
) -> None:
    lab = site.lab
    before = {h: (worker_pid(lab, h), files_version(lab, h)) for h in HOSTS}
    old_b = site.b
    site.b = make_leaf(site.ca, "b.example.com")
    site.write()
    # With a keepalived change whose first reload fails on lb2, after HAProxy took the
    # new certificate: the rescue puts the old one back.
    document = yaml.safe_load(site.model.read_text())
    document["vip_pairs"][0]["preempt"] = False
    site.model.write_text(yaml.safe_dump(document, sort_keys=False))
    inventory = _failing_keepalived_reload_once(lab, tmp_path, "lb2")

    assert site.deploy(inventory) == [("lb2", "rolled back"), ("lb1", "not run")]

    assert {h: (worker_pid(lab, h), files_version(lab, h)) for h in HOSTS} == before
    assert loaded_serial(lab, "lb2", SITE_B) == old_b.cert.serial_number
    assert lab.exec_on("lb2", ["cat", SITE_B]).stdout == old_b.bundle()
    site.b = old_b
    site.write()


def _failing_keepalived_reload_once(lab: Lab, folder: Path, host: str) -> Path:
    """Return an inventory copy whose keepalived reload on `host` fails once, then works."""
    inventory = yaml.safe_load(lab.inventory_path.read_text())
    entry = inventory["all"]["children"]["lb"]["hosts"][host]
    script = folder / "keepalived-reload-fails-once"
    script.write_text(
        "#!/bin/sh\n"
        f"if [ ! -e {folder}/failed ]; then : > {folder}/failed; "
        "echo 'injected keepalived reload failure' >&2; exit 1; fi\n"
        f"exec {entry['keepalived_reload_command']}\n"
    )
    script.chmod(0o755)
    entry["keepalived_reload_command"] = str(script)
    path = folder / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


@pytest.mark.parametrize("fault", ["expired", "mismatched key"])
def test_a_bad_certificate_is_refused_before_anything_is_written_on_the_hosts(
    site: Site, fault: str
) -> None:
    lab = site.lab
    listing = ["sh", "-c", f"readlink {FILES_DIR}; ls {FILES_DIR}.versions; md5sum {SITE_B}"]
    before = {h: lab.exec_on(h, listing).stdout for h in HOSTS}
    if fault == "expired":
        bad = make_leaf(site.ca, "b.example.com", days=-1).bundle()
    else:
        bad = site.b.cert_pem() + make_leaf(site.ca, "b.example.com").key_pem()
    site.write({"certs/b.pem": bad})
    try:
        with pytest.raises(ModelInvalid) as refused:
            site.deploy()
    finally:
        site.write()
    assert any("certificates[site-b]" in e.path for e in refused.value.errors), refused.value
    assert {h: lab.exec_on(h, listing).stdout for h in HOSTS} == before
