from django.urls import path

from exams.views import attempts, results

urlpatterns = [
    # Taking a test (examinee): waiting room, one question at a time, answers, submit
    path("sessions/<int:session_id>/enter/", attempts.session_enter, name="exam_session_enter"),
    path("sessions/<int:session_id>/", attempts.waiting_room, name="exam_waiting_room"),
    path("attempts/<int:attempt_id>/", attempts.attempt_page, name="exam_attempt"),
    path("attempts/<int:attempt_id>/questions/<int:position>/", attempts.question_fragment, name="exam_question"),
    path("attempts/<int:attempt_id>/answers/", attempts.answer_save, name="exam_answer_save"),
    path("attempts/<int:attempt_id>/submit/", attempts.attempt_submit, name="exam_submit"),
    # Results: the examinee's own, and the class's for its teacher and org admins
    path("attempts/<int:attempt_id>/result/", results.attempt_result, name="exam_result"),
    path("history/", results.history, name="exam_history"),
    path("classes/<int:class_id>/results/", results.class_results, name="exam_class_results"),
    path(
        "classes/<int:class_id>/enrollments/<int:enrollment_id>/history/",
        results.examinee_history,
        name="exam_examinee_history",
    ),
    path("classes/<int:class_id>/results.csv", results.class_results_export, name="exam_class_results_export"),
    path("org/classes/<int:class_id>/results/", results.org_class_results, name="exam_org_class_results"),
]
