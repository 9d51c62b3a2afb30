"""VRRP instances of the hosts' keepalived.conf, paired up into the model's VIP pairs.

Which instances make up a pair is `vrrp_pairs`' answer (the same `virtual_router_id` and
VIPs on two hosts; a host may be in several pairs). The preferred master is the one with
the higher priority (or, at equal priority, `state MASTER`). Preemption, advert interval,
VRRP version, unicast peers, authentication, track and notify scripts, excluded VIPs and
garp settings carry over (`vrrp_options`); an instance with no partner, a sync group, or
an option the model has no field for is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.keepalived_options import check_command
from .keepalived_reader import Node
from .names import Names
from .report import Report, Where
from .vrrp_options import advertised_vips, garp_options, ipv6_adverts, seconds
from .vrrp_pairs import match_instances, runs

# Words in a track script that say it checks HAProxy: lbctl's own check replaces it.
_HAPROXY_CHECKS = ("haproxy", "8404", "healthz")
_NOTIFY = {
    "notify_master": "master",
    "notify_backup": "backup",
    "notify_fault": "fault",
    "notify_stop": "stop",
}
_IGNORED = frozenset({"track_file"})
# Per-instance gratuitous ARP settings: the pair's `keepalived.garp`.
_GARP = frozenset(
    {
        "garp_master_delay",
        "garp_master_repeat",
        "garp_master_refresh",
        "garp_master_refresh_repeat",
        "garp_lower_prio_delay",
        "garp_lower_prio_repeat",
    }
)
# global_defs lines the model's settings.keepalived says.
_GLOBAL_GARP = {"vrrp_garp_interval": "garp_interval", "vrrp_gna_interval": "gna_interval"}


@dataclass
class Instance:
    host: str
    name: str
    where: Where
    interface: str = ""
    vrid: int = 0
    priority: int = 100
    state: str = "BACKUP"
    advert: str = "1s"
    version: int | None = None
    nopreempt: bool = False
    preempt_delay: str | None = None
    src_ip: str | None = None
    peers: list[str] = field(default_factory=list)
    auth: dict[str, str] | None = None
    vips: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # virtual_ipaddress_excluded
    vip_devices: set[str] = field(default_factory=set)
    track_scripts: list[tuple[str, int | None]] = field(default_factory=list)
    track_interfaces: list[dict[str, Any]] = field(default_factory=list)
    notify: dict[str, str] = field(default_factory=dict)
    garp: dict[str, str] = field(default_factory=dict)  # garp_* keyword -> value
    # The host's global_defs settings.keepalived keywords, copied to each of its instances.
    global_garp: dict[str, str] = field(default_factory=dict)

    @property
    def all_vips(self) -> list[str]:
        """Every VIP the instance holds: advertised first, then the excluded ones."""
        return [*self.vips, *self.excluded]


@dataclass
class Script:
    command: str
    where: Where
    options: dict[str, str] = field(default_factory=dict)


def read_host(
    host: str, nodes: list[Node], report: Report
) -> tuple[list[Instance], dict[str, Script]]:
    """Return the VRRP instances and scripts of one host's keepalived.conf."""
    instances: list[Instance] = []
    scripts: dict[str, Script] = {}
    version: int | None = None
    global_garp: dict[str, str] = {}
    for node in nodes:
        if node.keyword == "vrrp_script" and node.values():
            script = node.child("script")
            command = " ".join(script.values()) if script else ""
            options = {
                c.keyword: c.values()[0]
                for c in node.children or []
                if c.values() and c.keyword != "script"
            }
            scripts[node.values()[0]] = Script(command, node.where, options)
        elif node.keyword == "vrrp_instance" and node.values():
            instances.append(_instance(host, node, report))
        elif node.keyword == "global_defs":
            for child in node.children or []:
                if child.keyword == "vrrp_version" and child.values():
                    version = int(child.values()[0])
                elif child.keyword in _GLOBAL_GARP and len(child.values()) == 1:
                    if _positive(child.values()[0]):
                        global_garp[_GLOBAL_GARP[child.keyword]] = child.values()[0]
                    else:
                        report.add(
                            "dropped",
                            child.where,
                            " ".join(child.words),
                            "keepalived refuses an interval that is not above 0 and keeps its "
                            "default",
                        )
                elif child.keyword not in (
                    "router_id",
                    "enable_script_security",
                    "script_user",
                    "reload_file",
                ):
                    report.add("dropped", child.where, " ".join(child.words), "global_defs option")
        elif node.keyword == "track_file":
            pass  # lbctl's own switchover file when importing its own configs
        else:
            report.add("dropped", node.where, " ".join(node.words), "no model field says this")
    for instance in instances:
        if instance.version is None:
            instance.version = version
        instance.global_garp = dict(global_garp)
    return instances, scripts


