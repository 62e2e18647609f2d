"""Messages and notices (issue 5)."""

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        from messaging import checks  # noqa: F401  (registers the MESSAGE_KEYS check)
