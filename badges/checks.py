"""System check: the badge keys must be readable, so a typo stops the start, not the first badge."""

from __future__ import annotations

from django.core.checks import Error, register

from badges.keys import key_problems


@register()
def badge_keys_check(app_configs, **kwargs):
    return [Error(problem, hint="See docs/badges.md.", id="badges.E001") for problem in key_problems()]
