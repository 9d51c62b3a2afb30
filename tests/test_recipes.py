"""Every recipe of docs/recipes.md validates and renders a haproxy.cfg `haproxy -c` accepts."""

from __future__ import annotations

import re

import pytest
import yaml

from controlplane.acme.placeholder import placeholder_certificate
from controlplane.check import check_rendered
from controlplane.model import LbModel, validate_data
from controlplane.model.config_files import FileContents, FileKind, declared_files
from controlplane.render import render_model
from tests.support import ROOT, needs_binaries

RECIPES = ROOT / "docs" / "recipes.md"
# A recipe is a '## ' section; its model is its first ```yaml block that declares lb_hosts.
_SECTION = re.compile(r"^## (.+?)\n(.*?)(?=^## |\Z)", re.S | re.M)
_YAML = re.compile(r"```yaml\n(.*?)```", re.S)
_RAW = re.compile(r"```\n(HTTP/1\.[01] .*?)```", re.S)


def _recipes() -> dict[str, tuple[str, str | None]]:
    found = {}
    for title, body in _SECTION.findall(RECIPES.read_text()):
        models = [b for b in _YAML.findall(body) if "lb_hosts:" in b]
        if models:
            raw = _RAW.search(body)
            found[title.strip()] = (models[0], raw.group(1) if raw else None)
    return found


RECIPE_MODELS = _recipes()


def _contents(model: LbModel, error_page: str | None) -> FileContents:
    """Stand-in contents for the files a recipe declares (a real page when it shows one)."""
    texts: dict[tuple[FileKind, str], str] = {}
    for declared in declared_files(model):
        if declared.kind in ("certificate", "ca_bundle"):
            texts[(declared.kind, declared.name)] = placeholder_certificate(["www.example.com"])
        elif declared.kind == "error_page" and error_page is not None:
            texts[(declared.kind, declared.name)] = error_page.replace("\n", "\r\n").removesuffix(
                "\r\n"
            )
    return FileContents(texts)


def test_the_recipes_page_has_the_routing_recipes() -> None:
    assert {
        "Host and path routing",
        "HTTPS with a redirect from http and HSTS",
        "API rate limit",
        "Maintenance page",
    } <= set(RECIPE_MODELS)


@pytest.mark.parametrize("title", sorted(RECIPE_MODELS))
def test_a_recipe_validates_without_warnings(title: str) -> None:
    loaded = validate_data(yaml.safe_load(RECIPE_MODELS[title][0]))
    assert [str(w) for w in loaded.warnings] == []


@needs_binaries
@pytest.mark.parametrize("title", sorted(RECIPE_MODELS))
def test_a_recipe_renders_a_config_haproxy_accepts(title: str) -> None:
    text, error_page = RECIPE_MODELS[title]
    model = validate_data(yaml.safe_load(text)).model
    kinds = {d.kind for d in declared_files(model)}
    if not kinds <= {"certificate", "ca_bundle", "error_page"}:
        pytest.skip(f"no stand-in contents for {sorted(kinds)} here")
    report = check_rendered(render_model(model, _contents(model, error_page)))
    assert report.failures == [], [f.output for f in report.failures]
