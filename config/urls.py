from django.contrib import admin
from django.urls import include, path

from classrooms.views import health

# The error pages in the site's look and language (classrooms/views/errors.py).
handler403 = "classrooms.views.errors.forbidden"
handler404 = "classrooms.views.errors.not_found"
handler500 = "classrooms.views.errors.server_error"

admin.site.site_header = "Kantoku 運営管理"
admin.site.site_title = "Kantoku"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("operator/", admin.site.urls),
    path("exam/", include("exams.urls")),
    path("proctor/", include("proctoring.urls")),
    path("messages/", include("messaging.urls")),
    path("", include("operations.urls")),
    path("", include("classrooms.urls")),
]
