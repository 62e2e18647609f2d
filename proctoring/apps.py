"""Live proctored sessions, presence, signals, incidents and revocation (docs/design.md §4, §5)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProctoringConfig(AppConfig):
    name = "proctoring"
    verbose_name = _("Proctoring and incidents")

    def ready(self):
        from proctoring import services  # noqa: F401  (declares its audit actions)
