"""The Settings page: one form over the model's `settings` (HAProxy's global and defaults
sections, the TLS defaults, `tune.*`, keepalived's global_defs), saved as a new revision
like every other model form.

Two inputs do not map one to one onto a key and get their own code here:
- `chroot` may be null (no chroot) while its default is a folder, so an empty input means
  null and the default folder means the key is left out;
- `log_targets` is a list of objects, edited as lines, one target per line:
  `ADDRESS [facility=F] [level=L] [format=S]` (keys at their default are not written).
"""

from __future__ import annotations

import copy
from typing import Any, get_args

from flask import abort, redirect, render_template, request, url_for

from ...errors import FieldError, ModelInvalid
from ...model.schema import Settings
from ...model.tls import TlsVersion
from ...model.tuning import Tune
from ..auth import role_required
from . import bp
from .editing import base_revision, can_edit, document, head, save_edit
from .forms import FormErrors, apply_form, form_values, item_values, map_errors
from .forms import FormField as F
from .specs import ItemSpec

_DEFAULTS: dict[str, Any] = {**Settings().model_dump(mode="json"), "tune": Tune().model_dump()}
TLS_VERSIONS: tuple[str, ...] = get_args(TlsVersion)
LOG_TARGET_KEYS = ("facility", "level", "format")  # after the address, as key=value


def _default(name: str) -> Any:
    node: Any = _DEFAULTS
    for key in name.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node if node not in ([], {}) else None


def _f(name: str, label: str, kind: Any = "text", choices: tuple[str, ...] = (), **kw: Any) -> F:
    """A settings input whose default is the schema's (so a default is never written)."""
    return F(name, label, kind, choices, _default(name), **kw)


# The page's sections, in the order an operator reads a haproxy.cfg's global and defaults.
GROUPS: list[tuple[str, list[F]]] = [
    (
        "Process",
        [
            _f("maxconn", "Max connections", "int", hint="per process"),
            _f("nbthread", "Threads", "int", hint="empty: one per CPU; at most 64"),
            _f("retries", "Retries", "int", hint="connection attempts to a server"),
            _f("hard_stop_after", "Hard stop after", hint="old workers' grace after a reload"),
            _f("chroot", "Chroot", hint="empty: no chroot"),
            _f("files_dir", "Files folder", hint="on the LB host, for shipped files", wide=True),
        ],
    ),
    (
        "Timeouts",
        [
            _f("timeouts.connect", "Connect"),
            _f("timeouts.client", "Client"),
            _f("timeouts.server", "Server"),
            _f("timeouts.http_request", "HTTP request", hint="a whole request"),
            _f("timeouts.http_keep_alive", "HTTP keep-alive", hint="idle between requests"),
            _f("timeouts.queue", "Queue"),
            _f("timeouts.check", "Health check"),
            _f("timeouts.tunnel", "Tunnel", hint="WebSockets, CONNECT"),
        ],
    ),
    (
        "Logging",
        [
            _f("log_target", "Log target", hint="used while log targets is empty"),
            _f(
                "log_targets",
                "Log targets",
                "lines",
                hint="one per line: ADDRESS facility=local0 level=info format=rfc5424; "
                "ADDRESS is stdout, stderr, /dev/log or HOST:PORT",
                wide=True,
            ),
        ],
    ),
    (
        "Local listeners",
        [
            _f("admin_address", "Admin address", hint="monitor and metrics listen here"),
            _f("monitor_port", "Monitor port", "int", hint="keepalived tracks it"),
            _f("metrics_port", "Metrics port", "int", hint="Prometheus exporter"),
            _f("peers_port", "Peers port", "int", hint="stick tables replicate on it"),
        ],
    ),
    (
        "TLS defaults",
        [
            _f("tls.bind_min_version", "Frontends: min version", "select", TLS_VERSIONS),
            _f("tls.bind_ciphers", "Frontends: TLS 1.2 ciphers", wide=True),
            _f("tls.bind_ciphersuites", "Frontends: TLS 1.3 ciphersuites", wide=True),
            _f("tls.server_min_version", "Servers: min version", "select", TLS_VERSIONS),
            _f(
                "tls.server_ciphers", "Servers: TLS 1.2 ciphers", hint="empty: OpenSSL's", wide=True
            ),
            _f(
                "tls.server_ciphersuites",
                "Servers: TLS 1.3 ciphersuites",
                hint="empty: OpenSSL's",
                wide=True,
            ),
            _f("tls.tls_tickets", "TLS session tickets", "bool", hint="off: forward secrecy"),
        ],
    ),
    (
        "Tuning",
        [
            _f("tune.bufsize", "Buffer size", "int", hint="bytes; empty: 16384"),
            _f("tune.maxrewrite", "Max rewrite", "int", hint="bytes kept for header rewrites"),
            _f("tune.http_maxhdr", "Max headers", "int", hint="per request; empty: 101"),
            _f(
                "tune.ssl_default_dh_param",
                "DH param bits",
                "select",
                ("", "1024", "2048", "3072", "4096"),
                numeric=True,
            ),
            _f("tune.ssl_cachesize", "TLS session cache", "int", hint="sessions"),
            _f("tune.ssl_lifetime", "TLS session lifetime", hint="e.g. 5m"),
            _f("tune.h2_max_concurrent_streams", "HTTP/2 streams", "int", hint="per connection"),
            _f("tune.maxaccept", "Max accept", "int", hint="per wake-up; -1: no limit"),
        ],
    ),
    (
        "keepalived",
        [
            _f("keepalived.garp_interval", "GARP interval", hint="between gratuitous ARPs"),
            _f("keepalived.gna_interval", "GNA interval", hint="between unsolicited NAs (IPv6)"),
        ],
    ),
    (
        "Extra",
        [_f("extra", "Extra global directives", "lines", hint="one per line", wide=True)],
    ),
]
FIELDS = [f for _, fields in GROUPS for f in fields]
_OWN = ("chroot", "log_targets")  # parsed here, not by apply_form
SPEC = ItemSpec("settings", "Settings", "settings", FIELDS, (), named=False)


