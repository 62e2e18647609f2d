"""Exam catalog, attempts and results (docs/design.md §3)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("Tests and results")

    def ready(self) -> None:
        from exams import versions  # noqa: F401  (declares its audit actions)