def _instance(host: str, node: Node, report: Report) -> Instance:
    inst = Instance(host, node.values()[0], node.where)
    for child in node.children or []:
        key, values = child.keyword, child.values()
        value = values[0] if values else ""
        if key == "interface":
            inst.interface = value
        elif key == "virtual_router_id":
            inst.vrid = int(value)
        elif key == "priority":
            inst.priority = _priority(int(value), child, report)
        elif key == "state":
            inst.state = _state(value.upper(), child, report)
        elif key == "advert_int":
            inst.advert = seconds(value)
        elif key == "version":
            inst.version = int(value)
        elif key == "nopreempt":
            inst.nopreempt = True
        elif key == "preempt_delay":
            inst.preempt_delay = seconds(value)
        elif key == "unicast_src_ip":
            inst.src_ip = value
        elif key == "unicast_peer":
            inst.peers = [c.keyword for c in child.children or []]
        elif key == "authentication":
            opts = {c.keyword: c.values()[0] for c in child.children or [] if c.values()}
            inst.auth = {
                "type": opts.get("auth_type", "PASS"),
                "password": opts.get("auth_pass", ""),
            }
        elif key in ("virtual_ipaddress", "virtual_ipaddress_excluded"):
            for vip in child.children or []:
                address = vip.keyword if "/" in vip.keyword else _host_cidr(vip.keyword)
                (inst.vips if key == "virtual_ipaddress" else inst.excluded).append(address)
                words = vip.values()
                if "dev" in words and words.index("dev") + 1 < len(words):
                    inst.vip_devices.add(words[words.index("dev") + 1])
        elif key == "track_script":
            for c in child.children or []:
                weight = None
                if c.values()[:1] == ["weight"] and len(c.values()) > 1:
                    weight = int(c.values()[1])
                inst.track_scripts.append((c.keyword, weight))
        elif key == "track_interface":
            for c in child.children or []:
                entry: dict[str, Any] = {"name": c.keyword}
                if c.values()[:1] == ["weight"] and len(c.values()) > 1:
                    entry["weight"] = abs(int(c.values()[1]))
                inst.track_interfaces.append(entry)
        elif key in _NOTIFY:
            command = " ".join(values)
            try:
                inst.notify[_NOTIFY[key]] = check_command(command)
            except ValueError as exc:  # keepalived runs it without a shell: `&&` is a word
                report.add("dropped", child.where, " ".join(child.words), str(exc))
        elif key == "notify" and value == "/usr/local/libexec/lbctl/vrrp-notify":
            pass  # lbctl's own state hook
        elif key in _GARP and len(values) == 1:
            inst.garp[key] = value
        elif key in _IGNORED:
            pass
        else:
            report.add("dropped", child.where, " ".join(child.words), "no VIP pair field says this")
    return inst


def _positive(value: str) -> bool:
    try:
        return float(value) > 0
    except ValueError:
        return False


def _priority(value: int, child: Node, report: Report) -> int:
    """Return the priority keepalived runs with: out of 1-255 it takes its default, 100."""
    if 1 <= value <= 255:
        return value
    report.add("translated", child.where, " ".join(child.words), "keepalived uses 100 (1-255)")
    return 100


def _state(value: str, child: Node, report: Report) -> str:
    """Return the state keepalived starts in: anything but MASTER or BACKUP is BACKUP."""
    if value in ("MASTER", "BACKUP"):
        return value
    report.add("translated", child.where, " ".join(child.words), "keepalived starts it as BACKUP")
    return "BACKUP"


def _host_cidr(address: str) -> str:
    return f"{address}/128" if ":" in address else f"{address}/32"


def pair_instances(
    hosts: dict[str, tuple[list[Instance], dict[str, Script]]], names: Names, report: Report
) -> list[dict[str, Any]]:
    """Return the model's vip_pairs from every host's instances; report the unpaired."""
    found = match_instances({h: instances for h, (instances, _) in hosts.items()}, report)
    pairs = []
    for run in runs(found):
        first = run.matches[0]
        pair = _pair(first.master, first.backup, run.name, hosts, names, report)
        if len(run.matches) > 1:
            # lbctl's own active-active pair: instance i holds the i-th VIP.
            pair["mode"] = "active-active"
            pair["vips"] = [m.master.all_vips[0] for m in run.matches]
            report.native(2 * (len(run.matches) - 1))
        ipv6_adverts(pair, first.master, report)
        pairs.append(pair)
    return pairs


def untrack_own_interfaces(
    pairs: list[dict[str, Any]], lb_hosts: list[dict[str, Any]], report: Report
) -> None:
    """Drop a pair's tracked interface that is one of its hosts' VRRP interfaces.

    keepalived ignores it (the instance goes to FAULT when that link is down anyway), and
    `keepalived -t` refuses lbctl's rendering of it.
    """
    interfaces = {host["name"]: host["interface"] for host in lb_hosts}
    for pair in pairs:
        options = pair.get("keepalived") or {}
        own = {interfaces.get(h) for h in pair["hosts"]}
        kept = []
        for tracked in options.pop("track_interfaces", []):
            if tracked["name"] not in own:
                kept.append(tracked)
                continue
            report.add(
                "translated",
                None,
                f"vip pair {pair['name']}: track_interface {tracked['name']}",
                "a host's own VRRP interface, which keepalived tracks already",
            )
        if kept:
            options["track_interfaces"] = kept


