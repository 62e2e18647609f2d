"""The operators' console (Django admin): organizations and contracts, accounts, the audit trail."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from classrooms import services, two_factor
from classrooms.forms import PersonForm
from classrooms.login_cards import cards_page
from classrooms.models import AuditEntry, Membership, Organization, SchoolClass, User, audit_actions
from config.console import ReadOnlyAdmin
from config.errors import ServiceError
from operations.admin import ContractPagesMixin, ContractTermInline

# The audit log's action codes written here, and what the org admin reads for each (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {
        "organization.create": _("Organization created"),
        "organization.edit": _("Organization details edited"),
    }
)


@admin.register(Organization)
class OrganizationAdmin(ContractPagesMixin, admin.ModelAdmin):
    """Organizations and their contracts. A contract changes only on its own pages, each with a
    confirmation naming what will happen (operations/admin.py, docs/design.md §8.1).
    """

    list_display = ["name", "code", "status", "contract_starts_on", "contract_end", "unit_price", "contract_links"]
    list_filter = ["status", "school_type"]
    search_fields = ["name", "code"]
    readonly_fields = ["status", "contract_starts_on", "created_at", "contract_summary", "contract_links"]
    inlines = [ContractTermInline]
    actions = None  # no bulk changes: each contract step is a page of its own
    change_form_template = "admin/classrooms/organization/change_form.html"

    def get_fields(self, request, obj=None):
        if obj is None:  # a new organization starts pending, with the unit price it will be approved at
            return ["name", "code", "school_type", "unit_price", "two_factor_required"]
        return ["name", "code", "school_type", "two_factor_required", *self.readonly_fields]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new organization has no terms yet

    def has_delete_permission(self, request, obj=None):
        return False  # a school's data goes only by the deletion after its contract ended (docs/design.md §8)

    @admin.display(description=_("contract end"))
    def contract_end(self, organization: Organization):
        return organization.contract_ends_on() or "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        AuditEntry.record(
            organization=obj,
            actor=request.user,
            action="organization.edit" if change else "organization.create",
            target=obj,
        )

    def get_urls(self):
        return [
            path(
                "<int:organization_id>/issue-admin/",
                self.admin_site.admin_view(self.issue_org_admin),
                name="classrooms_organization_issue_admin",
            ),
            *self.contract_urls(),
            *super().get_urls(),
        ]

    def issue_org_admin(self, request, organization_id: int):
        """Issue an org admin account for this organization; the password is shown once."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        organization = get_object_or_404(Organization, pk=organization_id)
        form = PersonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                issued = services.member_issue(
                    organization=organization, role=User.Role.ORG_ADMIN, by=request.user, **form.cleaned_data
                )
            except ServiceError as error:
                messages.error(request, str(error))
            else:
                back_url = reverse("admin:classrooms_organization_change", args=[organization.pk])
                title = _("New org admin account")
                return cards_page(request, [issued], organization=organization, back_url=back_url, title=title)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "organization": organization,
            "opts": self.opts,
        }
        return render(request, "admin/classrooms/organization/issue_admin.html", context)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["organization", "starts_on", "ends_on"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["login_id", "name", "role", "is_active", "must_change_password", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["login_id", "name", "kana"]
    fields = [
        "login_id",
        "name",
        "kana",
        "role",
        "is_active",
        "must_change_password",
        "two_factor",
        "last_login",
        "date_joined",
    ]
    readonly_fields = [
        "login_id",
        "role",
        "is_active",
        "last_login",
        "date_joined",
        "must_change_password",
        "two_factor",
    ]
    inlines = [MembershipInline]
    actions = ["suspend", "reactivate"]

    def has_add_permission(self, request):
        return False  # accounts are issued by org admins and teachers, or with "issue org admin"

    @admin.display(description=_("two-factor sign-in"))
    def two_factor(self, user: User):
        if user.is_examinee:
            return "—"
        status = two_factor.status_of(user)
        if not (status.on or status.recovery_codes_left):
            return pgettext_lazy("two-factor", "off")
        reset_url = reverse("admin:classrooms_user_two_factor_reset", args=[user.pk])
        return format_html(
            '{} ({}: {}) · <a href="{}">{}</a>',
            pgettext_lazy("two-factor", "on") if status.on else pgettext_lazy("two-factor", "off"),
            _("recovery codes left"),
            status.recovery_codes_left,
            reset_url,
            _("Reset two-factor sign-in…"),
        )

    def get_urls(self):
        return [
            path(
                "<int:user_id>/two-factor-reset/",
                self.admin_site.admin_view(self.two_factor_reset),
                name="classrooms_user_two_factor_reset",
            ),
            *super().get_urls(),
        ]

    def two_factor_reset(self, request, user_id: int):
        """For a lost phone: after a confirmation, the person's devices go and they set up a new one."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        user = get_object_or_404(User, pk=user_id)
        back_url = reverse("admin:classrooms_user_change", args=[user.pk])
        if request.method == "POST" and request.POST.get("confirmed"):
            try:
                two_factor.two_factor_reset(user=user, by=request.user)
            except ServiceError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Two-factor sign-in of %(name)s is reset.") % {"name": user})
            return redirect(back_url)
        context = {
            **self.admin_site.each_context(request),
            "person": user,
            "status": two_factor.status_of(user),
            "back_url": back_url,
            "opts": self.opts,
        }
        return render(request, "admin/classrooms/user/two_factor_reset.html", context)

    @admin.action(description=_("Suspend (signs them out everywhere)"))
    def suspend(self, request, queryset):
        for user in queryset:
            services.user_set_active(user=user, active=False, by=request.user)

    @admin.action(description=_("Reactivate"))
    def reactivate(self, request, queryset):
        for user in queryset:
            services.user_set_active(user=user, active=True, by=request.user)


# The console resets a person's devices on their page (UserAdmin.two_factor_reset); it never lists
# devices, whose secrets django-otp's own pages would show.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):
    list_display = ["name", "school_year", "organization", "teacher"]
    list_filter = ["school_year", "organization"]
    search_fields = ["name"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["at", "organization", "actor_label", "action_label", "target_label"]
    list_filter = ["organization"]
    search_fields = ["actor_label", "target_label", "action"]
    date_hierarchy = "at"

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, entry: AuditEntry) -> str:
        return AuditEntry.action_label(entry.action)
