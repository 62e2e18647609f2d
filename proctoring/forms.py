"""Forms of the proctoring screens: incidents, their decision, revoking a result."""

from __future__ import annotations

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from proctoring.models import Incident, Revocation, Signal, category_label
from proctoring.report import duration_text


def signal_label(signal: Signal) -> str:
    """e.g. "Left the test window ×3 · 10:41:02 · 3.5 s"."""
    parts = [
        f"{signal.get_kind_display()} ×{signal.count}",
        formats.time_format(timezone.localtime(signal.at), "H:i:s"),
    ]
    if signal.duration_ms:
        parts.append(duration_text(signal.duration_ms))
    return " · ".join(parts)


class IncidentForm(forms.Form):
    """An incident about one person: the categories that apply to them, a private note, their signals."""

    category = forms.ChoiceField(label=gettext_lazy("What happened"))
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=Incident.MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": Incident.MAX_NOTE_LENGTH}),
    )
    signals = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Signals to attach as evidence"),
        queryset=Signal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, categories: frozenset[str], signals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("Choose a category")),
            *((value, category_label(value)) for value in Incident.Category.values if value in categories),
        ]
        self.fields["note"].help_text = _(
            "Private: only this test's teacher and the org admins read it; the examinee never does. "
            "Up to %(limit)d characters."
        ) % {"limit": Incident.MAX_NOTE_LENGTH}
        self.fields["signals"].queryset = signals
        self.fields["signals"].label_from_instance = signal_label


class IncidentResolveForm(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            (Incident.Action.WARNING, Incident.Action.WARNING.label),
            (Incident.Action.NONE, Incident.Action.NONE.label),
        ],
    )
    back = forms.ChoiceField(choices=[("report", "report"), ("incidents", "incidents")], required=False)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=Revocation.MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": Revocation.MAX_REASON_LENGTH}),
    )
    incident = forms.ModelChoiceField(
        label=gettext_lazy("Incident"),
        queryset=Incident.objects.none(),
        required=False,
        empty_label=gettext_lazy("No incident"),
    )
    back = forms.ChoiceField(choices=[("report", "report"), ("results", "results")], required=False)

    def __init__(self, *args, incidents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _(
            "The examinee reads this reason on their result page: write it in plain words, without private details. "
            "Up to %(limit)d characters."
        ) % {"limit": Revocation.MAX_REASON_LENGTH}
        self.fields["incident"].queryset = incidents
        self.fields["incident"].label_from_instance = _incident_label


def _incident_label(incident: Incident) -> str:
    day = formats.date_format(timezone.localtime(incident.at), "DATETIME_FORMAT")
    return f"#{incident.pk} {category_label(incident.category)} ({day})"
