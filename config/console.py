"""The operators' console: Django's admin site, with Kantoku's name and an overview on its first page.

Registered as the default admin site (config.console.ConsoleAdminConfig in INSTALLED_APPS), so every
`admin.register` in the apps lands here (docs/design.md §8).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse


class ConsoleSite(admin.AdminSite):
    site_header = "Kantoku 運営管理"
    site_title = "Kantoku"
    index_template = "admin/console_index.html"

    def index(self, request, extra_context=None):
        from operations.overview import overview  # the apps are loaded by the time a page is asked for

        return super().index(request, {**(extra_context or {}), "overview": overview()})

    def has_permission(self, request):
        """Staff, and signed in with the second factor too (docs/design.md §1)."""
        return super().has_permission(request) and getattr(request.user, "is_verified", lambda: False)()

    def login(self, request, extra_context=None):
        """One sign-in page for everyone, the site's, with its two-factor step; the console's own is not used."""
        if self.has_permission(request):
            return redirect("admin:index")
        if request.user.is_authenticated:
            raise Http404  # signed in, but not an operator: nothing here
        from django.contrib.auth.views import redirect_to_login  # loads models: not before the apps are

        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, reverse("classrooms:login"))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operators look; nobody adds, edits or deletes here (records written by the services only)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConsoleAdminConfig(AdminConfig):
    default_site = "config.console.ConsoleSite"
