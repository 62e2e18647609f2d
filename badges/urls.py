"""The badges' public documents (docs/design.md §12): names other code relies on stay as they are."""

from django.urls import path

from badges import pages, settings_views, views

app_name = "badges"

urlpatterns = [
    path("issuers/<slug:public_id>", views.issuer, name="issuer"),
    path("issuers/<slug:public_id>/keys", views.issuer_keys, name="keys"),
    path("achievements/<slug:public_id>", views.achievement, name="achievement"),
    path("achievements/<slug:public_id>/image.svg", views.image, name="image"),
    path("credentials/<slug:public_id>", views.credential, name="credential"),
    path("status/<slug:public_id>", views.status_list, name="status_list"),
    # For people (badges/pages.py): the pupil's own downloads, and the page a shared link opens.
    path("mine/<int:attempt_id>/badge.json", pages.badge_json, name="mine_json"),
    path("mine/<int:attempt_id>/badge.png", pages.badge_png, name="mine_png"),
    path("v/<slug:public_id>/", pages.verify_page, name="verify"),
    # Not public: the school's own settings, for its org admin.
    path("school/settings", settings_views.school_settings, name="school_settings"),
]