def _preempts(master: Instance, backup: Instance, report: Report) -> bool:
    """Return whether the preferred master takes the VIPs back when it returns.

    Only its own nopreempt can stop it: a backup's has nothing to preempt (VRRP lets the
    higher priority win unless that router holds back).
    """
    if backup.nopreempt and not master.nopreempt:
        report.add(
            "translated",
            backup.where,
            f"vrrp_instance {backup.name}: nopreempt",
            "only the preferred master's nopreempt holds it back: the pair preempts",
        )
    return not _holds_back(master, report)


def _holds_back(inst: Instance, report: Report) -> bool:
    """Return whether `nopreempt` holds: keepalived clears it on an instance in state MASTER."""
    if inst.nopreempt and inst.state == "MASTER":
        report.add(
            "translated",
            inst.where,
            f"vrrp_instance {inst.name}: nopreempt",
            "keepalived ignores nopreempt with state MASTER: the pair preempts",
        )
        return False
    return inst.nopreempt


def _as_keepalived_uses(inst: Instance, report: Report) -> dict[str, str]:
    """Return the instance's authentication, its password cut to the 8 characters VRRP uses."""
    auth = dict(inst.auth or {})
    if len(auth.get("password", "")) > 8:
        auth["password"] = auth["password"][:8]
        report.add(
            "translated",
            inst.where,
            f"vrrp_instance {inst.name}: auth_pass",
            "keepalived uses its first 8 characters, as the model's password",
        )
    return auth


def _pair(
    master: Instance,
    backup: Instance,
    name: str,
    hosts: dict[str, tuple[list[Instance], dict[str, Script]]],
    names: Names,
    report: Report,
) -> dict[str, Any]:
    pair: dict[str, Any] = {
        "name": names.name("vip_pair", name, master.where),
        "hosts": [master.host, backup.host],
        "virtual_router_id": master.vrid,
        "vips": master.all_vips,
        "advert_interval": master.advert,
        "preempt": _preempts(master, backup, report),
        "unicast": bool(master.peers or backup.peers),
    }
    if master.version:
        pair["vrrp_version"] = master.version
    if master.preempt_delay:
        pair["preempt_delay"] = master.preempt_delay
    hi, lo = min(master.priority, 254), min(backup.priority, 254)
    if hi <= lo:
        hi = min(lo + 1, 254)
        lo = hi - 1
        report.add(
            "translated",
            master.where,
            f"priority {master.priority}",
            f"the preferred master gets {hi}, the backup {lo}",
        )
    pair["master_priority"], pair["backup_priority"] = hi, lo
    pair["track_weight"] = min(max(60, hi - lo + 1), 253)
    if master.auth:
        pair["authentication"] = _as_keepalived_uses(master, report)
    options: dict[str, Any] = {}
    scripts = hosts[master.host][1]
    tracked = []
    for tracked_name, weight in master.track_scripts:
        script = scripts.get(tracked_name)
        if script is None:
            report.add(
                "dropped", master.where, f"track_script {tracked_name}", "no such vrrp_script"
            )
            continue
        if any(word in script.command for word in _HAPROXY_CHECKS):
            w = weight if weight is not None else int(script.options.get("weight", "0"))
            if w < 0:
                pair["track_weight"] = max(-w, pair["track_weight"])
            elif w == 0:
                # keepalived puts the instance in FAULT when a weightless script fails:
                # the model's track_weight 0 says the same.
                pair["track_weight"] = 0
            report.add(
                "translated",
                script.where,
                f"vrrp_script {tracked_name}",
                "lbctl's own HAProxy check (chk_haproxy) replaces it",
            )
            continue
        w = weight if weight is not None else int(script.options.get("weight", "0"))
        if w > 0:
            report.add(
                "differs",
                script.where,
                f"vrrp_script {tracked_name} weight {w}",
                "a positive weight (priority gained) has no model field: it loses priority "
                "when failing instead",
            )
        try:
            check_command(script.command)
        except ValueError as exc:
            report.add("dropped", script.where, f"vrrp_script {tracked_name}", str(exc))
            continue
        entry: dict[str, Any] = {
            # Per pair; lbctl writes a pair's own scripts as PAIR:NAME.
            "name": names.name(
                f"track_script:{pair['name']}", tracked_name.removeprefix(f"{name}:"), script.where
            ),
            "command": script.command,
            "weight": abs(w),
        }
        for key in ("interval", "timeout"):
            if key in script.options:
                entry[key] = seconds(script.options[key])
        for key in ("rise", "fall"):
            if key in script.options:
                entry[key] = int(script.options[key])
        tracked.append(entry)
    if tracked:
        options["track_scripts"] = tracked
    if master.track_interfaces:
        options["track_interfaces"] = master.track_interfaces
    if master.notify:
        options["notify"] = master.notify
    devices = master.vip_devices - {master.interface}
    if devices:
        options["vip_interface"] = sorted(devices)[0]
    advertised = advertised_vips(master, report)
    if advertised != "all":
        options["advertised_vips"] = advertised
    garp = garp_options(master, report)
    if garp is not None:
        options["garp"] = garp
    if options:
        pair["keepalived"] = options
    report.native(2)
    return pair
