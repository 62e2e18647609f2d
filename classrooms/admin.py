"""The operators' console (Django admin): organizations and contracts, accounts, the audit trail."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from classrooms import services
from classrooms.forms import PersonForm
from classrooms.login_cards import cards_page
from classrooms.models import AuditEntry, Membership, Organization, SchoolClass, User, audit_actions
from classrooms.schoolyear import today
from config.errors import ServiceError

# The audit log's action codes written here, and what the org admin reads for each (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {
        "organization.create": _("Organization created"),
        "organization.edit": _("Organization details edited"),
    }
)


def _status_action(status: str, label, *, confirm: str | None = None):
    """A console action setting the organizations' status; with `confirm`, only after a page that
    names what will happen (docs/design.md §2: suspension and termination lock every account out).
    """

    def action(modeladmin, request, queryset):
        if confirm and request.POST.get("confirmed") != "yes":
            return _confirmation(modeladmin, request, queryset, action.__name__, label, confirm)
        for organization in queryset:
            services.organization_set_status(organization=organization, status=status, by=request.user)
        modeladmin.message_user(request, _("%(count)d organization(s) updated.") % {"count": queryset.count()})
        return None

    action.short_description = label
    action.__name__ = f"set_{status}"
    return action


def _confirmation(modeladmin, request, queryset, action_name: str, label, consequence):
    day = today()
    rows = [
        (
            organization,
            Membership.objects.active_on(day).filter(organization=organization, user__is_active=True).count(),
        )
        for organization in queryset
    ]
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": label,
        "consequence": consequence,
        "rows": rows,
        "accounts": sum(count for _organization, count in rows),
        "action_name": action_name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return render(request, "admin/classrooms/organization/confirm_status.html", context)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "status", "contract_starts_on", "contract_end", "unit_price"]
    list_filter = ["status", "school_type"]
    search_fields = ["name", "code"]
    readonly_fields = ["status", "contract_starts_on", "created_at", "contract_end"]
    fields = ["name", "code", "school_type", "unit_price", "notice_given_on", *readonly_fields]
    actions = [
        _status_action(Organization.Status.APPROVED, _("Approve (starts the contract) or reinstate")),
        _status_action(
            Organization.Status.SUSPENDED,
            _("Suspend: lock every account out"),
            confirm=_("Every account of these organizations is signed out and cannot sign in until reinstated."),
        ),
        _status_action(
            Organization.Status.TERMINATED,
            _("Terminate the contract"),
            confirm=_("The contract ends now: every account of these organizations is locked out."),
        ),
    ]
    change_form_template = "admin/classrooms/organization/change_form.html"

    @admin.display(description=_("contract end"))
    def contract_end(self, organization: Organization):
        return organization.contract_ends_on()

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
    fields = ["login_id", "name", "kana", "role", "is_active", "must_change_password", "last_login", "date_joined"]
    readonly_fields = ["login_id", "role", "is_active", "last_login", "date_joined", "must_change_password"]
    inlines = [MembershipInline]
    actions = ["suspend", "reactivate"]

    def has_add_permission(self, request):
        return False  # accounts are issued by org admins and teachers, or with "issue org admin"

    @admin.action(description=_("Suspend (signs them out everywhere)"))
    def suspend(self, request, queryset):
        for user in queryset:
            services.user_set_active(user=user, active=False, by=request.user)

    @admin.action(description=_("Reactivate"))
    def reactivate(self, request, queryset):
        for user in queryset:
            services.user_set_active(user=user, active=True, by=request.user)


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
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["at", "organization", "actor_label", "action_label", "target_label"]
    list_filter = ["organization"]
    search_fields = ["actor_label", "target_label", "action"]
    date_hierarchy = "at"

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, entry: AuditEntry) -> str:
        return AuditEntry.action_label(entry.action)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
