from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class ClassroomsConfig(AppConfig):
    name = "classrooms"
    verbose_name = _("Organizations, accounts and classes")

    def ready(self):
        # The modules that write audit entries declare their action codes when imported
        # (classrooms.models.audit_actions); the audit log names every one, whatever ran first.
        from classrooms import services, transfers, two_factor  # noqa: F401

        # django-axes names its console section "Axes"; operators read what it is.
        apps.get_app_config("axes").verbose_name = _("Sign-in throttling")
