"""Drift of pools that follow DNS: template slots and unresolved names are DNS's, not drift."""

from __future__ import annotations

from dataclasses import replace

from controlplane.model import validate_data
from controlplane.observe import EnvironmentStatus, ServerState
from controlplane.observe.drift import find_drift
from controlplane.render import render_model
from tests.support import load_yaml

from ..lab.test_dns_discovery import discovery
from .test_drift import LAB_MODEL, probes_as_rendered, status_as_modelled


def test_filled_and_empty_template_slots_and_an_unresolved_name_are_no_drift() -> None:
    document = load_yaml(LAB_MODEL)
    discovery(document)
    model = validate_data(document).model
    rendered = render_model(model)
    status = status_as_modelled(model)
    slots = [
        ServerState("consul", "web1", "UP", 100, False, "L7OK", 0),
        ServerState("consul", "web2", "UP", 100, False, "L7OK", 0),
        ServerState("consul", "web3", "MAINT (resolution)", 100, False, "", 0),
    ]
    hosts = []
    for host in status.hosts:
        servers = [
            replace(s, status="MAINT (resolution)") if s.pool == "named" else s
            for s in host.servers
        ]
        hosts.append(replace(host, servers=[*servers, *slots]))
    report = find_drift(model, rendered, probes_as_rendered(rendered), EnvironmentStatus(hosts, []))
    assert report.differences == []


def test_a_slot_past_the_templates_count_is_still_unknown() -> None:
    document = load_yaml(LAB_MODEL)
    discovery(document)
    model = validate_data(document).model
    rendered = render_model(model)
    status = status_as_modelled(model)
    extra = ServerState("consul", "web4", "UP", 100, False, "L7OK", 0)
    status.hosts[0] = replace(status.hosts[0], servers=[*status.hosts[0].servers, extra])
    report = find_drift(model, rendered, probes_as_rendered(rendered), status)
    assert [(d.kind, d.subject) for d in report.differences] == [("server unknown", "consul/web4")]
