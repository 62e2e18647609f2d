"""Live proctored sessions and incidents (issues 3 and 4)."""

from django.apps import AppConfig


class ProctoringConfig(AppConfig):
    name = "proctoring"
