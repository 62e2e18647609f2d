from django.urls import path

from proctoring import views

urlpatterns = [
    # A class's tests: open one (waiting room), list them
    path("classes/<int:class_id>/sessions/new/", views.session_create, name="proctor_session_create"),
    path("classes/<int:class_id>/sessions/", views.session_list, name="proctor_session_list"),
    # The live dashboard (kept live by static/js/proctor.js over /ws/proctor/<session_id>/)
    path("sessions/<int:session_id>/", views.dashboard, name="proctor_dashboard"),
]
