"""The Content-Security-Policy and the other headers as every page gets them, and the template rules that let
the policy forbid inline script (docs/design.md §9.1). The browser's own verdict is tests/browser/test_csp.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html"))
POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


def directives(header: str) -> set[str]:
    """The policy's directives (django-csp writes them in no fixed order)."""
    return {directive.strip() for directive in header.split(";")}


def _name(path: Path) -> str:
    return path.relative_to(Path(settings.BASE_DIR) / "templates").as_posix()


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_no_template_has_inline_script(path):
    """Scripts are static files (<script src>); data goes in json_script blocks; no on…= handlers, no javascript: URLs."""
    text = path.read_text(encoding="utf-8")
    assert [tag for tag in re.findall(r"<script\b[^>]*>", text) if "src=" not in tag] == []
    assert not re.search(r"\son[a-z]+\s*=", text)
    assert "javascript:" not in text.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/no-such-page/"])
def test_every_answer_carries_the_policy_and_the_browser_headers(client, path, settings):
    settings.DEBUG = False  # with DEBUG, django-csp leaves 404 and 500 pages alone (Django's debug pages)
    response = client.get(path)
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert response["Permissions-Policy"] == "camera=(), geolocation=(), microphone=(), payment=()"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response  # plain HTTP in development: never HSTS


def test_the_operator_console_gets_the_same_policy(client_of, operator):
    response = client_of(operator).get("/operator/")
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY
