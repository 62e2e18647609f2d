from django.urls import path

from exams.views import attempts, results

urlpatterns = [
    # Taking a test (examinee): waiting room, one question at a time, answers, submit
    *attempts.urlpatterns,
    # Results: the examinee's own, and the class's for its teacher
    *results.urlpatterns,
]
