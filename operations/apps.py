from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Contracts, the monthly billing count, backups, a school's data export and deletion (docs/design.md §8)."""

    name = "operations"
    verbose_name = _("Contracts, billing and data")

    def ready(self):
        # The modules that write audit entries declare their action codes when imported
        # (classrooms.models.audit_actions); the audit log names every one, whatever ran first.
        from operations import contracts, deletion, export  # noqa: F401
