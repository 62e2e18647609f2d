"""Form errors that name the field and say what to do (docs/design.md §9: a form validates input).

Django's own messages are bare (このフィールドは必須です。): next to a field a pupil may not know
which one is meant, and in an error summary nobody can. The project's form renderer
(settings.FORM_RENDERER) gives every form a bound field whose errors are rewritten by their code,
with the field's label: 氏名を入力してください。 Every form of every app gets it without a base
class; a form that already wrote its own message for a code keeps it.
"""

from __future__ import annotations

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext as _

# Django's default messages (the lazy objects themselves, compared by identity): only these are
# rewritten, never words a form or a service wrote for its own reasons.
_FIELD_CLASSES = (
    forms.Field,
    forms.CharField,
    forms.IntegerField,
    forms.DateField,
    forms.ChoiceField,
    forms.ModelChoiceField,
    forms.FileField,
)
_VALIDATORS = (
    validators.MaxLengthValidator,
    validators.MinLengthValidator,
    validators.MaxValueValidator,
    validators.MinValueValidator,
)
_DEFAULTS = {
    id(message) for field_class in _FIELD_CLASSES for message in field_class.default_error_messages.values()
} | {id(validator.message) for validator in _VALIDATORS}


def _is_choice(field: forms.Field) -> bool:
    return isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.FileField | forms.BooleanField)


def field_message(field: forms.Field, label: str, error: ValidationError) -> str:
    """The words for one error of one field: which field, and what to do about it."""
    params = error.params or {}
    if error.code == "required":
        if _is_choice(field):
            return _("Choose %(field)s.") % {"field": label}
        return _("Enter %(field)s.") % {"field": label}
    if error.code == "max_length" and "limit_value" in params:
        return _("Make %(field)s at most %(limit)s characters long (now %(count)s).") % {
            "field": label,
            "limit": params["limit_value"],
            "count": params.get("show_value", ""),
        }
    if error.code == "min_value" and "limit_value" in params:
        return _("%(field)s must be %(limit)s or more.") % {"field": label, "limit": params["limit_value"]}
    if error.code == "max_value" and "limit_value" in params:
        return _("%(field)s must be %(limit)s or less.") % {"field": label, "limit": params["limit_value"]}
    if error.code == "invalid" and isinstance(field, forms.DateField):
        return _("Enter %(field)s as a date, for example 2026-04-01.") % {"field": label}
    if error.code == "invalid" and isinstance(field, forms.IntegerField):
        return _("Enter %(field)s as a whole number.") % {"field": label}
    return ""


class NamedErrorsBoundField(forms.BoundField):
    @property
    def errors(self):
        errors = super().errors
        data = errors.as_data()
        if not any(id(error.message) in _DEFAULTS for error in data):
            return errors
        label = str(self.label or self.name)
        rewritten = self.form.error_class(renderer=self.form.renderer)
        for error in data:
            message = field_message(self.field, label, error) if id(error.message) in _DEFAULTS else ""
            rewritten.append(message or next(iter(error)))
        return rewritten


class FormRenderer(DjangoTemplates):
    bound_field_class = NamedErrorsBoundField
