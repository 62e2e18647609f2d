"""The production setup of docs/deploy.md: `check --deploy` is clean, and the headers it serves (docs/design.md §9.1).

Both run in a subprocess with a production environment (DEBUG off, fresh keys, BEHIND_TLS_PROXY=true):
settings.py reads the environment once, at import, so this process's settings cannot show them.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pyrage
import pytest
from cryptography.fernet import Fernet
from django.conf import settings

HOST = "kantoku.example.jp"
ONE_YEAR = 365 * 24 * 60 * 60

# Requests through Django's test client in the production process; prints status and headers as JSON.
PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
answers = {
    "https": client.get("/login/", headers={"host": HOST, "x-forwarded-proto": "https"}),
    "http": client.get("/login/", headers={"host": HOST}),
    "healthz_http": client.get("/healthz", headers={"host": HOST}),
}
print(json.dumps({name: [r.status_code, dict(r.headers), [c.output() for c in r.cookies.values()]]
                  for name, r in answers.items()}))
"""


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    keep = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "MESSAGE_KEYS": Fernet.generate_key().decode(),
        "BACKUP_RECIPIENTS": str(pyrage.x25519.Identity.generate().to_public()),
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "PUBLIC_BASE_URL": f"https://{HOST}",
        "BEHIND_TLS_PROXY": "true",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        **overrides,
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")


def test_check_deploy_reports_nothing_in_production(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_check_deploy_fails_without_the_tls_proxy_settings(tmp_path):
    """The check above can fail: without BEHIND_TLS_PROXY there is no HSTS and no HTTPS redirect."""
    result = check_deploy(production_env(tmp_path, BEHIND_TLS_PROXY="false"))
    assert result.returncode != 0
    assert "security.W004" in result.stderr
    assert "security.W008" in result.stderr


@pytest.fixture(scope="module")
def production_answers(tmp_path_factory):
    env = production_env(tmp_path_factory.mktemp("production"))
    result = run(env, "-c", f"HOST = {HOST!r}\n{PROBE}")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_https_answers_carry_hsts_for_a_year_and_the_browser_policies(production_answers):
    status, headers, cookies = production_answers["https"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == f"max-age={ONE_YEAR}; includeSubDomains"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Permissions-Policy"] == "camera=(), geolocation=(), microphone=(), payment=()"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert cookies
    assert all("Secure" in cookie and "SameSite=Lax" in cookie for cookie in cookies)


def test_plain_http_is_redirected_to_https_except_the_health_probe(production_answers):
    status, headers, _cookies = production_answers["http"]
    assert (status, headers["Location"]) == (301, f"https://{HOST}/login/")
    assert "Strict-Transport-Security" not in headers  # never over plain HTTP
    health_status, _headers, _cookies = production_answers["healthz_http"]
    assert health_status in {200, 503}  # answered, not redirected (503: this test's empty database)


def test_check_deploy_refuses_a_plain_http_badge_address(tmp_path):
    """Badges are signed with PUBLIC_BASE_URL (docs/design.md §12): production must give an https address."""
    result = check_deploy(production_env(tmp_path, PUBLIC_BASE_URL="http://kantoku.example.jp"))
    assert result.returncode != 0
    assert "badges.E002" in result.stderr
