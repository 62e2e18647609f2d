"""Messages and notices (issue 5)."""

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