def settings_values(settings: dict[str, Any]) -> dict[str, str]:
    """Return the inputs' values for the document's `settings`."""
    values = item_values(FIELDS, settings)
    if "chroot" in settings and settings["chroot"] is None:
        values["chroot"] = ""
    values["log_targets"] = "\n".join(_target_line(t) for t in settings.get("log_targets") or [])
    return values


def apply_settings(form: Any, settings: dict[str, Any]) -> list[str]:
    """Set `settings` from the form; return what is wrong with the log target lines."""
    apply_form([f for f in FIELDS if f.name not in _OWN], form, settings)
    chroot = form.get("chroot", "").strip()
    if not chroot:
        settings["chroot"] = None
    elif chroot == _default("chroot"):
        settings.pop("chroot", None)
    else:
        settings["chroot"] = chroot
    targets, problems = parse_log_targets(form.get("log_targets", ""))
    if targets:
        settings["log_targets"] = targets
    else:
        settings.pop("log_targets", None)
    return problems


def parse_log_targets(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Return the targets of `ADDRESS key=value...` lines, and each line's problems.

    Values are passed on as written: the model says what is wrong with them, by line.
    """
    targets, problems = [], []
    for number, line in enumerate((ln for ln in text.splitlines() if ln.strip()), 1):
        address, *options = line.split()
        target = {"address": address}
        for option in options:
            key, equals, value = option.partition("=")
            if not equals or key not in LOG_TARGET_KEYS or key in target:
                problems.append(
                    f"line {number}: {option[:40]!r} is not one of "
                    "facility=..., level=..., format=..., each at most once"
                )
            else:
                target[key] = value
        targets.append(target)
    return targets, problems


def _target_line(target: dict[str, Any]) -> str:
    words = [str(target.get("address", ""))]
    words += [f"{k}={target[k]}" for k in LOG_TARGET_KEYS if target.get(k) is not None]
    return " ".join(words)


def settings_errors(errors: list[FieldError]) -> FormErrors:
    """Return the model's errors next to their inputs; a log target's names its line."""
    shown = []
    for error in errors:
        head_, dot, rest = error.path.partition("].")
        if error.path.startswith("settings.log_targets[") and dot:
            index = head_.removeprefix("settings.log_targets[")
            line = int(index) + 1 if index.isdigit() else index
            message = f"line {line}: {rest}: {error.message}"
            error = FieldError("settings.log_targets", message)
        shown.append(error)
    return map_errors(shown, "settings", FIELDS)


def _page(values: dict[str, str], errors: FormErrors, base: int | None) -> Any:
    page = render_template(
        "settings.html",
        spec=SPEC,
        groups=GROUPS,
        values=values,
        errors=errors,
        choices={f.name: list(f.choices) for f in FIELDS if f.kind == "select"},
        revision=head(),
        can_edit=can_edit(),
        base=base,
    )
    return page, 422 if errors else 200


@bp.route("/settings")
@role_required("viewer")
def settings_short() -> Any:
    return redirect(url_for("ui.settings_page"))


@bp.route("/model/settings", methods=["GET", "POST"])
@role_required("viewer")
def settings_page() -> Any:
    if request.method == "GET":
        revision = head()
        base = revision.number if revision else None
        return _page(settings_values(document().get("settings") or {}), FormErrors(), base)
    if not can_edit():
        abort(403)
    form = request.form
    problems: list[str] = []

    def edit(doc: dict[str, Any]) -> None:
        # The shared document's settings are never changed: only this copy is.
        settings = copy.deepcopy(doc.get("settings") or {})
        problems.extend(apply_settings(form, settings))
        if problems:
            raise ModelInvalid([FieldError("settings.log_targets", p) for p in problems])
        if settings:
            doc["settings"] = settings
        else:
            doc.pop("settings", None)

    message = form.get("message", "").strip() or "Edit settings"
    result = save_edit(edit, message, ("settings", None))
    if isinstance(result, ModelInvalid):
        values = form_values(FIELDS, form)
        return _page(values, settings_errors(result.errors), base_revision())
    return redirect(url_for("ui.settings_page"))
