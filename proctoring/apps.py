"""Live proctored sessions, presence, signals, incidents and revocation (docs/design.md §4, §5)."""

from django.apps import AppConfig


class ProctoringConfig(AppConfig):
    name = "proctoring"

    def ready(self):
        from proctoring import services  # noqa: F401  (declares its audit actions)
