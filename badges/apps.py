"""Open Badges 3.0 credentials: signing, verification, revocation lists (docs/design.md §12)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = _("Badges")

    def ready(self):
        from badges import checks  # noqa: F401  (registers the BADGE_SIGNING_KEYS check)
