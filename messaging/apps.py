"""Messages and notices, with metadata-only logging (docs/design.md §6)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages (metadata)")

    def ready(self):
        from messaging import (
            checks,  # noqa: F401  (registers the MESSAGE_KEYS check)
            services,  # noqa: F401  (declares its audit actions)
        )
