"""Incidents and revocations in the operators' console: the record, not the private notes.

Operators see who reported what about whom, the decision and which result was
revoked, when and why. They may record an incident about a session's proctor
(categories 8–12, docs/design.md §5); it goes through the same service as the org
admins' form, so it is audited the same way. Nothing is edited or deleted here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.console import ReadOnlyAdmin
from proctoring import services
from proctoring.models import Incident, ProctoredSession, Revocation, category_label


class ProctorIncidentForm(forms.ModelForm):
    """An operator's incident about the proctor of a session."""

    class Meta:
        model = Incident
        fields = ["session", "category", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].required = True
        self.fields["session"].queryset = ProctoredSession.objects.select_related("exam", "school_class")
        self.fields["category"].choices = [
            (value, category_label(value)) for value in Incident.Category.values if value in Incident.PROCTOR_CATEGORIES
        ]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "organization", "session", "subject", "category", "action", "resolved_at"]
    list_filter = ["category", "action", "organization"]
    list_select_related = ["organization", "session__exam", "session__school_class", "subject"]
    date_hierarchy = "at"
    raw_id_fields = ["session"]
    readonly_fields = [
        "organization",
        "session",
        "subject",
        "reporter",
        "category",
        "signal_ids",
        "at",
        "action",
        "resolved_at",
        "resolved_by",
    ]
    exclude = ["note", "signals"]  # the note is private to the organization's reviewers

    @admin.display(description=_("signals"))
    def signal_ids(self, incident: Incident) -> str:
        return ", ".join(str(pk) for pk in incident.signals.values_list("pk", flat=True)) or "–"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ProctorIncidentForm
            kwargs["fields"] = ProctorIncidentForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_exclude(self, request, obj=None):
        return self.exclude if obj is not None else []

    def save_model(self, request, obj, form, change):
        session = form.cleaned_data["session"]
        incident = services.incident_report(
            session=session,
            subject=session.teacher,
            by=request.user,
            category=form.cleaned_data["category"],
            note=form.cleaned_data["note"],
        )
        obj.pk = incident.pk  # the admin's own log and redirect name the incident the service made

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Revocation)
class RevocationAdmin(ReadOnlyAdmin):
    list_display = ["id", "revoked_at", "attempt", "revoked_by", "incident"]
    list_select_related = ["attempt__examinee", "attempt__exam", "revoked_by", "incident"]
    date_hierarchy = "revoked_at"
    fields = ["attempt", "revoked_by", "revoked_at", "reason", "incident"]
    readonly_fields = fields
