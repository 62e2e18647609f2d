"""Messages and notices, with metadata-only logging (docs/design.md §6)."""

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        from messaging import (
            checks,  # noqa: F401  (registers the MESSAGE_KEYS check)
            services,  # noqa: F401  (declares its audit actions)
        )
