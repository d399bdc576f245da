"""Prompt templates live in smallcoder/prompts/*.j2, not in code."""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: resources.files("smallcoder").joinpath("prompts", name).read_text(encoding="utf-8")
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(template: str, /, **values: object) -> str:
    """Render prompts/<template>.j2 with the given values."""
    return _environment().get_template(f"{template}.j2").render(**values).strip()
