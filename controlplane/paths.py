"""Where lbctl finds the files it ships: templates, playbooks, the example and lab environments.

Every file lbctl reads from its own distribution is found here, through
``importlib.resources``, so the same code works from a checkout installed with
``pip install -e .`` and from an installed wheel.

The files live at the top of the repository (``templates/``, ``playbooks/``,
``inventory/``), where an operator looks for them. ``controlplane/data/`` holds
committed relative symlinks to them (``data/templates -> ../../templates``, and
likewise ``playbooks`` and ``inventory``):

- an editable install imports the package from the checkout, so the links lead
  to the top-level folders themselves and an edited template is used at once;
- setuptools follows the links when it builds a wheel and packs real copies
  under ``controlplane/data/`` (``pyproject.toml``'s package-data says which).
  Measured with ``pip wheel`` and setuptools 84: the wheel lists every template,
  playbook, ``library/*.py``, ``module_utils/*.py``, role default and example
  file; ``tests/test_wheel.py`` builds one and runs it outside the checkout.

Paths come back resolved, so a checkout reports ``.../templates`` rather than the
link, and Ansible sees its ``library/``, ``module_utils/`` and ``roles/`` beside the
playbooks either way.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

# Set to a folder of Jinja templates to render with them instead of the shipped ones.
TEMPLATES_ENV = "LBCTL_TEMPLATES"


class ShippedFileMissing(FileNotFoundError):
    """A file lbctl ships is not where the installed package should hold it."""


def templates_dir() -> Path:
    """Return the folder of the haproxy.cfg and keepalived.conf templates (or $LBCTL_TEMPLATES)."""
    override = os.environ.get(TEMPLATES_ENV)
    if override:
        folder = Path(override)
        if not folder.is_dir():
            raise ShippedFileMissing(
                f"{TEMPLATES_ENV}={override} is not a folder of templates: "
                f"point it at one, or unset it to use the templates lbctl ships"
            )
        return folder
    return _shipped("templates")


def template_missing(name: str) -> ShippedFileMissing:
    """Return the error for a template that is not in templates_dir(), with what to do."""
    if os.environ.get(TEMPLATES_ENV):
        fix = f"add it there, or unset {TEMPLATES_ENV} to use the templates lbctl ships"
    else:
        fix = "reinstall lbctl: its shipped templates are incomplete"
    return ShippedFileMissing(f"template {name} is not in {templates_dir()}: {fix}")


def playbooks_dir() -> Path:
    """Return the Ansible project folder: playbooks with library/, module_utils/, roles/, files/."""
    return _shipped("playbooks")


def role_defaults_file() -> Path:
    """Return the lbctl_defaults role's defaults, the variables every playbook starts from."""
    return _shipped("playbooks", "roles", "lbctl_defaults", "defaults", "main.yml")


def example_environment_dir() -> Path:
    """Return the example environment `lbctl init` copies: lb.yaml and hosts.yml."""
    return _shipped("inventory", "example")


def example_inventory_file() -> Path:
    """Return the example environment's Ansible inventory (the admin app's default)."""
    return _shipped("inventory", "example", "hosts.yml")


def lab_model_file() -> Path:
    """Return the model the namespace lab deploys: one VIP pair over the lab's backends."""
    return _shipped("inventory", "lab", "lb.yaml")


def import_root() -> Path:
    """Return the folder that must be on sys.path for `python -m controlplane...` to run this copy.

    The lab starts its tools in network namespaces with a fresh interpreter; given this
    folder on PYTHONPATH it imports the same lbctl as the caller, checkout or wheel.
    """
    return _package_dir().parent


def resolv_conf_stand_in() -> Path:
    """Return the /etc/resolv.conf the local proof's sandbox shows HAProxy (sandbox.py)."""
    return _shipped("resolv.conf")


def _package_dir() -> Path:
    root = resources.files(__package__ or "controlplane")
    if not isinstance(root, Path):
        # ansible-runner, Jinja and the lab need real folders, not a zip archive's entries.
        raise ShippedFileMissing(
            f"lbctl is installed as {root}, not as files on disk: install it with pip"
        )
    return root


def _shipped(*parts: str) -> Path:
    """Return a shipped file or folder under controlplane/data/; raise if it is missing."""
    path = _package_dir().joinpath("data", *parts)
    if not path.exists():
        raise ShippedFileMissing(
            f"{path} is missing: this lbctl was installed without the files it ships. "
            "Reinstall it from a wheel built from the repository (pip install lbctl-*.whl), "
            "or run `pip install -e .` in a checkout"
        )
    return path.resolve()
