"""System checks: the badge keys must be readable, so a typo stops the start, not the first badge;
and in production the badges' public address is https (docs/design.md §12, docs/deploy.md).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

from badges.keys import key_problems


@register()
def badge_keys_check(app_configs, **kwargs):
    return [Error(problem, hint="See docs/badges.md.", id="badges.E001") for problem in key_problems()]


@register(Tags.security, deploy=True)
def public_base_url_check(app_configs, **kwargs):
    """Badges carry PUBLIC_BASE_URL for good: in production it must be an https origin without a path."""
    parts = urlsplit(getattr(settings, "PUBLIC_BASE_URL", ""))
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/") or parts.query:
        return [
            Error(
                f"PUBLIC_BASE_URL must be the service's https address (e.g. https://kantoku.example.jp), "
                f"not {settings.PUBLIC_BASE_URL!r}: every badge is signed with it.",
                hint="See docs/deploy.md.",
                id="badges.E002",
            )
        ]
    return []
