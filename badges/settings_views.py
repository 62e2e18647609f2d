"""The org admin's badge settings (docs/design.md §12): whether the school's badges carry pupils' names."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from badges import services
from badges.models import Issuer
from classrooms.access import organization_of, role_required
from classrooms.models import User
from config.ratelimits import rate_limit

org_admin_required = role_required(User.Role.ORG_ADMIN)


class BadgeSettingsForm(forms.Form):
    show_pupil_name = forms.BooleanField(
        label=gettext_lazy("Write the pupil's name into the badges of our school's tests"),
        required=False,
        help_text=gettext_lazy(
            "Off: a badge names the pupil only by a salted hash of their login id, which the school can "
            "confirm. On: anyone who sees the badge reads the name. Badges given before keep what they have."
        ),
    )


@org_admin_required
@require_http_methods(["GET", "POST"])
@rate_limit("authoring")
def school_settings(request):
    organization = organization_of(request.user)
    issuer = Issuer.objects.filter(organization=organization).first()
    form = BadgeSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"show_pupil_name": issuer.show_pupil_name if issuer else False},
    )
    if request.method == "POST" and form.is_valid():
        services.issuer_show_pupil_names(
            organization=organization, show=form.cleaned_data["show_pupil_name"], by=request.user
        )
        messages.success(request, _("The badge settings are saved."))
        return redirect("badges:school_settings")
    return render(request, "badges/school_settings.html", {"form": form, "organization": organization})
