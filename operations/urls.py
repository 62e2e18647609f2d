from django.urls import path

from operations import views

app_name = "operations"

urlpatterns = [
    # Org admin: the school's data export (docs/design.md §8.4)
    path("org/export/", views.export_list, name="export_list"),
    path("org/export/new/", views.export_request, name="export_request"),
    path("org/export/status/", views.export_status, name="export_status"),
    path("org/export/<int:export_id>/download/", views.export_download, name="export_download"),
]
