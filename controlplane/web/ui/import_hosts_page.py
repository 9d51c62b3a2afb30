"""The "Import from hosts" page: what the environment's hosts run, saved as a new revision.

What `lbctl import -i INVENTORY [--limit H]` does, from the browser: the operator picks
some or all of the hosts of the inventory the app deploys to; the same use case reads
their haproxy.cfg and keepalived.conf and the files those name over SSH, and the import
becomes a new revision with its report shown. Nothing is saved when it cannot be done.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, render_template, request

from ...usecases import config_import
from ..auth import role_required
from . import bp
from .config_import_page import save_import
from .editing import head


def _inventory() -> Any:
    return current_app.config["LBCTL"].inventory


def _picked(inventory_hosts: list[str]) -> list[str]:
    """Return the hosts ticked on the form; raises ImportRefused for none or a stranger."""
    picked = [name for name in request.form.getlist("host") if name]
    strangers = sorted(set(picked) - set(inventory_hosts))
    if strangers:
        raise config_import.ImportRefused(
            f"{', '.join(strangers)}: not in the inventory ({', '.join(inventory_hosts)})"
        )
    if not picked:
        raise config_import.ImportRefused("pick at least one host to import from")
    return [name for name in inventory_hosts if name in picked]  # the inventory's order


@bp.route("/import-hosts", methods=["GET", "POST"])
@role_required("operator")
def import_hosts() -> Any:
    report: list[str] = []
    revision = None
    hosts: list[str] = []
    picked: list[str] = []
    try:
        hosts = config_import.inventory_hosts(_inventory())
        picked = hosts
    except config_import.ImportRefused as exc:
        flash(f"The app's inventory cannot be read: {exc}", "error")
    if request.method == "POST" and hosts:
        try:
            picked = _picked(hosts)
        except config_import.ImportRefused as exc:
            flash(f"Not imported: {exc}", "error")
        else:
            revision, report = save_import(
                lambda: config_import.import_from_hosts(_inventory(), picked),
                f" from {', '.join(picked)}",
            )
    return render_template(
        "import_hosts.html",
        hosts=hosts,
        picked=set(picked),
        inventory=_inventory(),
        report=report,
        revision=revision,
        head=head(),
    )
