from django.urls import path

from exams.views import attempts, exchange, preview, regrade, results

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
    # The author's preview as a pupil, regrading a published key, JSON import and export (docs/design.md §3)
    path("write/<int:exam_id>/v<int:number>/preview/", preview.version_preview, name="version_preview"),
    path(
        "write/<int:exam_id>/v<int:number>/preview/questions/<int:position>/",
        preview.version_preview_question,
        name="version_preview_question",
    ),
    path(
        "write/<int:exam_id>/v<int:number>/preview/submit/",
        preview.version_preview_submit,
        name="version_preview_submit",
    ),
    path(
        "write/<int:exam_id>/v<int:number>/questions/<int:question_id>/regrade/",
        regrade.question_regrade,
        name="question_regrade",
    ),
    path("write/<int:exam_id>/v<int:number>/export.json", exchange.exam_export_json, name="exam_export_json"),
    path("write/import/", exchange.exam_import_json, name="exam_import_json"),
]
