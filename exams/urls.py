from django.urls import path

from exams.views import attempts, editor, exchange, preview, regrade, results

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

# The test editor (docs/design.md §3, "The editor"): teachers their school's tests, operators the operator's catalog
urlpatterns += [
    path("write/", editor.exam_list, name="write_list"),
    path("write/new/", editor.exam_new, name="write_new"),
    path("write/<int:exam_id>/", editor.exam_page, name="write_exam"),
    path("write/<int:exam_id>/next-draft/", editor.draft_next, name="write_draft_next"),
    path("write/<int:exam_id>/settings/", editor.settings_save, name="write_settings"),
    path("write/<int:exam_id>/badge/", editor.badge_save, name="write_badge"),
    path("write/<int:exam_id>/problems/", editor.problems, name="write_problems"),
    path("write/<int:exam_id>/publish/", editor.publish, name="write_publish"),
    path("write/<int:exam_id>/passages/new/", editor.passage_add, name="write_passage_add"),
    path("write/<int:exam_id>/passages/<int:passage_id>/", editor.passage_save, name="write_passage"),
    path("write/<int:exam_id>/passages/<int:passage_id>/move/", editor.passage_move, name="write_passage_move"),
    path("write/<int:exam_id>/passages/<int:passage_id>/delete/", editor.passage_delete, name="write_passage_delete"),
    path("write/<int:exam_id>/questions/new/", editor.question_add, name="write_question_add"),
    path("write/<int:exam_id>/questions/<int:question_id>/", editor.question_save, name="write_question"),
    path("write/<int:exam_id>/questions/<int:question_id>/move/", editor.question_move, name="write_question_move"),
    path(
        "write/<int:exam_id>/questions/<int:question_id>/duplicate/",
        editor.question_duplicate,
        name="write_question_duplicate",
    ),
    path(
        "write/<int:exam_id>/questions/<int:question_id>/delete/", editor.question_delete, name="write_question_delete"
    ),
]
