from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import include, path

from classrooms.views import health

# The error pages in the site's look and language (classrooms/views/errors.py).
handler403 = "classrooms.views.errors.forbidden"
handler404 = "classrooms.views.errors.not_found"
handler500 = "classrooms.views.errors.server_error"

# What a person may do follows their role (User.role, docs/design.md §1); Django's groups and
# permissions are not used, so the console does not offer them (their names are English-only).
admin.site.unregister(Group)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("operator/", admin.site.urls),
    path("exam/", include("exams.urls")),
    path("proctor/", include("proctoring.urls")),
    path("messages/", include("messaging.urls")),
    path("badges/", include("badges.urls")),
    path("", include("operations.urls")),
    path("", include("classrooms.urls")),
]
