"""System check: MESSAGE_KEYS must hold Fernet keys, so a typo stops the start, not the first message."""

from __future__ import annotations

from django.core.checks import Error, register

from messaging.crypto import key_problems


@register()
def message_keys_check(app_configs, **kwargs):
    return [Error(problem, hint="See docs/messaging.md.", id="messaging.E001") for problem in key_problems()]
