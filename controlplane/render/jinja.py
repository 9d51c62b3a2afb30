"""The Jinja environment every template renders in: strict, and one line per printed value."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from ..paths import template_missing, templates_dir


def _single_line(value: Any) -> Any:
    """Return a printed value after checking it holds no line break (Jinja's `finalize`).

    Defence in depth: the model already forbids them, but no value may ever add a line.
    Every `{{ ... }}` of every template passes through here.
    """
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        raise ValueError(f"refusing to render a value containing a line break: {value!r}")
    return value


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_single_line,
    )


def render_template(template: str, ctx: Any) -> str:
    try:
        loaded = environment().get_template(template)
    except jinja2.TemplateNotFound as exc:
        # Jinja's own text is the bare template name: say where it was looked for.
        raise template_missing(str(exc.name or template)) from exc
    return loaded.render(ctx=ctx)
