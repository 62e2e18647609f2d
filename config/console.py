"""The operators' console: Django's admin site, with Kantoku's name and an overview on its first page.

Registered as the default admin site (config.console.ConsoleAdminConfig in INSTALLED_APPS), so every
`admin.register` in the apps lands here (docs/design.md §8).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class ConsoleSite(admin.AdminSite):
    site_header = "Kantoku 運営管理"
    site_title = "Kantoku"
    index_template = "admin/console_index.html"

    def index(self, request, extra_context=None):
        from operations.overview import overview  # the apps are loaded by the time a page is asked for

        return super().index(request, {**(extra_context or {}), "overview": overview()})


class ConsoleAdminConfig(AdminConfig):
    default_site = "config.console.ConsoleSite"
