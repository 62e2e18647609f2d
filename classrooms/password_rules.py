"""The password rules in short sentences a child can follow, read from the validators in settings.

Django's help text for AUTH_PASSWORD_VALIDATORS is long and written for adults; pupils choose their
own password at their first sign-in (docs/design.md §1). Each rule shown here comes from a validator
that is actually configured, so the page never promises a rule the server does not check, nor
hides one; a validator this module does not know shows Django's own help text.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


def password_rules() -> list[str]:
    rules = []
    for validator in password_validation.get_default_password_validators():
        if isinstance(validator, password_validation.MinimumLengthValidator):
            rules.append(_("Use at least %(count)s characters.") % {"count": validator.min_length})
        elif isinstance(validator, password_validation.UserAttributeSimilarityValidator):
            rules.append(_("Do not make it like your name or your login id."))
        elif isinstance(validator, password_validation.CommonPasswordValidator):
            rules.append(_("Do not use an easy one that many people use, like “password”."))
        elif isinstance(validator, password_validation.NumericPasswordValidator):
            rules.append(_("Do not use only numbers: mix in letters."))
        else:
            rules.append(validator.get_help_text())
    return rules
