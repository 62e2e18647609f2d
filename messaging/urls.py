from django.urls import path

from messaging import views

urlpatterns = [
    path("", views.inbox, name="messaging_inbox"),
    path("new/", views.message_new, name="messaging_message_new"),
    path("<int:thread_id>/", views.thread, name="messaging_thread"),
    path("<int:thread_id>/send/", views.thread_send, name="messaging_thread_send"),
    path("classes/<int:class_id>/notice/", views.notice_new, name="messaging_notice_new"),
    path("notices/<int:notice_id>/", views.notice_detail, name="messaging_notice_detail"),
    path("org/", views.org_metadata, name="messaging_org_metadata"),
    path("operator/statistics/", views.operator_statistics, name="messaging_operator_statistics"),
    path("operator/break-glass/", views.operator_break_glass, name="messaging_operator_break_glass"),
]
