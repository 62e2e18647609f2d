"""Rules for the templates and the static files that no single page's test would notice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT / "templates").as_posix()


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_every_template_compiles(path):
    get_template(_name(path))


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_no_template_has_inline_style(path):
    """Looks live in static/css: no style attribute, no <style> block."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\sstyle\s*=|<style\b", text)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_no_script_sets_inline_style(path):
    """Scripts switch classes (or set a CSS custom property for a value that changes), never element.style.x."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\.style\.(?!setProperty\()\w+|\.style\s*=|\.style\[|cssText", text)
