from django.urls import path

from exams.views import attempts, results

app_name = "exams"

urlpatterns = [
    # Taking a test (examinee): waiting room, one question at a time, answers, submit
    path("sessions/<int:session_id>/enter/", attempts.session_enter, name="session_enter"),
    path("sessions/<int:session_id>/", attempts.waiting_room, name="waiting_room"),
    path("attempts/<int:attempt_id>/", attempts.attempt_page, name="attempt"),
    path("attempts/<int:attempt_id>/questions/<int:position>/", attempts.question_fragment, name="question"),
    path("attempts/<int:attempt_id>/answers/", attempts.answer_save, name="answer_save"),
    path("attempts/<int:attempt_id>/submit/", attempts.attempt_submit, name="submit"),
    # Results: the examinee's own, and the class's for its teacher and org admins
    path("attempts/<int:attempt_id>/result/", results.attempt_result, name="result"),
    path("history/", results.history, name="history"),
    path("classes/<int:class_id>/results/", results.class_results, name="class_results"),
    path(
        "classes/<int:class_id>/enrollments/<int:enrollment_id>/history/",
        results.examinee_history,
        name="examinee_history",
    ),
    path("classes/<int:class_id>/results.csv", results.class_results_export, name="class_results_export"),
    path("org/classes/<int:class_id>/results/", results.org_class_results, name="org_class_results"),
    # One version of a test over every class of the school that sat it (item analysis, docs/design.md §3)
    path("write/<int:exam_id>/v<int:number>/analysis/", results.version_analysis, name="version_analysis"),
]
