from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.message_new, name="message_new"),
    path("<int:thread_id>/", views.thread, name="thread"),
    path("<int:thread_id>/send/", views.thread_send, name="thread_send"),
    path("classes/<int:class_id>/notice/", views.notice_new, name="notice_new"),
    path("notices/<int:notice_id>/", views.notice_detail, name="notice_detail"),
    path("org/", views.org_metadata, name="org_metadata"),
    path("operator/statistics/", views.operator_statistics, name="operator_statistics"),
    path("operator/break-glass/", views.operator_break_glass, name="operator_break_glass"),
]
