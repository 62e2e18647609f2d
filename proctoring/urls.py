from django.urls import path

from proctoring import views

app_name = "proctoring"

urlpatterns = [
    # A class's tests: open one (waiting room), list them
    path("classes/<int:class_id>/sessions/new/", views.session_create, name="session_create"),
    path("classes/<int:class_id>/sessions/", views.session_list, name="session_list"),
    # The live dashboard (kept live by static/js/proctor.js over /ws/proctor/<session_id>/)
    path("sessions/<int:session_id>/", views.dashboard, name="dashboard"),
    # After (or during) a session: its report, incidents, revoking results (docs/design.md §5)
    path("sessions/<int:session_id>/report/", views.session_report, name="session_report"),
    path("sessions/<int:session_id>/report.csv", views.session_report_export, name="session_report_export"),
    path("sessions/<int:session_id>/incidents/new/<int:examinee_id>/", views.incident_new, name="incident_new"),
    path("sessions/<int:session_id>/incidents/proctor/", views.proctor_incident_new, name="proctor_incident_new"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/<int:incident_id>/resolve/", views.incident_resolve, name="incident_resolve"),
    path("attempts/<int:attempt_id>/revoke/", views.result_revoke, name="result_revoke"),
]
