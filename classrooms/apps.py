from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassroomsConfig(AppConfig):
    name = "classrooms"
    verbose_name = _("Organizations, accounts and classes")

    def ready(self):
        # The modules that write audit entries declare their action codes when imported
        # (classrooms.models.audit_actions); the audit log names every one, whatever ran first.
        from classrooms import services, transfers  # noqa: F401
