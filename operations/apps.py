from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Contracts, the monthly billing count, backups, a school's data export and deletion (docs/design.md §8)."""

    name = "operations"
    verbose_name = _("Contracts, billing and data")
